// Hostile takers against the real maker: each case ends with nothing signed for the attacker,
// and an honest taker completing a CoinJoin with the same maker right after.
#include "maker_harness.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/utxo_string.hpp>
#include <jm/sdk/events.hpp>

#include <maker_store.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::test;
using namespace std::chrono_literals;

namespace {

struct Hostile {
    ChainHub hub;
    TestDirectory directory;
    std::unique_ptr<MakerUnderTest> maker;
    std::string maker_nick;

    explicit Hostile(boost::json::object config = {{"session_timeout", "3s"}}) {
        MakerOptions o;
        o.directories = {directory.port()};
        o.config = std::move(config);
        maker = std::make_unique<MakerUnderTest>(hub, o);
        hub.mine(1);
        maker->start();
        maker_nick = maker->nick();
    }

    jm::protocol::Offer offer() { return maker->offers().front(); }

    //! The attacker got no signature, the maker signed nothing, and an honest taker still gets a
    //! complete CoinJoin.
    void nothingSignedAndStillServing(ScriptedTaker& attacker) {
        BOOST_CHECK_MESSAGE(!attacker.receives(maker_nick, "sig", 300ms), "the attacker got a signature");
        BOOST_CHECK_EQUAL(maker->counters().signed_coinjoins, 0u);
        ScriptedTaker honest(hub, directory.port());
        auto out = tryCoinjoin(hub, honest, {maker.get()}, 5'000'000);
        BOOST_CHECK_MESSAGE(out.error.empty(), "the maker stopped serving: " + out.error);
        BOOST_CHECK_EQUAL(maker->counters().signed_coinjoins, 1u);
    }

    //! A taker that reached !ioauth, with the honest transaction it would send.
    struct AtIoauth {
        std::unique_ptr<ScriptedTaker> taker;
        std::optional<TakerCoin> coin;
        std::optional<MakerReply> reply;
        std::string commitment;
        std::int64_t amount = 0;
        CoinjoinPlan plan;
        jm::bitcoin::Script cj_script, change_script;
    };
    AtIoauth upToIoauth(std::int64_t amount = 10'000'000) {
        AtIoauth a;
        a.taker = std::make_unique<ScriptedTaker>(hub, directory.port());
        a.amount = amount;
        a.coin = a.taker->fund(amount + 5'000'000);
        hub.mine(6);
        auto [commitment, opening] = ScriptedTaker::podle(*a.coin);
        a.commitment = commitment;
        auto o = offer();
        BOOST_REQUIRE(a.taker->fill(maker_nick, o.oid, amount, commitment));
        a.taker->auth(maker_nick, opening);
        a.reply = a.taker->waitIoauth(maker_nick);
        BOOST_REQUIRE(a.reply);
        a.plan = buildCoinjoin(hub.chain(), {*a.reply}, {*a.coin}, amount, {o.txfee},
                               {jm::protocol::realCjfee(o, amount).value()});
        a.cj_script = jm::bitcoin::addressToScript(a.reply->ioauth.cj_address, jm::bitcoin::Network::Testnet).value();
        a.change_script =
            jm::bitcoin::addressToScript(a.reply->ioauth.change_address, jm::bitcoin::Network::Testnet).value();
        return a;
    }

    //! A filled session whose !auth the test writes itself.
    std::unique_ptr<ScriptedTaker> filled(const std::string& commitment, std::int64_t amount = 10'000'000) {
        auto t = std::make_unique<ScriptedTaker>(hub, directory.port());
        BOOST_REQUIRE(t->fill(maker_nick, offer().oid, amount, commitment));
        return t;
    }

    void expectNoIoauth(ScriptedTaker& t) {
        BOOST_CHECK_MESSAGE(!t.receives(maker_nick, "ioauth", 800ms), "coins were revealed");
        BOOST_CHECK(eventually([&] { return maker->lockedCoins() == 0; }));
        BOOST_CHECK(eventually([&] { return !maker->events("maker.session_failed/1").empty(); }));
    }

