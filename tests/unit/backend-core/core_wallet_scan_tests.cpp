// CoreBackend::scanWallet against a FakeCore holding a watch-only wallet: rescans only when an
// import needs one, from the wallet's birthday (pruned nodes), imports interrupted while Core
// rescanned are repeated, a timed-out import is never resent, Core's record of used indices is
// reported, and the wallet's transactions are read from listsinceblock with every output.
#include "fake_core.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/transaction.hpp>

#include <atomic>
#include <functional>

using namespace jm::test::core;

namespace {

constexpr std::int64_t GENESIS_TIME = 1'600'000'000;
std::int64_t timeOf(std::int64_t height) { return GENESIS_TIME + height * 600; }

//! A node with a loaded jm-test wallet and blocks whose hash tells their height.
struct Node {
    explicit Node(bool pruned = false, int prune_height = 0) : wallet(core) {
        core.result("getblockchaininfo", chainInfo("regtest", false, pruned, prune_height));
        core.result("listwallets", json::array{"jm-test"});
        core.result("listunspent", json::array{});
        core.result("listsinceblock", json::object{{"transactions", json::array{}}, {"lastblock", "00"}});
        core.result("getwalletinfo", json::object{{"walletname", "jm-test"}, {"scanning", false}});
        core.handler("getblockhash", [](const json::array& p) -> std::optional<json::value> {
            auto height = p.at(0).to_number<std::int64_t>();
            if (height > 150) return rpcError(-8, "Block height out of range");
            return json::string(std::string(56, '0') + std::to_string(10'000'000 + height).substr(0, 8));
        });
        core.handler("getblockheader", [](const json::array& p) -> std::optional<json::value> {
            auto hash = std::string(p.at(0).as_string());
            auto height = std::stoll(hash.substr(56)) - 10'000'000;
            return json::object{{"hash", hash}, {"height", height}, {"time", timeOf(height)}};
        });
    }
    void prune(int height) { core.result("getblockchaininfo", chainInfo("regtest", false, true, height)); }
    FakeCore core;
    FakeCoreWallet wallet;
};

jm::sdk::Result<jm::chain::WalletScan> scan(Harness& h, jm::chain::WatchRequest req) {
    return h.wait<jm::chain::WalletScan>([&](auto ex, auto cb) { h.backend->scanWallet(req, {}, ex, cb); });
}

std::string wpkh(std::uint32_t branch) {
    return jm::bitcoin::withDescriptorChecksum("wpkh(" + TPUB + "/" + std::to_string(branch) + "/*)").value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(core_wallet_scan_tests)

BOOST_AUTO_TEST_CASE(a_pruned_node_is_refused_only_when_a_rescan_needs_pruned_blocks) {
    Node node(true, 120);
    Harness h(node.core);
    // The birthday is before the pruned height and the descriptors are new: refused, no import.
    auto r = scan(h, {"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 100});
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_config);
    BOOST_CHECK_MESSAGE(r.error().message.find("pruned up to block 120") != std::string::npos, r.error().message);
    BOOST_CHECK(node.wallet.imported().empty());
    // From block 130 on: imported without a rescan, then rescanned from that block.
    r = scan(h, {"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 130});
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
    BOOST_REQUIRE_EQUAL(node.wallet.imported().size(), 1u);
    BOOST_CHECK_EQUAL(node.wallet.imported()[0][0].at("timestamp").as_string(), "now");
    BOOST_REQUIRE_EQUAL(node.wallet.rescanned().size(), 1u);
    BOOST_CHECK_EQUAL(node.wallet.rescanned()[0], 130);
    // Pruned further: nothing to rescan, so nothing to refuse (the bug: every later command failed).
    node.prune(140);
    r = scan(h, {"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 130});
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
    BOOST_CHECK_EQUAL(node.wallet.imported().size(), 1u);
    // A wider window needs a rescan from the birthday, whose block is pruned now: refused.
    r = scan(h, {"jm-test", {{TPUB, 0, 12}, {TPUB, 1, 6}}, {}, 130});
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_config);
}

BOOST_AUTO_TEST_CASE(a_wider_window_rescans_from_the_birthday_never_from_genesis) {
    Node node;
    Harness h(node.core);
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 100}));
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 20}}, {}, 100}));
    auto imports = node.wallet.imported();
    BOOST_REQUIRE_EQUAL(imports.size(), 2u);
    BOOST_CHECK_EQUAL(imports[1][0].at("range").as_array()[1].as_int64(), 19);
    auto rescans = node.wallet.rescanned();
    std::vector<std::int64_t> want{100, 100};
    BOOST_CHECK_EQUAL_COLLECTIONS(rescans.begin(), rescans.end(), want.begin(), want.end());
    // A birthday by time (a wallet created here) is given to Core with the import.
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 1, 6}}, {}, 0, timeOf(90)}));
    BOOST_CHECK_EQUAL(node.wallet.imported().back()[0].at("timestamp").as_int64(), timeOf(90));
    BOOST_CHECK_EQUAL(node.wallet.rescanned().size(), 2u);
    // An earlier birthday (the user's --rescan-from) rescans what was rescanned from later only;
    // branch 1 was rescanned by time: again, by height.
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 20}, {TPUB, 1, 6}}, {}, 95}));
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 20}, {TPUB, 1, 6}}, {}, 97}));
    imports = node.wallet.imported();
    BOOST_REQUIRE_EQUAL(imports.size(), 4u);
    BOOST_REQUIRE_EQUAL(imports[3].size(), 2u);
    BOOST_CHECK_EQUAL(imports[3][0].at("desc").as_string(), wpkh(0));
    BOOST_CHECK_EQUAL(node.wallet.rescanned().back(), 95);
}

