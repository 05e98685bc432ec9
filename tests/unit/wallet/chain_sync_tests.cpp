// Wallet sync and plain payments against the SDK's TestChain (a test double of a backend).
#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/protocol/basic_offers.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/sdk/testing/test_chain.hpp>
#include <jm/sdk/testing/test_context.hpp>
#include <jm/wallet/payment.hpp>
#include <jm/wallet/timenumber.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <limits>

using namespace jm::wallet;
using jm::bitcoin::Network;
using jm::sdk::testing::TestChain;

namespace {

WalletOptions regtest() { return {Network::Regtest, DEFAULT_MIXDEPTHS, DEFAULT_GAP_LIMIT, KdfStrength::Interactive}; }

//! Runs a sync to completion on a private io_context.
SyncResult sync(Wallet& wallet, TestChain& chain, int* progress_calls = nullptr) {
    boost::asio::io_context io;
    std::optional<jm::sdk::Result<SyncResult>> out;
    WalletSync::run(
        wallet, chain, {},
        [&](double, const std::string&) {
            if (progress_calls) ++*progress_calls;
        },
        io.get_executor(), [&](jm::sdk::Result<SyncResult> r) { out = std::move(r); });
    io.run();
    BOOST_REQUIRE(out && *out);
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

struct Fixture {
    jm::sdk::testing::MemoryKvStore store;
    Wallet wallet = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 7), "", "pw").value();
    TestChain chain;
    jm::sdk::testing::MemoryKvStore utxo_store;
    UtxoSet utxos{utxo_store};
    jm::bitcoin::Script elsewhere =
        jm::bitcoin::addressToScript("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Network::Regtest).value();
};

} // namespace

BOOST_AUTO_TEST_SUITE(chain_sync_tests)

BOOST_FIXTURE_TEST_CASE(sync_finds_coins_across_mixdepths_and_past_the_gap_when_chained, Fixture) {
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 100'000'000);
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 5), 2'000'000);  // inside the first window
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 10), 3'000'000); // only after index 5 is known
    chain.fund(scriptAt(wallet, 2, BRANCH_INTERNAL, 1), 50'000'000);
    chain.fund(scriptAt(wallet, 4, BRANCH_EXTERNAL, 30), 9'000); // beyond any gap: not found
    chain.fund(wallet.bondAddress(12).value().info.script_pubkey, 7'000'000);
    chain.mine();
    chain.fund(scriptAt(wallet, 1, BRANCH_EXTERNAL, 0), 1'234); // unconfirmed
    int progress = 0;
    auto r = sync(wallet, chain, &progress);
    BOOST_CHECK_GT(progress, 0);
    BOOST_CHECK_GE(r.rounds, 3);
    BOOST_CHECK_EQUAL(balanceOf(r, 0), 100'000'000 + 2'000'000 + 3'000'000 + 7'000'000);
    BOOST_CHECK_EQUAL(balanceOf(r, 1), 1'234);
    BOOST_CHECK_EQUAL(balanceOf(r, 2), 50'000'000);
    BOOST_CHECK_EQUAL(balanceOf(r, 4), 0);
    BOOST_CHECK_EQUAL(wallet.nextIndex(0, BRANCH_EXTERNAL).value(), 11u);
    BOOST_CHECK_EQUAL(wallet.nextIndex(2, BRANCH_INTERNAL).value(), 2u);
    bool bond_found = false;
    for (const auto& u : r.utxos)
        if (u.branch == BRANCH_FIDELITY_BOND) bond_found = u.index == 12 && u.value == 7'000'000;
    BOOST_CHECK(bond_found);
    for (const auto& u : r.utxos)
        if (u.mixdepth == 1) BOOST_CHECK_EQUAL(u.confirmations, 0);
    BOOST_CHECK_EQUAL(r.history.size(), 6u);
}

BOOST_FIXTURE_TEST_CASE(payment_pays_exactly_with_change_to_the_same_mixdepth, Fixture) {
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 5'000'000);
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 1), 3'000'000);
    chain.fund(scriptAt(wallet, 1, BRANCH_EXTERNAL, 0), 9'000'000);
    chain.mine();
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));

    auto payment = buildPayment(wallet, utxos, {0, elsewhere, 6'000'000, 2000});
    BOOST_REQUIRE(payment);
    BOOST_CHECK_EQUAL(payment->inputs.size(), 2u);
    for (const auto& in : payment->inputs)
        BOOST_CHECK_EQUAL(in.mixdepth, 0); // never mixdepth 1's coin
    BOOST_CHECK_EQUAL(payment->tx.outputs[0].value, 6'000'000);
    BOOST_CHECK(payment->tx.outputs[0].script_pubkey == elsewhere);
    BOOST_REQUIRE(payment->change);
    BOOST_CHECK_EQUAL(payment->change->mixdepth, 0);
    BOOST_CHECK_EQUAL(payment->change->branch, BRANCH_INTERNAL);
    BOOST_CHECK_EQUAL(payment->fee, 8'000'000 - 6'000'000 - payment->change_value);
    // The fee matches the rate for the real size (the estimate may only exceed it).
    auto vsize = static_cast<std::int64_t>(payment->tx.vsize());
    BOOST_CHECK_GE(payment->fee, vsize * 2);
    BOOST_CHECK_LE(payment->fee, vsize * 2 + 20);

    BOOST_REQUIRE(commitChange(wallet, *payment));
    BOOST_CHECK_EQUAL(wallet.nextIndex(0, BRANCH_INTERNAL).value(), 1u);
    BOOST_REQUIRE(chain.submit(payment->tx.serialize()));
    chain.mine();
    auto after = sync(wallet, chain);
    BOOST_CHECK_EQUAL(balanceOf(after, 0), payment->change_value);
    BOOST_CHECK_EQUAL(balanceOf(after, 1), 9'000'000);
}