    void expectNoSig(AtIoauth& a) {
        BOOST_CHECK_MESSAGE(!a.taker->receives(maker_nick, "sig", 800ms), "the maker signed");
        BOOST_CHECK(eventually([&] {
            auto failed = maker->events("maker.session_failed/1");
            return !failed.empty() && failed.back().at("stage").as_string() == "tx";
        }));
        BOOST_CHECK_EQUAL(maker->lockedCoins(), 0u); // the refused session's coins are free again
    }

    std::size_t outputPaying(const jm::bitcoin::Transaction& tx, const jm::bitcoin::Script& spk) {
        for (std::size_t i = 0; i < tx.outputs.size(); ++i)
            if (tx.outputs[i].script_pubkey == spk) return i;
        BOOST_FAIL("no such output");
        return 0;
    }
};

std::string flipHexChar(std::string s, std::size_t pos) {
    s[pos] = s[pos] == '0' ? '1' : '0';
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_taker_tests)

// --- !fill --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unknown_oid_is_answered_and_refused) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    auto coin = t.fund(20'000'000);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    BOOST_CHECK(!t.fill(h.maker_nick, 7, 10'000'000, commitment));
    auto error = t.waitFor(h.maker_nick, "error");
    BOOST_REQUIRE(error);
    BOOST_CHECK_EQUAL(error->text, "oid not found");
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(amounts_outside_the_offer_are_refused) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    auto o = h.offer();
    for (auto amount : {o.minsize - 1, o.maxsize + 1}) {
        auto coin = t.fund(20'000'000);
        BOOST_CHECK(!t.fill(h.maker_nick, o.oid, amount, ScriptedTaker::podle(coin).first));
        auto error = t.waitFor(h.maker_nick, "error");
        BOOST_REQUIRE(error);
        BOOST_CHECK_EQUAL(error->text, "amount out of range");
    }
    BOOST_CHECK_EQUAL(h.maker->liveSessions(), 0u);
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(unsupported_commitment_type_is_answered) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    auto pk = jm::protocol::BoxKeyPair::generate().publicKeyHex();
    t.sendPrivate(h.maker_nick, "fill", "0 10000000 " + pk + " X" + std::string(64, 'a'));
    auto error = t.waitFor(h.maker_nick, "error");
    BOOST_REQUIRE(error);
    BOOST_CHECK_EQUAL(error->text, "Unsupported commitment type: X");
    BOOST_CHECK(!t.receives(h.maker_nick, "pubkey", 200ms));
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(a_used_commitment_is_refused) {
    Hostile h;
    auto first = h.upToIoauth();
    // The same commitment again, from another nick: REF's answer, no session.
    ScriptedTaker t(h.hub, h.directory.port());
    BOOST_CHECK(!t.fill(h.maker_nick, h.offer().oid, 10'000'000, first.commitment));
    auto error = t.waitFor(h.maker_nick, "error");
    BOOST_REQUIRE(error);
    BOOST_CHECK_EQUAL(error->text, "Commitment is blacklisted: " + first.commitment);
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(a_commitment_announced_with_hp2_is_refused) {
    Hostile h;
    ScriptedTaker announcer(h.hub, h.directory.port());
    ScriptedTaker t(h.hub, h.directory.port());
    auto coin = t.fund(20'000'000);
    auto commitment = ScriptedTaker::podle(coin).first;
    announcer.sendPublic("hp2 " + commitment);
    BOOST_REQUIRE(eventually([&] {
        return jm::plugins::maker::MakerStore(h.maker->ctx().memoryStore()).isBlacklisted(commitment).value();
    }));
    BOOST_CHECK(!t.fill(h.maker_nick, h.offer().oid, 10'000'000, commitment));
    auto error = t.waitFor(h.maker_nick, "error");
    BOOST_REQUIRE(error);
    BOOST_CHECK(error->text.starts_with("Commitment is blacklisted"));
    h.nothingSignedAndStillServing(t);
}

// !hp2 costs nothing to send: a flood of them must not grow the maker's store without bound
// (nor cost an fsync each), and the most recent ones still count.
BOOST_AUTO_TEST_CASE(a_flood_of_hp2_announcements_does_not_grow_the_store_without_bound) {
    Hostile h({{"session_timeout", "3s"}, {"max_learned_commitments", 20}});
    auto keys = [&] {
        std::size_t n = 0;
        (void)h.maker->ctx().memoryStore().iterate("", [&](std::string_view, std::string_view) {
            ++n;
            return true;
        });
        return n;
    };
    auto before = keys();
    auto synced = h.maker->ctx().memoryStore().syncedWrites();
    std::string last;
    for (int nick = 0; nick < 4; ++nick) {
        ScriptedTaker announcer(h.hub, h.directory.port());
        for (int i = 0; i < 50; ++i) {
            char commitment[65];
            std::snprintf(commitment, sizeof commitment, "%02x%062x", nick, i);
            announcer.sendPublic("hp2 " + std::string(commitment));
            last = commitment;
        }
        BOOST_REQUIRE(eventually(
            [&] { return jm::plugins::maker::MakerStore(h.maker->ctx().memoryStore()).isBlacklisted(last).value(); }));
    }
    // 200 announcements: at most 20 kept (two keys each).
    BOOST_CHECK_LE(keys(), before + 2 * 20);
    BOOST_CHECK_EQUAL(h.maker->ctx().memoryStore().syncedWrites(), synced);
    ScriptedTaker t(h.hub, h.directory.port());
    BOOST_CHECK(!t.fill(h.maker_nick, h.offer().oid, 10'000'000, last));
    auto error = t.waitFor(h.maker_nick, "error");
    BOOST_REQUIRE(error);
    BOOST_CHECK(error->text.starts_with("Commitment is blacklisted"));
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(a_forged_signature_is_ignored) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    auto coin = t.fund(20'000'000);
    jm::protocol::NickIdentity impostor;
    auto args = jm::protocol::formatFillArgs(
        {0, 10'000'000, jm::protocol::BoxKeyPair::generate().publicKeyHex(), ScriptedTaker::podle(coin).first});
    // Sent under t's nick but signed with another key: dropped without an answer.
    t.peer().send(685, jm::protocol::formatPrivateLine(t.nick(), h.maker_nick, "fill", impostor.signedText(args)));
    BOOST_CHECK(!t.receives(h.maker_nick, "pubkey", 500ms));
    BOOST_CHECK(!t.receives(h.maker_nick, "error", 10ms));
    BOOST_CHECK_EQUAL(h.maker->liveSessions(), 0u);
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(fills_from_the_nodes_own_taker_are_ignored) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    h.maker->ctx().bus().publish(jm::sdk::events::RoleNick{"taker", "taker", t.nick()});
    h.maker->ctx().bus().flushForTest();
    auto coin = t.fund(20'000'000);
    BOOST_CHECK(!t.fill(h.maker_nick, h.offer().oid, 10'000'000, ScriptedTaker::podle(coin).first, 500ms));
    BOOST_CHECK_EQUAL(h.maker->liveSessions(), 0u);
    h.nothingSignedAndStillServing(t);
}

// --- !auth ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_bad_podle_reveals_no_coins) {
    Hostile h;
    ScriptedTaker probe(h.hub, h.directory.port());
    auto coin = probe.fund(20'000'000);
    h.hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    auto t = h.filled(commitment);
    // The opening is "<utxo>|P|P2|s|e": damage s.
    auto s_pos = opening.rfind('|') - 10;
    t->auth(h.maker_nick, flipHexChar(opening, s_pos));
    h.expectNoIoauth(*t);
    h.nothingSignedAndStillServing(*t);
}

BOOST_AUTO_TEST_CASE(a_podle_beyond_the_allowed_nums_indices_is_refused) {
    Hostile h;
    ScriptedTaker probe(h.hub, h.directory.port());
    auto coin = probe.fund(20'000'000);
    h.hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin, 3); // taker_utxo_retries 3: indices 0..2
    auto t = h.filled(commitment);
    t->auth(h.maker_nick, opening);
    h.expectNoIoauth(*t);
    h.nothingSignedAndStillServing(*t);
}

