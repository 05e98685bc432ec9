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
    m_lastStatsTime = std::chrono::steady_clock::now();
    scheduleStats();
    return {};
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
    if (m_server) {
        m_server->stop();
        JM_LOG(m_ctx.logger(), info) << "directory stopped";
    }
    done();
}

} // namespace jm::plugins::directory
