#pragma once

#include <util/raw_peer.hpp>

#include <directory_server.hpp>

#include <boost/log/keywords/channel.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace jm::test {

using jm::plugins::directory::DirectoryServer;
using jm::plugins::directory::DirectorySettings;
using jm::plugins::directory::Drop;

constexpr const char* DIRECTORY_NICK = "J5DirectoryNick1";

//! Settings for tests: an ephemeral port on loopback, no stats timer.
inline DirectorySettings testSettings() {
    DirectorySettings s;
    s.host = "127.0.0.1";
    s.port = 0;
    s.io_threads = 2;
    s.stats_interval = std::chrono::milliseconds(0);
    return s;
}

//! A DirectoryServer running in this process on real sockets.
struct ServerFixture {
    explicit ServerFixture(DirectorySettings settings = testSettings()) {
        server = std::make_unique<DirectoryServer>(
            settings, jm::plugins::directory::DirectoryIdentity{DIRECTORY_NICK, "testnet"}, logger);
        port = server->start().value().port();
    }
    ~ServerFixture() { server->stop(); }

    std::uint64_t drops(Drop d) const { return server->stats().drops[static_cast<std::size_t>(d)]; }

    jm::sdk::Logger logger{boost::log::keywords::channel = "directory-test"};
    std::unique_ptr<DirectoryServer> server;
    std::uint16_t port = 0;
};

//! Polls `condition` until it holds or `timeout` passes.
inline bool waitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return condition();
}

} // namespace jm::test
