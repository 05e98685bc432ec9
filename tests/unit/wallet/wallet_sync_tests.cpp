// WalletSync against the TestChain: the birthday it stores and asks rescans from, windows widened
// to what the backend knows is used (a backend watching ahead, like Bitcoin Core), a restore
// after change was spent again and again, and the TestChain's transaction events (replacement,
// eviction, unwatching).
#include <jm/bitcoin/address.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/sdk/testing/test_chain.hpp>
#include <jm/sdk/testing/test_context.hpp>
#include <jm/wallet/payment.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::wallet;
using jm::bitcoin::Network;
using jm::sdk::testing::TestChain;

namespace {

WalletOptions regtest() { return {Network::Regtest, DEFAULT_MIXDEPTHS, DEFAULT_GAP_LIMIT, KdfStrength::Interactive}; }

SyncResult sync(Wallet& wallet, TestChain& chain, SyncOptions options = {}) {
    boost::asio::io_context io;
    std::optional<jm::sdk::Result<SyncResult>> out;
    WalletSync::run(wallet, chain, options, {}, io.get_executor(),
                    [&](jm::sdk::Result<SyncResult> r) { out = std::move(r); });
    io.run();
    BOOST_REQUIRE(out);
    BOOST_REQUIRE_MESSAGE(out->has_value(), (*out ? std::string() : out->error().message));
    return std::move(**out);
}

std::int64_t balanceOf(const SyncResult& r, int mixdepth) {
    std::int64_t total = 0;
    for (const auto& u : r.utxos)
        if (u.mixdepth == mixdepth) total += u.value;
    return total;
}

jm::bitcoin::Script scriptAt(const Wallet& w, int m, std::uint32_t b, std::uint32_t i) {
    return w.addressAt(m, b, i).value().script_pubkey;
}

const jm::bitcoin::Script ELSEWHERE =
    jm::bitcoin::addressToScript("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Network::Regtest).value();

} // namespace

BOOST_AUTO_TEST_SUITE(wallet_sync_tests)

BOOST_AUTO_TEST_CASE(the_birthday_is_stored_and_later_syncs_rescan_from_it) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 3), "", "pw").value();
    TestChain chain;
    BOOST_CHECK(!wallet.birthday().value()); // recovered: unknown until synced
    auto r = sync(wallet, chain, {130});
    BOOST_CHECK_EQUAL(chain.lastRequest().birthday_height, 130);
    BOOST_CHECK_EQUAL(r.birthday.height, 130);
    BOOST_REQUIRE(wallet.birthday().value());
    BOOST_CHECK_EQUAL(wallet.birthday().value()->height, 130);
    // Without --rescan-from: the stored one, not genesis (the pruned-node failure).
    sync(wallet, chain);
    BOOST_CHECK_EQUAL(chain.lastRequest().birthday_height, 130);
    // A later explicit height replaces it.
    sync(wallet, chain, {90});
    BOOST_CHECK_EQUAL(wallet.birthday().value()->height, 90);
    sync(wallet, chain);
    BOOST_CHECK_EQUAL(chain.lastRequest().birthday_height, 90);
    BOOST_CHECK(!wallet.setBirthday({-1, 0}));
}

