#pragma once
// One direct peer connection (protocol.md 3.4), inbound or outbound; private to DirectPeers.

#include <jm/net/direct_inbox.hpp>
#include <jm/protocol/envelope.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace jm::net::detail {

struct DirectLinkSettings {
    std::string network;
    jm::protocol::Location location; //!< ours, told in our 793
    boost::json::object features;
    std::chrono::milliseconds handshake_timeout{30'000};
    std::chrono::milliseconds idle_timeout{900'000};
    std::size_t max_line = jm::protocol::MAX_SEND_LINE; //!< REF's limit: a direct peer needs no more
};

struct DirectLinkHandler {
    std::function<void(const jm::protocol::ClientHandshake&)> on_handshake;
    std::function<void(const ChannelMessage&)> on_message;
    //! Once, when the connection ends for any reason but close().
    std::function<void(const std::string& reason)> on_closed;
};

//! Sends our 793 at once (both ends do, as REF does), then judges every line with a DirectInbox.
//! Executor: the socket's strand; callbacks are called there. Ownership: shared; pending
//! operations keep it alive until close() or the end of the connection.
class DirectLink : public std::enable_shared_from_this<DirectLink> {
public:
    DirectLink(boost::asio::ip::tcp::socket socket, DirectLinkSettings settings,
               std::shared_ptr<const jm::protocol::NickIdentity> identity, std::string expected_nick, std::string label,
               DirectLinkHandler handler);

    void start();
    //! Closes without a callback.
    void close();
    bool open() const { return m_open; }
    bool ready() const { return m_open && m_inbox.handshaked(); }
    bool proven() const { return m_open && m_inbox.proven(); }
    //! Whether the peer's 793 was accepted (also after the connection ended).
    bool wasHandshaked() const { return m_inbox.handshaked(); }
    //! Replaces the handler's on_closed (set once the owner holds the link).
    void setClosedHandler(std::function<void(const std::string& reason)> f) { m_handler.on_closed = std::move(f); }
    //! The peer's nick from its handshake (empty before).
    std::string nick() const { return m_inbox.handshaked() ? m_inbox.peer().nick : std::string(); }
    const std::string& label() const { return m_label; }
    //! Errors: errc::unavailable (not handshaked, closed, queue full), errc::invalid_argument
    //! (line too long).
    jm::sdk::Result<void> sendPrivate(std::string_view to, std::string_view command, std::string_view text);

private:
    jm::sdk::Result<void> queue(int type, std::string line);
    void readNext();
    void writeNext();
    void armTimer(std::chrono::milliseconds after, std::string reason);
    void fail(const std::string& reason);

    boost::asio::ip::tcp::socket m_socket;
    boost::asio::steady_timer m_timer;
    DirectLinkSettings m_settings;
    std::shared_ptr<const jm::protocol::NickIdentity> m_identity;
    std::string m_label;
    DirectLinkHandler m_handler;
    DirectInbox m_inbox;
    jm::protocol::LineFramer m_framer;
    std::array<char, 16384> m_buffer{};
    std::deque<std::string> m_queue;
    bool m_writing = false;
    bool m_open = true;
};

} // namespace jm::net::detail
