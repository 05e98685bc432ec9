// The jmnode taker (in process, on backend-core) with three jmnode makers (`jmnode run`
// processes) against a real Bitcoin Core on regtest: a payment and a sweep confirm; the taker
// killed mid-round (after its !auth; the CI test kills it after its !tx) and restarted uses a fresh commitment and its
// wallet equals Core's view of it. Needs bitcoind; without it: "SKIPPED: no bitcoind", exit 77.
#include "regtest_taker_market.hpp"

#include <tumbler_plugin.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

using namespace jm::test;
namespace json = boost::json;
using jm::bitcoin::Network;

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(regtest_taker)

BOOST_AUTO_TEST_CASE(payment_and_sweep_confirm_and_a_killed_taker_reuses_nothing) {
    Bitcoind core(*findBitcoinCore());
    TestDirectory directory("regtest");
    std::vector<std::unique_ptr<MakerProcess>> makers;
    for (std::uint8_t i = 0; i < 3; ++i) {
        makers.push_back(std::make_unique<MakerProcess>(core, directory.port(), static_cast<std::uint8_t>(0x50 + i)));
        // Three mixdepths: coins held for the killed round stay locked until its session expires.
        json::object amounts{
            {makers.back()->address(0), 1.0}, {makers.back()->address(1), 1.0}, {makers.back()->address(2), 1.0}};
        core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    }
    InProcessTaker taker(core, directory.port());
    core.cli({"sendmany", "", json::serialize(json::object{{taker.addresses[0], 0.5}, {taker.addresses[1], 0.3}})},
             "miner");
    core.mine(6);
    for (auto& m : makers)
        m->start();
    taker.start();

    // 1. A payment with the three makers confirms.
    auto pay_to = core.cli({"getnewaddress"}, "miner");
    while (!pay_to.empty() && (pay_to.back() == '\n' || pay_to.back() == '\r'))
        pay_to.pop_back();
    auto paid = runAndConfirm(core, taker, {0, 20'000'000, false, pay_to, 3});
    BOOST_REQUIRE_MESSAGE(paid, (paid ? "" : paid.error().message));
    BOOST_CHECK(paid->confirmed);
    BOOST_CHECK_EQUAL(paid->makers, 3u);
    auto received = core.cliJson({"getreceivedbyaddress", pay_to, "1"}, "miner");
    BOOST_CHECK_EQUAL(std::llround(received.to_number<double>() * 1e8), 20'000'000);
    core.mine(5); // our change becomes a commitment coin (5 confirmations)

    // 2. Killed after its !auth (the commitment revealed), restarted: a fresh commitment, and the CoinJoin completes.
    auto before = taker.usedCommitments();
    taker.sent_auth = false;
    auto pending = taker.send({0, 10'000'000, false, pay_to, 3});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!taker.sent_auth && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_REQUIRE(taker.sent_auth.load());
    taker.crash();
    BOOST_CHECK(core.cliJson({"getrawmempool"}).as_array().empty());
    taker.start();
    BOOST_CHECK_EQUAL(taker.usedCommitments(), before + 1);
    auto again = runAndConfirm(core, taker, {0, 10'000'000, false, pay_to, 3});
    BOOST_REQUIRE_MESSAGE(again, (again ? "" : again.error().message));
    BOOST_CHECK_EQUAL(taker.usedCommitments(), before + 1 + static_cast<std::size_t>(again->attempts));
    core.mine(5);

    // 3. A sweep of what is left in mixdepth 0: nothing stays there.
    auto swept = runAndConfirm(core, taker, {0, 0, true, pay_to, 3});
    BOOST_REQUIRE_MESSAGE(swept, (swept ? "" : swept.error().message));
    BOOST_CHECK(swept->confirmed);

    // The wallet equals Core's view of it: every coin was in mixdepth 0 and the sweep took them
    // all, so Core's watch-only copy of the wallet holds nothing (nothing left behind, nothing
    // paid twice: Core accepted every transaction).
    taker.stop();
    auto unspent = core.cliJson({"listunspent", "0"}, taker.wallet_id);
    BOOST_REQUIRE(unspent.is_array());
    BOOST_CHECK_MESSAGE(unspent.as_array().empty(), json::serialize(unspent));
    auto got = core.cliJson({"getreceivedbyaddress", pay_to, "1"}, "miner");
    BOOST_CHECK_EQUAL(std::llround(got.to_number<double>() * 1e8), 30'000'000 + swept->cj_amount);
}

