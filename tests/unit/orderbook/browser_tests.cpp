// The watcher's page in a real browser: Debian's headless Chromium, driven over its DevTools
// protocol (a Boost.Beast websocket; no Node.js needed), loads `/` from a watcher fed by real
// jmnode makers. The rendered table has a row per offer with the right values, sorting by fee
// reorders the rows, the SVG chart is there, the table works with JavaScript off too, and no
// request leaves the node. A screenshot is kept in the build tree. Without Chromium the runner
// prints SKIPPED and exits 77.
#include "watcher_harness.hpp"

#include <util/process.hpp>

#include <jm/bitcoin/encoding.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace jm::test;
namespace websocket = boost::beast::websocket;

namespace {

std::optional<std::string> findChromium() {
    if (const char* env = std::getenv("CHROMIUM"))
        return std::filesystem::exists(env) ? std::optional<std::string>(env) : std::nullopt;
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
        if (std::filesystem::exists(p)) return std::string(p);
    return std::nullopt;
}

void skipWithoutChromium() {
    if (findChromium()) return;
    std::printf("SKIPPED: no chromium (apt-get install chromium, or set CHROMIUM)\n");
    std::fflush(stdout);
    std::_Exit(77);
}

//! One page of a headless Chromium, driven over the DevTools protocol.
class Browser {
public:
    Browser() {
        auto binary = findChromium().value();
        m_process = std::make_unique<ChildProcess>(std::vector<std::string>{
            binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            "--user-data-dir=" + m_profile.path().string(), "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--window-size=1280,1000", "about:blank"});
        // Chromium writes its DevTools port to the profile once it listens.
        auto port_file = m_profile.path() / "DevToolsActivePort";
        if (!eventually([&] { return std::filesystem::exists(port_file) && std::filesystem::file_size(port_file) > 0; },
                        std::chrono::seconds(30)))
            throw std::runtime_error("chromium did not start: " + m_process->output().substr(0, 2000));
        std::ifstream in(port_file);
        in >> m_port;
        auto targets = boost::json::parse(httpRequest(m_port, "/json/list").body).as_array();
        std::string ws_url;
        for (const auto& t : targets)
            if (t.at("type").as_string() == "page") ws_url = std::string(t.at("webSocketDebuggerUrl").as_string());
        if (ws_url.empty()) throw std::runtime_error("chromium has no page target");
        auto path = ws_url.substr(ws_url.find('/', std::string("ws://").size()));
        m_ws = std::make_unique<websocket::stream<boost::beast::tcp_stream>>(m_io);
        boost::beast::get_lowest_layer(*m_ws).connect({boost::asio::ip::make_address("127.0.0.1"), m_port});
        m_ws->read_message_max(64 * 1024 * 1024);
        m_ws->handshake("127.0.0.1:" + std::to_string(m_port), path);
    }
    ~Browser() {
        try {
            if (m_ws) send("Browser.close");
        } catch (...) {
            // The browser closes the socket instead of answering.
        }
        // Headless Chromium may linger after Browser.close; SIGTERM ends it and its helpers.
        if (m_process) {
            m_process->signal(SIGTERM);
            m_process->wait(std::chrono::seconds(10));
        }
    }