BOOST_AUTO_TEST_CASE(a_pruned_node_and_a_birthday_by_time) {
    Node node(true, 120);
    Harness h(node.core);
    // Core starts at the first block less than two hours older than the time given; blocks
    // before 120 are gone, so block 119 must be older than that.
    auto r = scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 0, timeOf(119) + 7200});
    BOOST_REQUIRE(!r);
    BOOST_CHECK_MESSAGE(r.error().message.find("pruned") != std::string::npos, r.error().message);
    BOOST_CHECK(node.wallet.imported().empty());
    r = scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 0, timeOf(119) + 7201});
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
}

BOOST_AUTO_TEST_CASE(an_import_core_stopped_during_is_repeated) {
    Node node;
    // Core has the descriptors (it stores them before rescanning) but this backend never saw
    // the rescan end: the scan imports them again, so Core rescans.
    node.wallet.add("wpkh(" + TPUB + "/0/*)", 1000);
    node.wallet.add("wpkh(" + TPUB + "/1/*)", 1000);
    Harness h(node.core);
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 10}));
    auto imports = node.wallet.imported();
    BOOST_REQUIRE_EQUAL(imports.size(), 1u);
    BOOST_REQUIRE_EQUAL(imports[0].size(), 2u);
    BOOST_CHECK_EQUAL(imports[0][0].at("range").as_array()[1].as_int64(), 999); // Core's range kept
    BOOST_REQUIRE_EQUAL(node.wallet.rescanned().size(), 1u);
    BOOST_CHECK_EQUAL(node.wallet.rescanned()[0], 10);
    // Recorded: not again.
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 10}));
    BOOST_CHECK_EQUAL(node.wallet.imported().size(), 1u);
}