BOOST_AUTO_TEST_CASE(a_coin_too_young_is_refused) {
    Hostile h;
    ScriptedTaker probe(h.hub, h.directory.port());
    auto coin = probe.fund(20'000'000);
    h.hub.mine(2); // taker_utxo_age 5
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    auto t = h.filled(commitment);
    t->auth(h.maker_nick, opening);
    h.expectNoIoauth(*t);
    h.nothingSignedAndStillServing(*t);
}

BOOST_AUTO_TEST_CASE(a_coin_too_small_is_refused) {
    Hostile h;
    ScriptedTaker probe(h.hub, h.directory.port());
    auto coin = probe.fund(1'999'999); // taker_utxo_amtpercent 20 of 10 000 000
    h.hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    auto t = h.filled(commitment);
    t->auth(h.maker_nick, opening);
    h.expectNoIoauth(*t);
    h.nothingSignedAndStillServing(*t);
}

BOOST_AUTO_TEST_CASE(a_coin_the_commitment_key_does_not_own_is_refused) {
    Hostile h;
    ScriptedTaker probe(h.hub, h.directory.port());
    auto mine = probe.fund(20'000'000);
    auto theirs = probe.fund(20'000'000);
    h.hub.mine(6);
    // A valid proof for our key, naming someone else's big old coin.
    auto proof =
        jm::protocol::generatePodle(mine.key, jm::protocol::formatUtxoString({theirs.outpoint, {}, {}}), 0).value();
    auto t = h.filled(jm::protocol::podleCommitment(proof));
    t->auth(h.maker_nick, jm::protocol::formatRevelation(proof));
    h.expectNoIoauth(*t);
    h.nothingSignedAndStillServing(*t);
}

