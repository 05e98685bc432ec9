// The maker as `jmnode run` hosts it: the real plugin files (directory, yieldgen, maker) loaded
// by the host's loader into a host Node, with the SDK test chain registered as the backend. A
// scripted taker completes a CoinJoin through the node's directory, and `jmnode maker status`
// reports it.
#include "maker_harness.hpp"

#include <config/node_config.hpp>
#include <node/node.hpp>
#include <plugins/instance_plan.hpp>
#include <plugins/plugin_loader.hpp>
#include <storage/rocksdb_database.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/maker/events.hpp>
#include <jm/sdk/events.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <optional>

using namespace jm::test;

namespace {

std::uint16_t freePort() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

//! What a node CoinJoin produced.
struct NodeCoinjoin {
    std::string maker_nick;
    std::vector<jm::protocol::Offer> offers; //!< as first announced
    std::string txid;
    std::optional<jm::sdk::events::CoinjoinCompletedV2> completed_v2; //!< role.coinjoin_completed/2 seen
    boost::json::value status;                                        //!< `jmnode maker status --json` afterwards
    std::string human;                                                //!< `jmnode maker status` afterwards
    std::string stopped;                                              //!< `jmnode maker status` once the node stopped
};

//! A node running the directory, `yieldgen_entry` (a plugins[] entry named "yg") and the maker,
//! with the test chain as backend and a wallet funded with `coins` (mixdepth, sats). A scripted
//! taker fills offer `oid` for `amount`; the CoinJoin is broadcast and mined.
NodeCoinjoin nodeCoinjoin(const std::string& yieldgen_entry, const std::vector<std::filesystem::path>& plugin_dirs,
                          const std::vector<std::pair<int, std::int64_t>>& coins, std::int64_t oid,
                          std::int64_t amount) {
    NodeCoinjoin result;
    ScratchDir dir;
    auto data = dir.path() / "data";
    std::filesystem::create_directories(data);
    auto port = freePort();
    auto config_file = dir.path() / "maker.json";
    std::ofstream(config_file) << R"({
      "node": {"datadir": ")" << data.string()
                               << R"(", "network": "testnet"},
      // The test chain stands in for a backend instance: it is registered before start.
      "plugins": [
        {"load": "directory", "factory": "server", "instance": "dn",
         "config": {"port": )" << port
                               << R"(, "stats_interval": "0s"}},
        )" << yieldgen_entry << R"(,
        {"load": "maker", "instance": "maker",
         "config": {"backend": "chain", "yieldgen": "yg", "directories": ["127.0.0.1:)"
                               << port << R"("], "password_file": "password", "resync_blocks": 0}}
      ]})";
    std::ofstream(data / "password") << "secret\n";
    std::filesystem::permissions(data / "password",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

    auto root = jm::host::readConfigFile(config_file);
    BOOST_REQUIRE(root.has_value());
    std::vector<jm::sdk::ConfigProblem> problems;
    auto config = jm::host::parseNodeConfig(*root, config_file, problems);
    BOOST_REQUIRE(config.has_value());
    jm::host::PluginLoader loader;
    loader.loadDirectories(plugin_dirs);
    auto plans = jm::host::planInstances(*config, loader, problems);
    for (const auto& p : problems) // the only complaint: no configured instance provides the backend
        BOOST_CHECK_MESSAGE(p.message.find("backend/1") != std::string::npos, p.path + ": " + p.message);
    BOOST_REQUIRE_EQUAL(plans.size(), 3u);

    jm::host::Node node(*config, std::move(plans));
    jm::sdk::testing::TestChain chain(&node.bus());
    {
        // The wallet `jmnode wallet create` would have made, funded on the test chain.
        auto db = jm::host::RocksDbDatabase::open(data).value();
        auto store = db->openNamespace("wallet").value();
        jm::wallet::WalletOptions wo;
        wo.network = jm::bitcoin::Network::Testnet;
        wo.kdf = jm::wallet::KdfStrength::Interactive;
        jm::bitcoin::Bytes entropy(16, 7);
        auto wallet = jm::wallet::Wallet::create(*store, wo, entropy, "", "secret").value();
        for (auto [m, value] : coins)
            chain.fund(wallet.nextAddress(m, jm::wallet::BRANCH_EXTERNAL).value().script_pubkey, value);
    }
    chain.mine(1);
    BOOST_REQUIRE(node.services().provide<jm::chain::BlockchainBackend>("chain", chain));

    std::mutex mutex;
    std::string completed;
    auto ex = node.ioContext().get_executor();
    auto s1 = node.bus().subscribe<jm::sdk::events::RoleNick>(ex, [&](const auto& e) {
        std::lock_guard lock(mutex);
        result.maker_nick = e.nick;
    });
    auto s2 = node.bus().subscribe<jm::maker::events::OffersAnnounced>(ex, [&](const auto& e) {
        std::lock_guard lock(mutex);
        if (result.offers.empty()) result.offers = e.offers;
    });
    auto s3 = node.bus().subscribe<jm::sdk::events::CoinjoinCompleted>(ex, [&](const auto& e) {
        std::lock_guard lock(mutex);
        completed = e.txid;
    });
    auto s4 = node.bus().subscribe<jm::sdk::events::CoinjoinCompletedV2>(ex, [&](const auto& e) {
        std::lock_guard lock(mutex);
        result.completed_v2 = e;
    });
    auto started = node.start(false);
    BOOST_REQUIRE_MESSAGE(started.has_value(), (started ? std::string() : started.error().message));
    BOOST_REQUIRE(eventually([&] {
        std::lock_guard lock(mutex);
        return !result.maker_nick.empty() && !result.offers.empty();
    }));
    auto offer = std::find_if(result.offers.begin(), result.offers.end(), [&](const auto& o) { return o.oid == oid; });
    BOOST_REQUIRE(offer != result.offers.end());

    ScriptedTaker taker(chain, port);
    // The maker answers once its directory connection is up; give it that moment.
    BOOST_REQUIRE(eventually([&] {
        taker.sendPublic("orderbook");
        return taker.waitFor(result.maker_nick, "sw0reloffer", std::chrono::milliseconds(200)).has_value();
    }));
    auto out = tryCoinjoin(
        chain,
        [&](int blocks) {
            chain.mine(blocks);
            node.bus().flushForTest();
        },
        taker, {{result.maker_nick, *offer}}, amount);
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    result.txid = out.completed.txid;
    chain.mine(1);
    BOOST_CHECK(eventually([&] {
        std::lock_guard lock(mutex);
        return completed == result.txid;
    }));

    // `jmnode maker status` reads what the running maker wrote.
    auto jmnode = (binDir() / "jmnode").string();
    for (int i = 0; i < 100; ++i) {
        auto r = runProcess({jmnode, "maker", "status", "--config", config_file.string(), "--json"});
        boost::system::error_code ec;
        auto status = r.exit_code == 0 ? boost::json::parse(r.out, ec) : boost::json::value();
        if (!ec && status.is_object() && status.at("maker").at("earnings").at("list").as_array().size() == 1 &&
            status.at("maker").at("earnings").at("list").at(0).at("confirmed").as_bool()) {
            result.status = status.at("maker");
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto human = runProcess({jmnode, "maker", "status", "--config", config_file.string()});
    BOOST_CHECK_EQUAL(human.exit_code, 0);
    result.human = human.out;
    s1.reset();
    s2.reset();
    s3.reset();
    s4.reset();
    node.stop();
    result.stopped = runProcess({jmnode, "maker", "status", "--config", config_file.string()}).out;
    return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(maker_node_tests)

BOOST_AUTO_TEST_CASE(a_node_with_the_maker_plugins_completes_a_coinjoin) {
    auto r = nodeCoinjoin(R"({"load": "yieldgen", "factory": "basic", "instance": "yg",
                             "config": {"cjfee_r": "0.0002", "txfee_contribution": 300}})",
                          {pluginDir()}, {{0, 80'000'000}}, 0, 10'000'000);
    BOOST_REQUIRE_EQUAL(r.offers.size(), 1u);
    BOOST_CHECK_EQUAL(r.offers.front().maxsize, 80'000'000 - 27'300);
    BOOST_REQUIRE(r.status.is_object());
    BOOST_CHECK_EQUAL(r.status.at("nick").as_string(), r.maker_nick);
    BOOST_CHECK_EQUAL(r.status.at("earnings").at("total_earned").to_number<std::int64_t>(), 2000 - 300);
    BOOST_CHECK_MESSAGE(r.human.find("maker " + r.maker_nick) != std::string::npos, r.human);
    BOOST_CHECK_MESSAGE(r.human.find(r.txid) != std::string::npos, r.human);
    BOOST_CHECK_MESSAGE(r.human.find("stopped") == std::string::npos, r.human);
    // A stopped node is not shown as a running one; its earnings are still listed.
    BOOST_CHECK_MESSAGE(r.stopped.find("stopped") != std::string::npos, r.stopped);
    BOOST_CHECK_MESSAGE(r.stopped.find(r.txid) != std::string::npos, r.stopped);
}

BOOST_AUTO_TEST_CASE(an_out_of_tree_yield_generator_builds_against_the_installed_sdk_and_earns) {
    // Install the SDK, build examples/yieldgen-scaled against it with find_package(jmsdk), and
    // run a maker with it.
    ScratchDir dir;
    auto prefix = dir.path() / "prefix";
    auto must = [](std::vector<std::string> args) {
        auto r = runProcess(args, std::chrono::seconds(600));
        std::string cmd;
        for (const auto& a : args)
            cmd += a + " ";
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0 && !r.timed_out, cmd << "failed:\n" << r.out << r.err);
    };
    must({"cmake", "--install", JM_BUILD_DIR, "--prefix", prefix.string()});
    auto build = dir.path() / "yieldgen-scaled";
    must({"cmake", "-S", std::string(JM_SOURCE_DIR) + "/examples/yieldgen-scaled", "-B", build.string(),
          "-DCMAKE_PREFIX_PATH=" + prefix.string(), "-DCMAKE_BUILD_TYPE=" + std::string(JM_BUILD_TYPE),
          "-DCMAKE_CXX_COMPILER=" + std::string(JM_CXX_COMPILER)});
    must({"cmake", "--build", build.string()});
    BOOST_REQUIRE(std::filesystem::exists(build / "plugins" / "yieldgen_scaled.so"));

    // Mixdepth 0 holds 0.8 BTC, mixdepth 1 0.3 BTC: fees 0.00002 x (1 + balance / 1 BTC).
    auto r = nodeCoinjoin(R"({"load": "yieldgen_scaled", "instance": "yg", "config": {}})",
                          {pluginDir(), build / "plugins"}, {{0, 80'000'000}, {1, 30'000'000}}, 1, 10'000'000);
    BOOST_REQUIRE_EQUAL(r.offers.size(), 2u);
    BOOST_CHECK_EQUAL(r.offers[0].cjfee, "0.000036");
    BOOST_CHECK_EQUAL(r.offers[1].cjfee, "0.000026");
    BOOST_CHECK_EQUAL(r.offers[1].maxsize, 30'000'000 - 2 * 27'300);
    // Filled on offer 1: paid from mixdepth 1, the CoinJoin output went to mixdepth 2.
    BOOST_REQUIRE(r.status.is_object());
    const auto& earning = r.status.at("earnings").at("list").at(0);
    BOOST_CHECK_EQUAL(earning.at("mixdepth").to_number<int>(), 1);
    BOOST_CHECK_EQUAL(earning.at("cj_mixdepth").to_number<int>(), 2);
    BOOST_CHECK_EQUAL(earning.at("fee_earned").to_number<std::int64_t>(), 260); // 0.000026 x 10 000 000
    // What notifiers report: the CoinJoin with the fee earned.
    BOOST_REQUIRE(r.completed_v2.has_value());
    BOOST_CHECK_EQUAL(r.completed_v2->txid, r.txid);
    BOOST_CHECK_EQUAL(r.completed_v2->role, "maker");
    BOOST_CHECK_EQUAL(r.completed_v2->instance, "maker");
    BOOST_CHECK_EQUAL(r.completed_v2->fee, 260);
}

BOOST_AUTO_TEST_CASE(jmnode_run_gives_the_maker_its_password_from_password_fd) {
    // No backend is reachable here: the maker starts anyway (its first sync is retried), which
    // is enough to see the password reach it, or refuse the wrong one.
    ScratchDir dir;
    auto config = dir.path() / "maker.json";
    std::ofstream(config) << R"({"node": {"datadir": ")" << (dir.path() / "data").string()
                          << R"(", "network": "regtest"},
      "plugins": [
        {"load": "backend-core", "instance": "core", "config": {"rpc_port": 1, "retries": 0}},
        {"load": "yieldgen", "factory": "basic", "instance": "yg"},
        {"load": "maker", "instance": "maker",
         "config": {"backend": "core", "yieldgen": "yg", "directories": ["127.0.0.1:1"]}}
      ]})";
    auto jmnode = (binDir() / "jmnode").string();
    auto created = runProcess({jmnode, "wallet", "create", "--config", config.string(), "--kdf", "interactive",
                               "--password-fd", "0", "--yes"},
                              std::chrono::seconds(60), {}, "right\nright\n");
    BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    {
        ChildProcess node({jmnode, "run", "--config", config.string(), "--password-fd", "0"}, {},
                          std::string("wrong\n"));
        auto r = node.wait(std::chrono::seconds(60));
        BOOST_CHECK_NE(r.exit_code, 0);
        BOOST_CHECK_MESSAGE(node.output().find("password") != std::string::npos, node.output());
    }
    ChildProcess node({jmnode, "run", "--config", config.string(), "--password-fd", "0"}, {}, std::string("right\n"));
    BOOST_CHECK_MESSAGE(node.waitForOutput("started instance 'maker'", std::chrono::seconds(60)), node.output());
    BOOST_CHECK(node.output().find("right") == std::string::npos); // never logged
    node.signal(SIGTERM);
    BOOST_CHECK_EQUAL(node.wait(std::chrono::seconds(30)).exit_code, 0);
}

