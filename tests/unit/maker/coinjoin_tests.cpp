// Complete CoinJoins between the real maker and a scripted taker over a real directory, on the
// SDK test chain (which checks every signature and the fee): one taker, several at once, and
// what the maker does afterwards (earnings, events, new offers).
#include "maker_harness.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace jm::test;

namespace {

jm::protocol::Offer offerFrom(const Received& r) {
    auto commands = jm::protocol::splitCommands(r.command + " " + r.text).value();
    return jm::protocol::parseOffer(commands.front()).value();
}

} // namespace

BOOST_AUTO_TEST_SUITE(maker_coinjoin_tests)

BOOST_AUTO_TEST_CASE(a_taker_completes_a_coinjoin_and_the_maker_is_paid) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions options;
    options.directories = {directory.port()};
    MakerUnderTest maker(hub, options);
    hub.mine(1);
    maker.start();
    BOOST_REQUIRE_EQUAL(maker.offers().size(), 1u);
    BOOST_CHECK_EQUAL(maker.offers().front().maxsize, 100'000'000 - 27'300);

    ScriptedTaker taker(hub, directory.port());
    taker.sendPublic("orderbook");
    auto listed = taker.waitFor(maker.nick(), "sw0reloffer");
    BOOST_REQUIRE(listed);
    auto offer = offerFrom(*listed);
    BOOST_CHECK(offer == maker.offers().front());

    const std::int64_t amount = 20'000'000;
    auto done = completeCoinjoin(hub, taker, {&maker}, amount);
    BOOST_CHECK_EQUAL(done.fee, 4000 - 300); // 0.0002 x 20 000 000, less the txfee contribution
    hub.mine(1);

    // Seen, recorded, and the offers follow the new balances: the change (1e8 - 2e7 - 300 +
    // 4000) stayed in mixdepth 0, the CoinJoin output went to mixdepth 1 (6e7 + 2e7).
    BOOST_CHECK(eventually([&] { return !maker.events("role.coinjoin_completed/1").empty(); }));
    auto completed = maker.events("role.coinjoin_completed/1");
    BOOST_REQUIRE_EQUAL(completed.size(), 1u);
    BOOST_CHECK_EQUAL(completed.front().at("txid").as_string(), done.txid);
    BOOST_CHECK_EQUAL(completed.front().at("role").as_string(), "maker");
    BOOST_CHECK(eventually([&] { return maker.offers().front().maxsize == 80'003'700 - 27'300; }));
    BOOST_CHECK(eventually([&] { return maker.lockedCoins() == 0; }));
    BOOST_CHECK_EQUAL(maker.events("maker.session_started/1").size(), 1u);
    BOOST_CHECK(maker.events("maker.session_failed/1").empty());
    BOOST_CHECK(!maker.events("maker.offers_announced/1").empty());
    // The wallet grew by the fee earned, told once (seen, then confirmed: one change), named.
    BOOST_CHECK(eventually([&] { return !maker.events("wallet.balance_changed/1").empty(); }));
    hub.mine(1);
    auto balance = maker.events("wallet.balance_changed/1");
    BOOST_REQUIRE_EQUAL(balance.size(), 1u);
    BOOST_CHECK_EQUAL(balance.front().at("balance").as_int64(), 190'000'000 + done.fee);
    BOOST_CHECK_EQUAL(balance.front().at("change").as_int64(), done.fee);
    BOOST_CHECK_EQUAL(balance.front().at("reason").as_string(), "CoinJoin");
    BOOST_CHECK_EQUAL(balance.front().at("instance").as_string(), std::string(maker.ctx().instanceName()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maker_coinjoin_more_tests)

BOOST_AUTO_TEST_CASE(three_makers_sign_one_coinjoin) {
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    for (int i = 0; i < 3; ++i) {
        MakerOptions o;
        o.directories = {directory.port()};
        makers.push_back(std::make_unique<MakerUnderTest>(hub, o));
    }
    hub.mine(1);
    for (auto& m : makers)
        m->start();
    ScriptedTaker taker(hub, directory.port());
    auto done = completeCoinjoin(hub, taker, {makers[0].get(), makers[1].get(), makers[2].get()}, 30'000'000);
    BOOST_CHECK_EQUAL(done.maker_inputs, 3u);
    hub.mine(1);
    for (auto& m : makers) {
        BOOST_CHECK(eventually([&] { return m->events("role.coinjoin_completed/1").size() == 1; }));
        BOOST_CHECK(eventually([&] { return m->lockedCoins() == 0; }));
    }
}

BOOST_AUTO_TEST_CASE(several_takers_at_once_get_different_coins) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    // Three takers fill at the same time; one coin per mixdepth (1e8, 6e7, 3e7) can pay 2e7 each.
    std::vector<std::unique_ptr<ScriptedTaker>> takers;
    for (int i = 0; i < 3; ++i)
        takers.push_back(std::make_unique<ScriptedTaker>(hub, directory.port()));
    std::vector<CoinjoinOutcome> outcomes(3);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&, i] { outcomes[i] = tryCoinjoin(hub, *takers[i], {&maker}, 20'000'000); });
    for (auto& t : threads)
        t.join();
    std::set<jm::bitcoin::OutPoint> used;
    for (const auto& out : outcomes) {
        BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
        for (const auto& u : out.replies.front().utxos)
            BOOST_CHECK_MESSAGE(used.insert(u.outpoint).second, "a coin was given to two sessions");
    }
    BOOST_CHECK_EQUAL(used.size(), 3u);
    BOOST_CHECK_EQUAL(maker.counters().signed_coinjoins, 3u);
    hub.mine(1);
    BOOST_CHECK(eventually([&] { return maker.events("role.coinjoin_completed/1").size() == 3; }));
}

BOOST_AUTO_TEST_CASE(push_broadcasts_only_the_coinjoin_signed_for_that_taker) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    ScriptedTaker taker(hub, directory.port());
    auto out = tryCoinjoin(hub, taker, {&maker}, 5'000'000, false);
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    auto pool = hub.chain().mempoolSize();
    // Another taker pushing it is ignored; the taker it was signed for gets it broadcast.
    ScriptedTaker other(hub, directory.port());
    auto raw = jm::bitcoin::toBase64(out.plan.tx.serialize());
    other.sendPrivate(maker.nick(), "push", raw);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), pool);
    taker.sendPrivate(maker.nick(), "push", raw);
    BOOST_CHECK(eventually([&] { return hub.chain().mempoolSize() == pool + 1; }));
    BOOST_CHECK(eventually([&] { return maker.events("role.coinjoin_completed/1").size() == 1; }));
    BOOST_CHECK_EQUAL(maker.counters().pushes, 1u);
}

