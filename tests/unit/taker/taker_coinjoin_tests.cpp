// Complete CoinJoins of the real taker with real jmnode makers over a real directory, on the SDK
// test chain (which checks every signature and the fee): payments and sweeps with 3 and 10
// makers, and what the taker persists and publishes.
#include "taker_harness.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/podle.hpp>
#include <jm/protocol/utxo_string.hpp>

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace jm::test;

namespace {

//! A market: a directory and `n` real makers, mined and started.
struct Market {
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    explicit Market(std::size_t n, std::vector<std::pair<int, std::int64_t>> coins = {{0, 100'000'000}}) {
        for (std::size_t i = 0; i < n; ++i) {
            MakerOptions options;
            options.directories = {directory.port()};
            options.coins = coins;
            makers.push_back(std::make_unique<MakerUnderTest>(hub, options));
        }
    }
    void startMakers() {
        for (auto& m : makers)
            m->start();
    }
};

std::optional<jm::chain::TxOutInfo> outputOf(ChainHub& hub, const std::string& txid_hex, std::uint32_t vout) {
    boost::asio::io_context ioc;
    std::optional<jm::chain::TxOutInfo> out;
    jm::bitcoin::OutPoint op;
    auto bytes = jm::bitcoin::fromHex(txid_hex).value();
    std::reverse_copy(bytes.begin(), bytes.end(), op.txid.begin());
    op.vout = vout;
    hub.chain().getTxOut(op, ioc.get_executor(), [&](auto r) {
        if (r) out = *r;
    });
    ioc.run();
    return out;
}

//! The value the transaction pays `script`.
std::int64_t paidTo(const std::vector<std::uint8_t>& raw, const jm::bitcoin::Script& script) {
    auto tx = jm::bitcoin::parseTransaction(raw).value();
    std::int64_t total = 0;
    for (const auto& o : tx.outputs)
        if (o.script_pubkey == script) total += o.value;
    return total;
}

} // namespace

BOOST_AUTO_TEST_SUITE(taker_coinjoin_tests)

BOOST_AUTO_TEST_CASE(a_payment_with_three_jmnode_makers_confirms) {
    Market market(3);
    TakerOptions options;
    options.directories = {market.directory.port()};
    options.config = {{"makers", 3}, {"minimum_makers", 3}, {"wait_confirmations", 1}};
    TakerUnderTest taker(market.hub, options);
    market.hub.mine(6);
    market.startMakers();
    taker.start();

    auto [address, script] = TakerUnderTest::destination();
    const std::int64_t amount = 20'000'000;
    std::thread miner([&] {
        // Confirms the CoinJoin once it is in the mempool.
        eventually([&] { return market.hub.chain().mempoolSize() > 0; }, std::chrono::seconds(30));
        market.hub.mine(1);
    });
    auto result = taker.send({0, amount, false, address, 3});
    miner.join();
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK(result->confirmed);
    BOOST_CHECK_EQUAL(result->makers, 3u);
    BOOST_CHECK_EQUAL(result->attempts, 1);
    BOOST_CHECK_EQUAL(paidTo(result->raw_tx, script), amount);
    // Each maker nets 0.0002 × amount − 300 (the basic yield generator's offer).
    BOOST_CHECK_EQUAL(result->maker_fees, 3 * (4000 - 300));
    auto tx = jm::bitcoin::parseTransaction(result->raw_tx).value();
    for (std::uint32_t i = 0; i < tx.outputs.size(); ++i)
        BOOST_CHECK(outputOf(market.hub, result->txid, i)); // mined, unspent
    // 3 makers × (cj + change) + destination + our change.
    BOOST_CHECK_EQUAL(tx.outputs.size(), 8u);
    BOOST_CHECK_EQUAL(
        std::count_if(tx.outputs.begin(), tx.outputs.end(), [&](const auto& o) { return o.value == amount; }), 4);
    // Every maker saw it; the taker published its stages and the completion.
    for (auto& m : market.makers)
        BOOST_CHECK(eventually([&] { return !m->events("role.coinjoin_completed/1").empty(); }));
    auto completed = taker.events("role.coinjoin_completed/1");
    BOOST_REQUIRE_EQUAL(completed.size(), 1u);
    BOOST_CHECK_EQUAL(completed.front().at("role").as_string(), "taker");
    // /2 carries what the CoinJoin cost the taker: the makers' net fees and the whole mining fee
    // (the makers' txfee shares came out of the fees it paid them), i.e. all that left its
    // wallet besides the amount.
    auto completed_v2 = taker.events("role.coinjoin_completed/2");
    BOOST_REQUIRE_EQUAL(completed_v2.size(), 1u);
    BOOST_CHECK_EQUAL(completed_v2.front().at("txid").as_string(), result->txid);
    BOOST_CHECK_EQUAL(completed_v2.front().at("fee").to_number<std::int64_t>(),
                      result->maker_fees + result->mining_fee);
    BOOST_CHECK_EQUAL(result->mining_fee, result->taker_mining_fee + 3 * 300); // the makers' txfees
    for (auto& m : market.makers) {
        auto earned = m->events("role.coinjoin_completed/2");
        BOOST_REQUIRE_EQUAL(earned.size(), 1u);
        BOOST_CHECK_EQUAL(earned.front().at("fee").to_number<std::int64_t>(), 4000 - 300);
    }
    std::vector<std::string> names;
    for (const auto& e : taker.events("taker.stage/1"))
        names.emplace_back(e.at("stage").as_string());
    std::vector<std::string> expected{"orderbook",  "chosen",    "fill", "auth",     "tx",
                                      "signatures", "broadcast", "seen", "confirmed"};
    BOOST_CHECK_EQUAL_COLLECTIONS(names.begin(), names.end(), expected.begin(), expected.end());
    BOOST_CHECK_EQUAL(taker.stages().size(), expected.size());
    // The commitment is recorded as used.
    BOOST_CHECK_EQUAL(taker.onStrand([&] { return taker.plugin().store().usedCount().value(); }), 1u);
}

