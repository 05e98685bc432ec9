#pragma once

#include "directory_server.hpp"
#include "directory_settings.hpp"

#include <jm/net/tor_control.hpp>
#include <jm/sdk/plugin.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace jm::plugins::directory {

//! The "directory/server" role instance: keeps the directory's nick key in its store, runs the
//! DirectoryServer, keeps its own onion service published when tor.control is set (the onion
//! then becomes its location) and reports its stats periodically.
//! Executor: the instance's strand (the server has its own threads).
class DirectoryPlugin final : public jm::sdk::Plugin {
public:
    DirectoryPlugin(jm::sdk::PluginContext& ctx, DirectorySettings settings);
    ~DirectoryPlugin() override;

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

private:
    jm::sdk::Result<std::string> loadNick();
    void startOnion(const boost::asio::ip::tcp::endpoint& bound);
    void scheduleStats();
    void reportStats();

    jm::sdk::PluginContext& m_ctx;
    DirectorySettings m_settings;
    std::unique_ptr<DirectoryServer> m_server;
    std::shared_ptr<jm::net::OnionService> m_onion;
    boost::asio::steady_timer m_statsTimer;
    StatsSnapshot m_lastStats;
    std::chrono::steady_clock::time_point m_lastStatsTime;
};

} // namespace jm::plugins::directory
