// The taker against hostile makers: each misbehaves in one way, is cheapest (so the deterministic
// test chooser picks it first) and must end with the taker replacing it and completing with two
// real jmnode makers, or failing cleanly with nothing broadcast and no coin of ours spent.
#include "taker_harness.hpp"

#include <jm/protocol/fidelity_bond.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

using namespace jm::test;

namespace {

struct HostileMarket {
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    std::unique_ptr<HostileMaker> hostile;
    std::unique_ptr<TakerUnderTest> taker;

    explicit HostileMarket(Misbehaviour how, std::size_t honest = 2, boost::json::object taker_config = {},
                           std::string cjfee = "0.00001") {
        for (std::size_t i = 0; i < honest; ++i) {
            MakerOptions options;
            options.directories = {directory.port()};
            // Two mixdepths: coins signed into an abandoned attempt stay locked until they
            // expire, and the maker serves the next attempt from the other mixdepth.
            options.coins = {{0, 100'000'000}, {1, 100'000'000}, {2, 100'000'000}};
            makers.push_back(std::make_unique<MakerUnderTest>(hub, options));
        }
        hostile = std::make_unique<HostileMaker>(hub, directory.port(), how, cjfee);
        TakerOptions options;
        options.directories = {directory.port()};
        options.config = std::move(taker_config);
        taker = std::make_unique<TakerUnderTest>(hub, options);
        hub.mine(6);
        for (auto& m : makers)
            m->start();
        hostile->start();
        taker->start();
    }

    jm::sdk::Result<jm::taker::CoinjoinResult> pay(std::int64_t amount = 10'000'000) {
        auto [address, script] = TakerUnderTest::destination();
        m_destination = script;
        return taker->send({0, amount, false, address, 2});
    }

    //! The CoinJoin went through without the hostile maker, paying the destination exactly.
    void requireReplacedAndCompleted(const jm::sdk::Result<jm::taker::CoinjoinResult>& result,
                                     bool hostile_was_filled = true) {
        BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
        BOOST_CHECK_EQUAL(result->makers, 2u);
        auto tx = jm::bitcoin::parseTransaction(result->raw_tx).value();
        std::int64_t to_destination = 0;
        for (const auto& o : tx.outputs)
            if (o.script_pubkey == m_destination) to_destination += o.value;
        BOOST_CHECK_EQUAL(to_destination, result->cj_amount);
        if (hostile_was_filled) {
            BOOST_CHECK_GE(hostile->fills(), 1);
            BOOST_CHECK_EQUAL(result->attempts, 2);
        }
        // On the chain: the mempool holds it and the honest makers signed it.
        BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
        hub.mine(1);
        for (auto& m : makers)
            BOOST_CHECK(eventually([&] { return m->counters().signed_coinjoins >= 1; }));
    }

    jm::bitcoin::Script m_destination;
};

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_maker_tests)

BOOST_AUTO_TEST_CASE(a_coin_that_does_not_exist_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::NonexistentCoin);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 0); // never shown the transaction
}

BOOST_AUTO_TEST_CASE(a_spent_coin_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::SpentCoin);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 0);
}

BOOST_AUTO_TEST_CASE(a_coin_too_small_for_the_amount_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::TooSmallCoin);
    market.requireReplacedAndCompleted(market.pay(5'000'000));
    BOOST_CHECK_EQUAL(market.hostile->txs(), 0);
}

BOOST_AUTO_TEST_CASE(a_bad_btc_sig_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::BadBtcSig);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 0);
}

BOOST_AUTO_TEST_CASE(an_auth_key_owning_none_of_the_coins_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::ForeignAuthKey);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 0);
}

BOOST_AUTO_TEST_CASE(a_sig_for_another_transaction_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::SigForOtherTx);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 1);
}

BOOST_AUTO_TEST_CASE(a_sig_for_another_input_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::SigForOtherInput);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 1);
}

BOOST_AUTO_TEST_CASE(a_garbage_sig_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::GarbageSig);
    market.requireReplacedAndCompleted(market.pay());
}

