#pragma once

#include "running_context.hpp"

#include <jm/sdk/plugin.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include <sys/stat.h>

namespace jm::test {

//! Runs one notifier plugin on a RunningContext the way the host does (start and stop on its
//! strand); stopped on destruction.
struct NotifierHarness {
    RunningContext running;
    std::unique_ptr<jm::sdk::Plugin> plugin;

    explicit NotifierHarness(std::string instance = "alerts") : running(std::move(instance)) {}
    ~NotifierHarness() { stop(); }

    void start(std::unique_ptr<jm::sdk::Plugin> p) {
        plugin = std::move(p);
        auto r = running.onStrand([&] { return plugin->start(); });
        BOOST_REQUIRE(r);
    }
    void stop() {
        if (!plugin) return;
        std::promise<void> done;
        running.onStrand([&] {
            plugin->stop([&] { done.set_value(); });
            return 0;
        });
        BOOST_CHECK(done.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        running.onStrand([&] {
            plugin.reset();
            return 0;
        });
    }
    template <class Pred>
    static bool waitUntil(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (pred()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return pred();
    }
};

//! Writes `text` to `path` with `mode`.
inline std::filesystem::path writeSecret(const std::filesystem::path& path, const std::string& text,
                                         mode_t mode = 0600) {
    std::ofstream(path) << text << "\n";
    ::chmod(path.c_str(), mode);
    return path;
}

} // namespace jm::test
