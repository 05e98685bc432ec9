// jmnode's wallet against a real Bitcoin Core on regtest: sync, balances against Core's own view,
// a payment and a sweep, an address past the gap limit, restarts. Needs bitcoind: found through
// $BITCOIND/$BITCOIN_CLI or /opt/bitcoin-core/bin; without it this runner prints
// "SKIPPED: no bitcoind" and exits 77, which ctest reports as skipped (never as passed).
#include "wallet_node.hpp"

#include <util/bitcoind.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/descriptor.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <thread>

using namespace jm::test;
namespace json = boost::json;

namespace {

std::int64_t confirmed(const json::object& sync, int m) {
    return sync.at("mixdepths").as_array()[static_cast<std::size_t>(m)].at("confirmed").to_number<std::int64_t>();
}
std::int64_t unconfirmed(const json::object& sync, int m) {
    return sync.at("mixdepths").as_array()[static_cast<std::size_t>(m)].at("unconfirmed").to_number<std::int64_t>();
}

std::int64_t sats(const json::value& btc) { return std::llround(btc.to_number<double>() * 1e8); }

//! The addresses a transaction pays, in output order (from Core's mempool or chain).
std::vector<std::string> outputAddresses(Bitcoind& core, const std::string& txid, const std::string& wallet) {
    auto tx = core.cliJson({"gettransaction", txid, "true", "true"}, wallet);
    std::vector<std::string> out;
    for (const auto& o : tx.at("decoded").at("vout").as_array())
        out.emplace_back(
            o.at("scriptPubKey").as_object().contains("address") ? o.at("scriptPubKey").at("address").as_string() : "");
    return out;
}

json::array historyOf(WalletNode& node) {
    auto r = node.run({"history", "--json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out).at("history").as_array();
}

const json::object* historyEntry(const json::array& history, const std::string& txid) {
    for (const auto& t : history)
        if (t.at("txid").as_string() == txid) return &t.as_object();
    return nullptr;
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
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x42));
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
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x17));
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

// Issue 18.1: used change addresses come from what the transactions pay. Seven payments from
// mixdepth 0, each spending the previous change (the last one to mixdepth 2: every output is the
// wallet's own), then the same words recovered into a new data directory.
BOOST_AUTO_TEST_CASE(a_restore_finds_change_spent_seven_times_and_never_reuses_it) {
    Bitcoind core(*findBitcoinCore());
    const jm::bitcoin::Bytes entropy(16, 0x51);
    WalletNode node(core, entropy);
    core.cli({"sendtoaddress", node.address(0, 0, 0), "1.0"}, "miner");
    core.mine(1);
    node.sync();
    for (int i = 0; i < 7; ++i) {
        auto dest = i == 6 ? node.address(2, 0, 0) : core.minerAddress();
        auto paid = node.run({"send", "--mixdepth", "0", "--amount", "1000000", "--address", dest, "--yes", "--json"});
        BOOST_REQUIRE_MESSAGE(paid.exit_code == 0, paid.err);
        core.mine(1);
    }
    auto before = node.sync();
    auto name = jmWalletName(core);
    std::int64_t change_in_core = 0;
    auto unspent = core.cliJson({"listunspent"}, name);
    for (const auto& u : unspent.as_array())
        if (u.at("address").as_string() == node.address(0, 1, 6)) change_in_core = sats(u.at("amount"));
    BOOST_REQUIRE_GT(change_in_core, 90'000'000);
    BOOST_CHECK_EQUAL(confirmed(before, 0), change_in_core);

    WalletNode restored(core, entropy);
    auto after = restored.sync();
    BOOST_CHECK_EQUAL(confirmed(after, 0), change_in_core);
    BOOST_CHECK_EQUAL(confirmed(after, 2), 1'000'000);
    // Its next change address is internal/7, never one the first sends used.
    auto paid = restored.run(
        {"send", "--mixdepth", "0", "--amount", "1000000", "--address", core.minerAddress(), "--yes", "--json"});
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0, paid.err);
    auto txid = std::string(json::parse(paid.out).at("txid").as_string());
    auto outputs = outputAddresses(core, txid, name);
    BOOST_CHECK(std::find(outputs.begin(), outputs.end(), restored.address(0, 1, 7)) != outputs.end());
    for (std::uint32_t i = 0; i < 7; ++i)
        BOOST_CHECK(std::find(outputs.begin(), outputs.end(), restored.address(0, 1, i)) == outputs.end());
}