BOOST_AUTO_TEST_CASE(a_high_s_sig_that_no_mempool_relays_gets_the_maker_replaced) {
    // Valid by consensus, so a check that normalises S accepts it; Bitcoin Core's policy refuses
    // the CoinJoin, which would stall in broadcast while the maker holds a fixable copy.
    HostileMarket market(Misbehaviour::HighSSig);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 1);
}

BOOST_AUTO_TEST_CASE(a_sig_with_an_undefined_sighash_type_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::UndefinedSighash);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 1);
}

BOOST_AUTO_TEST_CASE(a_maker_calling_every_commitment_blacklisted_is_dropped_after_the_second) {
    // One maker saying "blacklisted" to each fresh commitment must not void every attempt: the
    // first claim rotates the commitment, the second drops the maker, the third attempt completes.
    HostileMarket market(Misbehaviour::BlacklistAtFill, 2, {{"max_attempts", 3}});
    auto result = market.pay();
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 3);
    BOOST_CHECK_EQUAL(market.hostile->fills(), 2);
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 1u);
}

BOOST_AUTO_TEST_CASE(an_offer_raised_after_the_user_approved_the_plan_is_not_paid) {
    // The user approves 2 × 100 sat of maker fees; a chosen maker then raises its fee 300-fold,
    // still within max_cj_fee_rel. The taker must not pay more than was approved.
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<HostileMaker>> hostile;
    for (int i = 0; i < 3; ++i)
        hostile.push_back(std::make_unique<HostileMaker>(hub, directory.port(), Misbehaviour::None));
    TakerOptions options;
    options.directories = {directory.port()};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    for (auto& h : hostile)
        h->start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>> promise;
    std::int64_t approved = -1;
    jm::taker::CoinjoinObserver observer;
    std::thread user; // the user thinks it over off the taker's strand, so the new offer arrives
    observer.confirm = [&](const jm::taker::CoinjoinPlan& plan, std::function<void(bool)> proceed) {
        approved = plan.maker_fees;
        auto nick = plan.makers.front().nick;
        user = std::thread([&hostile, nick, proceed] {
            for (auto& h : hostile)
                if (h->nick() == nick) h->announce("0.003");
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            proceed(true);
        });
    };
    taker.plugin().send({0, 10'000'000, false, address, 2}, observer, taker.ctx().executor(),
                        [&](auto r) { promise.set_value(std::move(r)); });
    auto future = promise.get_future();
    BOOST_REQUIRE(future.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
    auto result = future.get();
    user.join();
    BOOST_CHECK_EQUAL(approved, 2 * 100);
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_LE(result->maker_fees, approved);
}

BOOST_AUTO_TEST_CASE(a_cancel_or_a_changed_offer_after_the_choice_does_not_drop_a_chosen_maker) {
    // Between the choice and the !fill (the user thinking it over) one chosen maker's offer is
    // cancelled and the other's changes in the public book: anyone able to relay a line in its
    // name could do it. The attempt keeps the offers it chose (REF): both makers are filled at
    // the approved terms and the CoinJoin completes at the first attempt, the third maker unused.
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<HostileMaker>> hostile;
    for (int i = 0; i < 3; ++i)
        hostile.push_back(std::make_unique<HostileMaker>(hub, directory.port(), Misbehaviour::None));
    TakerOptions options;
    options.directories = {directory.port()};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    for (auto& h : hostile)
        h->start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>> promise;
    std::int64_t approved = -1;
    std::vector<std::string> chosen;
    jm::taker::CoinjoinObserver observer;
    std::thread user;
    observer.confirm = [&](const jm::taker::CoinjoinPlan& plan, std::function<void(bool)> proceed) {
        approved = plan.maker_fees;
        for (const auto& m : plan.makers)
            chosen.push_back(m.nick);
        user = std::thread([&hostile, chosen, proceed] {
            for (auto& h : hostile) {
                if (h->nick() == chosen.at(0)) h->cancel();
                if (h->nick() == chosen.at(1)) h->announce("0.000005");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            proceed(true);
        });
    };
    taker.plugin().send({0, 10'000'000, false, address, 2}, observer, taker.ctx().executor(),
                        [&](auto r) { promise.set_value(std::move(r)); });
    auto future = promise.get_future();
    BOOST_REQUIRE(future.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
    auto result = future.get();
    user.join();
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 1);
    BOOST_CHECK_EQUAL(result->maker_fees, approved);
    BOOST_REQUIRE_EQUAL(chosen.size(), 2u);
    for (auto& h : hostile) {
        bool was_chosen = std::find(chosen.begin(), chosen.end(), h->nick()) != chosen.end();
        BOOST_CHECK_EQUAL(h->fills(), was_chosen ? 1 : 0);
    }
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
}

BOOST_AUTO_TEST_CASE(a_sweep_amount_outside_a_chosen_offer_gets_that_maker_replaced) {
    // The cheapest maker takes nothing below our whole balance less one satoshi: it passes the
    // first filter (the sweep amount is not known yet) and is chosen, but the sweep amount, net
    // of fees, falls below its minimum. It must be replaced by a maker whose offer covers it,
    // not the run failed.
    ChainHub hub;
    TestDirectory directory;
    HostileMaker picky(hub, directory.port(), Misbehaviour::None, "0.000005");
    HostileMaker a(hub, directory.port(), Misbehaviour::None), b(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    std::int64_t total = 0;
    for (const auto& [mixdepth, value] : options.coins)
        total += mixdepth == 0 ? value : 0;
    picky.setMinsize(total - 1);
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    picky.start();
    a.start();
    b.start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 0, true, address, 2});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 1);
    BOOST_CHECK_LT(result->cj_amount, total - 1);
    BOOST_CHECK_EQUAL(picky.fills(), 0);
    BOOST_CHECK_EQUAL(a.fills() + b.fills(), 2);
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
    BOOST_CHECK_EQUAL(taker.fundedCoinsUnspent(), 0u);
}