BOOST_AUTO_TEST_CASE(a_session_that_times_out_releases_its_coins) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.config = {{"session_timeout", "1s"}};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    ScriptedTaker taker(hub, directory.port());
    auto coin = taker.fund(30'000'000);
    hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    BOOST_REQUIRE(taker.fill(maker.nick(), 0, 10'000'000, commitment));
    taker.auth(maker.nick(), opening);
    BOOST_REQUIRE(taker.waitIoauth(maker.nick()));
    BOOST_CHECK_EQUAL(maker.lockedCoins(), 1u);
    BOOST_CHECK(eventually([&] { return maker.lockedCoins() == 0 && maker.liveSessions() == 0; },
                           std::chrono::milliseconds(4000)));
    auto failed = maker.events("maker.session_failed/1");
    BOOST_REQUIRE_EQUAL(failed.size(), 1u);
    BOOST_CHECK_EQUAL(failed.front().at("stage").as_string(), "timeout");
}

BOOST_AUTO_TEST_CASE(a_crash_after_ioauth_reuses_no_address_and_frees_the_coins) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.coins = {{0, 50'000'000}};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    ScriptedTaker taker(hub, directory.port());
    auto coin = taker.fund(30'000'000);
    hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    BOOST_REQUIRE(taker.fill(maker.nick(), 0, 10'000'000, commitment));
    taker.auth(maker.nick(), opening);
    auto first = taker.waitIoauth(maker.nick());
    BOOST_REQUIRE(first);
    maker.crash();
    maker.start(); // a new nick, the same store and wallet

    // The only coin is free again (nothing was signed), and both addresses are new.
    ScriptedTaker again(hub, directory.port());
    auto out = tryCoinjoin(hub, again, {&maker}, 10'000'000);
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    const auto& second = out.replies.front();
    BOOST_CHECK(second.utxos.front().outpoint == first->utxos.front().outpoint);
    for (const auto& a : {second.ioauth.cj_address, second.ioauth.change_address}) {
        BOOST_CHECK_NE(a, first->ioauth.cj_address);
        BOOST_CHECK_NE(a, first->ioauth.change_address);
    }
    // The crashed session's commitment stays used.
    ScriptedTaker third(hub, directory.port());
    third.sendPrivate(
        maker.nick(), "fill",
        jm::protocol::formatFillArgs({0, 10'000'000, jm::protocol::BoxKeyPair::generate().publicKeyHex(), commitment}));
    auto error = third.waitFor(maker.nick(), "error");
    BOOST_REQUIRE(error);
    BOOST_CHECK(error->text.starts_with("Commitment is blacklisted"));
}

