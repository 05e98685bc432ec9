// Watched transactions over Bitcoin Core's RPC: every chain.tx_status/1 change (seen, confirmed
// at each depth, reorganised, replaced, conflicted, dropped, final), for wallet transactions
// (gettransaction) and others (mempool, blocks searched without -txindex), and unwatching.
#include "fake_core.hpp"

#include <jm/sdk/events.hpp>

using namespace jm::test::core;
using jm::sdk::events::TxStatusChanged;

namespace {

const std::string TXID = "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87";
const std::string OTHER = "1111111111111111111111111111111111111111111111111111111111111111";
const std::string BLOCK_A = "00000000000000000000000000000000000000000000000000000000000000a1";
const std::string BLOCK_B = "00000000000000000000000000000000000000000000000000000000000000b2";

//! The events of one run, as "state depth [reorged] [final] [conflict]" strings.
struct Recorder {
    explicit Recorder(Harness& h) {
        sub = h.ctx.bus().subscribe<TxStatusChanged>(h.ctx.executor(), [this](const TxStatusChanged& e) {
            std::lock_guard lock(mutex);
            auto text = std::string(jm::sdk::events::txStateName(e.state)) + " " + std::to_string(e.confirmations);
            if (e.reorged) text += " reorged";
            if (e.final) text += " final";
            if (!e.conflicting_txid.empty()) text += " by " + e.conflicting_txid.substr(0, 4);
            events.push_back(text);
        });
    }
    std::vector<std::string> all() {
        std::lock_guard lock(mutex);
        return events;
    }
    //! Waits until `n` events arrived (and a few polls more, to catch extra ones).
    std::vector<std::string> waitFor(std::size_t n) {
        for (int i = 0; i < 300 && all().size() < n; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        return all();
    }
    std::mutex mutex;
    std::vector<std::string> events;
    jm::sdk::Subscription sub;
};

void tipAt(FakeCore& core, const std::string& hash, int height) {
    core.result("getbestblockhash", json::string(hash));
    core.result("getblockheader", json::object{{"hash", hash}, {"height", height}, {"confirmations", 1}});
}

json::object walletTx(int confirmations, const std::string& block = "", json::array mempool_conflicts = {},
                      json::array wallet_conflicts = {}) {
    json::object tx{
        {"txid", TXID},
        {"confirmations", confirmations},
        {"walletconflicts", std::move(wallet_conflicts)},
        {"mempoolconflicts", std::move(mempool_conflicts)},
        {"decoded", json::object{{"txid", TXID}, {"vin", json::array{json::object{{"txid", OTHER}, {"vout", 2}}}}}}};
    if (confirmations > 0) {
        tx["blockhash"] = block;
        tx["blockheight"] = block == BLOCK_B ? 201 : 200;
    }
    return tx;
}

//! A backend that scanned a wallet (so gettransaction is asked first).
void scanOnce(FakeCore& core, Harness& h) {
    core.result("getblockchaininfo", chainInfo());
    core.result("listwallets", json::array{"jm-test"});
    core.result("listdescriptors", json::object{{"descriptors", json::array{}}});
    core.result("listunspent", json::array{});
    core.result("listsinceblock", json::object{{"transactions", json::array{}}});
    jm::chain::WatchRequest req{"jm-test", {}, {}, 0};
    BOOST_REQUIRE(h.wait<jm::chain::WalletScan>([&](auto ex, auto cb) { h.backend->scanWallet(req, {}, ex, cb); }));
}

void expect(const std::vector<std::string>& got, const std::vector<std::string>& want) {
    BOOST_CHECK_EQUAL_COLLECTIONS(got.begin(), got.end(), want.begin(), want.end());
}

} // namespace

BOOST_AUTO_TEST_SUITE(core_watch_tests)

BOOST_AUTO_TEST_CASE(a_wallet_transaction_from_mempool_to_final_through_a_reorg) {
    FakeCore core;
    tipAt(core, BLOCK_A, 200);
    core.error("gettransaction", -5, "Invalid or non-wallet transaction id");
    Harness h(core);
    scanOnce(core, h);
    Recorder events(h);
    h.onStrand([&] { return h.backend->start().has_value(); });
    h.backend->watchTransaction(TXID, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_CHECK(events.all().empty()); // not broadcast yet: nothing
    core.result("gettransaction", walletTx(0));
    core.result("getmempoolentry", json::object{{"vsize", 141}});
    events.waitFor(1);
    core.result("gettransaction", walletTx(1, BLOCK_A));
    events.waitFor(2);
    core.result("gettransaction", walletTx(2, BLOCK_A));
    events.waitFor(3);
    core.result("gettransaction", walletTx(0)); // its block was disconnected: back in the mempool
    events.waitFor(4);
    core.result("gettransaction", walletTx(1, BLOCK_B)); // mined again, in another block
    events.waitFor(5);
    core.result("gettransaction", walletTx(3, BLOCK_B));
    auto got = events.waitFor(6);
    expect(got, {"mempool 0", "confirmed 1", "confirmed 2", "mempool 0 reorged", "confirmed 1", "confirmed 3 final"});
    // The watch ended: no more lookups of it.
    auto before = core.count("gettransaction");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_CHECK_EQUAL(core.count("gettransaction"), before);
}

BOOST_AUTO_TEST_CASE(replaced_conflicted_and_dropped_wallet_transactions) {
    FakeCore core;
    tipAt(core, BLOCK_A, 200);
    core.result("gettransaction", walletTx(0));
    core.result("getmempoolentry", json::object{{"vsize", 141}});
    Harness h(core);
    scanOnce(core, h);
    Recorder events(h);
    h.onStrand([&] { return h.backend->start().has_value(); });
    h.backend->watchTransaction(TXID, 2);
    events.waitFor(1);
    // A replacement (bumpfee) took its place in the mempool.
    core.result("gettransaction", walletTx(0, "", json::array{OTHER}));
    events.waitFor(2);
    // The replacement confirmed: Core reports a negative depth.
    core.result("gettransaction", walletTx(-1, "", {}, json::array{OTHER}));
    events.waitFor(3);
    core.result("gettransaction", walletTx(-2, "", {}, json::array{OTHER}));
    auto got = events.waitFor(4);
    expect(got, {"mempool 0", "conflicted 0 by 1111", "conflicted 1 by 1111", "conflicted 2 final by 1111"});

    // Another one leaves the mempool. The wallet has not seen the replacement yet, the mempool
    // has: conflicted. Its input spent in a block the wallet has not processed yet: no news.
    // Its input unspent again: dropped.
    FakeCore core2;
    tipAt(core2, BLOCK_A, 200);
    core2.result("gettransaction", walletTx(0));
    core2.result("getmempoolentry", json::object{{"vsize", 141}});
    Harness h2(core2);
    scanOnce(core2, h2);
    Recorder events2(h2);
    h2.onStrand([&] { return h2.backend->start().has_value(); });
    h2.backend->watchTransaction(TXID, 2);
    events2.waitFor(1);
    core2.error("getmempoolentry", -5, "Transaction not in mempool");
    core2.result("gettxspendingprevout",
                 json::array{json::object{{"txid", OTHER}, {"vout", 2}, {"spendingtxid", std::string(64, '4')}}});
    events2.waitFor(2);
    core2.result("gettxspendingprevout", json::array{json::object{{"txid", OTHER}, {"vout", 2}}});
    core2.result("gettxout", nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    BOOST_CHECK_EQUAL(events2.all().size(), 2u);
    core2.result("gettxout", json::object{{"value", 0.3}, {"confirmations", 9}});
    events2.waitFor(3);
    // Unwatched: no lookups any more.
    h2.backend->unwatchTransaction(TXID);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto before = core2.count("gettransaction");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_CHECK_EQUAL(core2.count("gettransaction"), before);
    expect(events2.all(), {"mempool 0", "conflicted 0 by 4444", "dropped 0"});
}

BOOST_AUTO_TEST_CASE(a_transaction_outside_the_wallet_is_found_in_the_mempool_and_in_blocks) {
    FakeCore core;
    tipAt(core, BLOCK_A, 200);
    core.error("gettransaction", -5, "Invalid or non-wallet transaction id");
    core.result("getrawtransaction",
                json::object{{"txid", TXID}, {"vin", json::array{json::object{{"txid", OTHER}, {"vout", 2}}}}});
    Harness h(core);
    scanOnce(core, h); // a wallet is loaded, but this transaction is not its
    Recorder events(h);
    h.onStrand([&] { return h.backend->start().has_value(); });
    h.backend->watchTransaction(TXID, 2);
    events.waitFor(1);
    // Mined; without -txindex only its block tells.
    core.error("getrawtransaction", -5, "No such mempool transaction. Use -txindex or provide a block hash.");
    core.handler("getblock", [](const json::array& params) -> std::optional<json::value> {
        auto hash = std::string(params.at(0).as_string());
        json::array txs{json::object{{"txid", std::string(64, '2')}, {"vin", json::array{}}}};
        if (hash == BLOCK_B) txs.push_back(json::object{{"txid", TXID}, {"vin", json::array{}}});
        return json::object{{"hash", hash},
                            {"height", hash == BLOCK_B ? 201 : 200},
                            {"previousblockhash", hash == BLOCK_B ? BLOCK_A : std::string(64, '0')},
                            {"tx", std::move(txs)}};
    });
    core.handler("getblockheader", [&](const json::array& params) -> std::optional<json::value> {
        auto hash = std::string(params.at(0).as_string());
        return json::object{{"hash", hash}, {"height", hash == BLOCK_B ? 201 : 200}, {"confirmations", 1}};
    });
    core.result("getbestblockhash", json::string(BLOCK_B));
    events.waitFor(2);
    // A second block on top.
    core.handler("getblockheader", [&](const json::array& params) -> std::optional<json::value> {
        auto hash = std::string(params.at(0).as_string());
        return json::object{
            {"hash", hash}, {"height", hash == BLOCK_B ? 201 : 202}, {"confirmations", hash == BLOCK_B ? 2 : 1}};
    });
    core.result("getbestblockhash", json::string(std::string(64, 'c')));
    auto got = events.waitFor(3);
    expect(got, {"mempool 0", "confirmed 1", "confirmed 2 final"});
}

BOOST_AUTO_TEST_CASE(a_transaction_outside_the_wallet_replaced_in_the_mempool) {
    FakeCore core;
    tipAt(core, BLOCK_A, 200);
    core.result("getrawtransaction",
                json::object{{"txid", TXID}, {"vin", json::array{json::object{{"txid", OTHER}, {"vout", 2}}}}});
    core.result("gettxspendingprevout", json::array{json::object{{"txid", OTHER}, {"vout", 2}}});
    Harness h(core); // no wallet scanned: getrawtransaction only
    Recorder events(h);
    h.onStrand([&] { return h.backend->start().has_value(); });
    h.backend->watchTransaction(TXID, 2);
    events.waitFor(1);
    core.error("getrawtransaction", -5, "No such mempool transaction. Use -txindex or provide a block hash.");
    core.result("gettxspendingprevout",
                json::array{json::object{{"txid", OTHER}, {"vout", 2}, {"spendingtxid", std::string(64, '3')}}});
    auto got = events.waitFor(2);
    expect(got, {"mempool 0", "conflicted 0 by 3333"});
    // Its inputs were asked about.
    auto asked = core.lastCall("gettxspendingprevout").at("params").as_array()[0].as_array();
    BOOST_REQUIRE_EQUAL(asked.size(), 1u);
    BOOST_CHECK_EQUAL(asked[0].at("txid").as_string(), OTHER);
    BOOST_CHECK_EQUAL(asked[0].at("vout").as_int64(), 2);
}

// With -txindex getrawtransaction tells a mined transaction's depth, read after the poll read
// the tip: a block found in between made the height come out one too low, and the next poll
// (which asks the block's header) reported the same block as a reorganisation.
BOOST_AUTO_TEST_CASE(a_block_found_during_a_poll_is_no_reorg_of_a_transaction_outside_the_wallet) {
    FakeCore core;
    tipAt(core, BLOCK_A, 200); // read at the poll's start
    // Answered after block 201 arrived: the transaction is two deep in block 200.
    core.result("getrawtransaction", json::object{{"txid", TXID},
                                                  {"confirmations", 2},
                                                  {"blockhash", BLOCK_B},
                                                  {"vin", json::array{json::object{{"txid", OTHER}, {"vout", 2}}}}});
    core.handler("getblockheader", [](const json::array& params) -> std::optional<json::value> {
        auto hash = std::string(params.at(0).as_string());
        if (hash == BLOCK_B) return json::object{{"hash", hash}, {"height", 200}, {"confirmations", 2}};
        return json::object{{"hash", hash}, {"height", 200}, {"confirmations", 1}};
    });
    Harness h(core);
    std::mutex mutex;
    std::vector<std::int32_t> heights;
    auto sub = h.ctx.bus().subscribe<TxStatusChanged>(h.ctx.executor(), [&](const TxStatusChanged& e) {
        std::lock_guard lock(mutex);
        heights.push_back(e.height);
    });
    Recorder events(h);
    h.onStrand([&] { return h.backend->start().has_value(); });
    h.backend->watchTransaction(TXID, 6);
    events.waitFor(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // a few polls more
    expect(events.all(), {"confirmed 2"});
    std::lock_guard lock(mutex);
    BOOST_REQUIRE_EQUAL(heights.size(), 1u);
    BOOST_CHECK_EQUAL(heights[0], 200);
}

BOOST_AUTO_TEST_CASE(new_blocks_become_bus_events) {
    FakeCore core;
    tipAt(core, BLOCK_A, 150);
    Harness h(core);
    std::mutex mutex;
    std::vector<std::int32_t> heights;
    auto sub = h.ctx.bus().subscribe<jm::sdk::events::BlockConnected>(h.ctx.executor(), [&](const auto& e) {
        std::lock_guard lock(mutex);
        heights.push_back(e.height);
    });
    h.onStrand([&] { return h.backend->start().has_value(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    {
        std::lock_guard lock(mutex);
        BOOST_CHECK(heights.empty()); // the first tip is where we start, not news
    }
    tipAt(core, BLOCK_B, 151);
    for (int i = 0; i < 300; ++i) {
        {
            std::lock_guard lock(mutex);
            if (!heights.empty()) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard lock(mutex);
    BOOST_REQUIRE_EQUAL(heights.size(), 1u);
    BOOST_CHECK_EQUAL(heights[0], 151);
}

BOOST_AUTO_TEST_CASE(unreachable_core_is_published_once_then_its_return) {
    FakeCore core;
    tipAt(core, BLOCK_A, 150);
    Harness h(core);
    std::mutex mutex;
    std::vector<jm::sdk::events::BackendStatus> seen;
    auto sub = h.ctx.bus().subscribe<jm::sdk::events::BackendStatus>(h.ctx.executor(), [&](const auto& e) {
        std::lock_guard lock(mutex);
        seen.push_back(e);
    });
    auto count = [&] {
        std::lock_guard lock(mutex);
        return seen.size();
    };
    auto waitFor = [&](std::size_t n) {
        for (int i = 0; i < 500 && count() < n; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return count() >= n;
    };
    h.onStrand([&] { return h.backend->start().has_value(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_CHECK_EQUAL(count(), 0u); // reachable from the start is not news
    core.status(503);
    BOOST_REQUIRE(waitFor(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // more failed polls: still one event
    BOOST_CHECK_EQUAL(count(), 1u);
    core.status(200);
    BOOST_REQUIRE(waitFor(2));
    std::lock_guard lock(mutex);
    BOOST_CHECK(!seen[0].reachable);
    BOOST_CHECK_EQUAL(seen[0].instance, std::string(h.ctx.instanceName()));
    BOOST_CHECK(!seen[0].detail.empty());
    BOOST_CHECK(seen[1].reachable);
    BOOST_CHECK_EQUAL(seen[1].detail, "");
}

BOOST_AUTO_TEST_SUITE_END()
