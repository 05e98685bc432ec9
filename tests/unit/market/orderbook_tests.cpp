// The SDK orderbook a taker and the watcher share: the Sybil limit on a full book, the intake of
// messages as directories deliver them (and its error paths), and the bond-coin verdicts.
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/key.hpp>
#include <jm/market/bond_check.hpp>
#include <jm/market/orderbook.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>

#include <boost/test/unit_test.hpp>

using jm::market::BookIntake;
using jm::market::Orderbook;

namespace {

std::vector<jm::protocol::Command> commands(const std::string& body) {
    return jm::protocol::splitCommands(body).value();
}

const std::string OFFER = "sw0reloffer 0 100000 500000 0 0.0002";

std::string sybil(int i) { return "J5sybil" + std::to_string(i); }

//! A private message from `from` to `to` as a directory delivers it, signed by `signer`.
jm::net::ChannelMessage privateMessage(const jm::protocol::NickIdentity& signer, const std::string& from,
                                       const std::string& to, const std::string& command, const std::string& args) {
    jm::net::ChannelMessage m;
    m.is_private = true;
    m.raw = jm::protocol::formatPrivateLine(from, to, command, signer.signedText(args));
    m.line = jm::protocol::parseChannelLine(m.raw).value();
    return m;
}

jm::net::ChannelMessage publicMessage(const std::string& from, const std::string& body) {
    jm::net::ChannelMessage m;
    m.raw = from + "!PUBLIC!" + body;
    m.line = jm::protocol::parseChannelLine(m.raw).value();
    return m;
}

struct Bond {
    jm::bitcoin::PrivateKey key = jm::bitcoin::PrivateKey::generate();
    jm::bitcoin::Hash256 txid{};
    std::uint32_t locktime = 1'900'000'000;
    std::string proof(const std::string& taker, const std::string& maker, std::uint16_t expiry = 10) const {
        return jm::protocol::serializeBondProof(jm::protocol::createBondProof(key, jm::bitcoin::PrivateKey::generate(),
                                                                              expiry, taker, maker, txid, 0, locktime))
            .value();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(market_orderbook_tests)

BOOST_AUTO_TEST_CASE(a_public_sybil_flood_cannot_keep_an_answering_maker_out) {
    Orderbook book("J5taker", 50);
    for (int i = 0; i < 200; ++i)
        book.onPublic(sybil(i), commands(OFFER));
    BOOST_CHECK_EQUAL(book.nickCount(), 50u);
    // First come, first kept among public-only nicks: later sybils do not churn the book.
    BOOST_CHECK(book.contains(sybil(0)));
    BOOST_CHECK(!book.contains(sybil(150)));
    // An honest maker announcing publicly too is refused (same rank), but its private answer to
    // our !orderbook gets it in, at the cost of the oldest public-only nick.
    book.onPublic("J5honest", commands(OFFER));
    BOOST_CHECK(!book.contains("J5honest"));
    BOOST_CHECK(book.onPrivate("J5honest", commands(OFFER)));
    BOOST_CHECK(book.contains("J5honest"));
    BOOST_CHECK(!book.contains(sybil(0)));
    BOOST_CHECK_EQUAL(book.nickCount(), 50u);
    BOOST_CHECK_GT(book.refusedNicks(), 0u);
}

BOOST_AUTO_TEST_CASE(answered_sybils_give_way_to_a_bonded_maker_and_verified_bonds_stay) {
    Orderbook book("J5taker", 20);
    for (int i = 0; i < 20; ++i)
        BOOST_CHECK(book.onPrivate(sybil(i), commands(OFFER)));
    // Another answering nick finds no lower rank to evict.
    BOOST_CHECK(!book.onPrivate("J5late", commands(OFFER)));
    BOOST_CHECK(!book.contains("J5late"));
    // A maker whose bond proof verifies for our nick outranks them (the proof follows the offer).
    Bond bond;
    BOOST_CHECK(book.onPrivate("J5bonded", commands(OFFER + "!tbond " + bond.proof("J5taker", "J5bonded"))));
    BOOST_CHECK(book.contains("J5bonded"));
    BOOST_CHECK(book.bondProof("J5bonded"));
    BOOST_CHECK(!book.contains(sybil(0)));
    // Once the owner verified its coin, a flood of forged proofs (signatures fine, coins made up)
    // evicts the unverified ones only.
    book.setBondVerified("J5bonded", true);
    for (int i = 0; i < 40; ++i) {
        Bond fake;
        fake.txid[0] = static_cast<std::uint8_t>(i + 1);
        auto nick = "J5forged" + std::to_string(i);
        book.onPrivate(nick, commands(OFFER + "!tbond " + fake.proof("J5taker", nick)));
    }
    BOOST_CHECK(book.contains("J5bonded"));
    BOOST_CHECK_EQUAL(book.nickCount(), 20u);
    // A refused coin drops the nick back to an answered one: a forged proof can then take its place.
    book.setBondVerified("J5bonded", false);
    Bond last;
    last.txid[0] = 0xee;
    book.onPrivate("J5forgedlast", commands(OFFER + "!tbond " + last.proof("J5taker", "J5forgedlast")));
    BOOST_CHECK(book.contains("J5forgedlast"));
}

BOOST_AUTO_TEST_CASE(a_nick_whose_last_offer_is_cancelled_leaves_with_its_bond) {
    Orderbook book("J5taker");
    Bond bond;
    BOOST_CHECK(book.onPrivate("J5a", commands(OFFER + "!tbond " + bond.proof("J5taker", "J5a"))));
    BOOST_CHECK(book.bondProof("J5a"));
    book.onPublic("J5a", commands("cancel 0"));
    BOOST_CHECK(!book.contains("J5a"));
    BOOST_CHECK(!book.bondProof("J5a"));
    BOOST_CHECK(!book.answered("J5a"));
    // A !tbond alone from a nick not in the book is not kept.
    BOOST_CHECK(!book.onPrivate("J5b", commands("tbond " + bond.proof("J5taker", "J5b"))));
    BOOST_CHECK(!book.bondProof("J5b"));
}

BOOST_AUTO_TEST_CASE(messages_are_taken_as_directories_deliver_them_and_bad_ones_ignored) {
    jm::protocol::NickIdentity taker, maker, other;
    Orderbook book(taker.nick());
    BOOST_CHECK(book.onMessage(publicMessage(maker.nick(), "!" + OFFER)) == BookIntake::Public);
    BOOST_CHECK(book.contains(maker.nick()));
    BOOST_CHECK(book.onMessage(privateMessage(maker, maker.nick(), taker.nick(), "sw0absoffer",
                                              "1 100000 600000 0 500")) == BookIntake::FirstAnswer);
    BOOST_CHECK(book.onMessage(privateMessage(maker, maker.nick(), taker.nick(), "sw0absoffer",
                                              "1 100000 600000 0 400")) == BookIntake::Answer);
    BOOST_CHECK_EQUAL(book.offer(maker.nick(), 1)->cjfee, "400");
    // Signed by another key than the sender's nick: ignored.
    BOOST_CHECK(book.onMessage(privateMessage(other, maker.nick(), taker.nick(), "sw0absoffer",
                                              "1 100000 600000 0 1")) == BookIntake::Ignored);
    // To someone else, from ourselves, not an offer, an offer that does not parse: ignored.
    BOOST_CHECK(book.onMessage(privateMessage(maker, maker.nick(), other.nick(), "sw0absoffer",
                                              "2 100000 600000 0 1")) == BookIntake::Ignored);
    BOOST_CHECK(book.onMessage(publicMessage(taker.nick(), "!" + OFFER)) == BookIntake::Ignored);
    BOOST_CHECK(book.onMessage(privateMessage(maker, maker.nick(), taker.nick(), "fill", "0 100000 x y")) ==
                BookIntake::Ignored);
    BOOST_CHECK(book.onMessage(privateMessage(other, other.nick(), taker.nick(), "sw0absoffer", "3 9 1 0 -5")) ==
                BookIntake::Ignored);
    BOOST_CHECK(!book.contains(other.nick()));
    // An unsigned private body.
    jm::net::ChannelMessage bare;
    bare.is_private = true;
    bare.line = {maker.nick(), taker.nick(), "!sw0absoffer 4 100000 600000 0 1"};
    BOOST_CHECK(book.onMessage(bare) == BookIntake::Ignored);
    BOOST_CHECK(!book.offer(maker.nick(), 4));
    BOOST_CHECK(!book.offer(maker.nick(), 2));
    BOOST_CHECK_EQUAL(book.offer(maker.nick(), 1)->cjfee, "400");
}

BOOST_AUTO_TEST_CASE(bond_coins_are_judged_with_every_refusal_named) {
    Bond bond;
    bond.txid[3] = 9;
    auto proof = jm::protocol::parseBondProof(bond.proof("J5taker", "J5a", 10)).value();
    auto script = jm::protocol::bondScriptPubKey(proof).value();
    jm::chain::TxOutInfo good{150'000'000, script, 6, false};
    using Coin = jm::sdk::Result<std::optional<jm::chain::TxOutInfo>>;
    auto why = [&](Coin coin, std::int32_t tip = 100, std::set<jm::bitcoin::OutPoint> taken = {}) {
        auto r = jm::market::checkBondCoin(proof, coin, tip, 1'700'000'000, taken);
        return r ? std::string("ok") : r.error().message;
    };
    BOOST_CHECK_EQUAL(why(Coin(good)), "ok");
    BOOST_CHECK_EQUAL(why(Coin(jm::sdk::Error(jm::sdk::errc::timeout, "slow"))), "backend: slow");
    BOOST_CHECK_EQUAL(why(Coin(std::nullopt)), "the bond coin is spent or does not exist");
    auto unconfirmed = good;
    unconfirmed.confirmations = 0;
    BOOST_CHECK_EQUAL(why(Coin(unconfirmed)), "the bond coin is unconfirmed");
    auto other_script = good;
    other_script.script_pubkey = jm::bitcoin::p2wpkhScript(jm::bitcoin::PrivateKey::generate().publicKey());
    BOOST_CHECK_EQUAL(why(Coin(other_script)), "the coin is not the bond's timelocked script");
    BOOST_CHECK_EQUAL(why(Coin(good), 10 * 2016 + 1), "the bond certificate expired");
    BOOST_CHECK_EQUAL(why(Coin(good), 100, {jm::market::bondOutpoint(proof)}), "the bond backs another maker");
    auto ok = jm::market::checkBondCoin(proof, Coin(good), 100, 1'700'000'000, {}).value();
    BOOST_CHECK_EQUAL(ok.amount, 150'000'000);
    BOOST_CHECK_EQUAL(ok.confirmed_at, 1'700'000'000 - 5 * 600);
    BOOST_CHECK_GT(ok.value, 0);
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex(jm::bitcoin::ByteView(ok.outpoint.txid.data(), 32)).substr(56, 2), "09");
}

BOOST_AUTO_TEST_SUITE_END()