BOOST_AUTO_TEST_CASE(a_crash_after_sig_keeps_the_coins_locked_until_the_chain_settles) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.coins = {{0, 50'000'000}};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    ScriptedTaker taker(hub, directory.port());
    auto signed_out = tryCoinjoin(hub, taker, {&maker}, 10'000'000, false);
    BOOST_REQUIRE_MESSAGE(signed_out.error.empty(), signed_out.error);
    maker.crash();
    maker.start();
    BOOST_CHECK_EQUAL(maker.lockedCoins(), 1u);

    // Its only coin is promised to the signed CoinJoin: a new taker gets no !ioauth.
    ScriptedTaker other(hub, directory.port());
    auto coin = other.fund(30'000'000);
    hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    if (other.fill(maker.nick(), 0, 10'000'000, commitment)) {
        other.auth(maker.nick(), opening);
        BOOST_CHECK(!other.waitIoauth(maker.nick(), std::chrono::milliseconds(1000)));
    }
    // The first taker broadcasts after all: seen, earned, settled.
    BOOST_REQUIRE(hub.chain().submit(signed_out.plan.tx.serialize()));
    hub.mine(1);
    BOOST_CHECK(eventually([&] { return maker.lockedCoins() == 0; }));
    BOOST_CHECK(eventually([&] { return maker.events("role.coinjoin_completed/1").size() == 1; }));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maker_channel_tests)

BOOST_AUTO_TEST_CASE(several_directories_answers_on_the_taker_s_channel_and_duplicates_count_once) {
    ChainHub hub;
    TestDirectory d1, d2;
    MakerOptions o;
    o.directories = {d1.port(), d2.port()};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    // A taker only on the second directory is served there.
    ScriptedTaker taker(hub, d2.port());
    auto done = tryCoinjoin(hub, taker, {&maker}, 10'000'000);
    BOOST_REQUIRE_MESSAGE(done.error.empty(), done.error);

    // The same signed !fill through both directories (as some takers send) is one session.
    ScriptedTaker both(hub, d1.port());
    RawPeer second(d2.port());
    second.handshake(both.nick(), NETWORK);
    BOOST_REQUIRE(second.readType(795));
    auto coin = both.fund(20'000'000);
    auto args = jm::protocol::formatFillArgs(
        {0, 5'000'000, jm::protocol::BoxKeyPair::generate().publicKeyHex(), ScriptedTaker::podle(coin).first});
    auto line = jm::protocol::formatPrivateLine(both.nick(), maker.nick(), "fill", both.identity().signedText(args));
    both.peer().send(685, line);
    second.send(685, line);
    // The answer goes through whichever directory delivered the !fill first, and only once.
    int pubkeys = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (std::chrono::steady_clock::now() < deadline) {
        if (both.waitFor(maker.nick(), "pubkey", std::chrono::milliseconds(50))) ++pubkeys;
        // (RawPeer's read needs a few milliseconds to poll the socket at all.)
        while (auto env = second.read(std::chrono::milliseconds(20)))
            if (env->type == 685 && env->line.find("!pubkey ") != std::string::npos) ++pubkeys;
    }
    BOOST_CHECK_EQUAL(pubkeys, 1);
    BOOST_CHECK_EQUAL(maker.events("maker.session_started/1").size(), 2u); // the CoinJoin's and this one
}

