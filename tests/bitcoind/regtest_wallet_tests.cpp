// jmnode's wallet against a real Bitcoin Core on regtest: sync, balances against Core's own view,
// a payment and a sweep, an address past the gap limit, restarts. Needs bitcoind: found through
// $BITCOIND/$BITCOIN_CLI or /opt/bitcoin-core/bin; without it this runner prints
// "SKIPPED: no bitcoind" and exits 77, which ctest reports as skipped (never as passed).
#include <util/bitcoind.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

using namespace jm::test;
namespace json = boost::json;

namespace {

struct SkipWithoutBitcoind {
    SkipWithoutBitcoind() {
        if (findBitcoinCore()) return;
        std::printf("SKIPPED: no bitcoind (set BITCOIND and BITCOIN_CLI, or install Bitcoin Core in "
                    "/opt/bitcoin-core/bin)\n");
        std::fflush(stdout);
        std::_Exit(77);
    }
};

//! A jmnode data directory whose config runs backend-core against `core`.
struct JmNode {
    JmNode(Bitcoind& core, jm::bitcoin::ByteView entropy) {
        config = dir.path() / "node.json";
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                              << "\", \"network\": \"regtest\"},\n  \"plugins\": [\n"
                              << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                              << core.rpcPort() << ", \"rpc_cookie\": \"" << core.cookie().string()
                              << "\", \"poll_interval\": \"200ms\"}},\n"
                              << "    {\"load\": \"fee\", \"factory\": \"fixed\", \"instance\": \"fee\", \"config\": "
                                 "{\"sat_vb\": 2}}\n  ] }\n";
        mnemonic = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto r = run({"recover", "--kdf", "interactive"}, mnemonic + "\npw\npw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        mirror.emplace(jm::wallet::Wallet::create(
                           mirror_store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                           entropy, "", "pw")
                           .value());
    }
    ProcessResult run(std::vector<std::string> args, const std::string& input = "pw\n") {
        args.insert(args.begin(), {(binDir() / "jmnode").string(), "wallet"});
        for (const auto& extra : std::vector<std::string>{"--config", config.string(), "--password-fd", "0"})
            args.push_back(extra);
        return runProcess(args, std::chrono::seconds(300), {}, input);
    }
    json::object sync() {
        auto r = run({"sync", "--json"});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        boost::system::error_code ec;
        auto v = json::parse(r.out, ec);
        BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not JSON: " + r.out);
        return v.as_object();
    }
    std::string address(int m, std::uint32_t b, std::uint32_t i) { return mirror->addressAt(m, b, i).value().address; }

    TempDir dir;
    std::filesystem::path config;
    std::string mnemonic;
    jm::sdk::testing::MemoryKvStore mirror_store;
    std::optional<jm::wallet::Wallet> mirror; //!< the same seed in memory, to know the addresses
};

std::int64_t confirmed(const json::object& sync, int m) {
    return sync.at("mixdepths").as_array()[static_cast<std::size_t>(m)].at("confirmed").to_number<std::int64_t>();
}
std::int64_t unconfirmed(const json::object& sync, int m) {
    return sync.at("mixdepths").as_array()[static_cast<std::size_t>(m)].at("unconfirmed").to_number<std::int64_t>();
}

std::string jmWalletName(Bitcoind& core) {
    auto wallets = core.cliJson({"listwallets"});
    for (const auto& w : wallets.as_array())
        if (w.as_string().starts_with("jm-")) return std::string(w.as_string());
    return {};
}

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(regtest_wallet)

