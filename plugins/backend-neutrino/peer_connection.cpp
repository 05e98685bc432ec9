#include "peer_connection.hpp"
#include "p2p_framing.hpp"

#include <jm/net/stream_connector.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <ctime>
#include <random>

namespace jm::plugins::backend_neutrino {

namespace asio = boost::asio;
using jm::sdk::errc;

namespace {
// Nonces only detect self-connections and match pongs: not secrets, std::random_device is enough.
std::uint64_t randomNonce() {
    std::random_device rd;
    std::uint64_t n = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    return n ? n : 1;
}
} // namespace

std::shared_ptr<PeerConnection> PeerConnection::create(jm::sdk::Executor executor, PeerConnectionSettings settings,
                                                       jm::net::PeerAddress address, std::int32_t our_height,
                                                       Handlers handlers) {
    return std::shared_ptr<PeerConnection>(new PeerConnection(std::move(executor), std::move(settings),
                                                              std::move(address), our_height, std::move(handlers)));
}

PeerConnection::PeerConnection(jm::sdk::Executor executor, PeerConnectionSettings settings,
                               jm::net::PeerAddress address, std::int32_t our_height, Handlers handlers) :
    m_executor(executor),
    m_settings(std::move(settings)), m_address(std::move(address)), m_ourHeight(our_height),
    m_handlers(std::move(handlers)), m_socket(executor), m_handshakeTimer(executor), m_pingTimer(executor),
    m_log(jm::sdk::makeLogger(m_settings.log_channel)) {}

void PeerConnection::connect() {
    auto self = shared_from_this();
    m_handshakeTimer.expires_after(m_settings.connect_timeout + m_settings.handshake_timeout);
    m_handshakeTimer.async_wait([self](boost::system::error_code ec) {
        if (ec || self->m_closed || self->m_ready) return;
        self->fail(jm::sdk::fail(errc::timeout, "handshake with " + self->name() + " timed out"));
    });
    m_cancelConnect =
        jm::net::asyncConnectStream(m_socket, m_address.host, m_address.port, std::nullopt, m_settings.connect_timeout,
                                    [self](jm::sdk::Result<void> r) {
                                        self->m_cancelConnect = nullptr;
                                        if (self->m_closed) return;
                                        if (!r)
                                            return self->fail(r.error().withContext("connecting to " + self->name()));
                                        VersionMessage v;
                                        v.services = self->m_settings.our_services;
                                        v.timestamp = std::time(nullptr);
                                        v.nonce = randomNonce();
                                        v.user_agent = self->m_settings.user_agent;
                                        v.start_height = self->m_ourHeight;
                                        v.relay = self->m_settings.relay;
                                        self->send(v);
                                        self->readHeader();
                                    });
}

void PeerConnection::send(const Message& message) {
    if (m_closed) return;
    m_outbox.push_back(frameMessage(m_settings.network, commandOf(message), encodeMessage(message)));
    m_outboxBytes += m_outbox.back().size();
    if (m_outboxBytes > m_settings.max_send_queue)
        return fail(jm::sdk::fail(errc::unavailable, name() + " does not read what it asks for (" +
                                                         std::to_string(m_outboxBytes) + " bytes queued)"));
    if (!m_writing) writeNext();
}

void PeerConnection::writeNext() {
    if (m_outbox.empty() || m_closed) {
        m_writing = false;
        return;
    }
    m_writing = true;
    auto self = shared_from_this();
    asio::async_write(m_socket, asio::buffer(m_outbox.front()), [self](boost::system::error_code ec, std::size_t) {
        if (self->m_closed) return;
        if (ec) return self->fail(jm::sdk::fail(errc::io_error, "writing to " + self->name() + ": " + ec.message()));
        self->m_outboxBytes -= self->m_outbox.front().size();
        self->m_outbox.pop_front();
        self->writeNext();
    });
}

void PeerConnection::readHeader() {
    auto self = shared_from_this();
    m_head.resize(MESSAGE_HEADER_SIZE);
    asio::async_read(m_socket, asio::buffer(m_head), [self](boost::system::error_code ec, std::size_t) {
        if (self->m_closed) return;
        // Core drops a connection whose messages carry another network's magic without a word:
        // a close before its version is most often a node of another network.
        if (ec && !self->m_gotVersion)
            return self->fail(jm::sdk::fail(
                errc::unavailable, self->name() + " closed the connection before its version message (" + ec.message() +
                                       "): is it a " + std::string(jm::bitcoin::params(self->m_settings.network).name) +
                                       " node? One of another network drops us this way"));
        if (ec) return self->fail(jm::sdk::fail(errc::unavailable, self->name() + " closed: " + ec.message()));
        auto header = parseMessageHeader(self->m_head, self->m_settings.network);
        if (!header) return self->misbehaving(self->m_settings.ban_score, header.error().message);
        self->readPayload(std::move(*header));
    });
}

void PeerConnection::readPayload(MessageHeader header) {
    auto self = shared_from_this();
    m_payload.resize(header.length); // bounded by MAX_PAYLOAD_SIZE in parseMessageHeader
    asio::async_read(m_socket, asio::buffer(m_payload),
                     [self, header = std::move(header)](boost::system::error_code ec, std::size_t) {
                         if (self->m_closed) return;
                         if (ec)
                             return self->fail(
                                 jm::sdk::fail(errc::unavailable, self->name() + " closed: " + ec.message()));
                         if (auto ok = checkPayload(header, self->m_payload); !ok)
                             return self->misbehaving(self->m_settings.ban_score, ok.error().message);
                         auto message = decodeMessage(header.command, self->m_payload);
                         if (!message) return self->misbehaving(self->m_settings.ban_score, message.error().message);
                         self->handle(std::move(*message));
                         if (!self->m_closed) self->readHeader();
                     });
}

void PeerConnection::handle(Message message) {
    if (auto v = std::get_if<VersionMessage>(&message)) {
        if (m_gotVersion) return misbehaving(1, "duplicate version");
        m_gotVersion = true;
        m_peerVersion = *v;
        // BIP157 peers speak 70015 or later (sendheaders since 70012).
        if (v->version < 70015)
            return fail(jm::sdk::fail(errc::unsupported,
                                      name() + " speaks protocol " + std::to_string(v->version) + ", need 70015"));
        auto missing = m_settings.required_services & ~v->services;
        if (missing & NODE_COMPACT_FILTERS)
            return fail(jm::sdk::fail(errc::unsupported,
                                      name() + " does not serve compact block filters (BIP157: Bitcoin Core needs "
                                               "-blockfilterindex=1 -peerblockfilters=1)"));
        if (missing & NODE_NETWORK)
            return fail(jm::sdk::fail(errc::unsupported, name() +
                                                             " does not serve the whole block chain (NODE_NETWORK; "
                                                             "a pruned node cannot serve a wallet scan)"));
        if (missing)
            return fail(jm::sdk::fail(errc::unsupported, name() + " does not offer the required services (has " +
                                                             std::to_string(v->services) + ")"));
        send(IgnoredMessage{"sendaddrv2"}); // BIP155: before verack
        send(VerackMessage{});
        return;
    }
    if (!m_gotVersion) return misbehaving(m_settings.ban_score, "message before version");
    if (std::holds_alternative<VerackMessage>(message)) {
        if (m_gotVerack) return misbehaving(1, "duplicate verack");
        m_gotVerack = true;
        m_ready = true;
        m_handshakeTimer.cancel();
        send(SendHeadersMessage{});
        schedulePing();
        if (m_handlers.ready) m_handlers.ready();
        return;
    }
    if (auto ping = std::get_if<PingMessage>(&message)) return send(PongMessage{ping->nonce});
    if (auto pong = std::get_if<PongMessage>(&message)) {
        if (pong->nonce == m_pingNonce && m_pingNonce != 0) {
            m_pingNonce = 0;
            schedulePing();
        }
        if (auto it = m_roundTrips.find(pong->nonce); it != m_roundTrips.end()) {
            auto answered = std::move(it->second);
            m_roundTrips.erase(it);
            answered();
        }
        return; // Core ignores pongs it did not expect
    }
    if (std::holds_alternative<SendHeadersMessage>(message) || std::holds_alternative<IgnoredMessage>(message) ||
        std::holds_alternative<GetAddrMessage>(message))
        return;
    if (!m_ready) return misbehaving(m_settings.ban_score, commandOf(message) + " before verack");
    if (auto gh = std::get_if<GetHeadersMessage>(&message)) {
        (void)gh;
        return send(HeadersMessage{}); // we serve no headers; an empty answer keeps Core's sync logic calm
    }
    if (m_handlers.message) m_handlers.message(message);
}

void PeerConnection::roundTrip(std::function<void()> answered) {
    if (m_closed) return;
    auto nonce = randomNonce();
    while (nonce == 0 || nonce == m_pingNonce || m_roundTrips.count(nonce))
        nonce = randomNonce();
    m_roundTrips.emplace(nonce, std::move(answered));
    send(PingMessage{nonce});
}

void PeerConnection::schedulePing() {
    auto self = shared_from_this();
    m_pingTimer.expires_after(m_pingNonce ? m_settings.ping_timeout : m_settings.ping_interval);
    m_pingTimer.async_wait([self](boost::system::error_code ec) {
        if (ec || self->m_closed) return;
        if (self->m_pingNonce) return self->fail(jm::sdk::fail(errc::timeout, self->name() + " did not answer a ping"));
        self->m_pingNonce = randomNonce();
        self->send(PingMessage{self->m_pingNonce});
        self->schedulePing();
    });
}

void PeerConnection::misbehaving(int score, const std::string& reason) {
    if (m_closed) return;
    m_score += score;
    JM_LOG(m_log, debug) << "peer " << name() << " misbehaving (+" << score << " = " << m_score << "): " << reason;
    if (m_score >= m_settings.ban_score) {
        m_banWorthy = true;
        fail(jm::sdk::fail(errc::protocol_error, name() + ": " + reason));
    }
}

void PeerConnection::fail(jm::sdk::Error reason) {
    if (m_closed) return;
    auto handler = std::move(m_handlers.closed);
    close();
    // Posted: the owner may be inside a call that led here (misbehaving()).
    if (handler)
        asio::post(m_executor, [handler = std::move(handler), reason = std::move(reason)] { handler(reason); });
}

void PeerConnection::close() {
    if (m_closed) return;
    m_closed = true;
    m_ready = false;
    m_handlers.ready = nullptr;
    m_handlers.message = nullptr;
    m_handlers.closed = nullptr;
    m_roundTrips.clear();
    if (m_cancelConnect) {
        auto cancel = std::move(m_cancelConnect);
        cancel();
    }
    boost::system::error_code ignored;
    m_socket.close(ignored);
    m_handshakeTimer.cancel();
    m_pingTimer.cancel();
    m_outbox.clear();
    m_outboxBytes = 0;
}

} // namespace jm::plugins::backend_neutrino