BOOST_AUTO_TEST_CASE(a_coin_that_does_not_exist_is_refused) {
    Hostile h;
    auto key = jm::bitcoin::PrivateKey::generate();
    jm::bitcoin::OutPoint nowhere;
    nowhere.txid.fill(0x42);
    auto proof = jm::protocol::generatePodle(key, jm::protocol::formatUtxoString({nowhere, {}, {}}), 0).value();
    auto t = h.filled(jm::protocol::podleCommitment(proof));
    t->auth(h.maker_nick, jm::protocol::formatRevelation(proof));
    h.expectNoIoauth(*t);
    h.nothingSignedAndStillServing(*t);
}

BOOST_AUTO_TEST_CASE(undecryptable_auth_bodies_reveal_nothing_and_do_not_end_the_session) {
    // Anyone can replay what the taker signed elsewhere under its nick (over a direct
    // connection): junk that does not open with the session's key is skipped, as REF does.
    Hostile h;
    ScriptedTaker probe(h.hub, h.directory.port());
    auto coin = probe.fund(20'000'000);
    h.hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    auto t = h.filled(commitment);
    // Not base64; then a box made with the wrong key.
    t->sendPrivate(h.maker_nick, "auth", "!!!notbase64");
    jm::protocol::BoxSession wrong(jm::protocol::BoxKeyPair::generate(),
                                   jm::protocol::BoxKeyPair::generate().publicKey());
    t->sendPrivate(h.maker_nick, "auth", wrong.encrypt(opening));
    BOOST_CHECK_MESSAGE(!t->receives(h.maker_nick, "ioauth", 800ms), "coins were revealed");
    BOOST_CHECK_EQUAL(h.maker->lockedCoins(), 0u);
    BOOST_CHECK(h.maker->events("maker.session_failed/1").empty());
    BOOST_CHECK_EQUAL(h.maker->liveSessions(), 1u);
    t->auth(h.maker_nick, opening); // the taker's own !auth is still answered
    BOOST_CHECK(t->waitIoauth(h.maker_nick));
}

