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

#include <fstream>

using namespace jm::test;

namespace {

std::uint16_t freePort() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace

BOOST_AUTO_TEST_SUITE(maker_node_tests)

BOOST_AUTO_TEST_CASE(a_node_with_the_maker_plugins_completes_a_coinjoin) {
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
        {"load": "yieldgen", "factory": "basic", "instance": "yg",
         "config": {"cjfee_r": "0.0002", "txfee_contribution": 300}},
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
    loader.loadDirectories({pluginDir()});
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
        chain.fund(wallet.nextAddress(0, jm::wallet::BRANCH_EXTERNAL).value().script_pubkey, 80'000'000);
    }
    chain.mine(1);
    BOOST_REQUIRE(node.services().provide<jm::chain::BlockchainBackend>("chain", chain));

    std::mutex mutex;
    std::string nick;
    std::optional<jm::protocol::Offer> offer;
    std::string completed;
    auto ex = node.ioContext().get_executor();
    auto s1 = node.bus().subscribe<jm::sdk::events::RoleNick>(ex, [&](const auto& e) {
        std::lock_guard lock(mutex);
        nick = e.nick;
    });
    auto s2 = node.bus().subscribe<jm::maker::events::OffersAnnounced>(ex, [&](const auto& e) {
        std::lock_guard lock(mutex);
        if (!e.offers.empty()) offer = e.offers.front();
    });
    auto s3 = node.bus().subscribe<jm::sdk::events::CoinjoinCompleted>(ex, [&](const auto& e) {
        std::lock_guard lock(mutex);
        completed = e.txid;
    });
    auto started = node.start(false);
    BOOST_REQUIRE_MESSAGE(started.has_value(), (started ? std::string() : started.error().message));
    BOOST_REQUIRE(eventually([&] {
        std::lock_guard lock(mutex);
        return !nick.empty() && offer.has_value();
    }));
    BOOST_CHECK_EQUAL(offer->maxsize, 80'000'000 - 27'300);

    ScriptedTaker taker(chain, port);
    std::string maker_nick;
    {
        std::lock_guard lock(mutex);
        maker_nick = nick;
    }
    // The maker announces once its directory connection is up; give it that moment.
    BOOST_REQUIRE(eventually([&] {
        taker.sendPublic("orderbook");
        return taker.waitFor(maker_nick, "sw0reloffer", std::chrono::milliseconds(200)).has_value();
    }));
    auto out = tryCoinjoin(
        chain,
        [&](int blocks) {
            chain.mine(blocks);
            node.bus().flushForTest();
        },
        taker, {{maker_nick, *offer}}, 10'000'000);
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    chain.mine(1);
    BOOST_CHECK(eventually([&] {
        std::lock_guard lock(mutex);
        return completed == out.completed.txid;
    }));

    // `jmnode maker status` reads what the running maker wrote.
    auto jmnode = (binDir() / "jmnode").string();
    bool reported = false;
    for (int i = 0; i < 100 && !reported; ++i) {
        auto r = runProcess({jmnode, "maker", "status", "--config", config_file.string(), "--json"});
        if (r.exit_code == 0) {
            boost::system::error_code ec;
            auto status = boost::json::parse(r.out, ec);
            reported = !ec && status.at("maker").at("earnings").at("coinjoins").to_number<int>() == 1 &&
                       status.at("maker").at("nick").as_string() == maker_nick;
        }
        if (!reported) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_CHECK(reported);
    auto human = runProcess({jmnode, "maker", "status", "--config", config_file.string()});
    BOOST_CHECK_EQUAL(human.exit_code, 0);
    BOOST_CHECK_MESSAGE(human.out.find("maker " + maker_nick) != std::string::npos, human.out);
    BOOST_CHECK_MESSAGE(human.out.find(out.completed.txid) != std::string::npos, human.out);
    s1.reset();
    s2.reset();
    s3.reset();
    node.stop();
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
    std::ofstream(config_file) << R"({"plugins": []})";
    r = runProcess({jmnode, "maker", "status", "--config", config_file.string()});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find("no maker instance") != std::string::npos, r.err);
    r = runProcess({jmnode, "maker", "status"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find("--config") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