BOOST_AUTO_TEST_CASE(an_import_finishing_after_the_listing_is_followed_by_one_with_cores_new_range) {
    // A sync killed midway leaves its import running in Core; it can widen the descriptors
    // (Core watches 1000 ahead) after the next scan listed them, and Core then refuses the
    // narrower range that scan asks for.
    Node node;
    node.wallet.add("wpkh(" + TPUB + "/0/*)", 40);
    node.wallet.add("wpkh(" + TPUB + "/1/*)", 40);
    {
        std::lock_guard lock(node.wallet.mutex);
        node.wallet.widen_after_next_list = 1039;
    }
    Harness h(node.core);
    auto scanned = scan(h, {"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 10});
    BOOST_REQUIRE_MESSAGE(scanned.has_value(), (scanned ? std::string() : scanned.error().message));
    auto imports = node.wallet.imported();
    BOOST_REQUIRE_EQUAL(imports.size(), 2u); // refused, then again with Core's range
    BOOST_CHECK_EQUAL(imports[1][0].at("range").as_array()[1].as_int64(), 1038);
    BOOST_CHECK_EQUAL(node.wallet.rescanned().size(), 1u);
}

// Core tops a used descriptor up (it watches ahead from then on): a window grown within it
// needs no import. A widening jmnode imported whose rescan never ended is imported again.
BOOST_AUTO_TEST_CASE(a_window_within_cores_top_up_is_not_rescanned_and_an_unfinished_widening_is) {
    Node node(true, 120);
    Harness h(node.core);
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 130}));
    BOOST_REQUIRE_EQUAL(node.wallet.imported().size(), 1u);
    {
        std::lock_guard lock(node.wallet.mutex);
        node.wallet.descs[wpkh(0)].end = 1006; // index 5 used: Core watches 1000 past it
    }
    node.prune(140); // past the birthday: a rescan would be refused
    auto r = scan(h, {"jm-test", {{TPUB, 0, 12}}, {}, 130});
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
    BOOST_CHECK_EQUAL(node.wallet.imported().size(), 1u);
    // Past Core's range: imported, and Core stops before the rescan ends.
    node.prune(125);
    node.core.handler("rescanblockchain",
                      [](const json::array&) -> std::optional<json::value> { return rpcError(-1, "Shutting down"); });
    BOOST_REQUIRE(!scan(h, {"jm-test", {{TPUB, 0, 2000}}, {}, 130}));
    BOOST_REQUIRE_EQUAL(node.wallet.imported().size(), 2u);
    node.wallet.answerRescans(node.core);
    BOOST_REQUIRE(scan(h, {"jm-test", {{TPUB, 0, 2000}}, {}, 130}));
    BOOST_REQUIRE_EQUAL(node.wallet.imported().size(), 3u);
    BOOST_CHECK_EQUAL(node.wallet.rescanned().back(), 130);
}

BOOST_AUTO_TEST_CASE(a_timed_out_import_is_not_resent_and_a_running_rescan_is_awaited) {
    Node node;
    std::atomic<int> stall{1};
    node.core.handler("importdescriptors", [&](const json::array&) -> std::optional<json::value> {
        if (stall-- > 0) std::this_thread::sleep_for(std::chrono::milliseconds(900)); // Core rescanning
        return json::array{json::object{{"success", true}}};
    });
    {
        Harness h(node.core, "regtest", 2, std::chrono::milliseconds(300));
        auto r = scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 0});
        BOOST_REQUIRE(!r);
        BOOST_CHECK(r.error().code == jm::sdk::errc::unavailable);
        BOOST_CHECK_MESSAGE(r.error().message.find("still be rescanning") != std::string::npos, r.error().message);
        std::this_thread::sleep_for(std::chrono::milliseconds(1200)); // the stalled one answered
        BOOST_CHECK_EQUAL(node.core.count("importdescriptors"), 1u);  // never sent twice
    }
    // The next sync finds Core still rescanning: it waits, then imports (and the rescan runs
    // again from the birthday, since the first one was never seen to finish).
    std::atomic<int> scanning{2};
    node.core.handler("getwalletinfo", [&](const json::array&) -> std::optional<json::value> {
        if (scanning-- > 0)
            return json::object{{"walletname", "jm-test"},
                                {"scanning", json::object{{"duration", 3}, {"progress", 0.5}}}};
        return json::object{{"walletname", "jm-test"}, {"scanning", false}};
    });
    node.core.handler("listdescriptors", [&](const json::array&) -> std::optional<json::value> {
        return json::object{
            {"descriptors",
             json::array{json::object{
                 {"desc", wpkh(0)}, {"range", json::array{0, 999}}, {"next_index", 0}, {"timestamp", 0}}}}};
    });
    Harness h(node.core, "regtest", 2, std::chrono::seconds(10));
    std::vector<std::string> steps;
    auto r = h.wait<jm::chain::WalletScan>([&](auto ex, auto cb) {
        h.backend->scanWallet(
            {"jm-test", {{TPUB, 0, 6}}, {}, 0},
            [&](double, const std::string& what) {
                if (steps.empty() || steps.back() != what) steps.push_back(what);
            },
            ex, cb);
    });
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
    BOOST_CHECK_EQUAL(node.core.count("importdescriptors"), 2u);
    BOOST_CHECK(std::find(steps.begin(), steps.end(), "waiting for Bitcoin Core's rescan") != steps.end());
}

