// Each message service against a loopback test server that speaks its API as documented (paths,
// auth, bodies, error and rate-limit replies), over TLS signed by the run-time test CA.
#include "message_notifier.hpp"
#include "notifier_harness.hpp"
#include "service_server.hpp"
#include "test_pki.hpp"

#include <jm/maker/events.hpp>
#include <jm/sdk/events.hpp>
#include <jm/taker/events.hpp>
#include <jm/wallet/events.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <thread>

using namespace jm::plugins::notify;
using jm::test::NotifierHarness;
using jm::test::ServiceServer;
using jm::test::TestPki;
using namespace std::chrono_literals;
using Request = ServiceServer::Request;
using Response = ServiceServer::Response;

namespace {

const std::string TXID = "aaaaaaaa" + std::string(48, '0') + "bbbbbbbb";

// A running notifier for `service` with `cfg` (+ the test CA, fast retries) and secrets in `dir`.
struct ServiceFixture {
    jm::test::TempDir dir;
    NotifierHarness h;
    MessageNotifier* notifier = nullptr;

    void secret(const std::string& name, const std::string& value) { jm::test::writeSecret(dir.path() / name, value); }

    void start(std::string_view service, boost::json::object cfg) {
        cfg.emplace("ca_file", TestPki::get().ca.string());
        cfg.emplace("backoff_initial", "10ms");
        cfg.emplace("min_interval", "0ms");
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(MessageNotifier::schema(service).validate(cfg, "$", problems));
        auto parts = service == "email"
                         ? MessageNotifier::emailParts(cfg, h.running.ctx().executor(), dir.path())
                         : MessageNotifier::httpParts(service, cfg, h.running.ctx().executor(), dir.path());
        BOOST_REQUIRE_MESSAGE(parts, (parts ? "" : parts.error().message));
        auto n = std::make_unique<MessageNotifier>(h.running.ctx(), std::move(*parts));
        notifier = n.get();
        h.start(std::move(n));
    }
    const DeliveryStats& stats() { return *notifier->stats(); }
    void coinjoin() { h.running.ctx().bus().publish(jm::sdk::events::CoinjoinCompleted{TXID, 1'000'000, "maker"}); }
    void failed(std::string reason) {
        h.running.ctx().bus().publish(jm::maker::events::SessionFailed{"maker", "J5taker", "tx", std::move(reason)});
    }
};

ServiceServer::Tls tls() { return {TestPki::get().cert, TestPki::get().key}; }

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

std::chrono::milliseconds gap(const std::vector<Request>& r, std::size_t i) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(r.at(i).at - r.at(i - 1).at);
}

} // namespace

BOOST_AUTO_TEST_SUITE(services_tests)

BOOST_AUTO_TEST_CASE(ntfy_publishes_json_with_bearer_auth_and_retries_its_429) {
    std::atomic<int> calls{0};
    ServiceServer server(
        [&](const Request& r) -> Response {
            if (r.headers.at("authorization") != "Bearer tk_abc")
                return {401, R"({"code":40101,"http":401,"error":"unauthorized"})"};
            if (calls++ == 0) return {429, R"({"code":42901,"http":429,"error":"limit reached"})"};
            return {200, R"({"id":"x1","event":"message","topic":"jm-alerts"})"};
        },
        tls());
    ServiceFixture f;
    f.secret("ntfy.token", "tk_abc");
    f.start("ntfy", {{"server", server.base()}, {"topic", "jm-alerts"}, {"token_file", "ntfy.token"}});
    f.coinjoin();
    f.failed("the taker vanished");
    BOOST_REQUIRE(server.waitForRequests(3, 10s));
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 2; }));
    auto got = server.requests();
    for (const auto& r : got) {
        BOOST_CHECK_EQUAL(r.method, "POST");
        BOOST_CHECK_EQUAL(r.target, "/");
        BOOST_CHECK_EQUAL(r.headers.at("content-type"), "application/json");
    }
    BOOST_CHECK_EQUAL(got[0].body, got[1].body); // the rate-limited message went again
    auto first = json(got[1].body);
    BOOST_CHECK_EQUAL(first.at("topic").as_string(), "jm-alerts");
    BOOST_CHECK_EQUAL(first.at("title").as_string(), "jmnode: CoinJoin done");
    BOOST_CHECK_EQUAL(first.at("message").as_string(),
                      "CoinJoin of 0.01000000 BTC done as maker. tx aaaaaaaa...bbbbbbbb");
    BOOST_CHECK_EQUAL(first.at("priority").as_int64(), 3);
    auto second = json(got[2].body);
    BOOST_CHECK_EQUAL(second.at("message").as_string(), "CoinJoin with J5taker failed (tx): the taker vanished");
    BOOST_CHECK_EQUAL(second.at("priority").as_int64(), 4);
    BOOST_CHECK_EQUAL(f.stats().retried.load(), 1u);
}