BOOST_AUTO_TEST_CASE(a_sweep_with_three_jmnode_makers_empties_the_mixdepth) {
    Market market(3);
    TakerOptions options;
    options.directories = {market.directory.port()};
    options.config = {{"makers", 3}, {"minimum_makers", 3}};
    TakerUnderTest taker(market.hub, options);
    market.hub.mine(6);
    market.startMakers();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 0, true, address, 3});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    auto tx = jm::bitcoin::parseTransaction(result->raw_tx).value();
    // No change of ours: 3 makers × 2 outputs + the destination; the destination gets the sweep amount.
    BOOST_CHECK_EQUAL(tx.outputs.size(), 7u);
    BOOST_CHECK_EQUAL(paidTo(result->raw_tx, script), result->cj_amount);
    market.hub.mine(1);
    BOOST_CHECK_EQUAL(taker.fundedCoinsUnspent(), 0u); // both coins of mixdepth 0 were spent
    // The sweep amount is REF's: (total − our txfee − abs fees) / (1 + Σ rel fees).
    std::vector<jm::protocol::Offer> offers;
    for (auto& m : market.makers)
        offers.push_back(m->offers().front());
    BOOST_CHECK_GT(result->cj_amount, 80'000'000 - 100'000);
    BOOST_CHECK_LT(result->cj_amount, 80'000'000);
}

BOOST_AUTO_TEST_CASE(ten_jmnode_makers_take_part_in_a_payment) {
    Market market(10, {{0, 50'000'000}});
    TakerOptions options;
    options.directories = {market.directory.port()};
    options.config = {{"makers", 10}, {"minimum_makers", 10}, {"orderbook_quiet", "2s"}};
    TakerUnderTest taker(market.hub, options);
    market.hub.mine(6);
    market.startMakers();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 10});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->makers, 10u);
    BOOST_CHECK_EQUAL(paidTo(result->raw_tx, script), 10'000'000);
    market.hub.mine(1);
    for (auto& m : market.makers)
        BOOST_CHECK(eventually([&] { return !m->events("role.coinjoin_completed/1").empty(); }));
}

