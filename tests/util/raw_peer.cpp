#include <util/raw_peer.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>

namespace jm::test {

RawPeer::RawPeer(std::uint16_t port) : m_socket(m_context) {
    m_socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
}

RawPeer::~RawPeer() {
    boost::system::error_code ec;
    m_socket.close(ec);
}

void RawPeer::sendRaw(const std::string& bytes) {
    boost::system::error_code ec;
    boost::asio::write(m_socket, boost::asio::buffer(bytes), ec);
}

void RawPeer::send(int type, const std::string& line) {
    sendRaw(jm::protocol::formatEnvelope({type, line}, 1 << 21).value());
}

void RawPeer::handshake(const std::string& nick, const std::string& network, const std::string& location,
                        boost::json::object features, int proto_ver) {
    boost::json::object hs{{"app-name", "joinmarket"}, {"directory", false},   {"location-string", location},
                           {"proto-ver", proto_ver},   {"features", features}, {"nick", nick},
                           {"network", network}};
    send(793, jm::protocol::pythonJsonDumps(hs));
}

bool RawPeer::fill(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        auto pos = m_buffer.find("\r\n");
        if (pos != std::string::npos) {
            m_lines.push_back(m_buffer.substr(0, pos));
            m_buffer.erase(0, pos + 2);
            return true;
        }
        if (m_closed) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{m_socket.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char chunk[65536];
        boost::system::error_code ec;
        auto n = m_socket.read_some(boost::asio::buffer(chunk), ec);
        if (ec) {
            m_closed = true;
            continue;
        }
        m_buffer.append(chunk, n);
    }
}

std::optional<jm::protocol::Envelope> RawPeer::read(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (m_lines.empty() && !fill(deadline)) return std::nullopt;
    auto line = m_lines.front();
    m_lines.erase(m_lines.begin());
    auto env = jm::protocol::parseEnvelope(line, 1 << 21);
    if (!env) return jm::protocol::Envelope{-1, line};
    return *env;
}

std::optional<jm::protocol::Envelope> RawPeer::readType(int type, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto env = read(left);
        if (!env) return std::nullopt;
        if (env->type == type) return env;
    }
}

bool RawPeer::waitClosed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_closed) {
        m_lines.clear();
        if (!fill(deadline) && !m_closed) return false;
    }
    return true;
}

std::optional<jm::protocol::DirectoryHandshake> RawPeer::join(const std::string& nick, const std::string& location,
                                                              boost::json::object features) {
    handshake(nick, "testnet", location, std::move(features));
    auto reply = readType(795);
    if (!reply) return std::nullopt;
    auto hs = jm::protocol::parseDirectoryHandshake(reply->line);
    if (!hs || !hs->accepted) return std::nullopt;
    return *hs;
}

std::string testNick(std::size_t seed) {
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    std::string nick = "J5";
    for (int i = 0; i < 14; ++i) { // base-58 digits: distinct seeds give distinct nicks
        nick += alphabet[seed % 58];
        seed /= 58;
    }
    return nick;
}

} // namespace jm::test