BOOST_AUTO_TEST_CASE(gotify_sends_the_app_token_and_a_401_is_final) {
    ServiceServer server(
        [&](const Request& r) -> Response {
            if (r.target != "/gotify/message") return {404, R"({"error":"Not Found","errorCode":404})"};
            if (r.headers.count("x-gotify-key") == 0 || r.headers.at("x-gotify-key") != "AbCdEf.123")
                return {
                    401,
                    R"({"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid access token or user credentials to access this api"})"};
            return {200, R"({"id":25,"appid":5,"message":"m","title":"t","priority":5})"};
        },
        tls());
    {
        ServiceFixture good;
        good.secret("gotify", "AbCdEf.123");
        good.start("gotify", {{"server", server.base() + "/gotify/"}, {"token_file", "gotify"}});
        good.coinjoin();
        BOOST_CHECK(good.h.waitUntil([&] { return good.stats().delivered == 1; }));
        auto body = json(server.requests().at(0).body);
        BOOST_CHECK_EQUAL(body.at("priority").as_int64(), 5);
        BOOST_CHECK_EQUAL(body.at("title").as_string(), "jmnode: CoinJoin done");
    }
    ServiceFixture bad;
    bad.secret("gotify", "wrong");
    bad.start("gotify", {{"server", server.base() + "/gotify"}, {"token_file", "gotify"}, {"max_attempts", 5}});
    bad.coinjoin();
    BOOST_CHECK(bad.h.waitUntil([&] { return bad.stats().dropped_rejected == 1; }));
    BOOST_CHECK_EQUAL(server.requests().size(), 2u); // refused once, never retried
    BOOST_CHECK_EQUAL(bad.stats().retried.load(), 0u);
}

BOOST_AUTO_TEST_CASE(telegram_send_message_honours_retry_after) {
    std::atomic<int> calls{0};
    const std::string token = "123456:ABC-DEF_ghi";
    ServiceServer server(
        [&](const Request& r) -> Response {
            if (r.target != "/bot" + token + "/sendMessage")
                return {401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})"};
            auto body = json(r.body);
            if (body.at("chat_id").as_string() != "-1001234")
                return {400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})"};
            if (calls++ == 0)
                return {
                    429,
                    R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}})"};
            return {200,
                    R"({"ok":true,"result":{"message_id":7,"chat":{"id":-1001234},"date":1700000000,"text":"x"}})"};
        },
        tls());
    ServiceFixture f;
    f.secret("bot", token);
    f.start("telegram", {{"api_url", server.base()}, {"chat_id", "-1001234"}, {"bot_token_file", "bot"}});
    f.coinjoin();
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
    auto got = server.requests();
    BOOST_REQUIRE_EQUAL(got.size(), 2u);
    BOOST_CHECK_GE(gap(got, 1).count(), 950); // retry_after 1 s, not the 10 ms backoff
    BOOST_CHECK_EQUAL(f.stats().rate_limited.load(), 1u);
    auto body = json(got[1].body);
    BOOST_CHECK_EQUAL(body.at("text").as_string(),
                      "jmnode: CoinJoin done\nCoinJoin of 0.01000000 BTC done as maker. tx aaaaaaaa...bbbbbbbb");
    BOOST_CHECK_EQUAL(body.at("disable_notification").as_bool(), true);
    BOOST_CHECK(!body.contains("parse_mode"));
}