BOOST_AUTO_TEST_CASE(cores_used_indices_are_reported_past_the_window) {
    Node node;
    // Core watches 1000 ahead and saw index 6 of branch 0 paid (the window asked is [0, 6)).
    node.wallet.add("wpkh(" + TPUB + "/0/*)", 1000, 7);
    node.wallet.add("wpkh(" + TPUB + "/1/*)", 1000, 0);
    Harness h(node.core);
    auto r = scan(h, {"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 0});
    BOOST_REQUIRE(r);
    BOOST_REQUIRE_EQUAL(r->ranges.size(), 2u);
    BOOST_CHECK_EQUAL(r->ranges[0].branch, 0u);
    BOOST_CHECK_EQUAL(r->ranges[0].used_end, 7u);
    BOOST_CHECK_EQUAL(r->ranges[1].used_end, 0u);
    BOOST_CHECK_EQUAL(r->ranges[0].xpub, TPUB);
}

namespace {

//! A chain whose tip moves when the test says: getblockchaininfo answers the current height
//! with a hash naming it, and listunspent counts a coin mined at 150 against that height.
struct MovingTip {
    explicit MovingTip(Node& node) {
        node.core.handler("getblockchaininfo", [this](const json::array&) -> std::optional<json::value> {
            auto info = chainInfo();
            info.as_object()["blocks"] = height.load();
            info.as_object()["headers"] = height.load();
            info.as_object()["bestblockhash"] = std::string(56, 'a') + std::to_string(10'000'000 + height.load());
            return info;
        });
        node.core.handler("listunspent", [this](const json::array&) -> std::optional<json::value> {
            auto confirmations = height.load() - 150 + 1;
            if (onListing) onListing();
            return json::array{json::object{{"txid", "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87"},
                                            {"vout", 1},
                                            {"amount", 0.5},
                                            {"confirmations", confirmations},
                                            {"scriptPubKey", "0014751e76e8199196d454941c45d1b3a323f1433bd6"}}};
        });
    }
    std::atomic<int> height{150};
    std::function<void()> onListing;
};

} // namespace

BOOST_AUTO_TEST_CASE(the_tip_reported_is_the_one_the_coins_confirmations_count_from) {
    // A block arrives after the scan started (during the import/rescan), before the listing:
    // the coin mined at 150 has 2 confirmations, so the tip reported must be 151 (tip - conf + 1
    // names the coin's block in NG's extended utxo strings).
    Node node;
    node.wallet.add("wpkh(" + TPUB + "/0/*)", 1000, 0);
    MovingTip chain(node);
    node.core.handler("listwallets", [&](const json::array&) -> std::optional<json::value> {
        chain.height = 151;
        return json::array{"jm-test"};
    });
    Harness h(node.core);
    auto r = scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 0});
    BOOST_REQUIRE_MESSAGE(r, r.error().message);
    BOOST_REQUIRE_EQUAL(r->utxos.size(), 1u);
    BOOST_CHECK_EQUAL(r->tip.height, 151);
    BOOST_CHECK_EQUAL(r->tip.height - r->utxos[0].confirmations + 1, 150);
}