    //! Sends a command and returns its result (events read meanwhile are kept).
    boost::json::object send(const std::string& method, boost::json::object params = {}) {
        auto id = ++m_nextId;
        boost::json::object cmd{{"id", id}, {"method", method}, {"params", std::move(params)}};
        m_ws->write(boost::asio::buffer(boost::json::serialize(cmd)));
        for (;;) {
            auto message = readOne(std::chrono::seconds(30));
            if (!message) throw std::runtime_error("no answer to " + method);
            if (message->contains("id") && message->at("id").as_int64() == id) {
                if (message->contains("error"))
                    throw std::runtime_error(method + ": " + boost::json::serialize(message->at("error")));
                return message->at("result").as_object();
            }
            m_events.push_back(std::move(*message));
        }
    }
    //! Waits for an event named `method` (already received or to come).
    bool waitEvent(const std::string& method, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            for (auto it = m_events.begin(); it != m_events.end(); ++it)
                if (it->contains("method") && it->at("method").as_string() == method) {
                    m_seen.push_back(*it);
                    m_events.erase(it);
                    return true;
                }
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            auto message = readOne(left);
            if (!message) return false;
            m_events.push_back(std::move(*message));
        }
    }
    //! Evaluates `expression` in the page and returns its value.
    boost::json::value eval(const std::string& expression) {
        auto r =
            send("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
        if (r.contains("exceptionDetails"))
            throw std::runtime_error("page script failed: " + boost::json::serialize(r.at("exceptionDetails")));
        auto& result = r.at("result").as_object();
        return result.contains("value") ? result.at("value") : boost::json::value();
    }
    void navigate(const std::string& url) {
        send("Page.navigate", {{"url", url}});
        if (!waitEvent("Page.loadEventFired", std::chrono::seconds(30))) throw std::runtime_error("no load of " + url);
    }
    //! Every URL the page requested so far.
    std::vector<std::string> requestedUrls() {
        std::vector<std::string> out;
        auto scan = [&](const boost::json::object& e) {
            if (e.contains("method") && e.at("method").as_string() == "Network.requestWillBeSent")
                out.emplace_back(e.at("params").at("request").at("url").as_string());
        };
        for (const auto& e : m_events)
            scan(e);
        for (const auto& e : m_seen)
            scan(e);
        return out;
    }
    //! Reads whatever events arrive for `d`.
    void drain(std::chrono::milliseconds d) {
        auto deadline = std::chrono::steady_clock::now() + d;
        for (;;) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return;
            auto message = readOne(left);
            if (!message) return;
            m_events.push_back(std::move(*message));
        }
    }

private:
    std::optional<boost::json::object> readOne(std::chrono::milliseconds timeout) {
        boost::beast::flat_buffer buffer;
        boost::system::error_code result = boost::asio::error::would_block;
        m_ws->async_read(buffer, [&](boost::system::error_code ec, std::size_t) { result = ec; });
        m_io.restart();
        m_io.run_for(timeout);
        if (result == boost::asio::error::would_block) {
            // Timed out: cancel the read and let it complete before the buffer goes.
            boost::beast::get_lowest_layer(*m_ws).socket().cancel();
            m_io.restart();
            m_io.run();
            m_ws.reset();
            return std::nullopt;
        }
        if (result) return std::nullopt;
        return boost::json::parse(boost::beast::buffers_to_string(buffer.data())).as_object();
    }

    ScratchDir m_profile;
    std::unique_ptr<ChildProcess> m_process;
    std::uint16_t m_port = 0;
    boost::asio::io_context m_io;
    std::unique_ptr<websocket::stream<boost::beast::tcp_stream>> m_ws;
    std::int64_t m_nextId = 0;
    std::vector<boost::json::object> m_events;
    std::vector<boost::json::object> m_seen;
};

std::string btc(std::int64_t sats) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%lld.%08lld", static_cast<long long>(sats / 100'000'000),
                  static_cast<long long>(sats % 100'000'000));
    return buf;
}

constexpr const char* ROWS_JS = "JSON.stringify(Array.from(document.querySelectorAll('#offers-table tbody tr')).map("
                                "r => Array.from(r.cells).map(c => c.textContent)))";

std::vector<std::vector<std::string>> rows(Browser& b) {
    auto v = boost::json::parse(b.eval(ROWS_JS).as_string());
    std::vector<std::vector<std::string>> out;
    for (const auto& r : v.as_array()) {
        out.emplace_back();
        for (const auto& c : r.as_array())
            out.back().emplace_back(c.as_string());
    }
    return out;
}