BOOST_AUTO_TEST_CASE(telegram_refusals_are_final_and_bad_tokens_are_config_errors) {
    ServiceServer server(
        [&](const Request&) -> Response {
            return {403, R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})"};
        },
        tls());
    ServiceFixture f;
    f.secret("bot", "123:abc");
    f.start("telegram", {{"api_url", server.base()}, {"chat_id", "42"}, {"bot_token_file", "bot"}});
    f.failed("x");
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().dropped_rejected == 1; }));
    BOOST_CHECK_EQUAL(server.requests().size(), 1u);

    jm::test::TempDir dir;
    jm::test::writeSecret(dir.path() / "bot", "123:abc/../../evil");
    boost::json::object cfg{{"chat_id", "42"}, {"bot_token_file", "bot"}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(MessageNotifier::schema("telegram").validate(cfg, "$", problems));
    boost::asio::io_context ioc;
    auto parts = MessageNotifier::httpParts("telegram", cfg, ioc.get_executor(), dir.path());
    BOOST_REQUIRE(!parts);
    BOOST_CHECK_NE(parts.error().message.find("does not look like"), std::string::npos);
    BOOST_CHECK_EQUAL(parts.error().message.find("evil"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(discord_webhook_waits_the_json_retry_after_and_blocks_mentions) {
    std::atomic<int> calls{0};
    ServiceServer server(
        [&](const Request& r) -> Response {
            if (r.target != "/api/webhooks/111/tok-en?wait=true")
                return {401, R"({"message": "Invalid Webhook Token", "code": 50027})"};
            if (calls++ == 0)
                return {429,
                        R"({"message": "You are being rate limited.", "retry_after": 0.4, "global": false})",
                        "application/json",
                        {{"Retry-After", "1"}, {"X-RateLimit-Reset-After", "0.4"}}};
            return {200, R"({"id":"1","type":0,"content":"x","channel_id":"2"})"};
        },
        tls());
    ServiceFixture f;
    f.secret("discord.url", server.base() + "/api/webhooks/111/tok-en");
    f.start("discord", {{"webhook_url_file", "discord.url"}});
    f.failed("@everyone look");
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
    auto got = server.requests();
    BOOST_REQUIRE_EQUAL(got.size(), 2u);
    BOOST_CHECK_GE(gap(got, 1).count(), 390);
    auto body = json(got[1].body);
    BOOST_CHECK_EQUAL(body.at("content").as_string(),
                      "**jmnode\\: CoinJoin failed**\nCoinJoin with J5taker failed \\(tx\\)\\: @everyone look");
    BOOST_CHECK(body.at("allowed_mentions").at("parse").as_array().empty());
    BOOST_CHECK_EQUAL(body.at("username").as_string(), "jmnode");
}

BOOST_AUTO_TEST_CASE(discord_text_from_the_network_cannot_format_link_or_mention) {
    ServiceServer server([&](const Request&) -> Response { return {200, R"({"id":"1"})"}; }, tls());
    ServiceFixture f;
    f.secret("discord.url", server.base() + "/api/webhooks/111/tok-en");
    f.start("discord", {{"webhook_url_file", "discord.url"}});
    // A maker's failure reason, as a hostile peer would write it.
    f.failed("**URGENT** [claim refund](https://evil.example) <@123> `x` ~~y~~ ||z||\n# big\n> quote");
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
    auto content = std::string(json(server.requests().at(0).body).at("content").as_string());
    auto body = content.substr(content.find('\n') + 1);
    BOOST_CHECK_EQUAL(
        body,
        "CoinJoin with J5taker failed \\(tx\\)\\: \\*\\*URGENT\\*\\* \\[claim refund\\]\\(https\\://evil.example\\) "
        "\\<@123\\> \\`x\\` \\~\\~y\\~\\~ \\|\\|z\\|\\|\n\\# big\n\\> quote");
    // Every markdown character of the peer's text is escaped: none stands bare.
    for (std::size_t i = 0; i < body.size(); ++i)
        if (std::string_view("*_~`|>[]()<#").find(body[i]) != std::string_view::npos)
            BOOST_CHECK_MESSAGE(i > 0 && body[i - 1] == '\\', "bare '" << body[i] << "' at " << i);
}

BOOST_AUTO_TEST_CASE(slack_webhook_escapes_text_and_honours_retry_after) {
    std::atomic<int> calls{0};
    ServiceServer server(
        [&](const Request& r) -> Response {
            if (r.target != "/services/T0/B0/xyz") return {404, "no_service", "text/plain"};
            auto body = json(r.body);
            if (!body.contains("text")) return {400, "invalid_payload", "text/plain"};
            if (calls++ == 0) return {429, "rate_limited", "text/plain", {{"Retry-After", "1"}}};
            return {200, "ok", "text/plain"};
        },
        tls());
    ServiceFixture f;
    f.secret("slack.url", server.base() + "/services/T0/B0/xyz");
    f.start("slack", {{"webhook_url_file", "slack.url"}});
    f.failed("fee < minimum & <!channel>");
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
    auto got = server.requests();
    BOOST_REQUIRE_EQUAL(got.size(), 2u);
    BOOST_CHECK_GE(gap(got, 1).count(), 950);
    auto body = json(got[1].body);
    BOOST_CHECK_EQUAL(
        body.at("text").as_string(),
        "jmnode: CoinJoin failed\nCoinJoin with J5taker failed (tx): fee &lt; minimum &amp; &lt;!channel&gt;");
    // Formatting off: a peer's *bold* or _italics_ would otherwise render.
    BOOST_REQUIRE(body.contains("mrkdwn"));
    BOOST_CHECK(body.at("mrkdwn") == false);
}

BOOST_AUTO_TEST_CASE(pushover_posts_a_form_and_invalid_users_are_final) {
    ServiceServer server(
        [&](const Request& r) -> Response {
            if (r.target != "/1/messages.json") return {404, R"({"status":0,"errors":["not found"]})"};
            if (r.headers.at("content-type") != "application/x-www-form-urlencoded")
                return {400, R"({"status":0,"errors":["bad content type"]})"};
            if (r.body.find("token=azGDORePK8gMaC0QOYAMyEEuzJnyUi") == std::string::npos)
                return {400,
                        R"({"token":"invalid","errors":["application token is invalid"],"status":0,"request":"r1"})"};
            if (r.body.find("user=uQiRzpo4DXghDmr9QzzfQu27cmVRsG") == std::string::npos)
                return {400, R"({"user":"invalid","errors":["user identifier is invalid"],"status":0,"request":"r2"})"};
            return {200, R"({"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"})"};
        },
        tls());
    ServiceFixture f;
    f.secret("po.token", "azGDORePK8gMaC0QOYAMyEEuzJnyUi");
    f.secret("po.user", "uQiRzpo4DXghDmr9QzzfQu27cmVRsG");
    f.start("pushover", {{"api_url", server.base()}, {"token_file", "po.token"}, {"user_key_file", "po.user"}});
    f.failed("timeout & more");
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
    auto body = server.requests().at(0).body;
    BOOST_CHECK_NE(body.find("title=jmnode%3A%20CoinJoin%20failed"), std::string::npos);
    BOOST_CHECK_NE(body.find("message=CoinJoin%20with%20J5taker%20failed%20%28tx%29%3A%20timeout%20%26%20more"),
                   std::string::npos);
    BOOST_CHECK_NE(body.find("priority=1"), std::string::npos);

    ServiceFixture bad;
    bad.secret("po.token", "azGDORePK8gMaC0QOYAMyEEuzJnyUi");
    bad.secret("po.user", "nobody");
    bad.start("pushover", {{"api_url", server.base()}, {"token_file", "po.token"}, {"user_key_file", "po.user"}});
    bad.coinjoin();
    BOOST_CHECK(bad.h.waitUntil([&] { return bad.stats().dropped_rejected == 1; }));
    BOOST_CHECK_EQUAL(bad.stats().retried.load(), 0u);
}

BOOST_AUTO_TEST_CASE(matrix_puts_with_a_stable_transaction_id_and_honours_retry_after_ms) {
    std::atomic<int> calls{0};
    const std::string prefix = "/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/";
    ServiceServer server(
        [&](const Request& r) -> Response {
            if (r.headers.count("authorization") == 0 || r.headers.at("authorization") != "Bearer syt_token")
                return {401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed."})"};
            if (r.method != "PUT" || !r.target.starts_with(prefix))
                return {400, R"({"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"})"};
            if (calls++ == 0)
                return {429, R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":400})"};
            return {200, R"({"event_id":"$YUwRidLecu:example.com"})"};
        },
        tls());
    ServiceFixture f;
    f.secret("mx", "syt_token");
    f.start("matrix", {{"homeserver", server.base()}, {"room_id", "!room:example.org"}, {"access_token_file", "mx"}});
    f.coinjoin();
    f.coinjoin();
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 2; }));
    auto got = server.requests();
    BOOST_REQUIRE_EQUAL(got.size(), 3u);
    BOOST_CHECK_GE(gap(got, 1).count(), 390);
    BOOST_CHECK_EQUAL(got[0].target, got[1].target); // the retry reuses its transaction id
    BOOST_CHECK_NE(got[1].target, got[2].target);    // the next message has its own
    auto body = json(got[1].body);
    BOOST_CHECK_EQUAL(body.at("msgtype").as_string(), "m.text");
    BOOST_CHECK_EQUAL(body.at("body").as_string(),
                      "jmnode: CoinJoin done: CoinJoin of 0.01000000 BTC done as maker. tx aaaaaaaa...bbbbbbbb");
    // An empty m.mentions: "@room" in text from the network pings nobody.
    BOOST_REQUIRE(body.contains("m.mentions"));
    BOOST_CHECK(body.at("m.mentions").as_object().empty());
}