BOOST_AUTO_TEST_CASE(withdrawn_offers_are_cancelled_publicly_and_changed_ones_replaced) {
    // A yield generator the test steers: two offers, then only offer 1 with a new size.
    struct Steered final : jm::maker::YieldGenerator {
        std::atomic<int> phase{0};
        jm::sdk::Result<std::vector<jm::protocol::Offer>> createOffers(const jm::maker::WalletView& w,
                                                                       const jm::maker::FeeView&) override {
            auto max = w.available(0) - 30'000;
            if (phase == 0)
                return std::vector<jm::protocol::Offer>{{jm::protocol::OfferType::Sw0Rel, 0, 100'000, max, 0, "0.0001"},
                                                        {jm::protocol::OfferType::Sw0Abs, 1, 100'000, max, 0, "700"}};
            return std::vector<jm::protocol::Offer>{{jm::protocol::OfferType::Sw0Abs, 1, 200'000, max / 2, 0, "800"}};
        }
        jm::sdk::Result<int> chooseMixdepth(const jm::maker::FillContext& f, const jm::maker::WalletView&) override {
            return f.candidates.front();
        }
    };
    ChainHub hub;
    TestDirectory directory;
    Steered* steered = nullptr;
    MakerOptions o;
    o.directories = {directory.port()};
    o.coins = {{0, 50'000'000}};
    o.yieldgen = [&] {
        auto y = std::make_unique<Steered>();
        steered = y.get();
        return y;
    };
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    ScriptedTaker watcher(hub, directory.port()); // sees what the maker announces publicly
    maker.start();
    BOOST_REQUIRE_EQUAL(maker.offers().size(), 2u);
    steered->phase = 1;
    ScriptedTaker taker(hub, directory.port());
    auto out = tryCoinjoin(hub, taker, {&maker}, 5'000'000); // the balances change: offers made anew
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    hub.mine(1);
    BOOST_REQUIRE(eventually([&] { return maker.offers().size() == 1; }));
    auto lines = watcher.publicMessages(std::chrono::milliseconds(500));
    bool cancelled = false, replaced = false;
    for (const auto& l : lines) {
        if (l.from != maker.nick()) continue;
        BOOST_CHECK_MESSAGE(l.body.find("tbond") == std::string::npos, "a public message carries a bond proof");
        cancelled = cancelled || l.body == "cancel 0";
        replaced = replaced || l.body.starts_with("sw0absoffer 1 200000 ");
    }
    BOOST_CHECK(cancelled);
    BOOST_CHECK(replaced);
    auto announced = maker.events("maker.offers_announced/1");
    BOOST_REQUIRE(!announced.empty());
    BOOST_CHECK_EQUAL(announced.back().at("cancelled").as_array().size(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maker_wallet_tests)

BOOST_AUTO_TEST_CASE(a_deposit_is_offered_after_the_next_block) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.config = {{"resync_blocks", 1}};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    BOOST_CHECK_EQUAL(maker.offers().front().maxsize, 100'000'000 - 27'300);
    // 5 BTC to a fresh receive address of mixdepth 3 (read from the wallet's store: the address
    // derivation only, the running maker keeps its indices).
    auto wallet = jm::wallet::Wallet::open(maker.walletStore(), "password").value();
    // Its first sync only recorded the balance: a start is no change.
    BOOST_CHECK(maker.events("wallet.balance_changed/1").empty());
    hub.chain().fund(wallet.addressAt(3, jm::wallet::BRANCH_EXTERNAL, 0).value().script_pubkey, 500'000'000);
    hub.mine(1);
    BOOST_CHECK(eventually([&] { return maker.offers().front().maxsize == 500'000'000 - 27'300; }));
    // Told once, however many syncs follow.
    BOOST_CHECK(eventually([&] { return !maker.events("wallet.balance_changed/1").empty(); }));
    hub.mine(2);
    auto changes = maker.events("wallet.balance_changed/1");
    BOOST_REQUIRE_EQUAL(changes.size(), 1u);
    BOOST_CHECK_EQUAL(changes.front().at("balance").as_int64(), 690'000'000);
    BOOST_CHECK_EQUAL(changes.front().at("change").as_int64(), 500'000'000);
    BOOST_CHECK_EQUAL(changes.front().at("reason").as_string(), "received");
    // Coins that arrive while the node is down are told at its next start.
    maker.stop();
    hub.chain().fund(wallet.addressAt(3, jm::wallet::BRANCH_EXTERNAL, 1).value().script_pubkey, 1'000'000);
    hub.mine(1);
    maker.start();
    BOOST_CHECK(eventually([&] { return maker.events("wallet.balance_changed/1").size() == 2; }));
    changes = maker.events("wallet.balance_changed/1");
    BOOST_REQUIRE_EQUAL(changes.size(), 2u);
    BOOST_CHECK_EQUAL(changes.back().at("balance").as_int64(), 691'000'000);
    BOOST_CHECK_EQUAL(changes.back().at("change").as_int64(), 1'000'000);
    BOOST_CHECK_EQUAL(changes.back().at("reason").as_string(), "received");
}

BOOST_AUTO_TEST_SUITE_END()
