// The taker's pure parts: the orderbook (de-duplication, cancels, bond claims, malformed
// input), the !ioauth checks, the transaction builder and the money rules on final transactions.
#include "taker_harness.hpp"

#include <coinjoin_tx.hpp>
#include <jm/market/orderbook.hpp>
#include <taker_store.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/test/unit_test.hpp>

#include <sodium.h>

using namespace jm::plugins::taker;
using jm::protocol::Command;

namespace {

std::vector<Command> commands(const std::string& body) { return jm::protocol::splitCommands(body).value(); }

jm::bitcoin::Script randomScript() {
    return jm::bitcoin::p2wpkhScript(jm::bitcoin::PrivateKey::generate().publicKey());
}

Coin randomCoin(std::int64_t value) {
    Coin c;
    randombytes_buf(c.outpoint.txid.data(), c.outpoint.txid.size());
    c.value = value;
    c.script_pubkey = randomScript();
    return c;
}

CoinjoinTerms sampleTerms() {
    CoinjoinTerms t;
    t.cj_amount = 10'000'000;
    t.destination = randomScript();
    t.taker_inputs = {randomCoin(30'000'000)};
    t.taker_change = randomScript();
    for (int i = 0; i < 2; ++i) {
        MakerPart m;
        m.nick = "J5maker" + std::to_string(i);
        m.inputs = {randomCoin(50'000'000)};
        m.cj_script = randomScript();
        m.change_script = randomScript();
        m.cjfee = 2000;
        m.txfee = 300;
        t.makers.push_back(m);
    }
    t.max_maker_fees = 2 * 40'000;
    t.taker_change_value = 30'000'000 - 10'000'000 - 4000 - 5000;
    return t;
}

} // namespace

BOOST_AUTO_TEST_SUITE(taker_units_tests)

BOOST_AUTO_TEST_CASE(the_orderbook_keeps_one_offer_per_nick_and_oid) {
    Orderbook book;
    book.onPublic("J5a", commands("sw0reloffer 0 100000 500000 0 0.0002"));
    book.onPublic("J5a", commands("sw0reloffer 0 100000 500000 0 0.0002")); // through a second directory
    BOOST_CHECK_EQUAL(book.offers().size(), 1u);
    BOOST_CHECK(!book.answered("J5a"));
    BOOST_CHECK(
        book.onPrivate("J5a", commands("sw0reloffer 0 100000 600000 0 0.0003!sw0absoffer 1 100000 600000 0 500")));
    BOOST_CHECK(book.answered("J5a"));
    BOOST_REQUIRE_EQUAL(book.offers().size(), 2u);
    BOOST_CHECK_EQUAL(book.offer("J5a", 0)->cjfee, "0.0003"); // replaced
    book.onPublic("J5a", commands("cancel 1"));
    BOOST_CHECK_EQUAL(book.offers().size(), 1u);
    book.remove("J5a");
    BOOST_CHECK(book.offers().empty());
    BOOST_CHECK(!book.answered("J5a"));
}

BOOST_AUTO_TEST_CASE(malformed_offers_are_skipped_one_by_one) {
    Orderbook book;
    // Bad fields, a negative fee, minsize > maxsize, an unknown command, a bad tbond, a bad cancel:
    // only the well-formed offer counts.
    BOOST_CHECK(book.onPrivate("J5a", commands("sw0reloffer x 1 2 3 4!sw0reloffer 1 100 50 0 0.1!sw0absoffer 2 "
                                               "100000 500000 -1 5!foo bar!tbond AAAA!cancel zz!sw0reloffer 3 "
                                               "100000 500000 0 0.0001")));
    BOOST_REQUIRE_EQUAL(book.offers().size(), 1u);
    BOOST_CHECK_EQUAL(book.offers().front().offer.oid, 3);
    BOOST_CHECK(!book.bondProof("J5a"));
    BOOST_CHECK(!book.onPrivate("J5b", commands("tbond AAAA")));
    BOOST_CHECK(!book.answered("J5b"));
}

BOOST_AUTO_TEST_CASE(a_nick_floods_no_more_than_its_share) {
    Orderbook book;
    for (int i = 0; i < 100; ++i)
        book.onPublic("J5a", commands("sw0reloffer " + std::to_string(i) + " 100000 500000 0 0.0001"));
    BOOST_CHECK_EQUAL(book.offers().size(), Orderbook::MAX_OFFERS_PER_NICK);
}

