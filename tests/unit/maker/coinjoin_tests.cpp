// Complete CoinJoins between the real maker and a scripted taker over a real directory, on the
// SDK test chain (which checks every signature and the fee): one taker, several at once, and
// what the maker does afterwards (earnings, events, new offers).
#include "maker_harness.hpp"

#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::test;

namespace {

jm::protocol::Offer offerFrom(const Received& r) {
    auto commands = jm::protocol::splitCommands(r.command + " " + r.text).value();
    return jm::protocol::parseOffer(commands.front()).value();
}

struct Completed {
    std::string txid;
    std::int64_t fee = 0;
    std::size_t maker_inputs = 0;
};

//! One honest CoinJoin of `amount` with `makers`, broadcast on the test chain and mined.
Completed coinjoin(ChainHub& hub, ScriptedTaker& taker, std::vector<MakerUnderTest*> makers, std::int64_t amount) {
    auto coin = taker.fund(amount + 10'000'000);
    hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    std::vector<MakerReply> replies;
    std::vector<std::int64_t> txfees, fees;
    for (auto* m : makers) {
        auto offer = m->offers().front();
        BOOST_REQUIRE(taker.fill(m->nick(), offer.oid, amount, commitment));
        taker.auth(m->nick(), opening);
        auto reply = taker.waitIoauth(m->nick());
        BOOST_REQUIRE_MESSAGE(reply, "no !ioauth from " + m->nick());
        replies.push_back(*reply);
        txfees.push_back(offer.txfee);
        fees.push_back(jm::protocol::realCjfee(offer, amount).value());
    }
    auto plan = buildCoinjoin(hub, replies, {coin}, amount, txfees, fees);
    std::vector<std::vector<jm::bitcoin::Bytes>> sigs;
    std::size_t expected = 0;
    for (std::size_t i = 0; i < makers.size(); ++i) {
        taker.sendTx(makers[i]->nick(), plan.tx);
        auto s = taker.waitSigs(makers[i]->nick(), replies[i].utxos.size());
        BOOST_REQUIRE_EQUAL(s.size(), replies[i].utxos.size());
        expected += s.size();
        sigs.insert(sigs.end(), s.begin(), s.end());
    }
    BOOST_REQUIRE_EQUAL(applySignatures(plan, sigs), expected);
    auto txid = hub.chain().submit(plan.tx.serialize());
    BOOST_REQUIRE_MESSAGE(txid.has_value(), (txid ? std::string() : txid.error().message));
    return {*txid, fees.front() - txfees.front(), expected};
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
    auto done = coinjoin(hub, taker, {&maker}, amount);
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
}

BOOST_AUTO_TEST_SUITE_END()
