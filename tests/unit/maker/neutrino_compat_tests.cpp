// NG's neutrino_compat (protocol.md 14.1) on the maker's side: extended utxo strings from takers
// are checked against the chain (a lying hint never makes a coin pass), a light-client maker
// refuses legacy takers with NG's !error, and !ioauth is extended only when it must be.
#include "maker_harness.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/protocol/utxo_string.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::test;
using namespace std::chrono_literals;

namespace {

struct Compat {
    ChainHub hub;
    TestDirectory directory;
    std::unique_ptr<MakerUnderTest> maker;
    std::string maker_nick;

    explicit Compat(bool light_client) {
        MakerOptions o;
        o.directories = {directory.port()};
        o.config = {{"session_timeout", "3s"}};
        o.light_client = light_client;
        maker = std::make_unique<MakerUnderTest>(hub, o);
        hub.mine(1);
        maker->start();
        maker_nick = maker->nick();
    }

    jm::protocol::Offer offer() { return maker->offers().front(); }

    //! A funded taker coin with 6 confirmations, and the height of its block.
    std::pair<TakerCoin, std::int64_t> coin(ScriptedTaker& t) {
        auto c = t.fund(20'000'000);
        hub.mine(6);
        return {c, hub.chain().height() - 5};
    }

    void expectRefused(ScriptedTaker& t, const std::string& why_part) {
        BOOST_CHECK_MESSAGE(!t.receives(maker_nick, "ioauth", 800ms), "coins were revealed");
        BOOST_CHECK_EQUAL(maker->lockedCoins(), 0u);
        BOOST_CHECK(eventually([&] {
            for (const auto& e : maker->events("maker.session_failed/1"))
                if (std::string(e.at("reason").as_string()).find(why_part) != std::string::npos) return true;
            return false;
        }));
    }
};

jm::bitcoin::Script otherScript() { return jm::bitcoin::p2wpkhScript(jm::bitcoin::PrivateKey::generate().publicKey()); }

} // namespace

BOOST_AUTO_TEST_SUITE(neutrino_compat_maker_tests)

BOOST_AUTO_TEST_CASE(a_light_client_maker_refuses_a_legacy_utxo_with_ngs_error) {
    Compat h(true);
    ScriptedTaker t(h.hub, h.directory.port());
    auto [coin, height] = h.coin(t);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    BOOST_REQUIRE(t.fill(h.maker_nick, h.offer().oid, 10'000'000, commitment));
    t.auth(h.maker_nick, opening);
    auto error = t.waitFor(h.maker_nick, "error");
    BOOST_REQUIRE(error);
    BOOST_CHECK_EQUAL(error->text,
                      "Neutrino backend requires extended UTXO metadata (neutrino_compat) for verification");
    h.expectRefused(t, "legacy");
    BOOST_CHECK_EQUAL(h.maker->lightChain()->hintedLookups(), 0);
}

BOOST_AUTO_TEST_CASE(a_light_client_maker_serves_an_extended_taker_and_answers_extended) {
    Compat h(true);
    ScriptedTaker t(h.hub, h.directory.port());
    auto out = tryCoinjoin(h.hub, t, {h.maker.get()}, 5'000'000, false, true); // coins stay unspent
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    BOOST_CHECK_EQUAL(h.maker->counters().signed_coinjoins, 1u);
    BOOST_CHECK_GE(h.maker->lightChain()->hintedLookups(), 1);
    for (const auto& u : out.replies.front().utxos) {
        BOOST_REQUIRE(u.extended());
        BOOST_CHECK_EQUAL(*u.height, creationHeight(h.hub.chain(), u.outpoint).value_or(-1));
    }
}

BOOST_AUTO_TEST_CASE(a_light_client_maker_refuses_a_hint_with_another_script) {
    Compat h(true);
    ScriptedTaker t(h.hub, h.directory.port());
    auto [coin, height] = h.coin(t);
    auto [commitment, opening] = ScriptedTaker::podleExtended(coin, height, otherScript());
    BOOST_REQUIRE(t.fill(h.maker_nick, h.offer().oid, 10'000'000, commitment));
    t.auth(h.maker_nick, opening);
    h.expectRefused(t, "does not exist or is spent");
}