BOOST_AUTO_TEST_CASE(two_payments_in_a_row_never_reuse_a_commitment) {
    Market market(2);
    TakerOptions options;
    options.directories = {market.directory.port()};
    TakerUnderTest taker(market.hub, options);
    market.hub.mine(6);
    market.startMakers();
    taker.start();
    std::int64_t first_cost = 0;
    for (int i = 0; i < 2; ++i) {
        auto [address, script] = TakerUnderTest::destination();
        auto result = taker.send({0, 5'000'000, false, address, 2});
        BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
        if (i == 0) {
            auto v2 = taker.events("role.coinjoin_completed/2");
            BOOST_REQUIRE_EQUAL(v2.size(), 1u);
            first_cost = result->cj_amount + v2.front().at("fee").as_int64();
        }
        market.hub.mine(6);
    }
    // The first run's sync recorded the balance; the second's found the first CoinJoin: the
    // payment and the fees its role.coinjoin_completed/2 named left the wallet, told once.
    auto balance = taker.events("wallet.balance_changed/1");
    BOOST_REQUIRE_EQUAL(balance.size(), 1u);
    BOOST_CHECK_EQUAL(balance.front().at("change").as_int64(), -first_cost);
    BOOST_CHECK_EQUAL(balance.front().at("balance").as_int64(), 80'000'000 - first_cost);
    BOOST_CHECK_EQUAL(balance.front().at("reason").as_string(), "CoinJoin");
    BOOST_CHECK_EQUAL(taker.onStrand([&] { return taker.plugin().store().usedCount().value(); }), 2u);
    // The makers saw two different commitments (a reused one would have been refused).
    for (auto& m : market.makers)
        BOOST_CHECK_EQUAL(m->counters().signed_coinjoins, 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(taker_broadcast_tests)

BOOST_AUTO_TEST_CASE(not_self_has_a_jmnode_maker_push_the_coinjoin) {
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    for (int i = 0; i < 2; ++i) {
        MakerOptions options;
        options.directories = {directory.port()};
        makers.push_back(std::make_unique<MakerUnderTest>(hub, options));
    }
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"tx_broadcast", "not-self"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    for (auto& m : makers)
        m->start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
    std::uint64_t pushes = 0;
    for (auto& m : makers)
        pushes += m->counters().pushes;
    BOOST_CHECK_EQUAL(pushes, 1u);
}

BOOST_AUTO_TEST_CASE(random_peer_broadcasts_itself_when_the_chosen_maker_does_not) {
    // Makers that sign but ignore !push: whoever random-peer picks first, the CoinJoin reaches
    // the network (a maker pick is followed by our own broadcast after unconfirm_timeout).
    ChainHub hub;
    TestDirectory directory;
    HostileMaker a(hub, directory.port(), Misbehaviour::None), b(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"tx_broadcast", "random-peer"}, {"unconfirm_timeout", "300ms"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    a.start();
    b.start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
}

BOOST_AUTO_TEST_CASE(not_self_with_makers_that_never_push_gives_up_without_broadcasting_itself) {
    ChainHub hub;
    TestDirectory directory;
    HostileMaker a(hub, directory.port(), Misbehaviour::None), b(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"tx_broadcast", "not-self"}, {"unconfirm_timeout", "100ms"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    a.start();
    b.start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!result);
    BOOST_CHECK(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::timeout));
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(taker_request_tests)

BOOST_AUTO_TEST_CASE(no_reachable_directory_fails_cleanly) {
    ChainHub hub;
    TakerOptions options;
    options.directories = {1}; // nothing listens on port 1
    options.config = {{"orderbook_wait", "300ms"}, {"connect_timeout", "200ms"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!result);
    BOOST_CHECK(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::unavailable));
    BOOST_CHECK_EQUAL(taker.events("taker.failed/1").size(), 1u);
    BOOST_CHECK_EQUAL(taker.onStrand([&] { return taker.plugin().store().usedCount().value(); }), 0u);
}

BOOST_AUTO_TEST_CASE(an_empty_market_ends_the_orderbook_when_the_directory_has_answered) {
    // The directory answers our GETPEERLIST with nobody: no maker can answer, so neither the
    // orderbook nor a CoinJoin waits for the ceiling (30 s here).
    ChainHub hub;
    TestDirectory directory;
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"orderbook_wait", "30s"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    taker.start();
    auto started = std::chrono::steady_clock::now();
    auto book = taker.orderbook();
    BOOST_REQUIRE_MESSAGE(book, (book ? "" : book.error().message));
    BOOST_CHECK(book->empty());
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    started = std::chrono::steady_clock::now();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!result);
    BOOST_CHECK(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::not_found));
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    BOOST_CHECK_EQUAL(taker.onStrand([&] { return taker.plugin().store().usedCount().value(); }), 0u);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused_before_anything_starts) {
    ChainHub hub;
    TakerOptions options;
    options.directories = {1};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto invalid = jm::sdk::make_error_code(jm::sdk::errc::invalid_argument);
    // A mainnet address on a testnet node, dust, a mixdepth the wallet does not have.
    auto r1 = taker.send({0, 10'000'000, false, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 2});
    BOOST_REQUIRE(!r1);
    BOOST_CHECK(r1.error().code == invalid);
    auto r2 = taker.send({0, 100, false, address, 2});
    BOOST_REQUIRE(!r2);
    auto r3 = taker.send({9, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!r3);
    BOOST_CHECK(r3.error().code == invalid);
    BOOST_CHECK(taker.events("taker.stage/1").empty());
}

BOOST_AUTO_TEST_CASE(fewer_makers_than_minimum_makers_is_refused_before_any_commitment_is_spent) {
    // --makers 2 with minimum_makers 3 can never succeed: every attempt would stop at !fill with
    // "2 maker(s) answered" and burn a commitment (REF sendpayment refuses such a count at once).
    ChainHub hub;
    TestDirectory directory;
    HostileMaker a(hub, directory.port(), Misbehaviour::None), b(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"makers", 3}, {"minimum_makers", 3}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    a.start();
    b.start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!result);
    BOOST_CHECK_MESSAGE(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::invalid_argument),
                        result.error().message);
    BOOST_CHECK_EQUAL(a.fills() + b.fills(), 0);
    BOOST_CHECK_EQUAL(taker.onStrand([&] { return taker.plugin().store().usedCount().value(); }), 0u);
}

