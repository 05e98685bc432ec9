#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/utxo_set.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::wallet;

namespace {
WalletUtxo coin(int mixdepth, std::int64_t value, int confirmations, std::uint8_t id) {
    WalletUtxo u;
    u.outpoint.txid[0] = id;
    u.outpoint.vout = id;
    u.value = value;
    u.mixdepth = mixdepth;
    u.confirmations = confirmations;
    return u;
}
std::int64_t sum(const std::vector<WalletUtxo>& v) {
    std::int64_t s = 0;
    for (const auto& u : v)
        s += u.value;
    return s;
}
} // namespace

BOOST_AUTO_TEST_SUITE(utxo_set_tests)

BOOST_AUTO_TEST_CASE(balances_split_confirmed_unconfirmed_frozen) {
    jm::sdk::testing::MemoryKvStore store;
    UtxoSet set(store, 1);
    BOOST_REQUIRE(set.replace({coin(0, 1000, 3, 1), coin(0, 500, 0, 2), coin(1, 7000, 10, 3), coin(0, 200, 1, 4)}));
    auto b0 = set.balance(0);
    BOOST_CHECK_EQUAL(b0.confirmed, 1200);
    BOOST_CHECK_EQUAL(b0.unconfirmed, 500);
    BOOST_REQUIRE(set.freeze(coin(0, 0, 0, 1).outpoint));
    b0 = set.balance(0);
    BOOST_CHECK_EQUAL(b0.confirmed, 200);
    BOOST_CHECK_EQUAL(b0.frozen, 1000);
    BOOST_CHECK_EQUAL(b0.total(), 1700);
    BOOST_CHECK_EQUAL(set.balance(1).confirmed, 7000);
    BOOST_CHECK_EQUAL(set.balance(4).total(), 0);
    BOOST_CHECK(!set.freeze(coin(0, 0, 0, 99).outpoint));
}

BOOST_AUTO_TEST_CASE(freeze_marks_survive_a_resync) {
    jm::sdk::testing::MemoryKvStore store;
    {
        UtxoSet set(store);
        BOOST_REQUIRE(set.replace({coin(0, 1000, 3, 1)}));
        BOOST_REQUIRE(set.freeze(coin(0, 0, 0, 1).outpoint));
    }
    UtxoSet again(store);
    BOOST_REQUIRE(again.replace({coin(0, 1000, 4, 1), coin(0, 50, 4, 2)}));
    BOOST_CHECK(again.utxos(0)[0].frozen);
    BOOST_CHECK_EQUAL(again.spendable(0).size(), 1u);
    BOOST_REQUIRE(again.unfreeze(coin(0, 0, 0, 1).outpoint));
    UtxoSet third(store);
    BOOST_REQUIRE(third.replace({coin(0, 1000, 4, 1)}));
    BOOST_CHECK(!third.utxos(0)[0].frozen);
}

BOOST_AUTO_TEST_CASE(selection_stays_in_one_mixdepth_and_skips_frozen_and_unconfirmed) {
    jm::sdk::testing::MemoryKvStore store;
    UtxoSet set(store, 1);
    BOOST_REQUIRE(set.replace(
        {coin(0, 5000, 2, 1), coin(0, 3000, 2, 2), coin(0, 2000, 2, 3), coin(0, 9000, 0, 4), coin(1, 100000, 5, 5)}));
    auto one = set.selectCoins(0, 2500);
    BOOST_REQUIRE(one);
    BOOST_REQUIRE_EQUAL(one->size(), 1u);
    BOOST_CHECK_EQUAL((*one)[0].value, 3000); // the smallest single coin that covers it
    auto several = set.selectCoins(0, 7500);
    BOOST_REQUIRE(several);
    BOOST_CHECK_GE(sum(*several), 7500);
    for (const auto& u : *several)
        BOOST_CHECK_EQUAL(u.mixdepth, 0);
    auto all = set.selectCoins(0, 10000);
    BOOST_REQUIRE(all);
    BOOST_CHECK_EQUAL(sum(*all), 10000);
    auto too_much = set.selectCoins(0, 10001); // mixdepth 1's coin and the unconfirmed one are not used
    BOOST_REQUIRE(!too_much);
    BOOST_CHECK(too_much.error().code == jm::sdk::errc::insufficient_funds);
    BOOST_CHECK_NE(too_much.error().message.find("10000 sat spendable"), std::string::npos);
    BOOST_REQUIRE(set.freeze(coin(0, 0, 0, 2).outpoint));
    auto without_frozen = set.selectCoins(0, 2500);
    BOOST_REQUIRE(without_frozen);
    BOOST_CHECK_EQUAL((*without_frozen)[0].value, 5000);
    BOOST_CHECK(!set.selectCoins(0, 0));
}

BOOST_AUTO_TEST_SUITE_END()
