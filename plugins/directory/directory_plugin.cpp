#include "directory_plugin.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/key.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/sdk/files.hpp>

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>

namespace jm::plugins::directory {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr std::string_view NICK_KEY = "nick_key";

} // namespace

DirectoryPlugin::DirectoryPlugin(jm::sdk::PluginContext& ctx, DirectorySettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)), m_statsTimer(ctx.executor()) {}

DirectoryPlugin::~DirectoryPlugin() = default;

jm::sdk::Result<std::string> DirectoryPlugin::loadNick() {
    // The directory keeps its nick across restarts: clients and operators recognise it.
    auto stored = m_ctx.store().get(NICK_KEY);
    if (!stored) return stored.error();
    if (*stored) {
        auto bytes = jm::bitcoin::fromHex(**stored);
        if (!bytes) return fail(errc::corrupt_data, "stored directory nick key is not hex");
        auto key = jm::bitcoin::PrivateKey::fromBytes(*bytes);
        if (!key) return fail(errc::corrupt_data, "stored directory nick key is invalid");
        return jm::protocol::nickFromPubkey(key->publicKey());
    }
    auto key = jm::bitcoin::PrivateKey::generate();
    auto hex = jm::bitcoin::toHex(key.bytes().view());
    auto put = m_ctx.store().put(NICK_KEY, hex, jm::sdk::WriteOptions{.sync = true});
    if (!put) return put.error();
    return jm::protocol::nickFromPubkey(key.publicKey());
}

jm::sdk::Result<void> DirectoryPlugin::start() {
    auto nick = loadNick();
    if (!nick) return nick.error();
    DirectoryIdentity identity{*nick, std::string(m_ctx.network())};
    m_server = std::make_unique<DirectoryServer>(m_settings, identity, m_ctx.logger());
    auto bound = m_server->start();
    if (!bound) return bound.error();
    JM_LOG(m_ctx.logger(), info) << "directory " << identity.nick << " (" << identity.network << ") listening on "
                                 << bound->address().to_string() << ":" << bound->port() << " with "
                                 << m_settings.io_threads << " I/O threads"
                                 << (m_settings.location.empty() ? "" : ", public location " + m_settings.location);
    if (!m_settings.port_file.empty()) {
        // Tools wait for this file to learn the port: not writing it is a failed start.
        auto written =
            jm::sdk::writeFileAtomically(m_ctx.dataDir() / m_settings.port_file, std::to_string(bound->port()));
        if (!written) return written.error().withContext("port_file");
    }
    if (m_settings.tor.hasControl()) startOnion(*bound);
    m_lastStatsTime = std::chrono::steady_clock::now();
    scheduleStats();
    return {};
}

void DirectoryPlugin::startOnion(const boost::asio::ip::tcp::endpoint& bound) {
    const auto& tor = m_settings.tor;
    jm::net::OnionServiceSettings onion;
    onion.control_host = tor.control_host;
    onion.control_port = tor.control_port;
    onion.auth = {tor.control_password, tor.cookie_file, tor.plain_cookie};
    onion.virtual_port = m_settings.onion_port;
    // Tor forwards to the address we listen on; a wildcard listener is reached on loopback.
    auto address = bound.address();
    if (address.is_unspecified())
        address = address.is_v6() ? boost::asio::ip::address(boost::asio::ip::address_v6::loopback())
                                  : boost::asio::ip::address(boost::asio::ip::address_v4::loopback());
    onion.target =
        (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" + std::to_string(bound.port());
    onion.ephemeral = tor.ephemeral_onion;
    onion.timeout = tor.control_timeout;
    // The context (and its store) outlives this instance and therefore the service's use of it:
    // the service reads the store only before it publishes, never after stop().
    std::shared_ptr<jm::sdk::KvStore> store(&m_ctx.store(), [](jm::sdk::KvStore*) {});
    jm::net::OnionServiceHandler handler;
    handler.on_published = [this](const std::string& host) {
        auto location = host + ":" + std::to_string(m_settings.onion_port);
        bool changed = m_server->location() != location;
        m_server->setLocation(location);
        JM_LOG(m_ctx.logger(), info) << "onion service published: " << location
                                     << (changed ? " (the directory's location)" : " (again, after Tor restarted)");
    };
    handler.on_lost = [this](const std::string& reason) {
        // The address comes back with the same key, so the location stays listed meanwhile.
        JM_LOG(m_ctx.logger(), warning) << "Tor control port " << m_settings.tor.control_host << ":"
                                        << m_settings.tor.control_port << ": " << reason
                                        << "; the onion service is added again when Tor is back";
    };
    JM_LOG(m_ctx.logger(), info) << "adding the directory's " << (tor.ephemeral_onion ? "ephemeral" : "persistent")
                                 << " onion service through " << tor.control_host << ":" << tor.control_port
                                 << " (port " << m_settings.onion_port << " -> " << onion.target << ")";
    m_onion = jm::net::OnionService::create(m_ctx.executor(), std::move(onion), std::move(store), std::move(handler));
    m_onion->start();
}

void DirectoryPlugin::scheduleStats() {
    if (m_settings.stats_interval.count() <= 0) return;
    m_statsTimer.expires_after(m_settings.stats_interval);
    m_statsTimer.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        reportStats();
        scheduleStats();
    });
}

void DirectoryPlugin::reportStats() {
    auto now = std::chrono::steady_clock::now();
    auto snapshot = m_server->stats();
    double seconds = std::chrono::duration<double>(now - m_lastStatsTime).count();
    JM_LOG(m_ctx.logger(), info) << formatStatsLine(snapshot, m_lastStats, seconds, m_server->peers(),
                                                    m_server->connections());
    if (!m_settings.status_file.empty()) {
        auto json = statsJson(snapshot, m_lastStats, seconds, m_server->peers(), m_server->connections());
        json["instance"] = m_ctx.instanceName();
        json["location"] = m_server->location();
        json["interval_s"] = seconds;
        json["written_at"] =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        boost::asio::post(m_ctx.blockingExecutor(),
                          [path = m_ctx.dataDir() / m_settings.status_file, text = boost::json::serialize(json),
                           logger = m_ctx.logger()]() mutable {
                              if (auto r = jm::sdk::writeFileAtomically(path, text); !r)
                                  JM_LOG(logger, warning) << "status file: " << r.error().message;
                          });
    }
    m_lastStats = snapshot;
    m_lastStatsTime = now;
}

void DirectoryPlugin::stop(std::function<void()> done) {
    m_statsTimer.cancel();
    if (m_onion) m_onion->stop(); // DEL_ONION; no callback follows
    if (m_server) {
        m_server->stop();
        JM_LOG(m_ctx.logger(), info) << "directory stopped";
    }
    done();
}

} // namespace jm::plugins::directory