BOOST_AUTO_TEST_CASE(services_refuse_plain_http_to_other_machines_and_open_secret_files) {
    jm::test::TempDir dir;
    boost::asio::io_context ioc;
    std::vector<jm::sdk::ConfigProblem> problems;
    jm::test::writeSecret(dir.path() / "t", "tok");
    boost::json::object gotify{{"server", "http://gotify.example.org"}, {"token_file", "t"}};
    BOOST_REQUIRE(MessageNotifier::schema("gotify").validate(gotify, "$", problems));
    auto g = MessageNotifier::httpParts("gotify", gotify, ioc.get_executor(), dir.path());
    BOOST_REQUIRE(!g);
    BOOST_CHECK_NE(g.error().message.find("must be https"), std::string::npos);

    jm::test::writeSecret(dir.path() / "hook", "https://discord.com/api/webhooks/1/secret-part", 0644);
    boost::json::object discord{{"webhook_url_file", "hook"}};
    BOOST_REQUIRE(MessageNotifier::schema("discord").validate(discord, "$", problems));
    auto d = MessageNotifier::httpParts("discord", discord, ioc.get_executor(), dir.path());
    BOOST_REQUIRE(!d);
    BOOST_CHECK_NE(d.error().message.find("chmod 600"), std::string::npos);
    BOOST_CHECK_EQUAL(d.error().message.find("secret-part"), std::string::npos);

    jm::test::writeSecret(dir.path() / "hook2", "ftp://discord.com/api/webhooks/1/secret-part");
    boost::json::object bad{{"webhook_url_file", "hook2"}};
    BOOST_REQUIRE(MessageNotifier::schema("discord").validate(bad, "$", problems));
    auto b = MessageNotifier::httpParts("discord", bad, ioc.get_executor(), dir.path());
    BOOST_REQUIRE(!b);
    BOOST_CHECK_EQUAL(b.error().message.find("secret-part"), std::string::npos); // not echoed

    boost::json::object matrix{
        {"homeserver", "https://m.example.org"}, {"room_id", "#alias:example.org"}, {"access_token_file", "t"}};
    BOOST_REQUIRE(MessageNotifier::schema("matrix").validate(matrix, "$", problems));
    auto m = MessageNotifier::httpParts("matrix", matrix, ioc.get_executor(), dir.path());
    BOOST_REQUIRE(!m);
    BOOST_CHECK_NE(m.error().message.find("not an alias"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_flood_a_peer_can_cause_never_uses_up_a_quota_service) {
    // Failed sessions are cheap for a hostile taker; Pushover allows 10,000 messages a month.
    std::atomic<int> calls{0};
    ServiceServer server(
        [&](const Request&) -> Response {
            ++calls;
            return {200, R"({"status":1,"request":"r"})"};
        },
        tls());
    ServiceFixture f;
    f.secret("po.token", "azGDORePK8gMaC0QOYAMyEEuzJnyUi");
    f.secret("po.user", "uQiRzpo4DXghDmr9QzzfQu27cmVRsG");
    boost::json::object defaults;
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(MessageNotifier::schema("pushover").validate(defaults, "$", problems));
    BOOST_CHECK_EQUAL(defaults.at("max_per_hour").as_int64(), 12); // the default fits the monthly quota
    f.start("pushover", {{"api_url", server.base()},
                         {"token_file", "po.token"},
                         {"user_key_file", "po.user"},
                         {"max_per_hour", 3},
                         {"max_queue", 5}});
    for (int i = 0; i < 200; ++i)
        f.failed("abort " + std::to_string(i));
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 3; }));
    std::this_thread::sleep_for(300ms);
    BOOST_CHECK_EQUAL(calls.load(), 3);
    BOOST_CHECK_EQUAL(f.stats().delivered.load(), 3u);
    BOOST_CHECK_LE(f.stats().queued.load(), 5u);
}

