#include "watcher_harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <cctype>

namespace jm::test {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

HttpAnswer httpRequest(std::uint16_t port, const std::string& target, const std::string& method,
                       const std::map<std::string, std::string>& headers) {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    http::request<http::empty_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(false);
    for (const auto& [k, v] : headers)
        req.set(k, v);
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(method == "HEAD");
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser);
    HttpAnswer a;
    const auto& res = parser.get();
    a.status = res.result_int();
    for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        a.headers[name] = std::string(f.value());
    }
    a.body = res.body();
    return a;
}

std::string rawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    boost::system::error_code ec;
    boost::asio::write(stream, boost::asio::buffer(bytes), ec);
    std::string out;
    char buf[4096];
    for (;;) {
        auto n = stream.read_some(boost::asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

WatcherUnderTest::WatcherUnderTest(ChainHub& hub, std::vector<std::uint16_t> directories, boost::json::object config,
                                   bool light_client) :
    m_hub(hub),
    m_directories(std::move(directories)), m_config(std::move(config)), m_ctx("watcher", NETWORK) {
    m_thread = std::thread([this] {
        auto guard = boost::asio::make_work_guard(m_ctx.ioContext());
        m_ctx.ioContext().run();
    });
    if (light_client) {
        m_light = std::make_unique<LightClientChain>(hub.chain());
        (void)m_ctx.services().provide<jm::chain::BlockchainBackend>("chain", *m_light);
    } else {
        (void)m_ctx.services().provide<jm::chain::BlockchainBackend>("chain", hub.chain());
    }
}

WatcherUnderTest::~WatcherUnderTest() {
    if (m_plugin) stop();
    m_ctx.ioContext().stop();
    m_thread.join();
}

void WatcherUnderTest::start() {
    boost::json::array dirs;
    for (auto port : m_directories)
        dirs.push_back(boost::json::string("127.0.0.1:" + std::to_string(port)));
    boost::json::object config{{"backend", "chain"},     {"directories", dirs},    {"http_port", 0},
                               {"refresh", "15s"},       {"header_timeout", "1s"}, {"page_refresh", "1s"},
                               {"connect_timeout", "5s"}};
    for (const auto& [k, v] : m_config)
        config[k] = v;
    std::vector<jm::sdk::ConfigProblem> problems;
    if (!jm::plugins::orderbook::WatcherSettings::schema().validate(config, "$", problems))
        throw std::runtime_error("watcher config: " + problems.front().path + ": " + problems.front().message);
    auto settings = jm::plugins::orderbook::WatcherSettings::fromConfig(config);
    if (!settings) throw std::runtime_error("watcher settings: " + settings.error().message);
    auto started = onStrand([&] {
        m_plugin = std::make_unique<jm::plugins::orderbook::WatcherPlugin>(m_ctx, *settings);
        return m_plugin->start();
    });
    if (!started) throw std::runtime_error("watcher start: " + started.error().message);
}

void WatcherUnderTest::stop() {
    std::promise<void> stopped;
    onStrand([&] {
        m_plugin->stop([&] { stopped.set_value(); });
        return 0;
    });
    stopped.get_future().wait();
    onStrand([&] {
        m_plugin.reset();
        return 0;
    });
}

std::uint16_t WatcherUnderTest::port() {
    return onStrand([&] { return m_plugin->httpPort(); });
}

std::string WatcherUnderTest::nick() {
    return onStrand([&] { return m_plugin->nick(); });
}

boost::json::value WatcherUnderTest::orderbook() {
    auto a = httpRequest(port(), "/orderbook.json");
    if (a.status != 200) throw std::runtime_error("orderbook.json: status " + std::to_string(a.status));
    return boost::json::parse(a.body);
}

} // namespace jm::test