// Issue 21.1: on a pruned node the first sync rescans from --rescan-from, which is stored: later
// commands need no rescan and work; an earlier height than the pruned one is refused.
BOOST_AUTO_TEST_CASE(a_pruned_node_works_after_the_first_sync) {
    Bitcoind core(*findBitcoinCore(), {"-prune=1", "-fastprune"});
    core.mine(550);
    // Core rescans the last two hours of blocks with any import; regtest mines them all within
    // seconds. Later blocks four hours on keep the pruned ones out of that window, as on mainnet.
    auto later = std::to_string(std::time(nullptr) + 4 * 3600);
    core.cli({"setmocktime", later});
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x61));
    core.cli({"sendtoaddress", node.address(0, 0, 0), "1.0"}, "miner");
    core.mine(40);
    auto pruned_to = core.cliJson({"pruneblockchain", "300"}).to_number<int>();
    BOOST_REQUIRE_GT(pruned_to, 100);
    auto info = core.cliJson({"getblockchaininfo"});
    BOOST_REQUIRE(info.at("pruned").as_bool());

    auto first = node.run({"sync", "--rescan-from", "640", "--json"});
    BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    BOOST_CHECK_EQUAL(confirmed(json::parse(first.out).as_object(), 0), 100'000'000);
    // Without --rescan-from again (this failed with "pruned up to block ..., past the wallet's
    // birthday 0").
    auto again = node.run({"info", "--json"});
    BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    BOOST_CHECK_EQUAL(confirmed(json::parse(again.out).as_object(), 0), 100'000'000);
    BOOST_CHECK_EQUAL(json::parse(node.run({"utxos", "--json"}).out).at("utxos").as_array().size(), 1u);
    // History before the pruned height cannot be rescanned: a clear refusal.
    auto earlier = node.run({"sync", "--rescan-from", "10", "--json"});
    BOOST_CHECK_NE(earlier.exit_code, 0);
    BOOST_CHECK_MESSAGE(earlier.err.find("pruned") != std::string::npos, earlier.err);
}

// Issue 21.1: Core keeps watching a descriptor ahead of its last used index (it tops up 1000
// past it). A coin past the range recorded at the first rescan widens jmnode's window, which
// Core already watches: no new import (whose rescan a pruned node refuses once it pruned past
// the birthday).
BOOST_AUTO_TEST_CASE(a_window_grown_within_what_core_watches_needs_no_rescan_on_a_pruned_node) {
    Bitcoind core(*findBitcoinCore(), {"-prune=1", "-fastprune"});
    core.mine(550);
    auto later = std::to_string(std::time(nullptr) + 4 * 3600);
    core.cli({"setmocktime", later});
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x62));
    core.cli({"sendtoaddress", node.address(0, 0, 0), "1.0"}, "miner");
    core.mine(40);
    BOOST_REQUIRE_GT(core.cliJson({"pruneblockchain", "300"}).to_number<int>(), 100);
    auto first = node.run({"sync", "--rescan-from", "640", "--json"});
    BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    // The node prunes on, past the birthday.
    core.mine(1000);
    BOOST_REQUIRE_GT(core.cliJson({"pruneblockchain", "1500"}).to_number<int>(), 640);
    core.cli({"sendtoaddress", node.address(0, 0, 999), "0.5"}, "miner");
    core.mine(1);
    auto s = node.run({"info", "--json"});
    BOOST_REQUIRE_MESSAGE(s.exit_code == 0, s.err);
    BOOST_CHECK_EQUAL(confirmed(json::parse(s.out).as_object(), 0), 150'000'000);
}

// Issue 21.2: Core watches 1000 scripts ahead and records a receive past the gap window; every
// view counts it.
BOOST_AUTO_TEST_CASE(a_coin_past_the_window_is_in_balances_utxos_and_history) {
    Bitcoind core(*findBitcoinCore());
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x81));
    node.sync(); // the window is [0, 6) on every branch, Core watches [0, 1000)
    auto txid = core.cli({"sendtoaddress", node.address(1, 0, 6), "0.5"}, "miner");
    core.mine(1);
    auto s = node.sync();
    BOOST_CHECK_EQUAL(confirmed(s, 1), 50'000'000);
    auto utxos = json::parse(node.run({"utxos", "--json"}).out).at("utxos").as_array();
    BOOST_REQUIRE_EQUAL(utxos.size(), 1u);
    BOOST_CHECK_EQUAL(utxos[0].at("index").to_number<int>(), 6);
    auto history = historyOf(node);
    auto* entry = historyEntry(history, txid);
    BOOST_REQUIRE(entry);
    BOOST_CHECK_EQUAL(entry->at("received").to_number<std::int64_t>(), 50'000'000);
}

// Issue 21.3: a payment replaced by RBF is listed once (the replacement).
BOOST_AUTO_TEST_CASE(a_replaced_payment_is_listed_once) {
    Bitcoind core(*findBitcoinCore());
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x91));
    node.sync();
    auto first = core.cli(
        {"-named", "sendtoaddress", "address=" + node.address(0, 0, 0), "amount=0.2", "replaceable=true"}, "miner");
    auto bumped = std::string(core.cliJson({"bumpfee", first}, "miner").at("txid").as_string());
    auto history = historyOf(node);
    BOOST_CHECK(historyEntry(history, bumped));
    BOOST_CHECK(!historyEntry(history, first));
    auto s = node.sync();
    BOOST_CHECK_EQUAL(unconfirmed(s, 0), 20'000'000);
    core.mine(1);
    history = historyOf(node);
    BOOST_CHECK(historyEntry(history, bumped));
    BOOST_CHECK(!historyEntry(history, first));
}