BOOST_AUTO_TEST_CASE(an_extended_utxo_opening_is_answered_in_kind) {
    // NG takers (neutrino_compat, advertised in our !pubkey) may name their coin with its script
    // and height; the maker then lists its own coins the same way.
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    auto coin = t.fund(20'000'000);
    h.hub.mine(6);
    jm::protocol::UtxoString extended{coin.outpoint, coin.script_pubkey, h.hub.chain().height() - 5};
    auto proof = jm::protocol::generatePodle(coin.key, jm::protocol::formatUtxoString(extended, true), 0).value();
    auto pubkey = t.fill(h.maker_nick, h.offer().oid, 10'000'000, jm::protocol::podleCommitment(proof));
    BOOST_REQUIRE(pubkey);
    BOOST_CHECK(std::find(pubkey->features.begin(), pubkey->features.end(), "neutrino_compat") !=
                pubkey->features.end());
    t.auth(h.maker_nick, jm::protocol::formatRevelation(proof));
    auto reply = t.waitIoauth(h.maker_nick);
    BOOST_REQUIRE(reply);
    BOOST_CHECK(reply->utxos.front().extended());
    BOOST_CHECK(reply->utxos.front().height.has_value());
}

BOOST_AUTO_TEST_CASE(a_replayed_auth_gets_no_second_ioauth) {
    Hostile h;
    auto a = h.upToIoauth();
    auto [commitment, opening] = ScriptedTaker::podle(*a.coin);
    a.taker->auth(h.maker_nick, opening);
    BOOST_CHECK(!a.taker->receives(h.maker_nick, "ioauth", 500ms));
    BOOST_CHECK_EQUAL(h.maker->lockedCoins(), 1u); // still the one session's coin
    a.taker->sendTx(h.maker_nick, a.plan.tx);      // and the session goes on normally
    BOOST_CHECK_EQUAL(a.taker->waitSigs(h.maker_nick, 1).size(), 1u);
}

// --- !tx ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_tx_before_auth_is_ignored) {
    Hostile h;
    ScriptedTaker probe(h.hub, h.directory.port());
    auto coin = probe.fund(20'000'000);
    h.hub.mine(6);
    auto t = h.filled(ScriptedTaker::podle(coin).first);
    jm::bitcoin::Transaction tx;
    tx.inputs.push_back({coin.outpoint, {}, 0xffffffff, {}});
    tx.outputs.push_back({1000, coin.script_pubkey});
    t->sendTx(h.maker_nick, tx);
    BOOST_CHECK(!t->receives(h.maker_nick, "sig", 500ms));
    BOOST_CHECK_EQUAL(h.maker->lockedCoins(), 0u);
    h.nothingSignedAndStillServing(*t);
}

BOOST_AUTO_TEST_CASE(a_tx_without_the_makers_inputs_is_not_signed) {
    Hostile h;
    auto a = h.upToIoauth();
    auto& inputs = a.plan.tx.inputs;
    std::erase_if(inputs, [&](const auto& in) { return in.prevout == a.reply->utxos.front().outpoint; });
    a.taker->sendTx(h.maker_nick, a.plan.tx);
    h.expectNoSig(a);
    h.nothingSignedAndStillServing(*a.taker);
}

BOOST_AUTO_TEST_CASE(a_tx_paying_less_than_the_fee_is_not_signed) {
    Hostile h;
    auto a = h.upToIoauth();
    a.plan.tx.outputs[h.outputPaying(a.plan.tx, a.change_script)].value -= 1;
    a.taker->sendTx(h.maker_nick, a.plan.tx);
    h.expectNoSig(a);
    h.nothingSignedAndStillServing(*a.taker);
}

BOOST_AUTO_TEST_CASE(a_tx_short_of_the_coinjoin_amount_is_not_signed) {
    Hostile h;
    auto a = h.upToIoauth();
    a.plan.tx.outputs[h.outputPaying(a.plan.tx, a.cj_script)].value -= 1;
    a.taker->sendTx(h.maker_nick, a.plan.tx);
    h.expectNoSig(a);
    h.nothingSignedAndStillServing(*a.taker);
}