BOOST_FIXTURE_TEST_CASE(sweep_spends_every_coin_of_the_mixdepth_without_change, Fixture) {
    chain.fund(scriptAt(wallet, 3, BRANCH_EXTERNAL, 0), 1'000'000);
    chain.fund(scriptAt(wallet, 3, BRANCH_INTERNAL, 0), 2'000'000);
    chain.mine();
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    auto sweep = buildPayment(wallet, utxos, {3, elsewhere, std::nullopt, 1000});
    BOOST_REQUIRE(sweep);
    BOOST_CHECK(!sweep->change);
    BOOST_CHECK_EQUAL(sweep->tx.outputs.size(), 1u);
    BOOST_CHECK_EQUAL(sweep->amount + sweep->fee, 3'000'000);
    BOOST_REQUIRE(chain.submit(sweep->tx.serialize()));
    chain.mine();
    BOOST_CHECK_EQUAL(balanceOf(sync(wallet, chain), 3), 0);
}

// Review of issue 18: a damaged stored index (2,000,000,000) made a sync derive addresses up to
// it, for days and gigabytes, before Bitcoin Core would refuse the range anyway. Refused at once.
BOOST_FIXTURE_TEST_CASE(a_stored_index_past_what_a_sync_can_scan_is_refused, Fixture) {
    for (auto [key, index] : {std::pair<std::string, std::uint32_t>{"wallet/index/0/0", 2'000'000'000u},
                              {"wallet/index/4/1", MAX_SYNC_INDEX - DEFAULT_GAP_LIMIT + 1}}) {
        jm::sdk::testing::MemoryKvStore damaged;
        auto w = Wallet::create(damaged, regtest(), jm::bitcoin::Bytes(16, 7), "", "pw").value();
        BOOST_REQUIRE(damaged.put(key, std::to_string(index)));
        boost::asio::io_context io;
        std::optional<jm::sdk::Result<SyncResult>> out;
        auto started = std::chrono::steady_clock::now();
        WalletSync::run(w, chain, {}, {}, io.get_executor(),
                        [&](jm::sdk::Result<SyncResult> r) { out = std::move(r); });
        io.run();
        BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
        BOOST_REQUIRE(out && !*out);
        BOOST_CHECK((*out).error().code == jm::sdk::errc::corrupt_data);
        BOOST_CHECK_NE((*out).error().message.find("index " + std::to_string(index) + " is past"), std::string::npos);
    }
}

BOOST_FIXTURE_TEST_CASE(payment_errors, Fixture) {
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 100'000);
    chain.mine();
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    auto too_much = buildPayment(wallet, utxos, {0, elsewhere, 100'000, 1000});
    BOOST_REQUIRE(!too_much);
    BOOST_CHECK(too_much.error().code == jm::sdk::errc::insufficient_funds);
    BOOST_CHECK(!buildPayment(wallet, utxos, {0, elsewhere, 0, 1000}));
    BOOST_CHECK(!buildPayment(wallet, utxos, {0, elsewhere, 1000, 0}));
    BOOST_CHECK(!buildPayment(wallet, utxos, {0, {}, 1000, 1000}));
    BOOST_CHECK(!buildPayment(wallet, utxos, {2, elsewhere, std::nullopt, 1000})); // empty mixdepth
    // A mixdepth the wallet does not have is a wrong argument, not an empty one ("mixdepth 99 has
    // 0 sat spendable" sent users looking for coins).
    for (int bad : {-1, wallet.mixdepths(), 99})
        for (auto amount : {std::optional<std::int64_t>(10'000), std::optional<std::int64_t>()}) {
            auto r = buildPayment(wallet, utxos, {bad, elsewhere, amount, 1000});
            BOOST_REQUIRE(!r);
            BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_argument);
            BOOST_CHECK_NE(r.error().message.find("mixdepth must be 0.." + std::to_string(wallet.mixdepths() - 1)),
                           std::string::npos);
        }
}

BOOST_FIXTURE_TEST_CASE(test_chain_refuses_invalid_transactions, Fixture) {
    auto op = chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 100'000);
    chain.mine();
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    auto payment = buildPayment(wallet, utxos, {0, elsewhere, 50'000, 1000}).value();

    auto tampered = payment.tx;
    tampered.outputs[0].value += 1; // the signature no longer covers it
    auto r = chain.submit(tampered.serialize());
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().message.find("script-verify") != std::string::npos);

    auto no_fee = payment.tx;
    no_fee.outputs[0].value = 100'000 - (no_fee.outputs.size() > 1 ? no_fee.outputs[1].value : 0);
    BOOST_REQUIRE(jm::bitcoin::signP2wpkhInput(no_fee, 0, wallet.privateKey(0, 0, 0).value(), 100'000));
    BOOST_CHECK(!chain.submit(no_fee.serialize()));

    BOOST_REQUIRE(chain.submit(payment.tx.serialize()));
    auto again = chain.submit(payment.tx.serialize());
    BOOST_CHECK(!again); // already known
    auto missing = payment.tx;
    missing.inputs[0].prevout.vout = 7;
    BOOST_CHECK(!chain.submit(missing.serialize()));
    BOOST_CHECK(!chain.submit({0x01, 0x02})); // not a transaction
    (void)op;
}

BOOST_AUTO_TEST_CASE(test_chain_publishes_the_backend_events) {
    jm::sdk::testing::TestContext ctx("wallet");
    TestChain chain(&ctx.bus());
    std::vector<std::string> blocks, statuses;
    auto s1 = ctx.bus().subscribe<jm::sdk::events::BlockConnected>(
        ctx.executor(), [&](const auto& e) { blocks.push_back("block " + std::to_string(e.height)); });
    auto s2 = ctx.bus().subscribe<jm::sdk::events::TxStatusChanged>(ctx.executor(), [&](const auto& e) {
        statuses.push_back(std::string(jm::sdk::events::txStateName(e.state)) + " " + std::to_string(e.confirmations) +
                           (e.reorged ? " reorged" : "") + (e.final ? " final" : ""));
    });

    jm::sdk::testing::MemoryKvStore store;
    auto wallet = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 9), "", "pw").value();
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 100'000);
    chain.mine();
    jm::sdk::testing::MemoryKvStore utxo_store;
    UtxoSet utxos(utxo_store);
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    auto payment = buildPayment(wallet, utxos, {0, scriptAt(wallet, 1, BRANCH_EXTERNAL, 0), 50'000, 1000}).value();
    chain.watchTransaction(payment.tx.txidHex(), 3);
    BOOST_REQUIRE(chain.submit(payment.tx.serialize()));
    chain.mine(2);
    chain.reorg(2);
    chain.mine(3);
    chain.mine();          // past the final depth: nothing more
    ctx.ioContext().run(); // deliver everything queued on the subscribers' strand
    std::vector<std::string> expected_blocks{"block 1", "block 2", "block 3", "block 2",
                                             "block 3", "block 4", "block 5"};
    BOOST_CHECK_EQUAL_COLLECTIONS(blocks.begin(), blocks.end(), expected_blocks.begin(), expected_blocks.end());
    std::vector<std::string> expected{"mempool 0",   "confirmed 1", "confirmed 2",      "mempool 0 reorged",
                                      "confirmed 1", "confirmed 2", "confirmed 3 final"};
    BOOST_CHECK_EQUAL_COLLECTIONS(statuses.begin(), statuses.end(), expected.begin(), expected.end());
}

// Issue 18: a 2 BTC bond beside 0.93 + 0.5 BTC; paying 1.2 BTC must use the ordinary coins.
BOOST_FIXTURE_TEST_CASE(bonds_are_never_spendable_balance_nor_payment_inputs, Fixture) {
    auto bond = wallet.bondAddress(TIMENUMBER_COUNT - 1).value(); // locked until 2099-12
    auto bond_op = chain.fund(bond.info.script_pubkey, 200'000'000);
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 93'000'000);
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 1), 50'000'000);
    chain.mine();
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));

    auto b = utxos.balance(0);
    BOOST_CHECK_EQUAL(b.confirmed, 143'000'000); // what payments and maker offers may use
    BOOST_CHECK_EQUAL(b.bonds, 200'000'000);
    BOOST_CHECK_EQUAL(b.frozen, 0);
    BOOST_CHECK_EQUAL(b.total(), 343'000'000);
    for (const auto& c : utxos.spendable(0))
        BOOST_CHECK(c.branch != BRANCH_FIDELITY_BOND);
    // A maker announces from the confirmed balance: the bond is never liquidity.
    jm::protocol::BasicOfferParams params;
    params.cjfee_r = "0.0002";
    auto offers = jm::protocol::basicOffers({b.confirmed}, params);
    BOOST_REQUIRE_MESSAGE(offers.has_value(), (offers ? "" : offers.error().message));
    BOOST_REQUIRE_EQUAL(offers->size(), 1u);
    BOOST_CHECK_LT((*offers)[0].maxsize, 143'000'000);

    auto payment = buildPayment(wallet, utxos, {0, elsewhere, 120'000'000, 2000});
    BOOST_REQUIRE_MESSAGE(payment.has_value(), (payment ? "" : payment.error().message));
    BOOST_CHECK_EQUAL(payment->inputs.size(), 2u);
    for (const auto& in : payment->tx.inputs)
        BOOST_CHECK(in.prevout != bond_op);
    BOOST_CHECK_EQUAL(payment->tx.outputs[0].value, 120'000'000);
    BOOST_REQUIRE(commitChange(wallet, *payment));
    BOOST_REQUIRE(chain.submit(payment->tx.serialize()));

    // More than the ordinary coins hold is refused even though the bond would cover it.
    auto too_much = buildPayment(wallet, utxos, {0, elsewhere, 150'000'000, 2000});
    BOOST_REQUIRE(!too_much);
    BOOST_CHECK(too_much.error().code == jm::sdk::errc::insufficient_funds);
    // A sweep takes everything but the bond; a frozen bond still counts as a bond.
    auto sweep = buildPayment(wallet, utxos, {0, elsewhere, std::nullopt, 2000});
    BOOST_REQUIRE(sweep);
    BOOST_CHECK_EQUAL(sweep->amount + sweep->fee, 143'000'000);
    BOOST_REQUIRE(utxos.freeze(bond_op));
    BOOST_CHECK_EQUAL(utxos.balance(0).bonds, 200'000'000);
    BOOST_CHECK_EQUAL(utxos.balance(0).frozen, 0);
}

BOOST_FIXTURE_TEST_CASE(dust_payments_are_refused_before_anything_is_built, Fixture) {
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 1'000'000);
    chain.mine();
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    struct Case {
        const char* type;
        jm::bitcoin::Script script;
        std::int64_t dust;
    };
    jm::bitcoin::Hash160 h20{};
    jm::bitcoin::Hash256 h32{};
    h20.fill(0x11);
    h32.fill(0x22);
    // Bitcoin Core's dust limits per output type (3 sat/vB of output + spending input).
    for (const auto& c :
         {Case{"p2wpkh", jm::bitcoin::p2wpkhScript(h20), 294}, Case{"p2wsh", jm::bitcoin::p2wshScript(h32), 330},
          Case{"p2tr", jm::bitcoin::p2trScript(h32), 330}, Case{"p2sh", jm::bitcoin::p2shScript(h20), 540},
          Case{"p2pkh", jm::bitcoin::p2pkhScript(h20), 546}}) {
        BOOST_CHECK_EQUAL(dustLimit(c.script), c.dust);
        auto dust = buildPayment(wallet, utxos, {0, c.script, c.dust - 1, 1000});
        BOOST_REQUIRE(!dust);
        BOOST_CHECK(dust.error().code == jm::sdk::errc::invalid_argument);
        BOOST_CHECK_NE(dust.error().message.find("is dust"), std::string::npos);
        BOOST_CHECK(!checkPaymentAmount(c.script, c.dust - 1));
        BOOST_CHECK(checkPaymentAmount(c.script, c.dust));
        auto ok = buildPayment(wallet, utxos, {0, c.script, c.dust, 1000});
        BOOST_REQUIRE_MESSAGE(ok.has_value(), c.type << ": " << (ok ? "" : ok.error().message));
        BOOST_CHECK_EQUAL(ok->tx.outputs[0].value, c.dust);
    }
    BOOST_CHECK_EQUAL(wallet.nextIndex(0, BRANCH_INTERNAL).value(), 0u); // no change index spent
}

BOOST_FIXTURE_TEST_CASE(amounts_and_rates_near_the_int64_limit_are_refused, Fixture) {
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 1'000'000);
    chain.mine();
    BOOST_REQUIRE(utxos.replace(sync(wallet, chain).utxos));
    for (std::int64_t amount : {std::numeric_limits<std::int64_t>::max(),
                                std::numeric_limits<std::int64_t>::max() - 100, jm::bitcoin::MAX_MONEY + 1}) {
        auto r = buildPayment(wallet, utxos, {0, elsewhere, amount, 1000});
        BOOST_REQUIRE(!r);
        BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_argument);
        BOOST_CHECK_NE(r.error().message.find("21 million BTC"), std::string::npos);
    }
    auto max_money = buildPayment(wallet, utxos, {0, elsewhere, jm::bitcoin::MAX_MONEY, 1000});
    BOOST_REQUIRE(!max_money); // allowed as an amount, but not covered
    BOOST_CHECK(max_money.error().code == jm::sdk::errc::insufficient_funds);
    for (std::int64_t rate : {std::numeric_limits<std::int64_t>::max(), MAX_FEE_RATE + 1}) {
        auto r = buildPayment(wallet, utxos, {0, elsewhere, 10'000, rate});
        BOOST_REQUIRE(!r);
        BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_argument);
        auto sweep = buildPayment(wallet, utxos, {0, elsewhere, std::nullopt, rate});
        BOOST_REQUIRE(!sweep);
    }
    // A backend reporting an impossible value is refused, not summed.
    WalletUtxo lie;
    lie.value = std::numeric_limits<std::int64_t>::max();
    BOOST_CHECK(!utxos.replace({lie}));
    lie.value = -1;
    BOOST_CHECK(!utxos.replace({lie}));
    BOOST_CHECK_EQUAL(utxos.balance(0).confirmed, 1'000'000); // unchanged
}