BOOST_AUTO_TEST_CASE(a_sweep_with_too_few_makers_covering_its_amount_fails_cleanly) {
    // Two of the three makers cannot take the sweep amount: nothing is filled, nothing spent.
    ChainHub hub;
    TestDirectory directory;
    HostileMaker picky1(hub, directory.port(), Misbehaviour::None, "0.000005");
    HostileMaker picky2(hub, directory.port(), Misbehaviour::None, "0.000006");
    HostileMaker a(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    picky1.setMinsize(80'000'000 - 1);
    picky2.setMinsize(80'000'000 - 1);
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    for (auto* m : {&picky1, &picky2, &a})
        m->start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 0, true, address, 2});
    BOOST_REQUIRE(!result);
    BOOST_CHECK(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::not_found));
    BOOST_TEST_MESSAGE(result.error().message);
    BOOST_CHECK_EQUAL(picky1.fills() + picky2.fills() + a.fills(), 0);
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 0u);
    BOOST_CHECK_EQUAL(taker.fundedCoinsUnspent(), 2u);
}

BOOST_AUTO_TEST_CASE(a_maker_whose_many_inputs_break_the_sweep_fee_is_replaced) {
    // 15 inputs where the sweep amount budgeted 3: the fee for the real counts is off by more
    // than max_sweep_fee_change. The attempt is void, and so must the maker be for the next one,
    // else it is chosen again and every attempt fails the same way.
    HostileMarket market(Misbehaviour::ManyCoins);
    auto [address, script] = TakerUnderTest::destination();
    market.m_destination = script;
    auto result = market.taker->send({0, 0, true, address, 2});
    market.requireReplacedAndCompleted(result);
}

BOOST_AUTO_TEST_CASE(a_maker_whose_many_inputs_outrun_our_coin_is_replaced) {
    // Our only coin covers the amount, the fees and the mining fee budgeted for 3 inputs per
    // maker, with 500 sat to spare; a maker declaring 15 inputs raises the mining fee beyond it.
    // That maker must be replaced, not the whole run failed.
    ChainHub hub;
    TestDirectory directory;
    HostileMaker many(hub, directory.port(), Misbehaviour::ManyCoins, "0.000005");
    HostileMaker a(hub, directory.port(), Misbehaviour::None), b(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    options.coins = {{0, 10'000'000 + 150 + 1'350 + 500}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    many.start();
    a.start();
    b.start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 2);
    BOOST_CHECK_GE(many.fills(), 1);
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
}

BOOST_AUTO_TEST_CASE(silence_at_fill_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::SilentAtFill);
    market.requireReplacedAndCompleted(market.pay());
}

BOOST_AUTO_TEST_CASE(silence_at_auth_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::SilentAtAuth);
    market.requireReplacedAndCompleted(market.pay());
}

