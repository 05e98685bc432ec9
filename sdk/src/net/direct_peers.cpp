#include "direct_link.hpp"

#include <jm/net/direct_peers.hpp>
#include <jm/net/stream_connector.hpp>

#include <boost/asio/ip/address.hpp>

#include <utility>
#include <vector>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

class DirectPeersImpl final : public DirectPeers {
public:
    DirectPeersImpl(jm::sdk::Executor executor, DirectPeersSettings settings,
                    std::shared_ptr<const jm::protocol::NickIdentity> identity, DirectPeersHandler handler) :
        m_executor(std::move(executor)),
        m_settings(std::move(settings)), m_identity(std::move(identity)), m_handler(std::move(handler)),
        m_acceptor(m_executor) {}

    jm::sdk::Result<tcp::endpoint> listen(const tcp::endpoint& endpoint) override {
        if (m_acceptor.is_open()) return fail(errc::invalid_argument, "already listening");
        boost::system::error_code ec;
        m_acceptor.open(endpoint.protocol(), ec);
        if (!ec) m_acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) m_acceptor.bind(endpoint, ec);
        if (!ec) m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            boost::system::error_code ignored;
            m_acceptor.close(ignored);
            return fail(errc::unavailable, "cannot listen on " + endpoint.address().to_string() + ":" +
                                               std::to_string(endpoint.port()) + ": " + ec.message());
        }
        auto bound = m_acceptor.local_endpoint(ec);
        acceptNext();
        return bound;
    }

    void setLocation(jm::protocol::Location location) override { m_settings.location = std::move(location); }

    jm::sdk::Result<void> connect(const std::string& nick, std::string_view text) override {
        if (m_stopped) return fail(errc::unavailable, "stopped");
        if (!jm::protocol::isWellFormedNick(nick)) return fail(errc::invalid_argument, "not a nick: " + nick);
        auto location = jm::protocol::parseLocation(text);
        if (!location || !location->serving())
            return fail(errc::invalid_argument, "not a location to dial: '" + std::string(text.substr(0, 80)) + "'");
        if (m_tried.count(nick)) return {};
        std::optional<Socks5Proxy> proxy;
        if (isOnionHost(location->host)) {
            if (!m_settings.tor.hasSocks())
                return fail(errc::unavailable, "cannot reach " + location->toString() + " without tor.socks");
            auto p = m_settings.tor.proxyFor(location->host, nick);
            if (!p) return p.error();
            proxy = *p;
        } else if (!m_settings.plain_tcp || !isLoopbackHost(location->host)) {
            return fail(errc::unavailable, "not dialling " + location->toString() +
                                               ": only .onion locations (or loopback ones in testing mode)");
        } else if (m_settings.tor.all_traffic) {
            auto p = m_settings.tor.proxyFor(location->host, nick);
            if (!p) return p.error();
            proxy = *p;
        }
        if (outboundCount() >= m_settings.max_outbound)
            return fail(errc::unavailable, "max_outbound (" + std::to_string(m_settings.max_outbound) + ") reached");
        m_tried.insert(nick);
        ++m_counters.dialled;
        auto dial = std::make_shared<Dial>(m_executor);
        m_dials[nick] = dial;
        std::weak_ptr<DirectPeersImpl> weak = self();
        dial->cancel = asyncConnectStream(
            dial->socket, location->host, location->port, proxy, m_settings.connect_timeout,
            [weak, dial, nick, where = location->toString()](jm::sdk::Result<void> r) {
                auto self = weak.lock();
                if (!self || self->m_stopped) return;
                auto it = self->m_dials.find(nick);
                if (it == self->m_dials.end() || it->second != dial) return; // disconnected meanwhile
                self->m_dials.erase(it);
                if (!r) {
                    if (r.error().code != jm::sdk::make_error_code(errc::cancelled))
                        self->closed(nick, "cannot connect to " + where + ": " + r.error().message, false);
                    return;
                }
                self->startOutbound(nick, std::move(dial->socket), where);
            });
        return {};
    }

    jm::sdk::Result<void> sendPrivate(const std::string& nick, std::string_view command,
                                      std::string_view text) override {
        auto* link = trusted(nick);
        if (!link) return fail(errc::unavailable, "no direct connection to " + nick);
        auto r = link->sendPrivate(nick, command, text);
        if (r) ++m_counters.sent;
        return r;
    }

    bool isUp(const std::string& nick) const override {
        return const_cast<DirectPeersImpl*>(this)->trusted(nick) != nullptr;
    }

    void disconnect(const std::string& nick) override {
        if (auto it = m_dials.find(nick); it != m_dials.end()) {
            if (auto cancel = std::exchange(it->second->cancel, nullptr)) cancel();
            m_dials.erase(it);
        }
        if (auto it = m_outbound.find(nick); it != m_outbound.end()) {
            it->second->close();
            m_outbound.erase(it);
        }
        for (auto it = m_inbound.begin(); it != m_inbound.end();) {
            if (it->second->nick() == nick) {
                it->second->close();
                it = m_inbound.erase(it);
            } else {
                ++it;
            }
        }
        m_provenInbound.erase(nick);
        m_tried.erase(nick);
    }

    void stop() override {
        m_stopped = true;
        boost::system::error_code ec;
        m_acceptor.close(ec);
        for (auto& [nick, dial] : m_dials)
            if (auto cancel = std::exchange(dial->cancel, nullptr)) cancel();
        m_dials.clear();
        for (auto& [nick, link] : m_outbound)
            link->close();
        m_outbound.clear();
        for (auto& [id, link] : m_inbound)
            link->close();
        m_inbound.clear();
        m_provenInbound.clear();
    }

    std::size_t inboundCount() const override { return m_inbound.size(); }
    std::size_t outboundCount() const override { return m_outbound.size() + m_dials.size(); }
    const DirectPeersCounters& counters() const override { return m_counters; }