BOOST_AUTO_TEST_CASE(a_tx_stealing_the_change_is_not_signed) {
    Hostile h;
    auto a = h.upToIoauth();
    a.plan.tx.outputs[h.outputPaying(a.plan.tx, a.change_script)].script_pubkey = a.coin->script_pubkey;
    a.taker->sendTx(h.maker_nick, a.plan.tx);
    h.expectNoSig(a);
    h.nothingSignedAndStillServing(*a.taker);
}

BOOST_AUTO_TEST_CASE(a_tx_paying_the_makers_addresses_twice_is_not_signed) {
    Hostile h;
    auto a = h.upToIoauth();
    // A second output to the CoinJoin address, taken from the taker's change: the maker must
    // see each of its addresses exactly once.
    auto cj = a.plan.tx.outputs[h.outputPaying(a.plan.tx, a.cj_script)];
    a.plan.tx.outputs.back().value -= 1000;
    a.plan.tx.outputs.push_back({1000, cj.script_pubkey});
    a.taker->sendTx(h.maker_nick, a.plan.tx);
    h.expectNoSig(a);
    h.nothingSignedAndStillServing(*a.taker);
}

BOOST_AUTO_TEST_CASE(a_tx_spending_coins_of_another_session_is_not_signed) {
    Hostile h;
    auto a = h.upToIoauth();
    auto b = h.upToIoauth(); // another session of the same maker holds other coins
    BOOST_REQUIRE(!(b.reply->utxos.front().outpoint == a.reply->utxos.front().outpoint));
    for (const auto& u : b.reply->utxos)
        a.plan.tx.inputs.push_back({u.outpoint, {}, 0xffffffff, {}});
    a.taker->sendTx(h.maker_nick, a.plan.tx);
    BOOST_CHECK(!a.taker->receives(h.maker_nick, "sig", 800ms));
    BOOST_CHECK_EQUAL(h.maker->counters().signed_coinjoins, 0u);
    // b's session is untouched and completes.
    b.taker->sendTx(h.maker_nick, b.plan.tx);
    auto sigs = b.taker->waitSigs(h.maker_nick, b.reply->utxos.size());
    BOOST_CHECK_EQUAL(applySignatures(b.plan, sigs), b.reply->utxos.size());
    BOOST_CHECK(h.hub.chain().submit(b.plan.tx.serialize()));
}

BOOST_AUTO_TEST_CASE(a_replayed_or_second_tx_gets_no_more_signatures) {
    Hostile h;
    auto a = h.upToIoauth();
    // The exact line twice (a replay through the channel), then a different transaction.
    auto text =
        a.taker->identity().signedText(a.taker->encryptFor(h.maker_nick, jm::protocol::formatTxPayload(a.plan.tx)));
    auto line = jm::protocol::formatPrivateLine(a.taker->nick(), h.maker_nick, "tx", text);
    a.taker->peer().send(685, line);
    BOOST_REQUIRE_EQUAL(a.taker->waitSigs(h.maker_nick, 1).size(), 1u);
    a.taker->peer().send(685, line);
    auto other = a.plan.tx;
    other.outputs.back().value -= 500;
    a.taker->sendTx(h.maker_nick, other);
    BOOST_CHECK(!a.taker->receives(h.maker_nick, "sig", 800ms));
    BOOST_CHECK_EQUAL(h.maker->counters().signed_coinjoins, 1u);
}

BOOST_AUTO_TEST_CASE(undecryptable_tx_bodies_are_skipped_and_malformed_ones_not_signed) {
    Hostile h;
    // Boxed for this session but not a transaction: the taker's own, and refused.
    auto b = h.upToIoauth();
    b.taker->sendPrivate(h.maker_nick, "tx", b.taker->encryptFor(h.maker_nick, "not a transaction"));
    h.expectNoSig(b);
    // Not boxed for this session (anyone's replay): skipped; the taker's own !tx is signed.
    auto a = h.upToIoauth();
    auto failures = h.maker->events("maker.session_failed/1").size();
    a.taker->sendPrivate(h.maker_nick, "tx", jm::bitcoin::toBase64(jm::bitcoin::Bytes(200, 7)));
    BOOST_CHECK_MESSAGE(!a.taker->receives(h.maker_nick, "sig", 800ms), "the maker signed");
    BOOST_CHECK_EQUAL(h.maker->events("maker.session_failed/1").size(), failures);
    a.taker->sendTx(h.maker_nick, a.plan.tx);
    BOOST_CHECK_EQUAL(a.taker->waitSigs(h.maker_nick, 1).size(), 1u);
}

