// Message texts: defaults per event type, per-topic overrides, derived placeholders, and
// hostile or odd event JSON.
#include "message_templates.hpp"
#include "services.hpp"

#include <jm/maker/events.hpp>
#include <jm/sdk/events.hpp>
#include <jm/taker/events.hpp>
#include <jm/wallet/events.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::plugins::notify;

namespace {
MessageTemplates make(boost::json::object overrides = {}, std::string title = "jmnode") {
    auto t = MessageTemplates::make(overrides, std::move(title));
    BOOST_REQUIRE(t);
    return std::move(*t);
}
const std::string TXID = "0123456789abcdef" + std::string(40, '0') + "fedcba98";
} // namespace

BOOST_AUTO_TEST_SUITE(message_templates_tests)

BOOST_AUTO_TEST_CASE(defaults_read_well) {
    auto t = make();
    auto m = t.render("role.coinjoin_completed/1",
                      boost::json::parse(R"({"txid":")" + TXID + R"(","cj_amount":123456789,"role":"taker"})"), "maker",
                      "mainnet");
    BOOST_CHECK_EQUAL(m.title, "jmnode: CoinJoin done");
    BOOST_CHECK_EQUAL(m.body, "CoinJoin of 1.23456789 BTC done as taker. tx 01234567...fedcba98");
    BOOST_CHECK(!m.important);
    auto s = t.render("node.stopping/1", boost::json::parse(R"({"reason":"SIGTERM"})"), "n", "mainnet");
    BOOST_CHECK_EQUAL(s.body, "jmnode is stopping (SIGTERM).");
    BOOST_CHECK(s.important);
    auto v2 =
        t.render("role.coinjoin_completed/2",
                 boost::json::parse(R"({"txid":")" + TXID + R"(","cj_amount":5000000,"role":"maker","fee":1234})"),
                 "maker", "mainnet");
    BOOST_CHECK_EQUAL(v2.body, "CoinJoin of 0.05000000 BTC done as maker; earned 1,234 sats. tx 01234567...fedcba98");
    auto paid =
        t.render("role.coinjoin_completed/2",
                 boost::json::parse(R"({"txid":"x","cj_amount":5000000,"role":"taker","fee":-25000})"), "t", "mainnet");
    BOOST_CHECK_EQUAL(paid.body, "CoinJoin of 0.05000000 BTC done as taker; paid 25,000 sats in fees. tx x");
    auto down = t.render("chain.backend_status/1",
                         boost::json::parse(R"({"instance":"core","reachable":false,"detail":"connection refused"})"),
                         "alerts", "mainnet");
    BOOST_CHECK_EQUAL(down.body, "Backend core is unreachable: connection refused");
    auto up = t.render("chain.backend_status/1",
                       boost::json::parse(R"({"instance":"core","reachable":true,"detail":""})"), "alerts", "mainnet");
    BOOST_CHECK_EQUAL(up.body, "Backend core is reachable again.");
    auto bal =
        t.render("wallet.balance_changed/1",
                 boost::json::parse(R"({"instance":"maker","balance":150000000,"change":-2500,"reason":"CoinJoin"})"),
                 "a", "mainnet");
    BOOST_CHECK_EQUAL(bal.body, "Wallet balance 1.50000000 BTC (-0.00002500 BTC), CoinJoin.");
}

