// `jmnode run` with the real directory plugin: SDK DirectoryClients talk through it, the stats
// reach the status file, `jmnode directory status` reads it, and the nick survives a restart.
#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/net/directory_client.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

namespace {

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::filesystem::path writeConfig(const jm::test::TempDir& dir, const std::string& location = "") {
    auto config = dir.path() / "directory.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                          << "\", \"network\": \"signet\"},\n"
                          << "  \"plugins\": [{\"load\": \"directory\", \"factory\": \"server\", \"instance\": \"dn\","
                          << " \"config\": {\"port\": 0, \"port_file\": \"port\", \"stats_interval\": \"200ms\","
                          << " \"status_file\": \"status.json\", \"motd\": \"integration\""
                          << (location.empty() ? "" : ", \"location\": \"" + location + "\"") << "}}] }\n";
    return config;
}

std::uint16_t waitForPort(const jm::test::TempDir& dir, jm::test::ChildProcess& node) {
    for (int i = 0; i < 300; ++i) {
        auto text = readFile(dir.path() / "data" / "port");
        if (!text.empty()) return static_cast<std::uint16_t>(std::stoi(text));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_FAIL("the directory never wrote its port: " + node.output());
    return 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(directory_node_tests)

BOOST_AUTO_TEST_CASE(clients_talk_through_jmnode_run_and_status_is_reported) {
    jm::test::TempDir dir;
    auto config = writeConfig(dir);
    auto jmnode = (jm::test::binDir() / "jmnode").string();
    std::string first_nick;
    {
        jm::test::ChildProcess node({jmnode, "run", "--config", config.string()});
        auto port = waitForPort(dir, node);

        boost::asio::io_context context;
        auto guard = boost::asio::make_work_guard(context);
        std::thread thread([&] { context.run(); });
        std::promise<std::string> received;
        std::promise<void> a_ready, b_ready;
        auto settings = [&] {
            jm::net::DirectoryClientSettings s;
            s.host = "127.0.0.1";
            s.port = port;
            s.network = "signet";
            return s;
        };
        auto a_id = std::make_shared<const jm::protocol::NickIdentity>();
        auto b_id = std::make_shared<const jm::protocol::NickIdentity>();
        jm::net::DirectoryClientHandler ha, hb;
        std::string motd;
        ha.on_ready = [&](const auto& hs) {
            motd = hs.motd;
            first_nick = hs.nick;
            a_ready.set_value();
        };
        hb.on_ready = [&](const auto&) { b_ready.set_value(); };
        hb.on_message = [&](const jm::net::ChannelMessage& m) {
            if (m.is_private) received.set_value(m.line.body);
        };
        auto a = jm::net::DirectoryClient::create(context.get_executor(), settings(), a_id, ha);
        auto b = jm::net::DirectoryClient::create(context.get_executor(), settings(), b_id, hb);
        boost::asio::post(context, [&] {
            a->start();
            b->start();
        });
        auto a_future = a_ready.get_future();
        auto b_future = b_ready.get_future();
        BOOST_REQUIRE(a_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        BOOST_REQUIRE(b_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        BOOST_CHECK_EQUAL(motd, "integration");
        boost::asio::post(context, [&] { (void)a->sendPrivate(b_id->nick(), "pubkey", "abcdef"); });
        auto body = received.get_future();
        BOOST_REQUIRE(body.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        BOOST_CHECK(body.get().starts_with("pubkey abcdef "));

        // The stats reach the status file and the status command.
        bool reported = false;
        for (int i = 0; i < 100 && !reported; ++i) {
            auto r = jm::test::runProcess({jmnode, "directory", "status", "--config", config.string(), "--json"});
            if (r.exit_code == 0) {
                auto status = boost::json::parse(r.out).at("dn").as_object();
                reported =
                    status.at("peers").to_number<int>() == 2 && status.at("privmsgs_routed").to_number<int>() == 1;
            }
            if (!reported) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        BOOST_CHECK_MESSAGE(reported, node.output());
        auto human = jm::test::runProcess({jmnode, "directory", "status", "--config", config.string()});
        BOOST_CHECK_EQUAL(human.exit_code, 0);
        BOOST_CHECK_MESSAGE(human.out.find("dn: 2 peers") != std::string::npos, human.out);
        // No location configured and no onion service: the status says it is not listed.
        BOOST_CHECK_MESSAGE(human.out.find("  location: none") != std::string::npos, human.out);

        boost::asio::post(context, [&] {
            a->stop();
            b->stop();
        });
        guard.reset();
        thread.join();
        node.signal(SIGTERM);
        auto r = node.wait(std::chrono::seconds(20));
        BOOST_CHECK_EQUAL(r.exit_code, 0);
        BOOST_CHECK_MESSAGE(r.err.find("stats:") != std::string::npos || r.out.find("stats:") != std::string::npos,
                            "no stats line in the log");
    }
    // Restarted, the directory keeps its nick (its key is in the node's store).
    std::filesystem::remove(dir.path() / "data" / "port");
    jm::test::ChildProcess node({jmnode, "run", "--config", config.string()});
    waitForPort(dir, node);
    BOOST_CHECK_MESSAGE(node.waitForOutput("directory " + first_nick, std::chrono::seconds(10)), node.output());
    node.signal(SIGTERM);
    BOOST_CHECK_EQUAL(node.wait(std::chrono::seconds(20)).exit_code, 0);
}

BOOST_AUTO_TEST_CASE(directory_status_prints_the_public_location) {
    // The location the directory lists as its own peerlist entry (configured here; with
    // tor.control it is the onion service's, see tests/tor).
    const std::string location = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd.onion:5222";
    jm::test::TempDir dir;
    auto config = writeConfig(dir, location);
    auto jmnode = (jm::test::binDir() / "jmnode").string();
    jm::test::ChildProcess node({jmnode, "run", "--config", config.string()});
    waitForPort(dir, node);
    jm::test::ProcessResult human;
    for (int i = 0; i < 100; ++i) {
        human = jm::test::runProcess({jmnode, "directory", "status", "--config", config.string()});
        if (human.exit_code == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_CHECK_EQUAL(human.exit_code, 0);
    BOOST_CHECK_MESSAGE(human.out.find("\n  location: " + location + "\n") != std::string::npos, human.out);
    auto json = jm::test::runProcess({jmnode, "directory", "status", "--config", config.string(), "--json"});
    BOOST_REQUIRE_EQUAL(json.exit_code, 0);
    BOOST_CHECK_EQUAL(boost::json::parse(json.out).at("dn").at("location").as_string(), location);
    node.signal(SIGTERM);
    BOOST_CHECK_EQUAL(node.wait(std::chrono::seconds(20)).exit_code, 0);
}

BOOST_AUTO_TEST_CASE(directory_status_explains_what_is_missing) {
    jm::test::TempDir dir;
    auto config = writeConfig(dir);
    auto jmnode = (jm::test::binDir() / "jmnode").string();
    auto r = jm::test::runProcess({jmnode, "directory", "status", "--config", config.string()});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find("is the node running?") != std::string::npos, r.err);
    auto bad = jm::test::runProcess({jmnode, "directory", "status"});
    BOOST_CHECK_NE(bad.exit_code, 0);
    BOOST_CHECK_MESSAGE(bad.err.find("--config") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_SUITE_END()