BOOST_AUTO_TEST_CASE(silence_at_tx_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::SilentAtTx);
    market.requireReplacedAndCompleted(market.pay());
}

BOOST_AUTO_TEST_CASE(declaring_the_takers_own_coin_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::TakersCoin);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 0);
}

BOOST_AUTO_TEST_CASE(a_duplicate_outpoint_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::DuplicateOutpoint);
    market.requireReplacedAndCompleted(market.pay());
    BOOST_CHECK_EQUAL(market.hostile->txs(), 0);
}

BOOST_AUTO_TEST_CASE(an_error_at_fill_gets_the_maker_replaced) {
    HostileMarket market(Misbehaviour::ErrorAtFill);
    market.requireReplacedAndCompleted(market.pay());
}

BOOST_AUTO_TEST_CASE(a_blacklisted_commitment_rotates_to_the_next_one) {
    // The maker is not at fault for one burnt commitment: it stays eligible, and the next attempt
    // uses another commitment; a second claim drops it, and with max_attempts 2 the run ends
    // cleanly.
    HostileMarket market(Misbehaviour::BlacklistAtFill, 2, {{"max_attempts", 2}});
    auto result = market.pay();
    BOOST_REQUIRE(!result);
    BOOST_CHECK_EQUAL(market.hostile->fills(), 2);
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 0u);
    BOOST_CHECK_EQUAL(market.taker->fundedCoinsUnspent(), 2u);
    // Two different commitments were used, each recorded before its !fill.
    BOOST_CHECK_EQUAL(market.taker->onStrand([&] { return market.taker->plugin().store().usedCount().value(); }), 2u);
    BOOST_CHECK_EQUAL(market.taker->events("taker.failed/1").size(), 1u);
}

BOOST_AUTO_TEST_CASE(an_offer_that_changes_after_the_orderbook_is_not_filled_at_the_new_price) {
    HostileMarket market(Misbehaviour::OfferChanges);
    auto result = market.pay();
    // Its new fee (30 %) is far over the limits: never filled, the two real makers are used.
    market.requireReplacedAndCompleted(result, false);
    BOOST_CHECK_LE(result->maker_fees, 2 * 2000);
}

BOOST_AUTO_TEST_CASE(absurd_fees_are_never_chosen_and_too_few_makers_fail_cleanly) {
    HostileMarket market(Misbehaviour::None, 1, {}, "0.2");
    auto result = market.pay();
    BOOST_REQUIRE(!result);
    BOOST_CHECK(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::not_found));
    BOOST_CHECK_EQUAL(market.hostile->fills(), 0);
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 0u);
    BOOST_CHECK_EQUAL(market.taker->fundedCoinsUnspent(), 2u);
    auto failed = market.taker->events("taker.failed/1");
    BOOST_REQUIRE_EQUAL(failed.size(), 1u);
    BOOST_TEST_MESSAGE(failed.front().at("reason").as_string());
}

BOOST_AUTO_TEST_CASE(a_hostile_maker_in_every_attempt_ends_cleanly_with_nothing_broadcast) {
    HostileMarket market(Misbehaviour::SigForOtherTx, 1, {{"max_attempts", 1}});
    auto result = market.pay();
    BOOST_REQUIRE(!result);
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 0u);
    BOOST_CHECK_EQUAL(market.taker->fundedCoinsUnspent(), 2u);
}