BOOST_AUTO_TEST_CASE(a_block_arriving_during_the_listing_makes_it_list_again) {
    Node node;
    node.wallet.add("wpkh(" + TPUB + "/0/*)", 1000, 0);
    MovingTip chain(node);
    int listings = 0;
    chain.onListing = [&] {
        if (++listings == 1) chain.height = 152; // after listunspent counted against 150
    };
    Harness h(node.core);
    auto r = scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 0});
    BOOST_REQUIRE_MESSAGE(r, r.error().message);
    BOOST_CHECK_EQUAL(node.core.count("listunspent"), 2u);
    BOOST_REQUIRE_EQUAL(r->utxos.size(), 1u);
    BOOST_CHECK_EQUAL(r->tip.height, 152);
    BOOST_CHECK_EQUAL(r->utxos[0].confirmations, 3);

    // Blocks that never stop arriving: a clear error after a few listings, not a wrong height.
    Node busy;
    busy.wallet.add("wpkh(" + TPUB + "/0/*)", 1000, 0);
    MovingTip racing(busy);
    racing.onListing = [&] { ++racing.height; };
    Harness h2(busy.core);
    auto failed = scan(h2, {"jm-test", {{TPUB, 0, 6}}, {}, 0});
    BOOST_REQUIRE(!failed);
    BOOST_CHECK_NE(failed.error().message.find("blocks kept arriving"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(transactions_are_read_with_every_output) {
    Node node;
    const std::string A(64, 'a'), B(64, 'b'), C(64, 'c'), D(64, 'd'), E(64, 'e');
    const std::string ours1 = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
    const std::string ours2 = "bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry";
    json::array txs{// A: 1 BTC received.
                    json::object{{"txid", A},
                                 {"category", "receive"},
                                 {"address", ours1},
                                 {"amount", 1.0},
                                 {"vout", 0},
                                 {"confirmations", 5},
                                 {"time", 100}},
                    // B spends it: 0.1 out, 0.8999 change to ours2 (only include_change lists it), 0.0001 fee.
                    json::object{{"txid", B},
                                 {"category", "send"},
                                 {"address", "bcrt1qxyz"},
                                 {"amount", -0.1},
                                 {"vout", 0},
                                 {"fee", -0.0001},
                                 {"confirmations", 3},
                                 {"time", 200}},
                    json::object{{"txid", B},
                                 {"category", "send"},
                                 {"address", ours2},
                                 {"amount", -0.8999},
                                 {"vout", 1},
                                 {"fee", -0.0001},
                                 {"confirmations", 3},
                                 {"time", 200}},
                    json::object{{"txid", B},
                                 {"category", "receive"},
                                 {"address", ours2},
                                 {"amount", 0.8999},
                                 {"vout", 1},
                                 {"confirmations", 3},
                                 {"time", 200}},
                    // C: replaced in the mempool (its replacement D is there); D: the replacement.
                    json::object{{"txid", C},
                                 {"category", "send"},
                                 {"address", "bcrt1qxyz"},
                                 {"amount", -0.5},
                                 {"vout", 0},
                                 {"fee", -0.0001},
                                 {"confirmations", 0},
                                 {"trusted", false},
                                 {"mempoolconflicts", json::array{D}},
                                 {"time", 300}},
                    json::object{{"txid", D},
                                 {"category", "send"},
                                 {"address", "bcrt1qxyz"},
                                 {"amount", -0.5},
                                 {"vout", 0},
                                 {"fee", -0.0002},
                                 {"confirmations", 0},
                                 {"trusted", true},
                                 {"mempoolconflicts", json::array{}},
                                 {"time", 301}},
                    // E: an immature coinbase, and a conflicted one.
                    json::object{{"txid", E},
                                 {"category", "immature"},
                                 {"address", ours1},
                                 {"amount", 50.0},
                                 {"vout", 0},
                                 {"confirmations", 3},
                                 {"time", 150}},
                    json::object{{"txid", std::string(64, 'f')},
                                 {"category", "send"},
                                 {"address", "bcrt1qxyz"},
                                 {"amount", -0.3},
                                 {"vout", 0},
                                 {"fee", -0.0001},
                                 {"confirmations", -2},
                                 {"time", 90}}};
    node.core.result("listsinceblock", json::object{{"transactions", txs}, {"lastblock", "00"}});
    Harness h(node.core);
    auto r = scan(h, {"jm-test", {{TPUB, 0, 6}}, {}, 0});
    BOOST_REQUIRE(r);
    // listsinceblock with include_change, for every transaction since genesis.
    auto params = node.core.lastCall("listsinceblock").at("params").as_array();
    BOOST_CHECK(params[0].is_null());
    BOOST_CHECK_EQUAL(params[4].as_bool(), true);
    BOOST_CHECK_EQUAL(r->used_scripts.size(), 2u); // the change script included
    std::vector<std::string> ids;
    for (const auto& t : r->history)
        ids.push_back(t.txid.substr(0, 1));
    std::vector<std::string> want{"a", "e", "b", "d"}; // by time; replaced and conflicted left out
    BOOST_CHECK_EQUAL_COLLECTIONS(ids.begin(), ids.end(), want.begin(), want.end());
    BOOST_REQUIRE_EQUAL(r->history.size(), 4u);
    BOOST_CHECK_EQUAL(r->history[2].received, 89'990'000);
    BOOST_CHECK_EQUAL(r->history[2].spent, 100'000'000); // the coin spent, fee included
    BOOST_CHECK_EQUAL(r->history[2].received - r->history[2].spent, -10'010'000);
    BOOST_CHECK(r->history[1].immature);
    BOOST_CHECK(!r->history[0].immature);
}

BOOST_AUTO_TEST_CASE(a_broadcast_of_a_transaction_core_has_is_a_success) {
    // A real transaction (BIP143 example) so its txid is known.
    const std::string hex =
        "0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182"
        "d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f"
        "85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000";
    auto tx = jm::bitcoin::fromHex(hex).value();
    auto txid = jm::bitcoin::parseTransaction(tx).value().txidHex();
    FakeCore core;
    Harness h(core);
    // Mined, its outputs unspent.
    core.error("sendrawtransaction", -27, "Transaction outputs already in utxo set");
    auto sent = h.wait<std::string>([&](auto ex, auto cb) { h.backend->broadcast(tx, ex, cb); });
    BOOST_REQUIRE_MESSAGE(sent.has_value(), (sent ? std::string() : sent.error().message));
    BOOST_CHECK_EQUAL(*sent, txid);
    // Inputs spent, and the node knows the transaction: ours got there first.
    core.error("sendrawtransaction", -25, "bad-txns-inputs-missingorspent");
    core.result("getrawtransaction", json::object{{"txid", json::string(txid)}, {"confirmations", 4}});
    sent = h.wait<std::string>([&](auto ex, auto cb) { h.backend->broadcast(tx, ex, cb); });
    BOOST_REQUIRE(sent);
    BOOST_CHECK_EQUAL(*sent, txid);
    // Inputs spent by another transaction: refused.
    core.error("getrawtransaction", -5, "No such mempool or blockchain transaction");
    sent = h.wait<std::string>([&](auto ex, auto cb) { h.backend->broadcast(tx, ex, cb); });
    BOOST_REQUIRE(!sent);
    BOOST_CHECK(sent.error().code == jm::sdk::errc::rejected);
    BOOST_CHECK_MESSAGE(sent.error().message.find("missingorspent") != std::string::npos, sent.error().message);
    // Resent after a timeout: the second answer counts.
    std::atomic<int> stall{1};
    core.handler("sendrawtransaction", [&](const json::array&) -> std::optional<json::value> {
        if (stall-- > 0) std::this_thread::sleep_for(std::chrono::milliseconds(800));
        return json::string(txid);
    });
    sent = h.wait<std::string>([&](auto ex, auto cb) { h.backend->broadcast(tx, ex, cb); });
    BOOST_REQUIRE_MESSAGE(sent.has_value(), (sent ? std::string() : sent.error().message));
    BOOST_CHECK_EQUAL(*sent, txid);
}

BOOST_AUTO_TEST_SUITE_END()