std::vector<std::string> nicks(const std::vector<std::vector<std::string>>& table) {
    std::vector<std::string> out;
    for (const auto& r : table)
        out.push_back(r.at(0));
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(orderbook_browser_tests)

BOOST_AUTO_TEST_CASE(chromium_renders_sorts_and_charts_the_book_without_leaving_the_node) {
    skipWithoutChromium();
    ChainHub hub;
    TestDirectory directory;
    // Three makers whose fee order is known: cheap, middle, dear.
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    for (const char* fee : {"0.0001", "0.0003", "0.0007"}) {
        MakerOptions o;
        o.directories = {directory.port()};
        o.coins = {{0, 30'000'000}};
        std::string f = fee;
        o.yieldgen = [f] { return basicYieldGenerator(f, 300); };
        makers.push_back(std::make_unique<MakerUnderTest>(hub, o));
    }
    hub.mine(1);
    for (auto& m : makers)
        m->start();
    WatcherUnderTest watcher(hub, {directory.port()});
    watcher.start();
    BOOST_REQUIRE(
        eventually([&] { return watcher.orderbook().at("offers").as_array().size() == 3; }, std::chrono::seconds(10)));
    auto base = "http://127.0.0.1:" + std::to_string(watcher.port());

    Browser browser;
    browser.send("Network.enable");
    browser.send("Page.enable");
    browser.navigate(base + "/?sort=counterparty");

    // A row per offer, with the makers' values.
    auto table = rows(browser);
    BOOST_REQUIRE_EQUAL(table.size(), 3u);
    for (auto& m : makers) {
        auto offer = m->offers().front();
        auto row = std::find_if(table.begin(), table.end(), [&](const auto& r) { return r.at(0) == m->nick(); });
        BOOST_REQUIRE(row != table.end());
        BOOST_CHECK_EQUAL(row->at(1), "sw0reloffer");
        BOOST_CHECK_EQUAL(row->at(2), std::to_string(offer.oid));
        BOOST_CHECK_EQUAL(row->at(3), btc(offer.minsize));
        BOOST_CHECK_EQUAL(row->at(4), btc(offer.maxsize));
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.4f%%", std::stod(offer.cjfee) * 100);
        BOOST_CHECK_EQUAL(row->at(5), pct);
        BOOST_CHECK_EQUAL(row->at(6), std::to_string(offer.txfee));
        BOOST_CHECK_EQUAL(row->at(8), "127.0.0.1:" + std::to_string(directory.port()));
    }
    // Sorted by counterparty as asked; a click on the fee head sorts by fee, a second click reverses.
    auto by_nick = nicks(table);
    BOOST_CHECK(std::is_sorted(by_nick.begin(), by_nick.end()));
    std::vector<std::string> by_fee{makers[0]->nick(), makers[1]->nick(), makers[2]->nick()};
    browser.eval("document.querySelector('#offers-table th[data-key=fee] a').click()");
    BOOST_CHECK(nicks(rows(browser)) == by_fee);
    browser.eval("document.querySelector('#offers-table th[data-key=fee] a').click()");
    auto reversed = std::vector<std::string>(by_fee.rbegin(), by_fee.rend());
    BOOST_CHECK(nicks(rows(browser)) == reversed);
    BOOST_CHECK_EQUAL(browser.eval("location.search").as_string(), "?sort=counterparty"); // no navigation
    // The chart, the summary and the bonds table are there.
    BOOST_CHECK(browser.eval("!!document.querySelector('svg#depth-chart path#depth-line')").as_bool());
    BOOST_CHECK_EQUAL(browser.eval("document.getElementById('makers').textContent").as_string(), "3");
    BOOST_CHECK(browser.eval("!!document.getElementById('bonds-table')").as_bool());

    // A maker leaves: the page refreshes itself (1 s here) without a reload, keeping the order.
    browser.eval("window.__marker = 1");
    auto gone = makers[1]->nick();
    makers[1]->stop();
    BOOST_CHECK(eventually([&] { return rows(browser).size() == 2; }, std::chrono::seconds(10)));
    BOOST_CHECK(nicks(rows(browser)) == (std::vector<std::string>{makers[2]->nick(), makers[0]->nick()}));
    BOOST_CHECK_EQUAL(browser.eval("window.__marker").as_int64(), 1);

    auto shot = browser.send("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
    auto png = jm::bitcoin::fromBase64(shot.at("data").as_string());
    BOOST_REQUIRE(png);
    auto artifact = std::filesystem::path(JM_ARTIFACT_DIR) / "orderbook_page.png";
    std::ofstream(artifact, std::ios::binary)
        .write(reinterpret_cast<const char*>(png->data()), static_cast<std::streamsize>(png->size()));
    BOOST_CHECK_GT(std::filesystem::file_size(artifact), 1000u);
    BOOST_TEST_MESSAGE("screenshot: " << artifact);

    // With JavaScript off the server sorts: the fee head's link gives the rows by fee.
    browser.send("Emulation.setScriptExecutionDisabled", {{"value", true}});
    browser.navigate(base + "/?sort=fee&order=desc");
    browser.send("Emulation.setScriptExecutionDisabled", {{"value", false}}); // to read the DOM
    BOOST_CHECK(nicks(rows(browser)) == (std::vector<std::string>{makers[2]->nick(), makers[0]->nick()}));

    // No request went anywhere but the node.
    browser.drain(std::chrono::milliseconds(200));
    auto urls = browser.requestedUrls();
    BOOST_CHECK_GE(urls.size(), 3u); // two loads and at least one refresh
    for (const auto& u : urls)
        BOOST_CHECK_MESSAGE(u.rfind(base + "/", 0) == 0, "request outside the node: " << u);
}

BOOST_AUTO_TEST_SUITE_END()