private:
    struct Dial {
        explicit Dial(const jm::sdk::Executor& executor) : socket(executor) {}
        tcp::socket socket;
        std::function<void()> cancel;
    };

    std::shared_ptr<DirectPeersImpl> self() { return std::static_pointer_cast<DirectPeersImpl>(shared_from_this()); }

    detail::DirectLinkSettings linkSettings() const {
        detail::DirectLinkSettings s;
        s.network = m_settings.network;
        s.location = m_settings.location;
        s.features = m_settings.features;
        s.handshake_timeout = m_settings.handshake_timeout;
        s.idle_timeout = m_settings.idle_timeout;
        return s;
    }

    detail::DirectLink* trusted(const std::string& nick) {
        if (auto it = m_outbound.find(nick); it != m_outbound.end() && it->second->ready()) return it->second.get();
        if (auto it = m_provenInbound.find(nick); it != m_provenInbound.end()) {
            auto link = m_inbound.find(it->second);
            if (link != m_inbound.end() && link->second->proven() && link->second->nick() == nick)
                return link->second.get();
        }
        return nullptr;
    }

    void closed(const std::string& who, const std::string& reason, bool was_up) {
        ++m_counters.dropped;
        if (m_handler.on_closed) m_handler.on_closed(who, reason);
        if (was_up && m_handler.on_peer) m_handler.on_peer(who, false);
    }

    void startOutbound(const std::string& nick, tcp::socket socket, const std::string& where) {
        std::weak_ptr<DirectPeersImpl> weak = self();
        detail::DirectLinkHandler h;
        h.on_handshake = [weak, nick](const jm::protocol::ClientHandshake&) {
            auto self = weak.lock();
            if (!self) return;
            ++self->m_counters.handshakes;
            if (self->m_handler.on_peer) self->m_handler.on_peer(nick, true);
        };
        h.on_message = [weak](const ChannelMessage& m) {
            auto self = weak.lock();
            if (!self) return;
            ++self->m_counters.received;
            if (self->m_handler.on_message) self->m_handler.on_message(m);
        };
        auto link = std::make_shared<detail::DirectLink>(std::move(socket), linkSettings(), m_identity, nick,
                                                         nick + " at " + where, h);
        std::weak_ptr<detail::DirectLink> weak_link = link;
        link->setClosedHandler([weak, weak_link, nick](const std::string& reason) {
            auto self = weak.lock();
            auto l = weak_link.lock();
            if (!self || !l) return;
            bool was_up = l->wasHandshaked();
            if (auto it = self->m_outbound.find(nick); it != self->m_outbound.end() && it->second == l)
                self->m_outbound.erase(it);
            self->closed(nick, reason, was_up);
        });
        m_outbound[nick] = link;
        link->start();
    }

    void acceptNext() {
        auto socket = std::make_shared<tcp::socket>(m_executor);
        m_acceptor.async_accept(*socket,
                                [weak = std::weak_ptr<DirectPeersImpl>(self()), socket](boost::system::error_code ec) {
                                    auto self = weak.lock();
                                    if (!self || self->m_stopped) return;
                                    if (ec == asio::error::operation_aborted || !self->m_acceptor.is_open()) return;
                                    if (!ec) self->accepted(std::move(*socket));
                                    self->acceptNext();
                                });
    }

    void accepted(tcp::socket socket) {
        boost::system::error_code ec;
        auto remote = socket.remote_endpoint(ec);
        std::string who =
            ec ? std::string("an inbound peer") : remote.address().to_string() + ":" + std::to_string(remote.port());
        if (m_inbound.size() >= m_settings.max_inbound) {
            ++m_counters.refused;
            socket.close(ec);
            if (m_handler.on_closed)
                m_handler.on_closed(who, "refused: " + std::to_string(m_settings.max_inbound) +
                                             " direct connections already open, the most accepted");
            return;
        }
        ++m_counters.accepted;
        auto id = m_nextId++;
        std::weak_ptr<DirectPeersImpl> weak = self();
        detail::DirectLinkHandler h;
        h.on_handshake = [weak](const jm::protocol::ClientHandshake&) {
            if (auto self = weak.lock()) ++self->m_counters.handshakes;
        };
        h.on_message = [weak, id](const ChannelMessage& m) {
            auto self = weak.lock();
            if (!self) return;
            auto it = self->m_inbound.find(id);
            if (it == self->m_inbound.end()) return;
            // Signed by the nick's key: replies to the nick may take this connection from now on.
            auto& nick = m.line.from;
            bool was_up = self->trusted(nick) != nullptr;
            self->m_provenInbound[nick] = id;
            ++self->m_counters.received;
            if (!was_up && self->m_handler.on_peer) self->m_handler.on_peer(nick, true);
            if (self->m_handler.on_message) self->m_handler.on_message(m);
        };
        auto link = std::make_shared<detail::DirectLink>(std::move(socket), linkSettings(), m_identity, "", who, h);
        std::weak_ptr<detail::DirectLink> weak_link = link;
        link->setClosedHandler([weak, weak_link, id, who](const std::string& reason) {
            auto self = weak.lock();
            auto l = weak_link.lock();
            if (!self || !l) return;
            self->m_inbound.erase(id);
            std::string nick = l->nick();
            bool was_up = false;
            if (auto it = self->m_provenInbound.find(nick);
                !nick.empty() && it != self->m_provenInbound.end() && it->second == id) {
                self->m_provenInbound.erase(it);
                was_up = true;
            }
            self->closed(nick.empty() ? who : nick + " (" + who + ")", reason, false);
            if (was_up && self->m_handler.on_peer) self->m_handler.on_peer(nick, false);
        });
        m_inbound[id] = link;
        link->start();
    }

    jm::sdk::Executor m_executor;
    DirectPeersSettings m_settings;
    std::shared_ptr<const jm::protocol::NickIdentity> m_identity;
    DirectPeersHandler m_handler;
    tcp::acceptor m_acceptor;
    bool m_stopped = false;
    std::map<std::string, std::shared_ptr<Dial>> m_dials;
    std::map<std::string, std::shared_ptr<detail::DirectLink>> m_outbound;
    std::map<std::uint64_t, std::shared_ptr<detail::DirectLink>> m_inbound;
    std::map<std::string, std::uint64_t> m_provenInbound;
    std::set<std::string> m_tried;
    std::uint64_t m_nextId = 1;
    DirectPeersCounters m_counters;
};

} // namespace

DirectPeers::~DirectPeers() = default;

std::shared_ptr<DirectPeers> DirectPeers::create(jm::sdk::Executor executor, DirectPeersSettings settings,
                                                 std::shared_ptr<const jm::protocol::NickIdentity> identity,
                                                 DirectPeersHandler handler) {
    return std::make_shared<DirectPeersImpl>(std::move(executor), std::move(settings), std::move(identity),
                                             std::move(handler));
}

bool isLoopbackHost(std::string_view host) noexcept {
    if (host == "localhost") return true;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(std::string(host), ec);
    return !ec && address.is_loopback();
}

} // namespace jm::net