BOOST_AUTO_TEST_CASE(a_dead_service_under_a_flood_never_blocks_and_stays_bounded) {
    std::uint16_t dead;
    {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
        dead = a.local_endpoint().port();
    }
    ServiceFixture f;
    f.secret("bot", "1:a");
    f.start("telegram", {{"api_url", "http://127.0.0.1:" + std::to_string(dead)},
                         {"chat_id", "1"},
                         {"bot_token_file", "bot"},
                         {"max_queue", 10},
                         {"max_attempts", 100}});
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3000; ++i)
        f.coinjoin();
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    f.h.running.ctx().bus().flushForTest();
    BOOST_CHECK_LE(f.stats().queued.load(), 10u);
    BOOST_CHECK_GE(f.stats().dropped_queue_full.load(), 2989u); // 10 waiting + 1 being retried are kept
    BOOST_CHECK_EQUAL(f.stats().delivered.load(), 0u);
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().retried >= 1; }));
    auto t1 = std::chrono::steady_clock::now();
    f.h.stop(); // the drain grace ends it; nothing hangs on the dead service
    BOOST_CHECK(std::chrono::steady_clock::now() - t1 < 6s);
}

BOOST_AUTO_TEST_CASE(min_interval_paces_messages) {
    ServiceServer server([](const Request&) -> Response { return {200, R"({"ok":true,"result":{}})"}; }, tls());
    ServiceFixture f;
    f.secret("bot", "1:a");
    boost::json::object cfg{{"api_url", server.base()}, {"chat_id", "1"}, {"bot_token_file", "bot"}};
    cfg["min_interval"] = "150ms";
    f.start("telegram", cfg);
    for (int i = 0; i < 3; ++i)
        f.coinjoin();
    BOOST_CHECK(f.h.waitUntil([&] { return f.stats().delivered == 3; }));
    auto got = server.requests();
    BOOST_REQUIRE_EQUAL(got.size(), 3u);
    // Pacing counts from the start of each send; the first one's arrival also waited for the TLS
    // handshake, so its gap to the second looks shorter from here.
    BOOST_CHECK_GE(gap(got, 1).count(), 100);
    BOOST_CHECK_GE(gap(got, 2).count(), 140);
}