BOOST_FIXTURE_TEST_CASE(payments_lock_to_the_tip_height_like_core, Fixture) {
    chain.fund(scriptAt(wallet, 0, BRANCH_EXTERNAL, 0), 1'000'000);
    chain.mine(7);
    auto synced = sync(wallet, chain);
    BOOST_REQUIRE(utxos.replace(synced.utxos));
    BOOST_REQUIRE_EQUAL(synced.tip.height, 7);
    auto payment = buildPayment(wallet, utxos, {0, elsewhere, 100'000, 1000, synced.tip.height});
    BOOST_REQUIRE(payment);
    BOOST_CHECK_EQUAL(payment->tx.locktime, 7u);
    for (const auto& in : payment->tx.inputs)
        BOOST_CHECK_EQUAL(in.sequence, 0xfffffffdu); // below final: the locktime is enforced
    // One block ahead is not final yet (the test chain checks as Core does).
    auto early = buildPayment(wallet, utxos, {0, elsewhere, 100'000, 1000, synced.tip.height + 1});
    BOOST_REQUIRE(early);
    auto refused = chain.submit(early->tx.serialize());
    BOOST_REQUIRE(!refused);
    BOOST_CHECK_EQUAL(refused.error().message, "non-final");
    BOOST_REQUIRE(chain.submit(payment->tx.serialize()));
    BOOST_CHECK(!buildPayment(wallet, utxos, {0, elsewhere, 100'000, 1000, -1}));
    BOOST_CHECK(!buildPayment(wallet, utxos, {0, elsewhere, 100'000, 1000, 500'000'000}));
}

BOOST_AUTO_TEST_SUITE_END()
