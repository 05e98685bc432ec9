// `jmnode run` with the real notify plugin: events published by a plugin reach a local HTTP
// server as webhooks, in order, including node.started/1 and node.stopping/1. And `jmnode
// help-plugin` shows each notify factory's schema.
#include <util/http_test_server.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <tuple>
#include <vector>

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

BOOST_AUTO_TEST_CASE(jmnode_run_sends_phone_messages_through_a_service_factory) {
    // The ntfy factory of the real plugin, through the host's config validation, with its token
    // from a 0600 file in the data directory (plain http is allowed to this machine only).
    jm::test::HttpTestServer server;
    jm::test::TempDir dir;
    std::filesystem::create_directories(dir.path() / "data");
    std::filesystem::permissions(dir.path() / "data", std::filesystem::perms::owner_all);
    auto token = dir.path() / "data" / "ntfy.token";
    std::ofstream(token) << "tk_integration\n";
    std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto config = dir.path() / "node.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                          << "\", \"network\": \"regtest\"},\n"
                          << "  \"plugins\": [\n"
                          << "    {\"load\": \"notify\", \"factory\": \"ntfy\", \"instance\": \"phone\", \"config\": "
                          << "{\"server\": \"" << server.url("")
                          << "\", \"topic\": \"jm\", \"token_file\": \"ntfy.token\", "
                          << "\"min_interval\": \"0s\"}}\n"
                          << "  ] }\n";
    jm::test::ChildProcess node({(jm::test::binDir() / "jmnode").string(), "run", "--config", config.string()});
    BOOST_REQUIRE_MESSAGE(server.waitForReceived(1, std::chrono::seconds(30)), node.output());
    node.signal(SIGTERM);
    auto r = node.wait(std::chrono::seconds(30));
    BOOST_CHECK_EQUAL(r.exit_code, 0);
    BOOST_REQUIRE_MESSAGE(server.waitForReceived(2, std::chrono::seconds(5)), node.output());
    auto got = server.received();
    BOOST_CHECK_EQUAL(got[0].headers["authorization"], "Bearer tk_integration");
    auto started = boost::json::parse(got[0].body).as_object();
    BOOST_CHECK_EQUAL(started.at("title").as_string(), "jmnode: started");
    BOOST_CHECK_NE(std::string(started.at("message").as_string()).find("is running on regtest."), std::string::npos);
    auto stopping = boost::json::parse(got[1].body).as_object();
    BOOST_CHECK_EQUAL(stopping.at("message").as_string(), "jmnode is stopping (SIGTERM).");
    BOOST_CHECK_EQUAL(stopping.at("priority").as_int64(), 4);
    BOOST_CHECK_EQUAL(node.output().find("tk_integration"), std::string::npos); // never logged
}

BOOST_AUTO_TEST_CASE(jmnode_refuses_a_service_config_with_an_open_secret_file) {
    jm::test::TempDir dir;
    auto token = dir.path() / "bot.token";
    std::ofstream(token) << "123:abc\n";
    std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                            std::filesystem::perms::others_read);
    auto config = dir.path() / "node.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                          << "\", \"network\": \"regtest\"},\n"
                          << "  \"plugins\": [{\"load\": \"notify\", \"factory\": \"telegram\", \"config\": "
                          << "{\"chat_id\": \"1\", \"bot_token_file\": \"" << token.string() << "\"}}] }\n";
    auto r = jm::test::runProcess({(jm::test::binDir() / "jmnode").string(), "run", "--config", config.string()},
                                  std::chrono::seconds(30));
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE((r.out + r.err).find("chmod 600") != std::string::npos, r.out + r.err);
    BOOST_CHECK_EQUAL((r.out + r.err).find("123:abc"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_plugin_shows_every_notify_factory_with_its_schema) {
    // Each factory with a key only it has, and whether it is a message service (templates, the
    // default topics an operator wants).
    const std::vector<std::tuple<std::string, std::string, bool>> factories{{"log", "level (", false},
                                                                            {"webhook", "url (", false},
                                                                            {"ntfy", "topic (", true},
                                                                            {"gotify", "server (", true},
                                                                            {"telegram", "bot_token_file (", true},
                                                                            {"discord", "webhook_url_file (", true},
                                                                            {"slack", "webhook_url_env (", true},
                                                                            {"pushover", "user_key_file (", true},
                                                                            {"matrix", "room_id (", true},
                                                                            {"email", "password_file (", true}};
    for (const auto& [factory, key, messages] : factories) {
        BOOST_TEST_CONTEXT(factory) {
            auto r = jm::test::runProcess({(jm::test::binDir() / "jmnode").string(), "help-plugin", "notify/" + factory,
                                           "--plugin-dir", JM_TEST_PLUGIN_DIR});
            BOOST_CHECK_EQUAL(r.exit_code, 0);
            BOOST_CHECK_MESSAGE(r.out.find("notify/" + factory + " (notifier, plugin notify ") == 0, r.out);
            BOOST_CHECK_NE(r.out.find("config keys:"), std::string::npos);
            BOOST_CHECK_MESSAGE(r.out.find("    " + key) != std::string::npos, r.out);
            BOOST_CHECK_NE(r.out.find("    on ("), std::string::npos);
            if (messages) {
                BOOST_CHECK_NE(r.out.find("    templates ("), std::string::npos);
                BOOST_CHECK_NE(r.out.find("    min_interval ("), std::string::npos);
                for (auto topic : {"maker.session_failed/1", "taker.failed/1", "wallet.balance_changed/1"})
                    BOOST_CHECK_MESSAGE(r.out.find(topic) != std::string::npos, topic << " not in " << r.out);
            }
        }
    }
    auto wrong = jm::test::runProcess({(jm::test::binDir() / "jmnode").string(), "help-plugin", "notify/telegrm",
                                       "--plugin-dir", JM_TEST_PLUGIN_DIR});
    BOOST_CHECK_EQUAL(wrong.exit_code, 2);
    BOOST_CHECK_NE(wrong.err.find("did you mean 'notify/telegram'"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