BOOST_AUTO_TEST_CASE(default_topics_send_what_an_operator_wants_once) {
    ServiceServer server([](const Request&) -> Response { return {200, R"({"ok":true,"result":{}})"}; }, tls());
    ServiceFixture f;
    f.secret("bot", "1:a");
    f.start("telegram", {{"api_url", server.base()}, {"chat_id", "1"}, {"bot_token_file", "bot"}});
    auto& bus = f.h.running.ctx().bus();
    bus.publish(jm::sdk::events::BlockConnected{800000, "00"}); // not by default: noise on a phone
    bus.publish(jm::sdk::events::BackendStatus{"core", false, "cannot connect to 127.0.0.1: Connection refused"});
    bus.publish(jm::sdk::events::CoinjoinCompletedV2{TXID, 2'000'000, "maker", "maker", 1'850});
    bus.publish(jm::sdk::events::CoinjoinCompleted{TXID, 2'000'000, "maker"}); // the same CoinJoin: skipped
    bus.publish(jm::wallet::events::BalanceChanged{"maker", 52'001'850, 1'850, "CoinJoin"});
    bus.publish(jm::maker::events::SessionFailed{"maker", "J5taker", "auth", "the commitment is blacklisted"});
    bus.publish(jm::taker::events::Failed{"taker", "J5me", "fill", "1 maker(s) answered !fill"});
    bus.publish(jm::taker::events::Stage{"taker", "J5me", "fill", 1, "3 makers"}); // not by default
    bus.publish(jm::sdk::events::NodeStopping{"SIGTERM"});
    BOOST_REQUIRE(f.h.waitUntil([&] { return f.stats().delivered == 6; }));
    std::this_thread::sleep_for(100ms);
    auto got = server.requests();
    BOOST_REQUIRE_EQUAL(got.size(), 6u);
    auto text = [&](std::size_t i) { return std::string(json(got[i].body).at("text").as_string()); };
    BOOST_CHECK_EQUAL(text(0),
                      "jmnode: backend\nBackend core is unreachable: cannot connect to 127.0.0.1: Connection refused");
    BOOST_CHECK_EQUAL(text(1), "jmnode: CoinJoin done\nCoinJoin of 0.02000000 BTC done as maker; earned 1,850 sats. tx "
                               "aaaaaaaa...bbbbbbbb");
    BOOST_CHECK_EQUAL(text(2), "jmnode: balance\nWallet balance 0.52001850 BTC (+0.00001850 BTC), CoinJoin.");
    BOOST_CHECK_EQUAL(text(3),
                      "jmnode: CoinJoin failed\nCoinJoin with J5taker failed (auth): the commitment is blacklisted");
    BOOST_CHECK_EQUAL(text(4), "jmnode: CoinJoin failed\nCoinJoin as taker failed (fill): 1 maker(s) answered !fill");
    BOOST_CHECK_EQUAL(text(5), "jmnode: stopping\njmnode is stopping (SIGTERM).");
    for (std::size_t i : {3, 4, 5}) // important: they ring
        BOOST_CHECK_EQUAL(json(got[i].body).at("disable_notification").as_bool(), false);
}

BOOST_AUTO_TEST_CASE(templates_are_overridable_per_event) {
    ServiceServer server([](const Request&) -> Response { return {200, R"({"ok":true,"result":{}})"}; }, tls());
    ServiceFixture f;
    f.secret("bot", "1:a");
    f.start("telegram",
            {{"api_url", server.base()},
             {"chat_id", "1"},
             {"bot_token_file", "bot"},
             {"title", "maker-1"},
             {"on", boost::json::array{"*"}},
             {"templates", boost::json::object{{"chain.block_connected/1", "block {height} ({instance})"}}}});
    f.h.running.ctx().bus().publish(jm::sdk::events::BlockConnected{800001, "00"});
    BOOST_REQUIRE(server.waitForRequests(1, 10s));
    BOOST_CHECK_EQUAL(json(server.requests()[0].body).at("text").as_string(),
                      "maker-1: new block\nblock 800001 (alerts)");
}

BOOST_AUTO_TEST_SUITE_END()