BOOST_AUTO_TEST_CASE(sync_pay_sweep_restart) {
    Bitcoind core(*findBitcoinCore());
    JmNode node(core, jm::bitcoin::Bytes(16, 0x42));
    json::object amounts{{node.address(0, 0, 0), 1.0}, {node.address(0, 0, 3), 0.5}, {node.address(0, 0, 9), 0.25},
                         {node.address(1, 0, 0), 2.0}, {node.address(2, 1, 0), 0.3}, {node.address(4, 0, 2), 0.1}};
    core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    core.mine(1);
    core.cli({"sendtoaddress", node.address(3, 0, 0), "0.05"}, "miner");

    auto s = node.sync();
    BOOST_CHECK_EQUAL(confirmed(s, 0), 175'000'000); // index 9 is past the first gap window
    BOOST_CHECK_EQUAL(confirmed(s, 1), 200'000'000);
    BOOST_CHECK_EQUAL(confirmed(s, 2), 30'000'000);
    BOOST_CHECK_EQUAL(unconfirmed(s, 3), 5'000'000);
    BOOST_CHECK_EQUAL(confirmed(s, 4), 10'000'000);

    // Core's own view of the watch-only wallet agrees, coin for coin.
    auto name = jmWalletName(core);
    BOOST_REQUIRE(!name.empty());
    auto core_utxos = core.cliJson({"listunspent", "0"}, name).as_array();
    auto ours = node.run({"utxos", "--json"});
    BOOST_REQUIRE_EQUAL(ours.exit_code, 0);
    auto our_utxos = json::parse(ours.out).at("utxos").as_array();
    BOOST_CHECK_EQUAL(core_utxos.size(), our_utxos.size());
    BOOST_CHECK_EQUAL(core_utxos.size(), 7u);
    std::set<std::string> core_set, our_set;
    for (const auto& u : core_utxos)
        core_set.insert(std::string(u.at("txid").as_string()) + ":" + std::to_string(u.at("vout").to_number<int>()));
    for (const auto& u : our_utxos)
        our_set.insert(std::string(u.at("outpoint").as_string()));
    BOOST_CHECK(core_set == our_set);
    // Never a private key in Core.
    BOOST_CHECK_EQUAL(core.cliJson({"getwalletinfo"}, name).at("private_keys_enabled").as_bool(), false);

    // A payment with change back to mixdepth 0's internal branch.
    auto dest = core.minerAddress();
    auto paid = node.run({"send", "--mixdepth", "0", "--amount", "10000000", "--address", dest, "--yes", "--json"});
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0, paid.err);
    auto receipt = json::parse(paid.out).as_object();
    auto txid = std::string(receipt.at("txid").as_string());
    auto fee = receipt.at("fee").to_number<std::int64_t>();
    BOOST_CHECK_GT(fee, 0);
    core.mine(1);
    auto tx = core.cliJson({"gettransaction", txid}, "miner");
    BOOST_CHECK_EQUAL(tx.at("amount").to_number<double>(), 0.1); // the destination got exactly that
    s = node.sync();
    BOOST_CHECK_EQUAL(confirmed(s, 0), 175'000'000 - 10'000'000 - fee);
    BOOST_CHECK_EQUAL(confirmed(s, 1), 200'000'000);

    // A sweep of mixdepth 1: nothing left, no change.
    auto swept = node.run({"send", "--mixdepth", "1", "--sweep", dest, "--yes", "--json"});
    BOOST_REQUIRE_MESSAGE(swept.exit_code == 0, swept.err);
    core.mine(1);
    s = node.sync();
    BOOST_CHECK_EQUAL(confirmed(s, 1), 0);
    auto history = node.run({"history", "--json"});
    BOOST_REQUIRE_EQUAL(history.exit_code, 0);
    BOOST_CHECK_GE(json::parse(history.out).at("history").as_array().size(), 4u);

    // Bitcoin Core restarts: the watch-only wallet comes back with it and nothing is lost.
    core.stop();
    auto down = node.run({"sync", "--json"});
    BOOST_CHECK_NE(down.exit_code, 0);
    // Stopped, Core deletes its cookie: that is what the user is told (unreachable otherwise).
    BOOST_CHECK_MESSAGE(down.err.find("is bitcoind running") != std::string::npos ||
                            down.err.find("unreachable") != std::string::npos,
                        down.err);
    core.start();
    auto again = node.sync();
    BOOST_CHECK_EQUAL(confirmed(again, 0), confirmed(s, 0));
    BOOST_CHECK_EQUAL(confirmed(again, 4), 10'000'000);
}

BOOST_AUTO_TEST_CASE(sync_killed_midway_recovers) {
    Bitcoind core(*findBitcoinCore());
    JmNode node(core, jm::bitcoin::Bytes(16, 0x17));
    json::object amounts;
    for (std::uint32_t i = 0; i < 40; i += 2)
        amounts[node.address(0, 0, i)] = 0.01;
    core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    core.mine(200); // more history to rescan
    {
        std::vector<std::string> argv{(binDir() / "jmnode").string(), "wallet",        "sync", "--config",
                                      node.config.string(),           "--password-fd", "0"};
        ChildProcess sync(argv, {}, std::string("pw\n"));
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        sync.signal(SIGKILL);
        sync.wait(std::chrono::seconds(10));
    }
    auto s = node.sync();
    BOOST_CHECK_EQUAL(confirmed(s, 0), 20 * 1'000'000);
    BOOST_CHECK_EQUAL(json::parse(node.run({"utxos", "--json"}).out).at("utxos").as_array().size(), 20u);
}

BOOST_AUTO_TEST_SUITE_END()
