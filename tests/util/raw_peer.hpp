#pragma once

#include <jm/protocol/envelope.hpp>
#include <jm/protocol/handshake.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace jm::test {

//! A blocking test peer on a raw TCP socket: sends whatever bytes a test wants (well-formed or
//! hostile) and reads the directory's lines with a deadline.
class RawPeer {
public:
    explicit RawPeer(std::uint16_t port);
    ~RawPeer();

    void sendRaw(const std::string& bytes);
    void send(int type, const std::string& line);
    //! Sends a 793 with these fields (REF layout).
    void handshake(const std::string& nick, const std::string& network = "testnet",
                   const std::string& location = "NOT-SERVING-ONION", boost::json::object features = {},
                   int proto_ver = 5);
    //! The next line as an envelope, or nullopt when none arrives in time or the socket closed.
    std::optional<jm::protocol::Envelope> read(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    //! The next line of `type`, skipping others.
    std::optional<jm::protocol::Envelope> readType(int type,
                                                   std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    //! Reads lines until the server closes the connection; true if it did within the time.
    bool waitClosed(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
    //! Handshakes and returns the accepting 795 (or nullopt).
    std::optional<jm::protocol::DirectoryHandshake>
    join(const std::string& nick, const std::string& location = "NOT-SERVING-ONION", boost::json::object features = {});
    bool closed() const { return m_closed; }
    //! Every line received so far that was not consumed.
    std::size_t pending() const { return m_lines.size(); }

private:
    bool fill(std::chrono::steady_clock::time_point deadline);

    boost::asio::io_context m_context;
    boost::asio::ip::tcp::socket m_socket;
    std::string m_buffer;
    std::vector<std::string> m_lines;
    bool m_closed = false;
};

//! A well-formed nick for tests: "J5" + 14 characters from `seed`.
std::string testNick(std::size_t seed);

} // namespace jm::test
