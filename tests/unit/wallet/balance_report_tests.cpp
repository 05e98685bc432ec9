// reportBalance: one event per change of the total, none on the first sync or when only
// confirmations moved, the reason from the transactions the record did not know, and a
// damaged record.
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/balance_report.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::wallet;

namespace {

WalletUtxo coin(std::int64_t value, std::uint8_t id, int confirmations = 1) {
    WalletUtxo u;
    u.outpoint.txid[0] = id;
    u.value = value;
    u.confirmations = confirmations;
    return u;
}

jm::chain::WalletTx tx(std::string txid, std::int64_t received, std::int64_t spent) {
    jm::chain::WalletTx t;
    t.txid = std::move(txid);
    t.received = received;
    t.spent = spent;
    return t;
}

SyncResult sync(std::vector<WalletUtxo> utxos, std::vector<jm::chain::WalletTx> history) {
    SyncResult r;
    r.utxos = std::move(utxos);
    r.history = std::move(history);
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(balance_report_tests)

BOOST_AUTO_TEST_CASE(first_sync_records_then_each_change_is_reported_once) {
    jm::sdk::testing::MemoryKvStore store;
    auto first = reportBalance(store, sync({coin(1000, 1)}, {tx("a", 1000, 0)}), "maker");
    BOOST_REQUIRE(first);
    BOOST_CHECK(!first->has_value());
    // The same balance again, only confirmations moved: nothing.
    auto same = reportBalance(store, sync({coin(1000, 1, 6)}, {tx("a", 1000, 0)}), "maker");
    BOOST_REQUIRE(same);
    BOOST_CHECK(!same->has_value());
    // A deposit.
    auto got =
        reportBalance(store, sync({coin(1000, 1), coin(500, 2, 0)}, {tx("a", 1000, 0), tx("b", 500, 0)}), "maker");
    BOOST_REQUIRE(got && got->has_value());
    BOOST_CHECK_EQUAL((*got)->instance, "maker");
    BOOST_CHECK_EQUAL((*got)->balance, 1500);
    BOOST_CHECK_EQUAL((*got)->change, 500);
    BOOST_CHECK_EQUAL((*got)->reason, "received");
    auto again =
        reportBalance(store, sync({coin(1000, 1), coin(500, 2)}, {tx("a", 1000, 0), tx("b", 500, 0)}), "maker");
    BOOST_REQUIRE(again);
    BOOST_CHECK(!again->has_value());
    // A payment: 1000 spent, 300 back as change.
    auto paid = reportBalance(
        store, sync({coin(500, 2), coin(300, 3)}, {tx("a", 1000, 0), tx("b", 500, 0), tx("c", 300, 1000)}), "maker");
    BOOST_REQUIRE(paid && paid->has_value());
    BOOST_CHECK_EQUAL((*paid)->balance, 800);
    BOOST_CHECK_EQUAL((*paid)->change, -700);
    BOOST_CHECK_EQUAL((*paid)->reason, "sent");
}

BOOST_AUTO_TEST_CASE(the_reason_names_the_roles_coinjoins_and_mixtures_stay_unnamed) {
    jm::sdk::testing::MemoryKvStore store;
    BOOST_REQUIRE(reportBalance(store, sync({coin(1000, 1)}, {tx("a", 1000, 0)}), "t"));
    auto own = [](std::string_view txid) { return txid == "cj"; };
    auto cj = reportBalance(store, sync({coin(1003, 2)}, {tx("a", 1000, 0), tx("cj", 1003, 1000)}), "t", own);
    BOOST_REQUIRE(cj && cj->has_value());
    BOOST_CHECK_EQUAL((*cj)->change, 3);
    BOOST_CHECK_EQUAL((*cj)->reason, "CoinJoin");
    // A deposit and a payment between two syncs: no single reason.
    auto mixed = reportBalance(
        store,
        sync({coin(900, 3), coin(50, 4)}, {tx("a", 1000, 0), tx("cj", 1003, 1000), tx("d", 50, 0), tx("e", 900, 1003)}),
        "t", own);
    BOOST_REQUIRE(mixed && mixed->has_value());
    BOOST_CHECK_EQUAL((*mixed)->change, -53);
    BOOST_CHECK_EQUAL((*mixed)->reason, "");
    // A transaction that left the mempool: the balance fell, no new transaction explains it.
    auto dropped = reportBalance(
        store, sync({coin(900, 3)}, {tx("a", 1000, 0), tx("cj", 1003, 1000), tx("e", 900, 1003)}), "t", own);
    BOOST_REQUIRE(dropped && dropped->has_value());
    BOOST_CHECK_EQUAL((*dropped)->change, -50);
    BOOST_CHECK_EQUAL((*dropped)->reason, "");
}

BOOST_AUTO_TEST_CASE(a_damaged_record_is_an_error_then_reset) {
    jm::sdk::testing::MemoryKvStore store;
    BOOST_REQUIRE(store.put("wallet/reported/balance", "12x"));
    auto bad = reportBalance(store, sync({coin(1000, 1)}, {}), "m");
    BOOST_REQUIRE(!bad);
    BOOST_CHECK(bad.error().code == jm::sdk::errc::corrupt_data);
    auto next = reportBalance(store, sync({coin(1200, 1)}, {}), "m");
    BOOST_REQUIRE(next && next->has_value());
    BOOST_CHECK_EQUAL((*next)->change, 200);
    // Values no sync can report are refused and record nothing.
    auto absurd = reportBalance(store, sync({coin(-1, 2)}, {}), "m");
    BOOST_CHECK(!absurd);
    BOOST_CHECK_EQUAL(store.get("wallet/reported/balance").value().value(), "1200");
}

BOOST_AUTO_TEST_SUITE_END()
