// `jmnode run` with the real notify plugin: events published by a plugin reach a local HTTP
// server as webhooks, in order, including node.started/1 and node.stopping/1.
#include <util/http_test_server.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>

BOOST_AUTO_TEST_SUITE(notify_webhook_tests)

BOOST_AUTO_TEST_CASE(jmnode_run_delivers_bus_events_to_a_webhook) {
    jm::test::HttpTestServer server;
    server.misbehave(jm::test::HttpTestServer::Behaviour::Status500, 1); // one retry on the way
    jm::test::TempDir dir;
    auto config = dir.path() / "node.json";
    std::ofstream(config)
        << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
        << "\", \"network\": \"regtest\", \"plugin_dir\": [\"" << JM_TEST_PLUGIN_DIR << "\"]},\n"
        << "  \"plugins\": [\n"
        << "    {\"load\": \"event_source\", \"config\": {\"count\": 3}},\n"
        << "    {\"load\": \"notify\", \"factory\": \"webhook\", \"instance\": \"hook\", \"config\": {\"url\": \""
        << server.url("/events") << "\", \"backoff_initial\": \"50ms\", \"on\": [\"node.*\", \"role.*\"]}}\n"
        << "  ] }\n";
    jm::test::ChildProcess node({(jm::test::binDir() / "jmnode").string(), "run", "--config", config.string()});
    BOOST_REQUIRE_MESSAGE(server.waitForReceived(4, std::chrono::seconds(30)), node.output());
    node.signal(SIGTERM);
    auto r = node.wait(std::chrono::seconds(30));
    BOOST_CHECK_EQUAL(r.exit_code, 0);

    std::vector<std::string> topics, txids;
    for (const auto& req : server.received()) {
        auto body = boost::json::parse(req.body).as_object();
        BOOST_CHECK_EQUAL(body.at("instance").as_string(), "hook");
        topics.emplace_back(body.at("topic").as_string());
        if (topics.back() == "role.coinjoin_completed/1") txids.emplace_back(body.at("event").at("txid").as_string());
    }
    // The notifier starts before the test plugin (notifiers rank before other kinds), so it sees
    // all three events in order, then the node's own events.
    BOOST_CHECK((txids == std::vector<std::string>{"txid0", "txid1", "txid2"}));
    BOOST_CHECK(std::count(topics.begin(), topics.end(), "node.started/1") == 1);
    BOOST_CHECK_MESSAGE(std::count(topics.begin(), topics.end(), "node.stopping/1") == 1, r.err);
    BOOST_CHECK_GE(server.attempts(), server.received().size() + 1); // the 500 was retried
}

BOOST_AUTO_TEST_SUITE_END()