// Issue 21.5: Core stopped during an import's rescan keeps the descriptors without having
// rescanned (here: imported without a rescan). The next sync repeats the import and finds the
// coins.
BOOST_AUTO_TEST_CASE(an_import_left_without_its_rescan_is_repeated) {
    Bitcoind core(*findBitcoinCore());
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x71));
    core.cli({"sendtoaddress", node.address(0, 0, 2), "0.3"}, "miner");
    core.cli({"sendtoaddress", node.address(3, 1, 0), "0.2"}, "miner");
    core.mine(3);
    // Core rescans two hours back from the tip's median time with any import ("now"): blocks a
    // day later keep the coins out of that window.
    core.cli({"setmocktime", std::to_string(std::time(nullptr) + 24 * 3600)});
    core.mine(12);
    auto id = jm::wallet::WalletSync::walletId(*node.mirror).value();
    core.cli({"-named", "createwallet", "wallet_name=" + id, "disable_private_keys=true", "blank=true",
              "load_on_startup=true"});
    // Everything jmnode imports (the branches and the 960 bond addresses), without the rescan.
    std::vector<std::string> descs;
    for (int m = 0; m < 5; ++m)
        for (int b = 0; b < 2; ++b)
            descs.push_back("wpkh(" + node.mirror->accountXpub(m).value() + "/" + std::to_string(b) + "/*)");
    for (int t = 0; t < 960; ++t)
        descs.push_back("addr(" + node.mirror->bondAddress(t).value().info.address + ")");
    for (std::size_t first = 0; first < descs.size(); first += 200) {
        json::array imports;
        for (auto i = first; i < std::min(descs.size(), first + 200); ++i) {
            json::object o{{"desc", jm::bitcoin::withDescriptorChecksum(descs[i]).value()}, {"timestamp", "now"}};
            if (descs[i].starts_with("wpkh")) o["range"] = json::array{0, 999};
            imports.push_back(std::move(o));
        }
        core.cli({"importdescriptors", json::serialize(imports)}, id);
    }
    BOOST_REQUIRE_EQUAL(core.cliJson({"listunspent"}, id).as_array().size(), 0u); // never rescanned
    auto s = node.sync();
    BOOST_CHECK_EQUAL(confirmed(s, 0), 30'000'000);
    BOOST_CHECK_EQUAL(confirmed(s, 3), 20'000'000);
}

// Issue 21.1: a created wallet's birthday is its creation time: Core is given that, never the
// genesis block, and a coin received before the first sync is found.
BOOST_AUTO_TEST_CASE(a_created_wallet_rescans_from_its_creation_time) {
    Bitcoind core(*findBitcoinCore());
    auto before = std::time(nullptr);
    WalletNode node(core);
    core.cli({"sendtoaddress", node.address(0, 0, 0), "0.4"}, "miner");
    core.mine(1);
    auto s = node.sync();
    BOOST_CHECK_EQUAL(confirmed(s, 0), 40'000'000);
    auto descriptors = core.cliJson({"listdescriptors"}, jmWalletName(core)).at("descriptors").as_array();
    BOOST_REQUIRE(!descriptors.empty());
    for (const auto& d : descriptors)
        BOOST_CHECK_GE(d.at("timestamp").to_number<std::int64_t>(), before - 24 * 3600 - 5); // a day's margin
}

// Issue 21.6: history's spent includes the fee; an immature coinbase is marked.
BOOST_AUTO_TEST_CASE(history_counts_the_fee_and_marks_immature_coinbase) {
    Bitcoind core(*findBitcoinCore());
    WalletNode node(core, jm::bitcoin::Bytes(16, 0xa1));
    core.cli({"sendtoaddress", node.address(0, 0, 0), "1.0"}, "miner");
    core.mine(1);
    node.sync();
    auto paid = node.run(
        {"send", "--mixdepth", "0", "--amount", "10000000", "--address", core.minerAddress(), "--yes", "--json"});
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0, paid.err);
    auto receipt = json::parse(paid.out).as_object();
    auto txid = std::string(receipt.at("txid").as_string());
    auto fee = receipt.at("fee").to_number<std::int64_t>();
    core.cli({"generatetoaddress", "1", node.address(4, 0, 0)});
    auto history = historyOf(node);
    auto* payment = historyEntry(history, txid);
    BOOST_REQUIRE(payment);
    BOOST_CHECK_EQUAL(payment->at("received").to_number<std::int64_t>() -
                          payment->at("spent").to_number<std::int64_t>(),
                      -(10'000'000 + fee));
    BOOST_CHECK_EQUAL(payment->at("spent").to_number<std::int64_t>(), 100'000'000);
    bool immature = false;
    for (const auto& t : history)
        immature = immature || t.at("immature").as_bool();
    BOOST_CHECK(immature);
    // Balances leave the immature coinbase out, as Core does.
    BOOST_CHECK_EQUAL(confirmed(node.sync(), 4), 0);
}

BOOST_AUTO_TEST_SUITE_END()