// The same through the command line: `jmnode orderbook` and `jmnode coinjoin send` as processes
// (a deterministic test chooser plugin stands in for plugins/chooser).
BOOST_AUTO_TEST_CASE(jmnode_coinjoin_send_and_orderbook_from_the_command_line) {
    Bitcoind core(*findBitcoinCore());
    TestDirectory directory("regtest");
    std::vector<std::unique_ptr<MakerProcess>> makers;
    for (std::uint8_t i = 0; i < 3; ++i) {
        makers.push_back(std::make_unique<MakerProcess>(core, directory.port(), static_cast<std::uint8_t>(0x60 + i)));
        core.cli({"sendmany", "", json::serialize(json::object{{makers.back()->address(0), 1.0}})}, "miner");
    }
    // The taker's node: backend-core, the test chooser, the taker.
    TempDir dir;
    auto data = dir.path() / "data";
    std::filesystem::create_directories(data);
    auto config = dir.path() / "taker.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << data.string()
                          << "\", \"network\": \"regtest\", \"plugin_dir\": [\"" << JM_TEST_PLUGIN_DIR << "\"]},\n"
                          << "  \"plugins\": [\n"
                          << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                          << core.rpcPort() << ", \"rpc_cookie\": \"" << core.cookie().string()
                          << "\", \"poll_interval\": \"200ms\"}},\n"
                          << "    {\"load\": \"test_chooser\", \"instance\": \"cheapest\"},\n"
                          << "    {\"load\": \"taker\", \"instance\": \"taker\", \"config\": {\"backend\": \"core\", "
                             "\"chooser\": \"cheapest\", \"directories\": [\"127.0.0.1:"
                          << directory.port()
                          << "\"], \"makers\": 3, \"minimum_makers\": 3, \"wait_confirmations\": 0, "
                             "\"orderbook_quiet\": \"2s\", \"tx_broadcast\": \"self\"}}\n"
                          << "  ] }\n";
    jm::bitcoin::Bytes entropy(16, 0x6f);
    auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
    auto jmnode = (binDir() / "jmnode").string();
    auto recovered = runProcess(
        {jmnode, "wallet", "recover", "--kdf", "interactive", "--config", config.string(), "--password-fd", "0"},
        std::chrono::seconds(120), {}, words + "\npw\npw\n");
    BOOST_REQUIRE_MESSAGE(recovered.exit_code == 0, recovered.err);
    jm::sdk::testing::MemoryKvStore mirror_store;
    auto mirror = jm::wallet::Wallet::create(
                      mirror_store, {Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive}, entropy, "", "pw")
                      .value();
    core.cli({"sendmany", "", json::serialize(json::object{{mirror.addressAt(0, 0, 0).value().address, 0.5}})},
             "miner");
    core.mine(6);
    for (auto& m : makers)
        m->start();

    auto book = runProcess({jmnode, "orderbook", "--config", config.string(), "--json", "--password-fd", "0"},
                           std::chrono::seconds(120), {}, "pw\n");
    BOOST_REQUIRE_MESSAGE(book.exit_code == 0, book.err);
    BOOST_CHECK_EQUAL(json::parse(book.out).as_array().size(), 3u);

    auto pay_to = core.cli({"getnewaddress"}, "miner");
    while (!pay_to.empty() && (pay_to.back() == '\n' || pay_to.back() == '\r'))
        pay_to.pop_back();
    // Declined at the question: nothing happens.
    auto declined = runProcess({jmnode, "coinjoin", "send", "--config", config.string(), "--mixdepth", "0", "--amount",
                                "20000000", "--to", pay_to, "--makers", "3", "--password-fd", "0"},
                               std::chrono::seconds(120), {}, "pw\nn\n");
    BOOST_CHECK_NE(declined.exit_code, 0);
    BOOST_CHECK_NE(declined.out.find("total cost"), std::string::npos);
    BOOST_CHECK(core.cliJson({"getrawmempool"}).as_array().empty());
    // Accepted: progress stage by stage, then the CoinJoin in Core's mempool.
    auto sent = runProcess({jmnode, "coinjoin", "send", "--config", config.string(), "--mixdepth", "0", "--amount",
                            "20000000", "--to", pay_to, "--makers", "3", "--password-fd", "0"},
                           std::chrono::seconds(180), {}, "pw\ny\n");
    BOOST_REQUIRE_MESSAGE(sent.exit_code == 0, sent.out + sent.err);
    for (auto stage : {"[orderbook]", "[chosen]", "[fill]", "[auth]", "[tx]", "[signatures]", "[broadcast]"})
        BOOST_CHECK_MESSAGE(sent.out.find(stage) != std::string::npos, stage);
    auto mempool = core.cliJson({"getrawmempool"}).as_array();
    BOOST_REQUIRE_EQUAL(mempool.size(), 1u);
    BOOST_CHECK_NE(sent.out.find(std::string(mempool.front().as_string())), std::string::npos);
    core.mine(1);
    auto got = core.cliJson({"getreceivedbyaddress", pay_to, "1"}, "miner");
    BOOST_CHECK_EQUAL(std::llround(got.to_number<double>() * 1e8), 20'000'000);
}

