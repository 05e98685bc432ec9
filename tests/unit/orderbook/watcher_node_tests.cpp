// The watcher as `jmnode` hosts it: the real plugin file, `jmnode help-plugin orderbook/web`,
// the shipped etc/orderbook.json, and `jmnode run` with backend-sim, a directory and the
// watcher in one node, its page served until SIGTERM.
#include "watcher_harness.hpp"

#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>

namespace json = boost::json;

namespace {

std::uint16_t freePort() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace

BOOST_AUTO_TEST_SUITE(orderbook_node_tests)

BOOST_AUTO_TEST_CASE(help_plugin_and_the_shipped_config) {
    auto jmnode = (jm::test::binDir() / "jmnode").string();
    auto help = jm::test::runProcess({jmnode, "help-plugin", "orderbook/web"});
    BOOST_CHECK_EQUAL(help.exit_code, 0);
    BOOST_CHECK_MESSAGE(help.out.find("http_port (int, default 62601") != std::string::npos, help.out);
    BOOST_CHECK_MESSAGE(help.out.find("http_host (string, default \"127.0.0.1\")") != std::string::npos, help.out);
    auto check = jm::test::runProcess({jmnode, "config", "check", std::string(JM_SOURCE_DIR) + "/etc/orderbook.json"});
    BOOST_CHECK_MESSAGE(check.exit_code == 0, check.out << check.err);
}

BOOST_AUTO_TEST_CASE(a_node_serves_the_page_of_its_directory) {
    jm::test::ScratchDir dir;
    auto directory_port = freePort(), http_port = freePort();
    json::object doc{
        {"node", {{"datadir", (dir.path() / "data").string()}, {"network", "regtest"}}},
        {"plugins",
         json::array{
             json::object{{"load", "backend-sim"}, {"instance", "chain"}, {"config", json::object{}}},
             json::object{{"load", "directory"},
                          {"factory", "server"},
                          {"instance", "dn"},
                          {"config", {{"host", "127.0.0.1"}, {"port", directory_port}}}},
             json::object{{"load", "orderbook"},
                          {"factory", "web"},
                          {"instance", "web"},
                          {"config",
                           {{"backend", "chain"},
                            {"directories", json::array{json::string("127.0.0.1:" + std::to_string(directory_port))}},
                            {"http_port", http_port}}}}}}};
    auto config = dir.path() / "node.json";
    std::ofstream(config) << json::serialize(doc) << "\n";
    auto jmnode = (jm::test::binDir() / "jmnode").string();
    jm::test::ChildProcess node({jmnode, "run", "--config", config.string()});
    bool ok = jm::test::eventually(
        [&] {
            try {
                auto h = jm::test::httpRequest(http_port, "/health");
                return h.status == 200 && json::parse(h.body).at("status").as_string() == "ok";
            } catch (...) {
                return false;
            }
        },
        std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(ok, node.output());
    auto page = jm::test::httpRequest(http_port, "/");
    BOOST_CHECK_EQUAL(page.status, 200u);
    BOOST_CHECK_EQUAL(page.headers["content-type"], "text/html; charset=utf-8");
    BOOST_CHECK(page.body.find("<title>JoinMarket orderbook</title>") != std::string::npos);
    auto book = json::parse(jm::test::httpRequest(http_port, "/orderbook.json").body);
    BOOST_CHECK(book.at("offers").as_array().empty());
    node.signal(SIGTERM);
    auto r = node.wait(std::chrono::seconds(20));
    BOOST_CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
}

BOOST_AUTO_TEST_SUITE_END()
