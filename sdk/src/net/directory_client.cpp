#include <jm/net/directory_client.hpp>
#include <jm/net/stream_connector.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <deque>
#include <utility>

namespace jm::net {

using jm::protocol::MessageType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr int code(MessageType t) { return static_cast<int>(t); }
constexpr std::size_t MAX_SEND_QUEUE = 4096; // lines; a directory that stops reading is dropped

class DirectoryClientImpl final : public DirectoryClient {
public:
    DirectoryClientImpl(jm::sdk::Executor executor, DirectoryClientSettings settings,
                        std::shared_ptr<const jm::protocol::NickIdentity> identity, DirectoryClientHandler handler) :
        m_settings(std::move(settings)),
        m_identity(std::move(identity)), m_handler(std::move(handler)), m_socket(executor), m_timer(executor),
        m_framer(m_settings.max_line) {}

    void start() override {
        if (m_state != State::idle) return;
        connect();
    }

    void stop() override {
        m_state = State::stopped;
        ++m_generation;
        closeSocket();
        m_timer.cancel();
    }

    State state() const override { return m_state; }
    const jm::protocol::DirectoryHandshake& directoryHandshake() const override { return m_directory; }
    const DirectoryClientSettings& settings() const override { return m_settings; }

    jm::sdk::Result<void> sendPublic(const std::vector<jm::protocol::Command>& commands) override {
        return sendLine(code(MessageType::Pubmsg), jm::protocol::formatPublicLine(m_identity->nick(), commands));
    }

    jm::sdk::Result<void> sendPrivate(std::string_view to, std::string_view command, std::string_view text) override {
        if (!jm::protocol::isWellFormedNick(to)) return fail(errc::invalid_argument, "not a nick: " + std::string(to));
        return sendLine(code(MessageType::Privmsg),
                        jm::protocol::formatPrivateLine(m_identity->nick(), to, command, m_identity->signedText(text)));
    }

    jm::sdk::Result<void> requestPeerlist() override { return sendLine(code(MessageType::GetPeerlist), ""); }

private:
    std::shared_ptr<DirectoryClientImpl> self() {
        return std::static_pointer_cast<DirectoryClientImpl>(shared_from_this());
    }
    std::string where() const { return m_settings.host + ":" + std::to_string(m_settings.port); }

    jm::sdk::Result<void> sendLine(int type, std::string line) {
        if (m_state != State::ready) return fail(errc::unavailable, "directory " + where() + " is not connected");
        return queue(type, std::move(line));
    }

    jm::sdk::Result<void> queue(int type, std::string line) {
        auto wire = jm::protocol::formatEnvelope({type, std::move(line)});
        if (!wire) return wire.error();
        if (m_queue.size() >= MAX_SEND_QUEUE) return fail(errc::unavailable, "send queue to " + where() + " is full");
        m_queue.push_back(std::move(*wire));
        if (!m_writing) writeNext();
        return {};
    }

    void connect() {
        m_state = State::connecting;
        auto generation = ++m_generation;
        armTimer(m_settings.connect_timeout, "connect timed out");
        m_cancel_connect =
            asyncConnectStream(m_socket, m_settings.host, m_settings.port, m_settings.socks, m_settings.connect_timeout,
                               [self = self(), generation](jm::sdk::Result<void> result) {
                                   if (generation != self->m_generation) return;
                                   self->m_cancel_connect = nullptr;
                                   if (!result) return self->lost(result.error().message);
                                   self->connected();
                               });
    }

    void armTimer(std::chrono::milliseconds after, std::string reason) {
        m_timer.expires_after(after);
        m_timer.async_wait([self = self(), generation = m_generation, reason](boost::system::error_code ec) {
            if (ec || generation != self->m_generation) return;
            self->lost(reason);
        });
    }

    void connected() {
        m_state = State::handshaking;
        armTimer(m_settings.handshake_timeout, "no handshake reply");
        jm::protocol::ClientHandshake hs;
        hs.location = m_settings.location;
        hs.features = m_settings.features;
        hs.nick = m_identity->nick();
        hs.network = m_settings.network;
        (void)queue(code(MessageType::Handshake), jm::protocol::formatClientHandshake(hs));
        readNext();
    }

    void readNext() {
        m_socket.async_read_some(boost::asio::buffer(m_buffer), [self = self(), generation = m_generation](
                                                                    boost::system::error_code ec, std::size_t n) {
            if (generation != self->m_generation) return;
            if (ec) return self->lost(ec == boost::asio::error::eof ? "closed by the directory" : ec.message());
            std::vector<std::string> lines;
            bool ok = self->m_framer.feed(std::string_view(self->m_buffer.data(), n), lines);
            for (const auto& line : lines) {
                self->handleLine(line);
                if (generation != self->m_generation) return;
            }
            if (!ok)
                return self->lost("the directory sent a line longer than " + std::to_string(self->m_settings.max_line) +
                                  " bytes");
            self->readNext();
        });
    }