BOOST_AUTO_TEST_SUITE_END()

// The tumbler (in process, on the taker above) with the three `jmnode run` makers: a short plan
// to three destinations of Core's miner wallet completes, each destination paid by one
// transaction.

BOOST_AUTO_TEST_SUITE(regtest_tumbler)

BOOST_AUTO_TEST_CASE(a_short_tumble_to_three_destinations_completes) {
    Bitcoind core(*findBitcoinCore());
    TestDirectory directory("regtest");
    std::vector<std::unique_ptr<MakerProcess>> makers;
    for (std::uint8_t i = 0; i < 3; ++i) {
        makers.push_back(std::make_unique<MakerProcess>(core, directory.port(), static_cast<std::uint8_t>(0x60 + i)));
        json::object amounts{
            {makers.back()->address(0), 1.0}, {makers.back()->address(1), 1.0}, {makers.back()->address(2), 1.0}};
        core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    }
    InProcessTaker taker(core, directory.port());
    taker.config["makers"] = 2;
    taker.config["minimum_makers"] = 2;
    core.cli({"sendmany", "", json::serialize(json::object{{taker.addresses[0], 0.5}, {taker.addresses[1], 0.3}})},
             "miner");
    core.mine(6);
    for (auto& m : makers)
        m->start();
    taker.start();
    (void)taker.ctx.services().provide<jm::taker::CoinjoinService>("taker", *taker.plugin);

    json::object config{
        {"taker", "taker"},   {"backend", "core"},    {"password_file", (taker.dir.path() / "password").string()},
        {"mixdepthcount", 3}, {"makercount_mean", 2}, {"makercount_sd", 0},
        {"minmakercount", 2}, {"txcount_mean", 1},    {"txcount_sd", 0},
        {"mintxcount", 1},    {"timelambda", 0},      {"retry_wait", "2s"}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(jm::plugins::tumbler::TumblerSettings::schema().validate(config, "$", problems));
    auto settings = jm::plugins::tumbler::TumblerSettings::fromConfig(config).value();
    std::unique_ptr<jm::plugins::tumbler::TumblerPlugin> tumbler;
    auto started = InProcessTaker::onStrand(taker.ctx, [&] {
        tumbler = std::make_unique<jm::plugins::tumbler::TumblerPlugin>(taker.ctx, settings);
        return tumbler->start();
    });
    BOOST_REQUIRE_MESSAGE(started, (started ? "" : started.error().message));

    std::vector<std::string> dests;
    for (int i = 0; i < 3; ++i) {
        auto a = core.cli({"getnewaddress"}, "miner");
        while (!a.empty() && (a.back() == '\n' || a.back() == '\r'))
            a.pop_back();
        dests.push_back(a);
    }
    std::promise<jm::sdk::Result<jm::tumbler::TumblePlan>> proposed;
    tumbler->propose(dests, 21, taker.ctx.executor(), [&](auto r) { proposed.set_value(r); });
    auto plan = proposed.get_future().get();
    BOOST_REQUIRE_MESSAGE(plan, (plan ? "" : plan.error().message));
    BOOST_TEST(plan->steps.size() == 6u);

    // Every CoinJoin gets 5 blocks at once: its coins are then old enough for the next commitment.
    std::atomic<bool> stop{false};
    std::thread miner([&] {
        while (!stop) {
            auto mempool = core.cliJson({"getrawmempool"});
            if (mempool.is_array() && !mempool.as_array().empty()) core.mine(5);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    });
    std::promise<jm::sdk::Result<jm::tumbler::TumblePlan>> finished;
    tumbler->start(*plan, {}, taker.ctx.executor(), [&](auto r) { finished.set_value(r); });
    auto future = finished.get_future();
    bool ready = future.wait_for(std::chrono::seconds(900)) == std::future_status::ready;
    stop = true;
    miner.join();
    BOOST_REQUIRE(ready);
    auto done = future.get();
    BOOST_REQUIRE_MESSAGE(done, (done ? "" : done.error().message));
    BOOST_TEST(done->status == "finished", done->reason);
    std::set<std::string> txids;
    for (const auto& s : done->steps) {
        BOOST_TEST((s.state == jm::tumbler::StepState::Done));
        BOOST_TEST(txids.insert(s.txid).second);
    }
    auto received = core.cliJson({"listreceivedbyaddress", "0", "false", "true"}, "miner").as_array();
    for (const auto& d : dests) {
        std::size_t txs = 0;
        for (const auto& e : received)
            if (e.at("address").as_string() == d) txs = e.at("txids").as_array().size();
        BOOST_TEST(txs == 1u, d);
    }
    InProcessTaker::onStrand(taker.ctx, [&] {
        tumbler.reset();
        return 0;
    });
}

BOOST_AUTO_TEST_SUITE_END()
