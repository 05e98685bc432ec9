// The maker's pure parts: the transaction checks, coin selection, the persisted store, settings
// and the per-nick limits.
#include <coin_selection.hpp>
#include <coinjoin_checks.hpp>
#include <maker_settings.hpp>
#include <maker_store.hpp>
#include <nick_limiter.hpp>

#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::plugins::maker;
using jm::bitcoin::OutPoint;
using jm::bitcoin::Transaction;

namespace {

OutPoint op(std::uint8_t tag, std::uint32_t vout = 0) {
    OutPoint o;
    o.txid.fill(tag);
    o.vout = vout;
    return o;
}

jm::bitcoin::Script script(std::uint8_t tag) { return jm::bitcoin::p2wpkhScript(jm::bitcoin::Hash160{tag}); }

//! Terms of a maker with two coins (3e7 + 2e7), amount 4e7, fee 8000, txfee 500, and the honest
//! transaction for them (with a taker input and outputs around).
struct Honest {
    CoinjoinTerms terms;
    Transaction tx;
    Honest() {
        terms.inputs = {{op(1), 30'000'000}, {op(2), 20'000'000}};
        terms.cj_script = script(10);
        terms.change_script = script(11);
        terms.amount = 40'000'000;
        terms.real_cjfee = 8000;
        terms.txfee = 500;
        tx.inputs = {{op(9), {}, 0xffffffff, {}}, {op(2), {}, 0xffffffff, {}}, {op(1), {}, 0xffffffff, {}}};
        tx.outputs = {{40'000'000, script(20)},
                      {terms.expectedChange(), terms.change_script},
                      {40'000'000, terms.cj_script},
                      {5'000'000, script(21)}};
    }
};

void refused(const Transaction& tx, const CoinjoinTerms& terms, const std::string& why,
             std::function<bool(const OutPoint&)> wallet = {}) {
    auto r = verifyCoinjoin(tx, terms, wallet);
    BOOST_REQUIRE_MESSAGE(!r, "signed although " + why);
    BOOST_CHECK_MESSAGE(r.error().message.find(why) != std::string::npos, r.error().message);
}

jm::wallet::WalletUtxo coin(std::uint8_t tag, std::int64_t value) {
    jm::wallet::WalletUtxo u;
    u.outpoint = op(tag);
    u.value = value;
    return u;
}

} // namespace

BOOST_AUTO_TEST_SUITE(maker_tx_check_tests)

BOOST_AUTO_TEST_CASE(the_honest_transaction_passes_and_names_our_inputs) {
    Honest h;
    BOOST_CHECK_EQUAL(h.terms.expectedChange(), 50'000'000 - 40'000'000 - 500 + 8000);
    auto r = verifyCoinjoin(h.tx, h.terms, {});
    BOOST_REQUIRE(r);
    BOOST_CHECK((*r == std::vector<std::size_t>{1, 2}));
    // Paying more than agreed is fine; so are versions 1 and 3.
    h.tx.outputs[1].value += 7;
    h.tx.version = 1;
    BOOST_CHECK(verifyCoinjoin(h.tx, h.terms, {}));
    h.tx.version = 3;
    BOOST_CHECK(verifyCoinjoin(h.tx, h.terms, {}));
}