BOOST_AUTO_TEST_CASE(a_maker_repeating_its_offers_does_not_hold_the_orderbook_open) {
    // A listed nick that never answers keeps "every listed nick answered" false; the quiet
    // period must then end the collection, however often an already-answered maker re-sends.
    ChainHub hub;
    TestDirectory directory;
    HostileMaker silent(hub, directory.port(), Misbehaviour::NoOffers);
    HostileMaker spammer(hub, directory.port(), Misbehaviour::RepeatsOffers);
    HostileMaker honest(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"orderbook_wait", "20s"}, {"orderbook_quiet", "1s"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    silent.start();
    spammer.start();
    honest.start();
    taker.start();
    auto started = std::chrono::steady_clock::now();
    auto book = taker.orderbook();
    auto took = std::chrono::steady_clock::now() - started;
    BOOST_REQUIRE_MESSAGE(book, (book ? "" : book.error().message));
    BOOST_CHECK_EQUAL(book->size(), 2u);
    BOOST_CHECK_MESSAGE(took < std::chrono::seconds(8),
                        "the orderbook took " << std::chrono::duration_cast<std::chrono::seconds>(took).count()
                                              << " s (ceiling 20 s)");
}

BOOST_AUTO_TEST_CASE(a_password_file_others_can_read_or_a_wrong_password_is_refused_at_start) {
    ChainHub hub;
    ScratchDir dir;
    auto write = [&](const char* name, const char* text, std::filesystem::perms perms) {
        auto path = dir.path() / name;
        std::ofstream(path) << text << "\n";
        std::filesystem::permissions(path, perms);
        return path.string();
    };
    using P = std::filesystem::perms;
    auto readable = write("readable", "password", P::owner_read | P::owner_write | P::group_read | P::others_read);
    auto wrong = write("wrong", "not the password", P::owner_read | P::owner_write);
    auto startError = [&](const std::string& file) -> std::string {
        TakerOptions options;
        options.directories = {1};
        options.config = {{"password_file", file}};
        TakerUnderTest taker(hub, options);
        try {
            taker.start();
        } catch (const std::exception& e) {
            return e.what();
        }
        return {};
    };
    auto e1 = startError(readable);
    BOOST_CHECK_MESSAGE(e1.find("chmod 600") != std::string::npos, e1);
    auto e2 = startError(wrong);
    BOOST_CHECK_MESSAGE(!e2.empty(), "a wrong password opened the wallet");
    BOOST_TEST_MESSAGE(e2);
}

BOOST_AUTO_TEST_CASE(the_user_saying_no_stops_before_any_fill) {
    ChainHub hub;
    TestDirectory directory;
    HostileMaker a(hub, directory.port(), Misbehaviour::None), b(hub, directory.port(), Misbehaviour::None);
    TakerOptions options;
    options.directories = {directory.port()};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    a.start();
    b.start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>> promise;
    std::atomic<int> asked{0};
    jm::taker::CoinjoinObserver observer;
    observer.confirm = [&](const jm::taker::CoinjoinPlan& plan, std::function<void(bool)> proceed) {
        ++asked;
        BOOST_CHECK_EQUAL(plan.makers.size(), 2u);
        BOOST_CHECK_EQUAL(plan.cj_amount, 10'000'000);
        BOOST_CHECK_EQUAL(plan.maker_fees, 2 * 100); // 0.00001 × 10 000 000 each, no txfee
        proceed(false);
    };
    taker.plugin().send({0, 10'000'000, false, address, 2}, observer, taker.ctx().executor(),
                        [&](auto r) { promise.set_value(std::move(r)); });
    auto result = promise.get_future().get();
    BOOST_REQUIRE(!result);
    BOOST_CHECK(result.error().code == jm::sdk::make_error_code(jm::sdk::errc::cancelled));
    BOOST_CHECK_EQUAL(asked.load(), 1);
    BOOST_CHECK_EQUAL(a.fills() + b.fills(), 0);
    // Nothing was revealed, so the commitment was not spent either.
    BOOST_CHECK_EQUAL(taker.onStrand([&] { return taker.plugin().store().usedCount().value(); }), 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(taker_commitment_tests)

BOOST_AUTO_TEST_CASE(an_external_commitment_is_used_when_no_wallet_coin_qualifies) {
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    for (int i = 0; i < 2; ++i) {
        MakerOptions options;
        options.directories = {directory.port()};
        makers.push_back(std::make_unique<MakerUnderTest>(hub, options));
    }
    TakerOptions options;
    options.directories = {directory.port()};
    // The makers ask 5 confirmations; ours would need 1000, so no wallet coin can back a commitment.
    options.config = {{"taker_utxo_age", 1000}};
    TakerUnderTest taker(hub, options);
    // A coin outside the wallet, as `jmnode coinjoin add-utxos` would add it.
    auto key = jm::bitcoin::PrivateKey::generate();
    auto outpoint = hub.chain().fund(jm::bitcoin::p2wpkhScript(key.publicKey()), 5'000'000);
    hub.mine(6);
    for (auto& m : makers)
        m->start();
    taker.start();
    auto [address, script] = TakerUnderTest::destination();
    auto none = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE(!none);
    BOOST_CHECK_NE(none.error().message.find("add-utxos"), std::string::npos);

    jm::taker::ExternalCommitment external;
    external.outpoint = outpoint;
    for (int i = 0; i < 3; ++i) {
        auto proof = jm::protocol::generatePodle(key, jm::protocol::formatUtxoString({outpoint, {}, {}}), i).value();
        external.commitments.push_back(jm::protocol::podleCommitment(proof));
        external.openings.push_back(jm::protocol::formatRevelation(proof));
    }
    std::promise<jm::sdk::Result<std::size_t>> added;
    taker.plugin().addExternalCommitments({external}, taker.ctx().executor(),
                                          [&](auto r) { added.set_value(std::move(r)); });
    BOOST_REQUIRE_EQUAL(added.get_future().get().value(), 1u);
    auto result = taker.send({0, 10'000'000, false, address, 2});
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    // Index 0 of the external coin was used, and recorded.
    BOOST_CHECK(taker.onStrand([&] { return taker.plugin().store().isUsed(external.commitments[0]).value(); }));
    BOOST_CHECK(!taker.onStrand([&] { return taker.plugin().store().isUsed(external.commitments[1]).value(); }));
}

BOOST_AUTO_TEST_SUITE_END()