// --- !push, floods, long lines -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_push_of_a_foreign_transaction_is_not_broadcast) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    auto coin = t.fund(20'000'000);
    h.hub.mine(1);
    // A valid, signed transaction the maker never saw.
    jm::bitcoin::Transaction tx;
    tx.inputs.push_back({coin.outpoint, {}, 0xffffffff, {}});
    tx.outputs.push_back({coin.value - 1000, coin.script_pubkey});
    BOOST_REQUIRE(jm::bitcoin::signP2wpkhInput(tx, 0, coin.key, coin.value));
    auto pool = h.hub.chain().mempoolSize();
    t.sendPrivate(h.maker_nick, "push", jm::bitcoin::toBase64(tx.serialize()));
    t.sendPrivate(h.maker_nick, "push", "garbage");
    std::this_thread::sleep_for(300ms);
    BOOST_CHECK_EQUAL(h.hub.chain().mempoolSize(), pool);
    BOOST_CHECK_EQUAL(h.maker->counters().pushes, 0u);
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(a_flood_from_one_nick_is_dropped) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    auto pk = jm::protocol::BoxKeyPair::generate().publicKeyHex();
    // Distinct messages (identical ones are already dropped as duplicates).
    for (int i = 0; i < 400; ++i) {
        char commitment[65];
        std::snprintf(commitment, sizeof commitment, "%064x", i);
        t.sendPrivate(h.maker_nick, "fill", "0 10000000 " + pk + " P" + commitment);
    }
    BOOST_CHECK(eventually([&] { return h.maker->counters().ignored > 100; }));
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_CASE(a_flood_of_nicks_cannot_crowd_out_honest_takers) {
    Hostile h({{"session_timeout", "60s"}, {"max_sessions", 10}});
    std::vector<std::unique_ptr<ScriptedTaker>> sybils;
    for (int i = 0; i < 30; ++i) {
        sybils.push_back(std::make_unique<ScriptedTaker>(h.hub, h.directory.port()));
        auto coin = sybils.back()->fund(20'000'000);
        BOOST_CHECK(sybils.back()->fill(h.maker_nick, 0, 10'000'000, ScriptedTaker::podle(coin).first));
    }
    BOOST_CHECK_LE(h.maker->liveSessions(), 10u);
    h.nothingSignedAndStillServing(*sybils.front());
}

// One public line may carry up to 64 commands: each must count against the sender's flood
// limit, or each line allowed writes 64 entries into the maker's store.
BOOST_AUTO_TEST_CASE(many_commands_in_one_public_line_count_against_the_flood_limit) {
    Hostile h;
    auto keys = [&] {
        std::size_t n = 0;
        (void)h.maker->ctx().memoryStore().iterate("", [&](std::string_view, std::string_view) {
            ++n;
            return true;
        });
        return n;
    };
    auto before = keys();
    ScriptedTaker announcer(h.hub, h.directory.port());
    std::string last;
    for (int line = 0; line < 20; ++line) {
        std::string body;
        for (int i = 0; i < 64; ++i) {
            char commitment[65];
            std::snprintf(commitment, sizeof commitment, "%08x%056x", line, i);
            body += (body.empty() ? "hp2 " : "!hp2 ") + std::string(commitment);
        }
        announcer.sendPublic(body);
    }
    // A marker after the flood, from someone else: everything before it has been handled.
    ScriptedTaker marker(h.hub, h.directory.port());
    std::string end(64, 'e');
    marker.sendPublic("hp2 " + end);
    BOOST_REQUIRE(eventually(
        [&] { return jm::plugins::maker::MakerStore(h.maker->ctx().memoryStore()).isBlacklisted(end).value(); }));
    // The default budget is a burst of 100 and 10 a second, not 1280 in a moment.
    BOOST_CHECK_LE(keys(), before + 2 * 200);
    h.nothingSignedAndStillServing(announcer);
}

