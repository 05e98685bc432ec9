// Direct connections of the maker (protocol.md 3.4): where it listens, the location it announces
// in its directory handshakes, and the choice of channel for each private message.
#include "maker_plugin.hpp"

#include <boost/asio/ip/address.hpp>

namespace jm::plugins::maker {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<void> MakerPlugin::startDirect() {
    m_location = {};
    const bool onion = !m_settings.direct_listen && m_settings.tor.hasControl();
    if (!m_settings.serve_direct || (!m_settings.direct_listen && !onion)) return {};

    jm::net::DirectPeersSettings settings;
    settings.network =
        m_settings.directory_network.empty() ? std::string(m_ctx.network()) : m_settings.directory_network;
    settings.max_inbound = static_cast<std::size_t>(m_settings.max_direct_connections);
    settings.max_outbound = 0; // makers never dial (REF should_try_to_connect)
    settings.tor = m_settings.tor;
    jm::net::DirectPeersHandler handler;
    handler.on_message = guarded([this](const jm::net::ChannelMessage& m) { onMessage({m, DIRECT_CHANNEL}); });
    handler.on_peer = guarded([this](const std::string& taker, bool up) {
        JM_LOG(m_ctx.logger(), info) << "direct connection of " << taker << (up ? " is up" : " is gone");
    });
    handler.on_closed = guarded([this](const std::string& who, const std::string& reason) {
        JM_LOG(m_ctx.logger(), info) << "direct connection " << who << " dropped: " << reason;
    });
    m_direct = jm::net::DirectPeers::create(m_ctx.executor(), settings, m_identity, handler);

    boost::system::error_code ec;
    auto host = onion ? std::string("127.0.0.1") : m_settings.direct_listen->host;
    auto address = boost::asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) return fail(errc::invalid_config, "direct_listen: '" + host + "' is not an IP address");
    auto bound = m_direct->listen({address, onion ? std::uint16_t(0) : m_settings.direct_listen->port});
    if (!bound) return bound.error().withContext("direct connections");

    if (!onion) {
        m_location = {host, bound->port()};
        if (!m_settings.direct_announce.empty())
            m_location = jm::protocol::parseLocation(m_settings.direct_announce).value();
        m_direct->setLocation(m_location);
        JM_LOG(m_ctx.logger(), info) << "accepting direct connections on " << host << ":" << bound->port()
                                     << " (plain TCP, testing mode); announcing " << m_location.toString();
        return {};
    }

    // Our own onion service leads to the listener; the directories are told its address once
    // Tor has published it (maybeConnectDirectories waits for it, up to connect_timeout).
    m_locationSettled = false;
    jm::net::OnionServiceSettings os;
    os.control_host = m_settings.tor.control_host;
    os.control_port = m_settings.tor.control_port;
    os.auth.password = m_settings.tor.control_password;
    os.auth.cookie_file = m_settings.tor.cookie_file;
    os.auth.allow_plain_cookie = m_settings.tor.plain_cookie;
    os.virtual_port = jm::protocol::ONION_VIRTUAL_PORT;
    os.target = "127.0.0.1:" + std::to_string(bound->port());
    os.ephemeral = m_settings.tor.ephemeral_onion;
    os.timeout = m_settings.tor.control_timeout;
    jm::net::OnionServiceHandler oh;
    oh.on_published = guarded([this](const std::string& onion_host) {
        jm::protocol::Location published{onion_host, jm::protocol::ONION_VIRTUAL_PORT};
        if (!m_settings.direct_announce.empty())
            published = jm::protocol::parseLocation(m_settings.direct_announce).value();
        if (m_locationSettled && published == m_location) return; // republished after a Tor restart
        if (m_locationSettled && m_directories) {
            JM_LOG(m_ctx.logger(), warning) << "onion service now at " << onion_host << ", but "
                                            << m_location.toString() << " was announced; restart to announce it";
            return;
        }
        m_location = published;
        m_direct->setLocation(m_location);
        m_locationSettled = true;
        m_onionTimer.cancel();
        JM_LOG(m_ctx.logger(), info) << "accepting direct connections on our onion service " << m_location.toString();
        maybeConnectDirectories();
    });
    oh.on_lost = guarded(
        [this](const std::string& reason) { JM_LOG(m_ctx.logger(), warning) << "tor control connection: " << reason; });
    // The plugin store outlives the service's use of it: stop() ends the service first.
    std::shared_ptr<jm::sdk::KvStore> store(std::shared_ptr<void>(), &m_ctx.store());
    m_onion = jm::net::OnionService::create(m_ctx.executor(), std::move(os), std::move(store), oh);
    m_onion->start();
    return {};
}

void MakerPlugin::maybeConnectDirectories() {
    if (m_directories || !m_walletReady || m_stopped) return;
    if (!m_locationSettled) {
        // Tor may be slow or down: the directories are not kept waiting for ever.
        m_onionTimer.expires_after(m_settings.connect_timeout);
        m_onionTimer.async_wait(guarded([this](boost::system::error_code ec) {
            if (ec || m_locationSettled) return;
            JM_LOG(m_ctx.logger(), warning)
                << "our onion service was not published within " << m_settings.connect_timeout.count() / 1000
                << " s: announcing no location (takers use the directories)";
            m_locationSettled = true;
            maybeConnectDirectories();
        }));
        return;
    }
    createDirectories();
    m_directories->start();
}

void MakerPlugin::createDirectories() {
    auto settings = m_directorySettings;
    // NG's handshake feature (protocol.md 14): directories list us with it, so that light-client
    // takers can choose us before !fill. Not on the throw-away !hp2 nicks (they would be linked).
    for (auto& s : settings) {
        s.location = m_location;
        s.features["neutrino_compat"] = true;
    }
    jm::net::MultiDirectoryHandler handler;
    handler.on_message = guarded([this](const jm::net::RoutedMessage& m) { onMessage(m); });
    handler.on_directory = guarded([this](std::size_t directory, bool ready) {
        if (!ready) return;
        JM_LOG(m_ctx.logger(), info) << "directory " << m_settings.directories[directory].text() << " ready; "
                                     << m_offers.size() << " offer(s) announced as " << nick();
        for (const auto& o : m_offers)
            (void)m_directories->directory(directory).sendPublic({jm::protocol::formatOffer(o)});
        scheduleStatus();
    });
    m_directories = jm::net::MultiDirectoryClient::create(m_ctx.executor(), std::move(settings), m_identity, handler);
}

jm::sdk::Result<void> MakerPlugin::sendVia(const std::string& taker, std::optional<std::size_t> channel,
                                           std::string_view command, std::string_view text) {
    if (channel && *channel == DIRECT_CHANNEL) {
        if (m_direct && m_direct->isUp(taker)) {
            auto r = m_direct->sendPrivate(taker, command, text);
            if (r) {
                ++m_counters.direct_sent;
                return r;
            }
        }
        JM_LOG(m_ctx.logger(), info) << "the direct connection of " << taker << " is gone: !" << command
                                     << " goes through a directory";
    } else if (channel && m_directories && *channel < m_directories->directoryCount() &&
               m_directories->directory(*channel).ready()) {
        return m_directories->directory(*channel).sendPrivate(taker, command, text);
    }
    if (!m_directories) return fail(errc::unavailable, "no directory is connected yet");
    return m_directories->sendPrivate(taker, command, text);
}

} // namespace jm::plugins::maker