BOOST_AUTO_TEST_CASE(maker_status_explains_what_is_missing) {
    ScratchDir dir;
    auto config_file = dir.path() / "maker.json";
    std::ofstream(config_file) << R"({"node": {"datadir": ")" << (dir.path() / "data").string()
                               << R"("}, "plugins": [{"load": "maker", "config": {}}]})";
    auto jmnode = (binDir() / "jmnode").string();
    auto r = runProcess({jmnode, "maker", "status", "--config", config_file.string()});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find("is the node running?") != std::string::npos, r.err);
    // A status that stopped being written (kill -9, a crash) is not shown as a live node.
    std::filesystem::create_directories(dir.path() / "data");
    std::ofstream(dir.path() / "data" / "maker-status.json")
        << R"({"nick": "J5xxxxxxxxxxxxxx", "running": true, "written_at": )" << (std::time(nullptr) - 3600) << "}";
    r = runProcess({jmnode, "maker", "status", "--config", config_file.string()});
    BOOST_CHECK_MESSAGE(r.out.find("not updated for") != std::string::npos, r.out + r.err);
    std::ofstream(config_file) << R"({"plugins": []})";
    r = runProcess({jmnode, "maker", "status", "--config", config_file.string()});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find("no maker instance") != std::string::npos, r.err);
    r = runProcess({jmnode, "maker", "status"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find("--config") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