    void handleLine(std::string_view text) {
        auto envelope = jm::protocol::parseEnvelope(text, m_settings.max_line);
        if (!envelope) return lost("invalid message from the directory: " + envelope.error().message);
        if (m_state == State::handshaking) {
            // NG directories may answer with 793 as well as 795.
            if (envelope->type != code(MessageType::DnHandshake) && envelope->type != code(MessageType::Handshake))
                return;
            auto hs = jm::protocol::parseDirectoryHandshake(envelope->line);
            if (!hs) return lost("invalid handshake reply: " + hs.error().message);
            if (!hs->accepted) return lost("handshake refused: " + hs->motd.substr(0, 200));
            if (auto why = jm::protocol::directoryHandshakeRefusal(*hs, m_settings.network); !why.empty())
                return lost("unusable directory: " + why);
            m_directory = std::move(*hs);
            m_state = State::ready;
            m_attempt = 0;
            m_timer.cancel();
            if (m_handler.on_ready) m_handler.on_ready(m_directory);
            return;
        }
        if (m_state != State::ready) return;
        switch (envelope->type) {
        case code(MessageType::Pubmsg):
        case code(MessageType::Privmsg): {
            auto line = jm::protocol::parseChannelLine(envelope->line);
            if (!line) return; // REF drops malformed lines too
            bool is_private = envelope->type == code(MessageType::Privmsg);
            if (is_private == line->isPublic()) return;
            if (is_private && line->to != m_identity->nick()) return;
            if (m_handler.on_message) m_handler.on_message({is_private, std::move(*line), std::move(envelope->line)});
            break;
        }
        case code(MessageType::Peerlist): {
            auto entries = jm::protocol::parsePeerlist(envelope->line);
            if (entries && m_handler.on_peerlist) m_handler.on_peerlist(*entries);
            break;
        }
        case code(MessageType::Ping):
            if (jm::protocol::hasFeature(m_settings.features, "ping")) (void)queue(code(MessageType::Pong), "");
            break;
        default:
            break; // local-only codes are never acted on; unknown ones ignored (REF)
        }
    }

    void writeNext() {
        if (m_queue.empty()) {
            m_writing = false;
            return;
        }
        m_writing = true;
        boost::asio::async_write(m_socket, boost::asio::buffer(m_queue.front()),
                                 [self = self(), generation = m_generation](boost::system::error_code ec, std::size_t) {
                                     if (generation != self->m_generation) return;
                                     if (ec) return self->lost("send failed: " + ec.message());
                                     self->m_queue.pop_front();
                                     self->writeNext();
                                 });
    }

    void closeSocket() {
        boost::system::error_code ec;
        if (auto cancel = std::exchange(m_cancel_connect, nullptr)) cancel();
        m_socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        m_socket.close(ec);
        m_queue.clear();
        m_writing = false;
        m_framer = jm::protocol::LineFramer(m_settings.max_line);
    }

    void lost(const std::string& reason) {
        if (m_state == State::stopped) return;
        ++m_generation;
        closeSocket();
        m_timer.cancel();
        if (m_handler.on_disconnected) m_handler.on_disconnected(reason);
        if (m_state == State::stopped) return; // the handler stopped us
        if (!m_settings.reconnect.enabled) {
            m_state = State::idle;
            return;
        }
        m_state = State::waiting_to_reconnect;
        m_timer.expires_after(m_settings.reconnect.delay(m_attempt++));
        m_timer.async_wait([self = self(), generation = m_generation](boost::system::error_code ec) {
            if (ec || generation != self->m_generation || self->m_state != State::waiting_to_reconnect) return;
            self->connect();
        });
    }

    DirectoryClientSettings m_settings;
    std::shared_ptr<const jm::protocol::NickIdentity> m_identity;
    DirectoryClientHandler m_handler;
    std::function<void()> m_cancel_connect; //!< set while connecting
    boost::asio::ip::tcp::socket m_socket;
    boost::asio::steady_timer m_timer;
    jm::protocol::LineFramer m_framer;
    std::array<char, 16384> m_buffer{};
    std::deque<std::string> m_queue;
    bool m_writing = false;
    State m_state = State::idle;
    unsigned m_attempt = 0;
    std::uint64_t m_generation = 0;
    jm::protocol::DirectoryHandshake m_directory;
};

} // namespace

DirectoryClient::~DirectoryClient() = default;

std::shared_ptr<DirectoryClient> DirectoryClient::create(jm::sdk::Executor executor, DirectoryClientSettings settings,
                                                         std::shared_ptr<const jm::protocol::NickIdentity> identity,
                                                         DirectoryClientHandler handler) {
    return std::make_shared<DirectoryClientImpl>(std::move(executor), std::move(settings), std::move(identity),
                                                 std::move(handler));
}

std::string_view toString(DirectoryClient::State state) noexcept {
    switch (state) {
    case DirectoryClient::State::idle:
        return "idle";
    case DirectoryClient::State::connecting:
        return "connecting";
    case DirectoryClient::State::handshaking:
        return "handshaking";
    case DirectoryClient::State::ready:
        return "ready";
    case DirectoryClient::State::waiting_to_reconnect:
        return "waiting to reconnect";
    case DirectoryClient::State::stopped:
        return "stopped";
    }
    return "unknown";
}

} // namespace jm::net