BOOST_AUTO_TEST_CASE(a_created_wallet_rescans_from_its_creation_time_and_genesis_is_the_default) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 4), "", "pw").value();
    BOOST_REQUIRE(wallet.setBirthday({0, 1'700'000'000}));
    TestChain chain;
    sync(wallet, chain);
    BOOST_CHECK_EQUAL(chain.lastRequest().birthday_time, 1'700'000'000);
    BOOST_CHECK_EQUAL(wallet.birthday().value()->time, 1'700'000'000);

    jm::sdk::testing::MemoryKvStore other_store;
    auto other = Wallet::create(other_store, regtest(), jm::bitcoin::Bytes(16, 5), "", "pw").value();
    sync(other, chain);
    BOOST_CHECK_EQUAL(chain.lastRequest().birthday_height, 0);
    BOOST_CHECK_EQUAL(chain.lastRequest().birthday_time, 0);
    BOOST_REQUIRE(other.birthday().value());
    // A damaged record is reported, not taken as genesis.
    BOOST_REQUIRE(other_store.put("wallet/birthday", "{\"height\": \"x\"}"));
    BOOST_CHECK(!other.birthday());
}

BOOST_AUTO_TEST_CASE(coins_the_backend_knows_past_the_window_are_counted_everywhere) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 6), "", "pw").value();
    TestChain chain;
    chain.setWatchAhead(1000); // like Bitcoin Core's keypool
    // 0.5 BTC at m1/0/6 while indexes 0-5 are unused: past the first window [0, 6).
    chain.fund(scriptAt(wallet, 1, BRANCH_EXTERNAL, 6), 50'000'000);
    chain.fund(scriptAt(wallet, 2, BRANCH_INTERNAL, 40), 1'000);
    chain.mine();
    auto r = sync(wallet, chain);
    BOOST_CHECK_EQUAL(balanceOf(r, 1), 50'000'000);
    BOOST_CHECK_EQUAL(balanceOf(r, 2), 1'000);
    std::int64_t history = 0;
    for (const auto& t : r.history)
        history += t.received - t.spent;
    BOOST_CHECK_EQUAL(history, 50'001'000); // history and balances agree
    BOOST_CHECK_EQUAL(wallet.nextIndex(1, BRANCH_EXTERNAL).value(), 7u);
    BOOST_CHECK_EQUAL(wallet.nextIndex(2, BRANCH_INTERNAL).value(), 41u);
}

BOOST_AUTO_TEST_CASE(a_restore_after_change_spent_seven_times_finds_everything) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 8), "", "pw").value();
    TestChain chain;
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 100'000'000);
    chain.mine();
    jm::sdk::testing::MemoryKvStore utxo_store;
    UtxoSet utxos(utxo_store);
    // Seven payments from mixdepth 0, each spending the previous change; the last one pays
    // mixdepth 2 (a payment between the wallet's own accounts).
    for (int i = 0; i < 7; ++i) {
        BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
        auto to = i == 6 ? scriptAt(wallet, 2, BRANCH_EXTERNAL, 0) : ELSEWHERE;
        auto payment = buildPayment(wallet, utxos, {0, to, 1'000'000, 2000}).value();
        BOOST_REQUIRE(commitChange(wallet, payment));
        BOOST_REQUIRE(chain.submit(payment.tx.serialize()));
        chain.mine();
    }
    auto before = sync(wallet, chain);
    BOOST_CHECK_EQUAL(wallet.nextIndex(0, BRANCH_INTERNAL).value(), 7u);

    jm::sdk::testing::MemoryKvStore restored_store;
    auto restored = Wallet::create(restored_store, regtest(), jm::bitcoin::Bytes(16, 8), "", "pw").value();
    auto after = sync(restored, chain);
    BOOST_CHECK_EQUAL(balanceOf(after, 0), balanceOf(before, 0));
    BOOST_CHECK_EQUAL(balanceOf(after, 2), 1'000'000);
    BOOST_CHECK_GT(balanceOf(after, 0), 90'000'000);
    BOOST_CHECK_EQUAL(restored.nextIndex(0, BRANCH_INTERNAL).value(), 7u); // no used change offered
    BOOST_CHECK_EQUAL(restored.nextIndex(2, BRANCH_EXTERNAL).value(), 1u);
}

BOOST_AUTO_TEST_CASE(test_chain_events_for_replacement_eviction_and_unwatching) {
    jm::sdk::testing::TestContext ctx("wallet");
    TestChain chain(&ctx.bus());
    std::vector<std::string> statuses;
    auto sub = ctx.bus().subscribe<jm::sdk::events::TxStatusChanged>(ctx.executor(), [&](const auto& e) {
        statuses.push_back(e.txid.substr(0, 6) + " " + std::string(jm::sdk::events::txStateName(e.state)) + " " +
                           std::to_string(e.confirmations) + (e.final ? " final" : "") +
                           (e.conflicting_txid.empty() ? "" : " by " + e.conflicting_txid.substr(0, 6)));
    });
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 9), "", "pw").value();
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 1'000'000);
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 1), 2'000'000);
    chain.mine();
    jm::sdk::testing::MemoryKvStore utxo_store;
    UtxoSet utxos(utxo_store);
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    // A payment, then the same payment with a higher fee (a replacement).
    auto first = buildPayment(wallet, utxos, {0, ELSEWHERE, 500'000, 1000}).value();
    auto bumped = buildPayment(wallet, utxos, {0, ELSEWHERE, 500'000, 5000}).value();
    auto low = buildPayment(wallet, utxos, {0, ELSEWHERE, 500'000, 1000}).value();
    auto a = first.tx.txidHex(), b = bumped.tx.txidHex();
    BOOST_REQUIRE(a != b);
    chain.watchTransaction(a, 2);
    BOOST_REQUIRE(chain.submit(first.tx.serialize()));
    BOOST_REQUIRE(chain.submit(bumped.tx.serialize()));
    BOOST_CHECK(!chain.submit(low.tx.serialize())); // not more fee than the one it would replace
    chain.mine(2);
    // A coin evicted from the mempool: dropped; unwatched: nothing more.
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    auto other = buildPayment(wallet, utxos, {0, ELSEWHERE, 100'000, 1000}).value();
    auto c = other.tx.txidHex();
    chain.watchTransaction(c, 6);
    BOOST_REQUIRE(chain.submit(other.tx.serialize()));
    BOOST_REQUIRE(chain.drop(c));
    BOOST_CHECK(!chain.drop(c));
    chain.unwatchTransaction(c);
    BOOST_REQUIRE(chain.submit(other.tx.serialize()));
    chain.mine();
    ctx.ioContext().run();
    std::vector<std::string> want{a.substr(0, 6) + " mempool 0",
                                  a.substr(0, 6) + " conflicted 0 by " + b.substr(0, 6),
                                  a.substr(0, 6) + " conflicted 1 by " + b.substr(0, 6),
                                  a.substr(0, 6) + " conflicted 2 final by " + b.substr(0, 6),
                                  c.substr(0, 6) + " mempool 0",
                                  c.substr(0, 6) + " dropped 0"};
    BOOST_CHECK_EQUAL_COLLECTIONS(statuses.begin(), statuses.end(), want.begin(), want.end());
}

BOOST_AUTO_TEST_SUITE_END()