BOOST_AUTO_TEST_CASE(every_rule_refuses) {
    {
        Honest h;
        h.tx.version = 4;
        refused(h.tx, h.terms, "version");
    }
    {
        Honest h;
        h.tx.outputs.clear();
        refused(h.tx, h.terms, "no inputs or no outputs");
    }
    {
        Honest h;
        h.tx.inputs.push_back(h.tx.inputs.front());
        refused(h.tx, h.terms, "listed twice");
    }
    {
        Honest h;
        h.tx.inputs.pop_back();
        refused(h.tx, h.terms, "is missing");
    }
    {
        Honest h;
        h.tx.inputs.push_back({op(7), {}, 0xffffffff, {}});
        refused(h.tx, h.terms, "not offered in this session", [](const OutPoint& o) { return o == op(7); });
    }
    {
        Honest h;
        h.terms.real_cjfee = 499;
        h.tx.outputs[1].value = h.terms.expectedChange();
        refused(h.tx, h.terms, "negative earning");
    }
    {
        Honest h;
        h.tx.outputs[2].value -= 1;
        refused(h.tx, h.terms, "CoinJoin output pays");
    }
    {
        Honest h;
        h.tx.outputs[1].value -= 1;
        refused(h.tx, h.terms, "change output pays");
    }
    {
        Honest h;
        h.tx.outputs[1].script_pubkey = script(30);
        refused(h.tx, h.terms, "change address 0 times");
    }
    {
        Honest h;
        h.tx.outputs.push_back(h.tx.outputs[2]);
        refused(h.tx, h.terms, "CoinJoin address appears 2 times");
    }
    {
        Honest h;
        h.tx.outputs.push_back({1, h.terms.change_script});
        refused(h.tx, h.terms, "change output pays"); // the second one pays too little
    }
    {
        Honest h;
        h.tx.outputs[3].value = -1;
        refused(h.tx, h.terms, "negative output");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maker_coin_selection_tests)

BOOST_AUTO_TEST_CASE(smallest_single_coin_else_largest_first) {
    std::vector<jm::wallet::WalletUtxo> coins{coin(1, 5'000), coin(2, 20'000), coin(3, 12'000), coin(4, 3'000)};
    auto one = selectCoins(coins, 11'000, 15);
    BOOST_REQUIRE(one && one->size() == 1);
    BOOST_CHECK_EQUAL(one->front().value, 12'000);
    auto two = selectCoins(coins, 30'000, 15);
    BOOST_REQUIRE(two);
    std::int64_t sum = 0;
    for (const auto& c : *two)
        sum += c.value;
    BOOST_CHECK_EQUAL(two->size(), 2u); // 20000 + 12000: 5000 and 3000 dropped as unneeded
    BOOST_CHECK_EQUAL(sum, 32'000);
    BOOST_CHECK(!selectCoins(coins, 40'001, 15));
    BOOST_CHECK(!selectCoins(coins, 36'000, 2)); // needs three coins, only two allowed
    BOOST_CHECK(!selectCoins(coins, 0, 15));
    BOOST_CHECK(!selectCoins({}, 1, 15));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maker_store_tests)

BOOST_AUTO_TEST_CASE(blacklist_is_persisted_with_synced_writes) {
    jm::sdk::testing::MemoryKvStore kv;
    MakerStore store(kv);
    std::string c(64, 'a');
    BOOST_CHECK(!*store.isBlacklisted(c));
    auto synced = kv.syncedWrites();
    BOOST_REQUIRE(store.blacklist(c));
    BOOST_CHECK_GT(kv.syncedWrites(), synced);
    BOOST_CHECK(*MakerStore(kv).isBlacklisted(c));
    BOOST_CHECK_EQUAL(*store.blacklistSize(), 1u);
}

BOOST_AUTO_TEST_CASE(learned_commitments_are_bounded_and_answered_ones_kept) {
    jm::sdk::testing::MemoryKvStore kv;
    MakerStore store(kv, 10);
    std::string own(64, 'e');
    BOOST_REQUIRE(store.lockForSession({}, own));
    auto synced = kv.syncedWrites();
    auto hex = [](int i) {
        char c[65];
        std::snprintf(c, sizeof c, "%064x", i);
        return std::string(c);
    };
    for (int i = 0; i < 35; ++i)
        BOOST_REQUIRE(store.learn(hex(i)).value()); // new each time
    BOOST_CHECK_EQUAL(kv.syncedWrites(), synced);   // advice from others costs no fsync
    BOOST_CHECK_LE(*store.blacklistSize(), 1u + 10u);
    BOOST_CHECK(*store.isBlacklisted(own));     // ours are never forgotten
    BOOST_CHECK(*store.isBlacklisted(hex(34))); // the newest are kept
    BOOST_CHECK(!*store.isBlacklisted(hex(0))); // the oldest went first
    BOOST_REQUIRE(store.learn(own));            // already ours: nothing changes
    BOOST_REQUIRE(store.learn(hex(34)));        // idempotent
    // A new instance (a restart) counts what is on disk and keeps the bound.
    MakerStore again(kv, 10);
    for (int i = 100; i < 120; ++i)
        BOOST_REQUIRE(again.learn(hex(i)).value());
    BOOST_CHECK_LE(*again.blacklistSize(), 1u + 10u);
    BOOST_CHECK(*again.isBlacklisted(hex(119)));
    BOOST_CHECK(*again.isBlacklisted(own));
}

BOOST_AUTO_TEST_CASE(locks_and_signed_coinjoins_round_trip) {
    jm::sdk::testing::MemoryKvStore kv;
    MakerStore store(kv);
    std::string commitment(64, 'b');
    BOOST_REQUIRE(store.lockForSession({{op(1), "J5taker", "", 100}, {op(2), "J5taker", "", 100}}, commitment));
    BOOST_CHECK(*store.isBlacklisted(commitment)); // in the same batch
    auto locks = store.locks(0);
    BOOST_REQUIRE(locks);
    BOOST_REQUIRE_EQUAL(locks->size(), 2u);
    BOOST_CHECK(!locks->front().isSigned());

    SignedCoinjoin c;
    c.txid = std::string(64, 'c');
    c.taker = "J5taker";
    c.cj_amount = 1'000'000;
    c.inputs = {op(1), op(2)};
    c.expires = 500;
    BOOST_REQUIRE(store.recordSigned(c, {{op(1), "J5taker", c.txid, 500}, {op(2), "J5taker", c.txid, 500}}));
    auto list = store.signedCoinjoins();
    BOOST_REQUIRE(list && list->size() == 1);
    BOOST_CHECK_EQUAL(list->front().txid, c.txid);
    BOOST_CHECK(list->front().inputs == c.inputs);
    locks = store.locks(0);
    BOOST_CHECK(locks->front().isSigned() && locks->back().isSigned());

    BOOST_REQUIRE(store.settle(c));
    BOOST_CHECK(store.locks(0)->empty());
    BOOST_CHECK(store.signedCoinjoins()->empty());
}

BOOST_AUTO_TEST_CASE(an_unreadable_lock_keeps_its_coin_locked) {
    jm::sdk::testing::MemoryKvStore kv;
    BOOST_REQUIRE(kv.put("lock/" + op(5).toString(), "{not json"));
    BOOST_REQUIRE(kv.put("lock/garbage", "{}")); // not an outpoint: not ours
    auto locks = MakerStore(kv).locks(1000);
    BOOST_REQUIRE(locks && locks->size() == 1);
    BOOST_CHECK(locks->front().isSigned());
    BOOST_CHECK_EQUAL(locks->front().expires, 1000 + 86'400);
    BOOST_REQUIRE(kv.put("signed/x", "{not json"));
    BOOST_CHECK(!MakerStore(kv).signedCoinjoins());
}

BOOST_AUTO_TEST_CASE(earnings_are_listed_oldest_first) {
    jm::sdk::testing::MemoryKvStore kv;
    MakerStore store(kv);
    Earning late{200, std::string(64, 'a'), 5, 3, 4, 1, 0, 1, 1, false};
    Earning early{100, std::string(64, 'b'), 7, 6, 7, 1, 2, 3, 2, true};
    BOOST_REQUIRE(store.recordEarning(late));
    BOOST_REQUIRE(store.recordEarning(early));
    late.confirmed = true;
    BOOST_REQUIRE(store.recordEarning(late)); // an update, not a second entry
    auto list = store.earnings();
    BOOST_REQUIRE(list && list->size() == 2);
    BOOST_CHECK_EQUAL(list->front().txid, early.txid);
    BOOST_CHECK(list->back().confirmed);
    BOOST_CHECK_EQUAL(list->front().fee_earned, 6);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maker_settings_tests)

BOOST_AUTO_TEST_CASE(defaults_and_required_keys) {
    boost::json::object config{{"backend", "core"}, {"yieldgen", "yg"}, {"directories", {"127.0.0.1:5222"}}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(MakerSettings::schema().validate(config, "$", problems));
    auto s = MakerSettings::fromConfig(config);
    BOOST_REQUIRE(s);
    BOOST_CHECK_EQUAL(s->wallet, "wallet");
    BOOST_CHECK_EQUAL(s->podle.retries, 3);
    BOOST_CHECK_EQUAL(s->podle.min_confirmations, 5);
    BOOST_CHECK_EQUAL(s->podle.amount_percent, 20);
    BOOST_CHECK_EQUAL(s->session_timeout.count(), 300'000);
    BOOST_CHECK(s->directory_network.empty()); // the node's network

    auto named = config;
    named["directory_network"] = "testnet"; // what reference regtest bots say in handshakes
    auto n = MakerSettings::fromConfig(named);
    BOOST_REQUIRE(n);
    BOOST_CHECK_EQUAL(n->directory_network, "testnet");

    boost::json::object missing{{"backend", "core"}};
    problems.clear();
    BOOST_CHECK(!MakerSettings::schema().validate(missing, "$", problems));
    boost::json::object empty{{"backend", "core"}, {"yieldgen", "yg"}, {"directories", boost::json::array{}}};
    problems.clear();
    BOOST_REQUIRE(MakerSettings::schema().validate(empty, "$", problems));
    BOOST_CHECK(!MakerSettings::fromConfig(empty));
    boost::json::object bad{{"backend", "core"}, {"yieldgen", "yg"}, {"directories", {"nowhere"}}};
    problems.clear();
    BOOST_REQUIRE(MakerSettings::schema().validate(bad, "$", problems));
    auto r = MakerSettings::fromConfig(bad);
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().message.find("host:port") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tor_key_routes_onion_directories) {
    const std::string onion = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd.onion:5222";
    boost::json::object config{{"backend", "core"}, {"yieldgen", "yg"}, {"directories", {onion}}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(MakerSettings::schema().validate(config, "$", problems));
    auto without = MakerSettings::fromConfig(config); // an onion directory needs tor.socks
    BOOST_REQUIRE(!without);
    BOOST_CHECK(without.error().message.find("tor.socks") != std::string::npos);
    config["tor"] = boost::json::object{{"socks", "127.0.0.1:9050"}};
    auto with = MakerSettings::fromConfig(config);
    BOOST_REQUIRE(with);
    BOOST_CHECK_EQUAL(with->tor.socks_port, 9050);
    config["tor"] = boost::json::object{{"socks", "127.0.0.1"}};
    BOOST_CHECK(!MakerSettings::fromConfig(config));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maker_nick_limiter_tests)

BOOST_AUTO_TEST_CASE(bursts_then_refills_and_bounds_its_memory) {
    using Clock = NickLimiter::Clock;
    NickLimiter limiter(10, 5, std::chrono::seconds(10), 3);
    auto t0 = Clock::now();
    for (int i = 0; i < 5; ++i)
        BOOST_CHECK(limiter.allowMessage("a", t0));
    BOOST_CHECK(!limiter.allowMessage("a", t0));
    BOOST_CHECK(limiter.allowMessage("b", t0));                                  // per nick
    BOOST_CHECK(limiter.allowMessage("a", t0 + std::chrono::milliseconds(100))); // 10/s refills one
    BOOST_CHECK_EQUAL(limiter.dropped(), 1u);

    BOOST_CHECK(limiter.allowOrderbook("a", t0));
    BOOST_CHECK(!limiter.allowOrderbook("a", t0 + std::chrono::seconds(5)));
    BOOST_CHECK(limiter.allowOrderbook("a", t0 + std::chrono::seconds(11)));

    // Past three nicks the least recently active one is forgotten (its bucket starts full).
    for (int i = 0; i < 5; ++i)
        limiter.allowMessage("c", t0);
    BOOST_CHECK(!limiter.allowMessage("c", t0));
    limiter.allowMessage("d", t0 + std::chrono::seconds(1));
    limiter.allowMessage("e", t0 + std::chrono::seconds(2));
    limiter.allowMessage("f", t0 + std::chrono::seconds(3));
    BOOST_CHECK(limiter.allowMessage("c", t0 + std::chrono::seconds(3)));
}

BOOST_AUTO_TEST_SUITE_END()