// Private !hp2 asks the maker to relay a commitment (REF makers do so); each relay opens fresh
// connections, so few run at once. A stream of such requests must not crowd out the maker's
// own announcement of the commitment it just answered, or a snooping taker could reuse its
// commitment with other makers.
BOOST_AUTO_TEST_CASE(relay_requests_cannot_crowd_out_the_makers_own_hp2) {
    Hostile h;
    ScriptedTaker listener(h.hub, h.directory.port());
    ScriptedTaker attacker(h.hub, h.directory.port());
    std::atomic<bool> stop{false};
    std::thread flood([&] {
        for (int i = 0; !stop; ++i) {
            char commitment[65];
            std::snprintf(commitment, sizeof commitment, "%064x", 1000 + i);
            attacker.sendPrivate(h.maker_nick, "hp2", commitment);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    std::this_thread::sleep_for(300ms);
    auto a = h.upToIoauth();
    auto heard = [&] {
        for (const auto& line : listener.publicMessages(100ms))
            if (line.body == "hp2 " + a.commitment) return true;
        return false;
    };
    bool announced = eventually(heard, std::chrono::milliseconds(4000));
    stop = true;
    flood.join();
    BOOST_CHECK_MESSAGE(announced, "the maker's own commitment was never announced");
    h.nothingSignedAndStillServing(attacker);
}

// Directories do not check that a nick belongs to whoever claims it, so an attacker can join a
// second directory of the maker under an honest taker's nick and flood unsigned (forged)
// messages "from" it. The honest taker's own messages, through its own directory, still count.
BOOST_AUTO_TEST_CASE(a_flood_under_a_taker_s_nick_on_another_directory_does_not_silence_the_taker) {
    ChainHub hub;
    TestDirectory honest_directory, other_directory;
    MakerOptions o;
    o.directories = {honest_directory.port(), other_directory.port()};
    o.config = {{"session_timeout", "3s"}, {"message_rate", 2}, {"message_burst", 20}};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    ScriptedTaker victim(hub, honest_directory.port());
    RawPeer attacker(other_directory.port());
    BOOST_REQUIRE(attacker.join(victim.nick()));
    jm::protocol::NickIdentity impostor;
    auto pk = jm::protocol::BoxKeyPair::generate().publicKeyHex();
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0};
    std::thread flood([&] {
        for (int i = 0; !stop; ++i) {
            char commitment[65];
            std::snprintf(commitment, sizeof commitment, "%064x", i);
            auto args = "0 10000000 " + pk + " P" + commitment;
            attacker.send(
                685, jm::protocol::formatPrivateLine(victim.nick(), maker.nick(), "fill", impostor.signedText(args)));
            ++sent;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    BOOST_CHECK(eventually([&] { return maker.counters().ignored > 40; }));
    auto out = tryCoinjoin(hub, victim, {&maker}, 5'000'000);
    stop = true;
    flood.join();
    BOOST_CHECK_GT(sent.load(), 40);
    BOOST_CHECK_MESSAGE(out.error.empty(), "the spoofed flood silenced the taker: " + out.error);
    BOOST_CHECK_EQUAL(maker.counters().signed_coinjoins, 1u);
}

BOOST_AUTO_TEST_CASE(oversize_lines_are_dropped) {
    Hostile h;
    ScriptedTaker t(h.hub, h.directory.port());
    // Under the directory's limit but no valid message; then over it (the directory hangs up).
    t.sendPrivate(h.maker_nick, "tx", std::string(60'000, 'A'));
    BOOST_CHECK(!t.receives(h.maker_nick, "sig", 300ms));
    ScriptedTaker big(h.hub, h.directory.port());
    big.sendPrivate(h.maker_nick, "fill", std::string(70'000, 'A'));
    BOOST_CHECK(big.peer().waitClosed());
    h.nothingSignedAndStillServing(t);
}

BOOST_AUTO_TEST_SUITE_END()
