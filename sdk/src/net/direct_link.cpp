#include "direct_link.hpp"

#include <jm/protocol/line.hpp>

#include <boost/asio/write.hpp>

namespace jm::net::detail {

using jm::protocol::MessageType;
using jm::sdk::errc;

namespace {
constexpr int code(MessageType t) { return static_cast<int>(t); }
constexpr std::size_t MAX_SEND_QUEUE = 1024; // lines; a peer that stops reading is dropped
} // namespace

DirectLink::DirectLink(boost::asio::ip::tcp::socket socket, DirectLinkSettings settings,
                       std::shared_ptr<const jm::protocol::NickIdentity> identity, std::string expected_nick,
                       std::string label, DirectLinkHandler handler) :
    m_socket(std::move(socket)),
    m_timer(m_socket.get_executor()), m_settings(std::move(settings)), m_identity(std::move(identity)),
    m_label(std::move(label)), m_handler(std::move(handler)),
    m_inbox(m_settings.network, m_identity->nick(), std::move(expected_nick), m_settings.max_line),
    m_framer(m_settings.max_line) {}

void DirectLink::start() {
    jm::protocol::ClientHandshake hs;
    hs.location = m_settings.location;
    hs.features = m_settings.features;
    hs.nick = m_identity->nick();
    hs.network = m_settings.network;
    (void)queue(code(MessageType::Handshake), jm::protocol::formatClientHandshake(hs));
    armTimer(m_settings.handshake_timeout,
             "no handshake within " + std::to_string(m_settings.handshake_timeout.count()) + " ms");
    readNext();
}

void DirectLink::close() {
    if (!m_open) return;
    m_open = false;
    m_timer.cancel();
    boost::system::error_code ec;
    m_socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    m_socket.close(ec);
    // The queue stays: a write in flight still reads its front until it completes.
}

void DirectLink::fail(const std::string& reason) {
    if (!m_open) return;
    close();
    if (m_handler.on_closed) m_handler.on_closed(reason);
}

jm::sdk::Result<void> DirectLink::sendPrivate(std::string_view to, std::string_view command, std::string_view text) {
    if (!ready()) return jm::sdk::fail(errc::unavailable, "direct connection " + m_label + " is not up");
    return queue(code(MessageType::Privmsg),
                 jm::protocol::formatPrivateLine(m_identity->nick(), to, command, m_identity->signedText(text)));
}

jm::sdk::Result<void> DirectLink::queue(int type, std::string line) {
    auto wire = jm::protocol::formatEnvelope({type, std::move(line)});
    if (!wire) return wire.error();
    if (!m_open) return jm::sdk::fail(errc::unavailable, "direct connection " + m_label + " is closed");
    if (m_queue.size() >= MAX_SEND_QUEUE) {
        fail("the peer does not read what we send");
        return jm::sdk::fail(errc::unavailable, "direct connection " + m_label + " dropped: send queue full");
    }
    m_queue.push_back(std::move(*wire));
    if (!m_writing) writeNext();
    return {};
}

void DirectLink::armTimer(std::chrono::milliseconds after, std::string reason) {
    m_timer.expires_after(after);
    m_timer.async_wait([self = shared_from_this(), reason = std::move(reason)](boost::system::error_code ec) {
        if (ec || !self->m_open) return;
        self->fail(reason);
    });
}

void DirectLink::readNext() {
    m_socket.async_read_some(
        boost::asio::buffer(m_buffer), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            if (!self->m_open) return;
            if (ec) return self->fail(ec == boost::asio::error::eof ? "closed by the peer" : ec.message());
            std::vector<std::string> lines;
            bool ok = self->m_framer.feed(std::string_view(self->m_buffer.data(), n), lines);
            for (const auto& line : lines) {
                auto verdict = self->m_inbox.onLine(line);
                switch (verdict.kind) {
                case DirectVerdict::Kind::drop:
                    return self->fail(verdict.reason);
                case DirectVerdict::Kind::handshake:
                    self->armTimer(self->m_settings.idle_timeout,
                                   "silent for " + std::to_string(self->m_settings.idle_timeout.count()) + " ms");
                    if (self->m_handler.on_handshake) self->m_handler.on_handshake(*verdict.handshake);
                    break;
                case DirectVerdict::Kind::message:
                    self->armTimer(self->m_settings.idle_timeout,
                                   "silent for " + std::to_string(self->m_settings.idle_timeout.count()) + " ms");
                    if (self->m_handler.on_message) self->m_handler.on_message(*verdict.message);
                    break;
                case DirectVerdict::Kind::ignore:
                    break;
                }
                if (!self->m_open) return; // a handler closed us
            }
            if (!ok) return self->fail("a line longer than " + std::to_string(self->m_settings.max_line) + " bytes");
            self->readNext();
        });
}

void DirectLink::writeNext() {
    if (m_queue.empty() || !m_open) {
        m_writing = false;
        return;
    }
    m_writing = true;
    boost::asio::async_write(m_socket, boost::asio::buffer(m_queue.front()),
                             [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                                 if (!self->m_open) return;
                                 if (ec) return self->fail("send failed: " + ec.message());
                                 self->m_queue.pop_front();
                                 self->writeNext();
                             });
}

} // namespace jm::net::detail