BOOST_AUTO_TEST_CASE(a_bond_claimed_by_a_new_nick_replaces_the_old_nicks_offers) {
    auto key = jm::bitcoin::PrivateKey::generate();
    jm::bitcoin::Hash256 txid{};
    txid[0] = 7;
    auto proof = [&](const std::string& maker) {
        return jm::protocol::serializeBondProof(jm::protocol::createBondProof(key, jm::bitcoin::PrivateKey::generate(),
                                                                              10, "J5taker", maker, txid, 0,
                                                                              1'900'000'000))
            .value();
    };
    Orderbook book("J5taker");
    book.onPrivate("J5old", commands("sw0reloffer 0 100000 500000 0 0.0002!tbond " + proof("J5old")));
    BOOST_CHECK(book.bondProof("J5old"));
    book.onPrivate("J5new", commands("sw0reloffer 0 100000 500000 0 0.0002!tbond " + proof("J5new")));
    BOOST_CHECK(!book.bondProof("J5old"));
    BOOST_CHECK(book.bondProof("J5new"));
    BOOST_REQUIRE_EQUAL(book.offers().size(), 1u);
    BOOST_CHECK_EQUAL(book.offers().front().counterparty, "J5new");
    // A proof replayed by a third nick (signed for J5new) is worthless: it evicts nobody.
    book.onPrivate("J5thief", commands("sw0reloffer 0 100000 500000 0 0.0002!tbond " + proof("J5new")));
    BOOST_CHECK(book.bondProof("J5new"));
    BOOST_CHECK(!book.bondProof("J5thief"));
    BOOST_CHECK_EQUAL(book.offers().size(), 2u);
}

BOOST_AUTO_TEST_CASE(ioauth_checks_refuse_each_hostile_form) {
    auto key = jm::bitcoin::PrivateKey::generate();
    auto encpk = jm::protocol::BoxKeyPair::generate().publicKeyHex();
    auto coin = randomCoin(50'000'000);
    jm::protocol::IoauthMessage msg;
    msg.utxos = {{coin.outpoint, {}, {}}};
    msg.auth_pub_hex = jm::bitcoin::toHex(key.publicKey().compressed());
    auto addr = [](const jm::bitcoin::Script& s) {
        return jm::bitcoin::scriptToAddress(s, jm::bitcoin::Network::Testnet).value();
    };
    auto cj = randomScript(), change = randomScript();
    msg.cj_address = addr(cj);
    msg.change_address = addr(change);
    msg.btc_sig = jm::protocol::signIoauth(key, encpk);
    auto net = jm::bitcoin::Network::Testnet;
    BOOST_CHECK(checkIoauth(msg, encpk, net, 15, {}, {}));
    // btc_sig over another key's text.
    BOOST_CHECK(!checkIoauth(msg, jm::protocol::BoxKeyPair::generate().publicKeyHex(), net, 15, {}, {}));
    // A coin already taken, an address of another party, too many inputs, a mainnet address.
    BOOST_CHECK(!checkIoauth(msg, encpk, net, 15, {coin.outpoint}, {}));
    BOOST_CHECK(!checkIoauth(msg, encpk, net, 15, {}, {cj}));
    BOOST_CHECK(!checkIoauth(msg, encpk, net, 0, {}, {}));
    BOOST_CHECK(!checkIoauth(msg, encpk, jm::bitcoin::Network::Mainnet, 15, {}, {}));
    auto same = msg;
    same.change_address = same.cj_address;
    BOOST_CHECK(!checkIoauth(same, encpk, net, 15, {}, {}));
    auto twice = msg;
    twice.utxos.push_back(twice.utxos.front());
    BOOST_CHECK(!checkIoauth(twice, encpk, net, 15, {}, {}));

    // The coins as the backend reports them.
    jm::chain::TxOutInfo info{50'000'000, jm::bitcoin::p2wpkhScript(key.publicKey()), 3, false};
    BOOST_CHECK(checkMakerCoins("J5m", msg, {info}, cj, change, 10'000'000, 2000, 300));
    BOOST_CHECK(!checkMakerCoins("J5m", msg, {std::nullopt}, cj, change, 10'000'000, 2000, 300)); // spent
    auto unconfirmed = info;
    unconfirmed.confirmations = 0;
    BOOST_CHECK(!checkMakerCoins("J5m", msg, {unconfirmed}, cj, change, 10'000'000, 2000, 300));
    auto foreign = info;
    foreign.script_pubkey = randomScript();
    BOOST_CHECK(!checkMakerCoins("J5m", msg, {foreign}, cj, change, 10'000'000, 2000, 300)); // auth_pub owns none
    auto small = info;
    small.value = 10'010'000;
    BOOST_CHECK(!checkMakerCoins("J5m", msg, {small}, cj, change, 10'000'000, 2000, 300)); // change below dust
    BOOST_CHECK(!checkMakerCoins("J5m", msg, {}, cj, change, 10'000'000, 2000, 300));
}

BOOST_AUTO_TEST_CASE(the_built_transaction_passes_the_money_rules_and_tampering_does_not) {
    auto terms = sampleTerms();
    auto tx = buildCoinjoinTx(terms, 100).value();
    BOOST_CHECK_EQUAL(tx.inputs.size(), 3u);
    BOOST_CHECK_EQUAL(tx.outputs.size(), 6u);
    BOOST_CHECK_EQUAL(tx.inputs.front().sequence, 0xfffffffeu);
    BOOST_REQUIRE(checkCoinjoinTx(tx, terms, 350'000));
    auto findOutput = [&](const jm::bitcoin::Transaction& t, const jm::bitcoin::Script& s) {
        return std::find_if(t.outputs.begin(), t.outputs.end(), [&](const auto& o) { return o.script_pubkey == s; }) -
               t.outputs.begin();
    };
    {
        auto bad = tx; // the destination paid one satoshi less
        bad.outputs[findOutput(bad, terms.destination)].value -= 1;
        BOOST_CHECK(!checkCoinjoinTx(bad, terms, 350'000));
    }
    {
        auto bad = tx; // our change wrong
        bad.outputs[findOutput(bad, *terms.taker_change)].value += 1;
        BOOST_CHECK(!checkCoinjoinTx(bad, terms, 350'000));
    }
    {
        auto bad = tx; // an extra output
        bad.outputs.push_back({1000, randomScript()});
        BOOST_CHECK(!checkCoinjoinTx(bad, terms, 350'000));
    }
    {
        auto bad = tx; // an input not agreed
        bad.inputs.push_back({randomCoin(1).outpoint, {}, 0xffffffff, {}});
        BOOST_CHECK(!checkCoinjoinTx(bad, terms, 350'000));
    }
    {
        auto bad = tx; // an input spent twice
        bad.inputs.back() = bad.inputs.front();
        BOOST_CHECK(!checkCoinjoinTx(bad, terms, 350'000));
    }
    {
        auto limited = terms; // the makers' fees over the limits
        limited.max_maker_fees = limited.makerFees() - 1;
        BOOST_CHECK(!checkCoinjoinTx(tx, limited, 350'000));
    }
    {
        auto absurd = terms; // nearly all our change to the miners
        absurd.taker_change_value = 1000;
        auto t = buildCoinjoinTx(absurd, 0).value();
        BOOST_CHECK(!checkCoinjoinTx(t, absurd, 350'000));
    }
    {
        auto negative = terms; // more out than in
        negative.taker_change_value = 30'000'000;
        auto t = buildCoinjoinTx(negative, 0).value();
        BOOST_CHECK(!checkCoinjoinTx(t, negative, 350'000));
    }
}

BOOST_AUTO_TEST_CASE(bad_taker_configs_are_refused_with_a_clear_error) {
    boost::json::object base{{"backend", "b"}, {"chooser", "c"}, {"directories", boost::json::array{"127.0.0.1:1"}}};
    auto parse = [&](boost::json::object extra) {
        auto config = base;
        for (const auto& [k, v] : extra)
            config[k] = v;
        std::vector<jm::sdk::ConfigProblem> problems;
        if (!TakerSettings::schema().validate(config, "$", problems)) return false;
        return TakerSettings::fromConfig(config).has_value();
    };
    BOOST_CHECK(parse({}));
    BOOST_CHECK(!parse({{"tx_broadcast", "everyone"}}));
    BOOST_CHECK(!parse({{"max_cj_fee_rel", "a lot"}}));
    BOOST_CHECK(!parse({{"directories", boost::json::array{"nohost"}}}));
    BOOST_CHECK(!parse({{"directories", boost::json::array{}}}));
    BOOST_CHECK(!parse({{"makers", 0}}));
}

BOOST_AUTO_TEST_CASE(coinjoin_records_keep_our_inputs_and_a_damaged_one_is_an_error) {
    jm::sdk::testing::MemoryKvStore kv;
    TakerStore store(kv);
    CoinjoinRecord r{"ab", 1000, 10, 20, 1, "bcrt1qdest", 1700000000};
    r.inputs = {randomCoin(1).outpoint, randomCoin(2).outpoint};
    BOOST_REQUIRE(store.recordCoinjoin(r).has_value());
    // An older record, without inputs: read with none.
    BOOST_REQUIRE(kv.put("coinjoin/cd", R"({"txid":"cd","cj_amount":5,"mixdepth":0,"time":1})").has_value());
    auto records = store.coinjoins();
    BOOST_REQUIRE(records.has_value());
    BOOST_REQUIRE_EQUAL(records->size(), 2u);
    BOOST_CHECK((records->at(0).inputs == r.inputs));
    BOOST_CHECK(records->at(1).inputs.empty());
    // A coin that cannot be read, or a record that is no JSON object: the taker cannot know
    // which coins it must spend, so it says so instead of guessing.
    BOOST_REQUIRE(kv.put("coinjoin/ef", R"({"txid":"ef","inputs":["nonsense"]})").has_value());
    auto damaged = store.coinjoins();
    BOOST_REQUIRE(!damaged);
    BOOST_CHECK(damaged.error().code == jm::sdk::make_error_code(jm::sdk::errc::corrupt_data));
    BOOST_REQUIRE(kv.put("coinjoin/ef", "[1,2]").has_value());
    BOOST_CHECK(!store.coinjoins());
}

BOOST_AUTO_TEST_SUITE_END()
