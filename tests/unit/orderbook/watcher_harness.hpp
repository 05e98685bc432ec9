#pragma once

// Test harness for the orderbook watcher: the real WatcherPlugin on a TestContext whose
// io_context runs on a thread, fed by the maker harness's directory and real makers on the SDK
// test chain, and a small blocking HTTP client for its pages.

#include <maker_harness.hpp>
#include <watcher_plugin.hpp>

#include <boost/json/value.hpp>

#include <map>
#include <string>

namespace jm::test {

//! An HTTP answer as a client sees it.
struct HttpAnswer {
    unsigned status = 0;
    std::map<std::string, std::string> headers; //!< lower-case names
    std::string body;
};

//! GET (or another method) of `target` on 127.0.0.1:`port`, one request per connection.
HttpAnswer httpRequest(std::uint16_t port, const std::string& target, const std::string& method = "GET",
                       const std::map<std::string, std::string>& headers = {});
//! Sends raw bytes and returns whatever comes back until the server closes or `timeout`.
std::string rawExchange(std::uint16_t port, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

class WatcherUnderTest {
public:
    //! `light_client`: the watcher's backend is a LightClientChain over the hub's chain.
    WatcherUnderTest(ChainHub& hub, std::vector<std::uint16_t> directories, boost::json::object config = {},
                     bool light_client = false);
    ~WatcherUnderTest();
    void start();
    void stop();
    std::uint16_t port();
    std::string nick();
    //! GET /orderbook.json, parsed.
    boost::json::value orderbook();
    template <class F> auto onStrand(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(m_ctx.executor(), [&] { task(); });
        return future.get();
    }
    jm::plugins::orderbook::WatcherPlugin& plugin() { return *m_plugin; }

private:
    ChainHub& m_hub;
    std::vector<std::uint16_t> m_directories;
    boost::json::object m_config;
    jm::sdk::testing::TestContext m_ctx;
    std::thread m_thread;
    std::unique_ptr<LightClientChain> m_light;
    std::unique_ptr<jm::plugins::orderbook::WatcherPlugin> m_plugin;
};

} // namespace jm::test