BOOST_AUTO_TEST_CASE(forged_bond_proofs_count_for_nothing_and_real_ones_are_valued) {
    ChainHub hub;
    TestDirectory directory;
    HostileMaker forged(hub, directory.port(), Misbehaviour::None);
    HostileMaker wrong_nick(hub, directory.port(), Misbehaviour::None);
    HostileMaker real(hub, directory.port(), Misbehaviour::None);
    auto utxo_key = jm::bitcoin::PrivateKey::generate();
    const std::uint32_t locktime = 1'900'000'000; // 2030
    auto bond_script = jm::bitcoin::p2wshScript(jm::bitcoin::timelockScript(locktime, utxo_key.publicKey()));
    auto bond = hub.chain().fund(bond_script, 50'000'000);
    jm::bitcoin::Hash256 txid_display;
    std::reverse_copy(bond.txid.begin(), bond.txid.end(), txid_display.begin());
    auto proofFor = [&](const std::string& taker, const std::string& maker, jm::bitcoin::Hash256 txid) {
        auto p = jm::protocol::createBondProof(utxo_key, jm::bitcoin::PrivateKey::generate(), 10, taker, maker, txid,
                                               bond.vout, locktime);
        return jm::protocol::serializeBondProof(p).value();
    };
    auto missing = txid_display;
    missing[0] ^= 1;
    forged.setBondProof([&](const std::string& taker) { return proofFor(taker, forged.nick(), missing); });
    wrong_nick.setBondProof(
        [&](const std::string&) { return proofFor("J5someoneelse", wrong_nick.nick(), txid_display); });
    real.setBondProof([&](const std::string& taker) { return proofFor(taker, real.nick(), txid_display); });
    TakerOptions options;
    options.directories = {directory.port()};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    forged.start();
    wrong_nick.start();
    real.start();
    taker.start();
    auto book = taker.orderbook();
    BOOST_REQUIRE_MESSAGE(book, (book ? "" : book.error().message));
    std::map<std::string, double> values;
    for (const auto& e : *book)
        values[e.counterparty] = e.bond_value;
    BOOST_REQUIRE_EQUAL(values.size(), 3u);
    BOOST_CHECK_EQUAL(values[forged.nick()], 0.0);
    BOOST_CHECK_EQUAL(values[wrong_nick.nick()], 0.0);
    BOOST_CHECK_GT(values[real.nick()], 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(taker_crash_tests)

BOOST_AUTO_TEST_CASE(a_taker_killed_mid_round_never_reuses_its_commitment_and_keeps_its_change_index) {
    // The hostile maker never signs: the taker is killed (no stop()) while it waits for the
    // signatures, after it revealed its commitment (!auth) and its change address (!tx).
    HostileMarket market(Misbehaviour::SilentAtTx, 2, {{"maker_timeout", "30s"}});
    auto [address, script] = TakerUnderTest::destination();
    auto pending = market.taker->sendAsync({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(eventually([&] { return market.hostile->txs() == 1; }, std::chrono::seconds(20)));
    auto first = market.taker->onStrand([&] { return market.taker->plugin().store().usedCount().value(); });
    BOOST_CHECK_EQUAL(first, 1u);
    market.taker->crash();
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 0u);
    {
        // The change index handed out in !tx is on disk.
        auto wallet = jm::wallet::Wallet::open(market.taker->ctx().walletStore(), "password").value();
        BOOST_CHECK_GE(wallet.nextIndex(0, jm::wallet::BRANCH_INTERNAL).value(), 1u);
    }
    // Restarted: a fresh commitment (the makers refuse a used one), and the CoinJoin completes
    // with the two real makers once the hostile one is dropped.
    market.taker->config()["maker_timeout"] = "1500ms";
    market.taker->start();
    auto result = market.taker->send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(market.taker->onStrand([&] { return market.taker->plugin().store().usedCount().value(); }),
                      first + result->attempts);
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 1u);
    // Its change went to a later address: the one revealed before the crash is never reused.
    auto tx = jm::bitcoin::parseTransaction(result->raw_tx).value();
    market.taker->stop();
    auto wallet = jm::wallet::Wallet::open(market.taker->ctx().walletStore(), "password").value();
    auto revealed = wallet.addressAt(0, jm::wallet::BRANCH_INTERNAL, 0).value();
    for (const auto& o : tx.outputs)
        BOOST_CHECK(o.script_pubkey != revealed.script_pubkey);
    BOOST_CHECK_GE(wallet.nextIndex(0, jm::wallet::BRANCH_INTERNAL).value(), 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// The makers that fail a run are reported to the caller (CoinjoinObserver::on_failed and the
// taker.failed/1 event), and a run told to avoid them (CoinjoinRequest::avoid) never asks them:
// what the tumbler's retries rely on.
BOOST_AUTO_TEST_SUITE(taker_avoid_tests)

BOOST_AUTO_TEST_CASE(the_makers_that_failed_a_run_are_reported_and_a_run_avoiding_them_never_asks_them) {
    // The silent maker is the cheapest: the test chooser takes it first. One attempt only, so
    // the run fails with it (the other chosen maker answered and is no failure).
    HostileMarket market(Misbehaviour::SilentAtAuth, 2, {{"max_attempts", 1}, {"maker_timeout", "3s"}});
    auto [address, script] = TakerUnderTest::destination();
    auto first = market.taker->send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!first);
    BOOST_CHECK_EQUAL(market.hostile->fills(), 1);
    auto failures = market.taker->failures();
    BOOST_REQUIRE_EQUAL(failures.size(), 1u);
    BOOST_CHECK_EQUAL(failures[0].reason, first.error().message);
    BOOST_CHECK_EQUAL(failures[0].attempts, 1);
    BOOST_REQUIRE_EQUAL(failures[0].makers.size(), 1u);
    BOOST_CHECK_EQUAL(failures[0].makers[0].nick, market.hostile->nick());
    BOOST_CHECK_EQUAL(failures[0].makers[0].stage, "auth");
    BOOST_CHECK_EQUAL(failures[0].makers[0].attempt, 1);
    BOOST_CHECK_MESSAGE(failures[0].makers[0].reason.find("!ioauth") != std::string::npos,
                        failures[0].makers[0].reason);
    // The same in the event notifiers see.
    auto events = market.taker->events("taker.failed/1");
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    const auto& listed = events[0].at("failed_makers").as_array();
    BOOST_REQUIRE_EQUAL(listed.size(), 1u);
    BOOST_CHECK_EQUAL(listed[0].at("nick").as_string(), market.hostile->nick());
    BOOST_CHECK_EQUAL(listed[0].at("stage").as_string(), "auth");
    BOOST_CHECK_EQUAL(listed[0].at("attempt").as_int64(), 1);

    // Told to avoid it, the run never fills it, although the chooser would take it first, and
    // completes with the two real makers; success reports no failure.
    jm::taker::CoinjoinRequest retry{0, 10'000'000, false, address, 2};
    retry.avoid = {market.hostile->nick()};
    auto second = market.taker->send(retry);
    BOOST_REQUIRE_MESSAGE(second, (second ? "" : second.error().message));
    BOOST_CHECK_EQUAL(second->attempts, 1);
    BOOST_CHECK_EQUAL(market.hostile->fills(), 1);
    BOOST_REQUIRE_EQUAL(second->maker_nicks.size(), 2u);
    std::set<std::string> in_tx(second->maker_nicks.begin(), second->maker_nicks.end());
    std::set<std::string> honest;
    for (auto& m : market.makers)
        honest.insert(m->nick());
    BOOST_CHECK(in_tx == honest);
    BOOST_CHECK_EQUAL(market.taker->failures().size(), 1u);
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 1u);
}

BOOST_AUTO_TEST_CASE(a_signed_coinjoin_that_vanished_unconfirmed_is_voided_by_the_next_one) {
    // A CoinJoin signed and handed out that leaves the mempool unconfirmed (evicted, or kept by
    // the maker given the !push) can still be broadcast by whoever holds it. The taker's next
    // CoinJoin (the tumbler's retry pays the same destination) must spend a coin of it, or both
    // could confirm.
    HostileMarket market(Misbehaviour::None, 2);
    const auto& funded = market.taker->funded(); // 50M and 30M satoshis
    auto ours = [&](const std::vector<std::uint8_t>& raw) {
        std::set<jm::bitcoin::OutPoint> out;
        for (const auto& in : jm::bitcoin::parseTransaction(raw).value().inputs)
            if (std::find(funded.begin(), funded.end(), in.prevout) != funded.end()) out.insert(in.prevout);
        return out;
    };
    auto first = market.taker->send({0, 20'000'000, false, TakerUnderTest::destination().first, 2});
    BOOST_REQUIRE_MESSAGE(first, (first ? "" : first.error().message));
    auto first_coins = ours(first->raw_tx);
    BOOST_REQUIRE_EQUAL(first_coins.size(), 1u); // the 30M coin covers it alone
    BOOST_REQUIRE(market.hub.chain().drop(first->txid).has_value());
    // The 50M coin alone covers this one: without the rule the two would share no coin of ours.
    auto second = market.taker->send({0, 40'000'000, false, TakerUnderTest::destination().first, 2});
    BOOST_REQUIRE_MESSAGE(second, (second ? "" : second.error().message));
    auto second_coins = ours(second->raw_tx);
    BOOST_CHECK_EQUAL(second_coins.size(), 2u);
    BOOST_CHECK_EQUAL(second_coins.count(*first_coins.begin()), 1u);
    // Confirmed, it leaves the first no way onto the chain.
    market.hub.mine(1);
    BOOST_CHECK(!market.hub.chain().submit(first->raw_tx).has_value());
}

BOOST_AUTO_TEST_CASE(a_makers_error_text_is_passed_on_without_control_characters) {
    // The maker's !error carries escape sequences; its words reach the failure message, the
    // taker.failed/1 event and (through the tumbler's plan) the user's terminal.
    HostileMarket market(Misbehaviour::ErrorAtFill, 2, {{"max_attempts", 1}});
    auto [address, script] = TakerUnderTest::destination();
    auto result = market.taker->send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!result);
    auto failures = market.taker->failures();
    BOOST_REQUIRE_EQUAL(failures.size(), 1u);
    BOOST_REQUIRE_EQUAL(failures[0].makers.size(), 1u);
    BOOST_CHECK_EQUAL(failures[0].makers[0].nick, market.hostile->nick());
    BOOST_CHECK_EQUAL(failures[0].makers[0].reason, "!error: oid not found?[2J?]0;pwned?");
    auto printable = [](const std::string& s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
    };
    BOOST_CHECK_MESSAGE(printable(result.error().message), result.error().message);
    BOOST_CHECK(result.error().message.find("oid not found?[2J") != std::string::npos);
    auto events = market.taker->events("taker.failed/1");
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_CHECK(printable(std::string(events[0].at("reason").as_string())));
}

BOOST_AUTO_TEST_CASE(too_few_makers_left_after_avoiding_fails_saying_how_many_were_excluded) {
    HostileMarket market(Misbehaviour::None, 2);
    auto [address, script] = TakerUnderTest::destination();
    // Three makers in the book, three needed, one of them (and a nick not in the book) avoided.
    jm::taker::CoinjoinRequest request{0, 10'000'000, false, address, 3};
    request.avoid = {market.hostile->nick(), "J5nobodyhere1234"};
    auto result = market.taker->send(request);
    BOOST_REQUIRE(!result);
    BOOST_CHECK(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::not_found));
    const auto& message = result.error().message;
    BOOST_CHECK_MESSAGE(message.find("only 2 maker(s) qualify after excluding 1 maker(s) of the orderbook the "
                                     "request asked to avoid (2 on its avoid list") != std::string::npos,
                        message);
    BOOST_CHECK_MESSAGE(message.find("3 needed") != std::string::npos, message);
    // Nothing revealed: no !fill to anyone, no commitment used, nothing broadcast.
    BOOST_CHECK_EQUAL(market.hostile->fills(), 0);
    BOOST_CHECK_EQUAL(market.taker->onStrand([&] { return market.taker->plugin().store().usedCount().value(); }), 0u);
    BOOST_CHECK_EQUAL(market.hub.chain().mempoolSize(), 0u);
    auto failures = market.taker->failures();
    BOOST_REQUIRE_EQUAL(failures.size(), 1u);
    BOOST_CHECK(failures[0].makers.empty());
    BOOST_CHECK_EQUAL(failures[0].reason, message);
}

BOOST_AUTO_TEST_SUITE_END()