// Every default template, from the event the node or a role really publishes (its own JSON
// form): each placeholder is filled and the text is what a phone shows.
BOOST_AUTO_TEST_CASE(every_default_template_renders_from_its_real_event) {
    auto t = make();
    auto check = [&](const auto& event, const std::string& title, const std::string& body, bool important) {
        using Event = std::decay_t<decltype(event)>;
        BOOST_TEST_CONTEXT(Event::topic) {
            BOOST_CHECK(!MessageTemplates::defaultTemplate(Event::topic).empty());
            auto m = t.render(Event::topic, boost::json::value_from(event), "alerts", "signet");
            BOOST_CHECK_EQUAL(m.title, "jmnode: " + title);
            BOOST_CHECK_EQUAL(m.body, body);
            BOOST_CHECK_EQUAL(m.important, important);
            BOOST_CHECK_EQUAL(m.body.find('{'), std::string::npos);
        }
    };
    const std::string hash = std::string(60, '0') + "abcd";
    check(jm::sdk::events::NodeStarted{"0.1.0", "signet"}, "started", "jmnode 0.1.0 is running on signet.", false);
    check(jm::sdk::events::NodeStopping{"maker: the wallet store failed"}, "stopping",
          "jmnode is stopping (maker: the wallet store failed).", true);
    check(jm::sdk::events::CoinjoinCompleted{TXID, 2'000'000, "maker"}, "CoinJoin done",
          "CoinJoin of 0.02000000 BTC done as maker. tx 01234567...fedcba98", false);
    check(jm::sdk::events::CoinjoinCompletedV2{TXID, 2'000'000, "taker", "taker", 7'412}, "CoinJoin done",
          "CoinJoin of 0.02000000 BTC done as taker; paid 7,412 sats in fees. tx 01234567...fedcba98", false);
    check(jm::maker::events::SessionStarted{"maker", "J5taker", 0, 2'000'000}, "CoinJoin starting",
          "J5taker asked for a CoinJoin of 0.02000000 BTC.", false);
    check(jm::maker::events::SessionFailed{"maker", "J5taker", "timeout", "no !tx within 60 s"}, "CoinJoin failed",
          "CoinJoin with J5taker failed (timeout): no !tx within 60 s", true);
    check(jm::taker::events::Failed{"taker", "J5me", "signatures",
                                    "attempt 3 failed (a maker did not sign); no "
                                    "attempts left"},
          "CoinJoin failed",
          "CoinJoin as taker failed (signatures): attempt 3 failed (a maker did not sign); no attempts left", true);
    jm::maker::events::OffersAnnounced offers{"maker", "J5maker", {{}, {}}, {}};
    check(offers, "offers", "J5maker announced 2 offer(s).", false);
    check(jm::sdk::events::BackendStatus{"core", false, "timed out"}, "backend",
          "Backend core is unreachable: timed out", true);
    check(jm::wallet::events::BalanceChanged{"maker", 52'001'850, 1'000'000, "received"}, "balance",
          "Wallet balance 0.52001850 BTC (+0.01000000 BTC), received.", false);
    check(jm::wallet::events::BalanceChanged{"taker", 0, -1, ""}, "balance",
          "Wallet balance 0.00000000 BTC (-0.00000001 BTC).", false);
    jm::sdk::events::TxStatusChanged status;
    status.txid = TXID;
    status.state = jm::sdk::events::TxState::Confirmed;
    status.confirmations = 3;
    check(status, "transaction", "Transaction 01234567...fedcba98 is confirmed (3 conf).", false);
    check(jm::sdk::events::BlockConnected{800'000, hash}, "new block", "Block 800000: 00000000...0000abcd", false);
}

BOOST_AUTO_TEST_CASE(overrides_and_unknown_topics) {
    auto t = make({{"node.started/1", "{instance} up on {network}, v{version} {nosuch}"}}, "");
    auto m =
        t.render("node.started/1", boost::json::parse(R"({"version":"0.1.0","network":"signet"})"), "alerts", "signet");
    BOOST_CHECK_EQUAL(m.body, "alerts up on signet, v0.1.0 {nosuch}");
    BOOST_CHECK_EQUAL(m.title, "started");
    auto u = t.render("plugin.custom/1", boost::json::parse(R"({"a":[1,2],"b":null})"), "alerts", "signet");
    BOOST_CHECK_EQUAL(u.body, "plugin.custom/1: {\"a\":[1,2],\"b\":null}");
    BOOST_CHECK(!MessageTemplates::make({{"node.started/1", 5}}, ""));
    BOOST_CHECK(!MessageTemplates::make({{"node.started/1", ""}}, ""));
}

BOOST_AUTO_TEST_CASE(odd_events_and_templates_never_break) {
    auto t = make({{"x/1", "{"}, {"y/1", "}{a}{"}, {"z/1", "{a}{a_btc}{a_sats}{a_signed_btc}"}});
    BOOST_CHECK_EQUAL(t.render("x/1", boost::json::parse("{}"), "i", "n").body, "{");
    BOOST_CHECK_EQUAL(t.render("y/1", boost::json::parse(R"({"a":"v"})"), "i", "n").body, "}v{");
    BOOST_CHECK_EQUAL(t.render("z/1", boost::json::parse(R"({"a":-9223372036854775808})"), "i", "n").body,
                      "-9223372036854775808-92233720368.54775808-9,223,372,036,854,775,808-92233720368.54775808");
    // Not an object, wrong types where a default template expects others.
    BOOST_CHECK_EQUAL(t.render("node.stopping/1", boost::json::parse("[1]"), "i", "n").body,
                      "jmnode is stopping ({reason}).");
    BOOST_CHECK_EQUAL(
        t.render("role.coinjoin_completed/2", boost::json::parse(R"({"fee":"lots","role":7})"), "i", "n").body,
        "CoinJoin of {cj_amount_btc} BTC done as 7; paid 0 sats in fees. tx {txid_short}");
}

BOOST_AUTO_TEST_CASE(huge_templates_titles_and_fields_stay_bounded) {
    // A template of many copies of a long field (a peer's failure reason): bounded output.
    std::string many;
    for (int i = 0; i < 200; ++i)
        many += "{reason}";
    auto t = make({{"maker.session_failed/1", many}});
    boost::json::object event{{"taker", "J5x"}, {"stage", "tx"}, {"reason", std::string(100'000, 'r')}};
    auto m = t.render("maker.session_failed/1", event, "i", "n");
    BOOST_CHECK_LE(m.body.size(), 64u * 1024);
    BOOST_CHECK(m.body.ends_with("..."));
    auto u = t.render("plugin.custom/1", event, "i", "n"); // no template: the JSON, cut as well
    BOOST_CHECK_LE(u.body.size(), 64u * 1024);
    // Config abuse: a template or a title far beyond a sentence is a clear config error.
    auto big = MessageTemplates::make({{"node.stopping/1", std::string(3000, 'x')}}, "");
    BOOST_REQUIRE(!big);
    BOOST_CHECK_NE(big.error().message.find("node.stopping/1"), std::string::npos);
    BOOST_CHECK_NE(big.error().message.find("at most 2048"), std::string::npos);
    BOOST_CHECK(!MessageTemplates::make({}, std::string(500, 't')));
    BOOST_CHECK(!MessageTemplates::make({}, "two\nlines"));
    BOOST_CHECK(MessageTemplates::make({{"node.stopping/1", std::string(2048, 'x')}}, std::string(200, 't')));
}

BOOST_AUTO_TEST_CASE(helpers) {
    BOOST_CHECK_EQUAL(formatBtc(0), "0.00000000");
    BOOST_CHECK_EQUAL(formatBtc(-5), "-0.00000005");
    BOOST_CHECK_EQUAL(formatBtc(2'100'000'000'000'000), "21000000.00000000");
    BOOST_CHECK_EQUAL(formatThousands(999), "999");
    BOOST_CHECK_EQUAL(formatThousands(-1000), "-1,000");
    BOOST_CHECK_EQUAL(truncateUtf8("abcdef", 10), "abcdef");
    BOOST_CHECK_EQUAL(truncateUtf8("abcdefghij", 6), "abc...");
    // "é" is two bytes: never cut in the middle of it.
    BOOST_CHECK_EQUAL(truncateUtf8("abcé€zzzz", 7), "abc...");
    BOOST_CHECK_EQUAL(truncateUtf8("abcé€zzzz", 8), "abcé...");
    BOOST_CHECK_EQUAL(percentEncode("!room:ex.org/é"), "%21room%3Aex.org%2F%C3%A9");
}

BOOST_AUTO_TEST_CASE(reply_classifiers_survive_any_body) {
    for (const char* body : {"", "not json", "{\"ok\":", "[]", "{\"parameters\":{\"retry_after\":-5}}",
                             "{\"retry_after\":1e300}", "{\"retry_after_ms\":\"x\"}", "{\"errors\":{}}"}) {
        for (int status : {0, 200, 204, 400, 401, 429, 500, 999}) {
            HttpReply r{status, {{"retry-after", "soon"}}, body};
            BOOST_CHECK_NO_THROW(classifyTelegram(r));
            BOOST_CHECK_NO_THROW(classifyDiscord(r));
            BOOST_CHECK_NO_THROW(classifyMatrix(r));
            BOOST_CHECK_NO_THROW(classifyPushover(r));
            BOOST_CHECK_NO_THROW(classifyHttpReply(r));
        }
    }
    auto neg = classifyTelegram({429, {}, R"({"ok":false,"parameters":{"retry_after":-5}})"});
    BOOST_CHECK(neg.kind == Outcome::Kind::Retry);
    BOOST_CHECK(!neg.wait); // a negative wait is ignored, the backoff applies
    auto header = classifyHttpReply({429, {{"retry-after", " 30 "}}, ""});
    BOOST_REQUIRE(header.wait);
    BOOST_CHECK_EQUAL(header.wait->count(), 30000);
    BOOST_CHECK(!classifyHttpReply({429, {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}, ""}).wait);
    BOOST_CHECK(classifyTelegram({200, {}, R"({"ok":false})"}).kind == Outcome::Kind::Drop);
    BOOST_CHECK(classifyPushover({200, {}, R"({"status":0})"}).kind == Outcome::Kind::Drop);
    BOOST_CHECK(classifyHttpReply({404, {}, ""}).kind == Outcome::Kind::Drop);
    BOOST_CHECK(classifyHttpReply({503, {}, ""}).kind == Outcome::Kind::Retry);
}

BOOST_AUTO_TEST_SUITE_END()