BOOST_AUTO_TEST_CASE(a_light_client_maker_refuses_a_hint_with_another_height) {
    Compat h(true);
    ScriptedTaker t(h.hub, h.directory.port());
    auto [coin, height] = h.coin(t);
    auto [commitment, opening] = ScriptedTaker::podleExtended(coin, height - 1);
    BOOST_REQUIRE(t.fill(h.maker_nick, h.offer().oid, 10'000'000, commitment));
    t.auth(h.maker_nick, opening);
    h.expectRefused(t, "does not exist or is spent");
}

BOOST_AUTO_TEST_CASE(a_light_client_maker_refuses_a_spent_coin_with_a_true_hint) {
    Compat h(true);
    ScriptedTaker t(h.hub, h.directory.port());
    auto [coin, height] = h.coin(t);
    // The taker spends its coin, then opens its commitment with the coin's true script and block.
    jm::bitcoin::Transaction spend;
    spend.version = 2;
    spend.inputs.push_back({coin.outpoint, {}, 0xfffffffd, {}});
    spend.outputs.push_back({coin.value - 2000, otherScript()});
    BOOST_REQUIRE(jm::bitcoin::signP2wpkhInput(spend, 0, coin.key, coin.value));
    BOOST_REQUIRE(h.hub.chain().submit(spend.serialize()));
    h.hub.mine(1);
    auto [commitment, opening] = ScriptedTaker::podleExtended(coin, height);
    BOOST_REQUIRE(t.fill(h.maker_nick, h.offer().oid, 10'000'000, commitment));
    t.auth(h.maker_nick, opening);
    h.expectRefused(t, "does not exist or is spent");
}

BOOST_AUTO_TEST_CASE(a_full_node_maker_refuses_an_extended_utxo_naming_another_script) {
    // The chain's script is P2WPKH(P); the taker claims P2PKH(P), which P also owns. A full node
    // ignores the hint, so only the comparison with the chain's script catches the lie.
    Compat h(false);
    ScriptedTaker t(h.hub, h.directory.port());
    auto [coin, height] = h.coin(t);
    auto claimed = jm::bitcoin::p2pkhScript(coin.key.publicKey().hash160());
    auto [commitment, opening] = ScriptedTaker::podleExtended(coin, height, claimed);
    BOOST_REQUIRE(t.fill(h.maker_nick, h.offer().oid, 10'000'000, commitment));
    t.auth(h.maker_nick, opening);
    h.expectRefused(t, "another script than the chain's");
}

BOOST_AUTO_TEST_CASE(extended_ioauth_heights_are_the_blocks_of_the_makers_coins) {
    // Blocks mined after the maker's last wallet sync must not shift the heights it reports.
    Compat h(false);
    h.hub.mine(7);
    ScriptedTaker t(h.hub, h.directory.port());
    auto out = tryCoinjoin(h.hub, t, {h.maker.get()}, 5'000'000, false, true); // coins stay unspent
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    for (const auto& u : out.replies.front().utxos) {
        BOOST_REQUIRE(u.extended());
        BOOST_CHECK_EQUAL(*u.height, creationHeight(h.hub.chain(), u.outpoint).value_or(-1));
    }
}

BOOST_AUTO_TEST_CASE(a_full_node_maker_answers_a_legacy_taker_in_legacy_form) {
    // REF takers parse only txid:vout: nothing extended reaches them.
    Compat h(false);
    ScriptedTaker t(h.hub, h.directory.port());
    auto out = tryCoinjoin(h.hub, t, {h.maker.get()}, 5'000'000);
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    BOOST_REQUIRE(!out.replies.front().utxos.empty());
    for (const auto& u : out.replies.front().utxos)
        BOOST_CHECK(!u.extended());
}

BOOST_AUTO_TEST_SUITE_END()
