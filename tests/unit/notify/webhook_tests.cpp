// The webhook notifier against a real local HTTP server: delivery, retries, timeouts, drops,
// a dead endpoint under a flood, and stopping with a request in flight.
#include "running_context.hpp"
#include "webhook_notifier.hpp"

#include <util/http_test_server.hpp>

#include <jm/sdk/events.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::plugins::notify;
using jm::test::HttpTestServer;
using namespace std::chrono_literals;

namespace {

boost::json::object config(const std::string& url, boost::json::object extra = {}) {
    boost::json::object c{{"url", url}};
    for (auto& [k, v] : extra)
        c[k] = v;
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(WebhookNotifier::schema().validate(c, "$", problems));
    return c;
}

// A notifier running on a RunningContext; stopped on destruction.
struct Harness {
    jm::test::RunningContext running{"hook"};
    std::unique_ptr<WebhookNotifier> notifier;

    explicit Harness(const boost::json::object& cfg, std::vector<std::string> topics = {"*"}) {
        auto settings = WebhookNotifier::settingsFrom(cfg);
        BOOST_REQUIRE_MESSAGE(settings, (settings ? "" : settings.error().message));
        notifier =
            std::make_unique<WebhookNotifier>(running.ctx(), TopicFilter(std::move(topics)), std::move(*settings));
        BOOST_REQUIRE(running.onStrand([&] { return notifier->start(); }));
    }
    ~Harness() { stop(); }
    void stop() {
        if (!notifier) return;
        std::promise<void> done;
        running.onStrand([&] {
            notifier->stop([&] { done.set_value(); });
            return 0;
        });
        BOOST_CHECK(done.get_future().wait_for(5s) == std::future_status::ready);
        notifier.reset();
    }
    void publish(int n) {
        for (int i = 0; i < n; ++i)
            running.ctx().bus().publish(
                jm::sdk::events::CoinjoinCompleted{"tx" + std::to_string(i), 1000 + i, "maker"});
    }
    template <class Pred> bool waitUntil(Pred pred, std::chrono::milliseconds timeout = 10s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (pred()) return true;
            std::this_thread::sleep_for(5ms);
        }
        return pred();
    }
    const WebhookStats& stats() { return *notifier->stats(); }
};

// A port with nothing listening: bind, read the port, close.
std::uint16_t deadPort() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace

BOOST_AUTO_TEST_SUITE(webhook_tests)

BOOST_AUTO_TEST_CASE(delivers_each_event_as_json_in_order) {
    HttpTestServer server;
    Harness h(config(server.url("/jm/events"), {{"headers", boost::json::object{{"X-Source", "jm"}}}}),
              {"role.coinjoin_completed/1"});
    h.running.ctx().bus().publish(jm::sdk::events::BlockConnected{1, "00"}); // not chosen
    h.publish(3);
    BOOST_REQUIRE(server.waitForReceived(3, 10s));
    auto got = server.received();
    BOOST_REQUIRE_EQUAL(got.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        BOOST_CHECK_EQUAL(got[i].method, "POST");
        BOOST_CHECK_EQUAL(got[i].target, "/jm/events");
        BOOST_CHECK_EQUAL(got[i].headers["content-type"], "application/json");
        BOOST_CHECK_EQUAL(got[i].headers["x-source"], "jm");
        auto body = boost::json::parse(got[i].body).as_object();
        BOOST_CHECK_EQUAL(body.at("topic").as_string(), "role.coinjoin_completed/1");
        BOOST_CHECK_EQUAL(body.at("instance").as_string(), "hook");
        BOOST_CHECK_EQUAL(body.at("network").as_string(), "regtest");
        BOOST_CHECK(body.at("time").as_int64() > 1'600'000'000);
        BOOST_CHECK_EQUAL(body.at("event").at("txid").as_string(), "tx" + std::to_string(i));
        BOOST_CHECK_EQUAL(body.at("event").at("cj_amount").as_int64(), 1000 + i);
    }
    BOOST_CHECK(h.waitUntil([&] { return h.stats().delivered == 3; }));
    BOOST_CHECK_EQUAL(h.stats().retried.load(), 0u);
}

BOOST_AUTO_TEST_CASE(retries_after_server_errors_then_delivers) {
    HttpTestServer server;
    server.misbehave(HttpTestServer::Behaviour::Status500, 2);
    Harness h(config(server.url(), {{"backoff_initial", "20ms"}, {"backoff_max", "50ms"}}));
    h.publish(1);
    BOOST_REQUIRE(server.waitForReceived(1, 10s));
    BOOST_CHECK(h.waitUntil([&] { return h.stats().delivered == 1; }));
    BOOST_CHECK_EQUAL(h.stats().retried.load(), 2u);
    BOOST_CHECK_EQUAL(server.attempts(), 3u);
}

BOOST_AUTO_TEST_CASE(times_out_on_a_hanging_server_and_retries) {
    HttpTestServer server;
    server.misbehave(HttpTestServer::Behaviour::Hang, 1);
    server.misbehave(HttpTestServer::Behaviour::Close, 1);
    Harness h(config(server.url(), {{"timeout", "200ms"}, {"backoff_initial", "10ms"}}));
    auto t0 = std::chrono::steady_clock::now();
    h.publish(1);
    BOOST_REQUIRE(server.waitForReceived(1, 10s));
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 >= 200ms); // the hang cost one timeout
    BOOST_CHECK(h.waitUntil([&] { return h.stats().delivered == 1; }));
    BOOST_CHECK_EQUAL(h.stats().retried.load(), 2u);
}

BOOST_AUTO_TEST_CASE(drops_after_max_attempts_and_goes_on) {
    HttpTestServer server;
    server.misbehave(HttpTestServer::Behaviour::Status500, 3);
    Harness h(config(server.url(), {{"max_attempts", 3}, {"backoff_initial", "5ms"}}));
    h.publish(2);
    BOOST_REQUIRE(server.waitForReceived(1, 10s));
    BOOST_CHECK(h.waitUntil([&] { return h.stats().delivered == 1; }));
    BOOST_CHECK_EQUAL(h.stats().dropped_after_retries.load(), 1u);
    auto got = server.received();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    // The first event was given up; the second arrived.
    BOOST_CHECK_EQUAL(boost::json::parse(got[0].body).at("event").at("txid").as_string(), "tx1");
}

BOOST_AUTO_TEST_CASE(dead_endpoint_under_a_flood_stays_bounded_and_never_blocks) {
    Harness h(config("http://127.0.0.1:" + std::to_string(deadPort()) + "/",
                     {{"max_queue", 10}, {"max_attempts", 100}, {"backoff_initial", "50ms"}}));
    auto t0 = std::chrono::steady_clock::now();
    h.publish(5000);
    auto publish_time = std::chrono::steady_clock::now() - t0;
    h.running.ctx().bus().flushForTest();
    BOOST_CHECK_LE(h.stats().queued.load(), 10u);
    BOOST_CHECK_GE(h.stats().dropped_queue_full.load(), 4989u); // 10 waiting + 1 in flight are kept
    BOOST_CHECK_EQUAL(h.stats().delivered.load(), 0u);
    BOOST_CHECK(publish_time < 5s);
    BOOST_CHECK(h.waitUntil([&] { return h.stats().retried >= 1; }));
}

BOOST_AUTO_TEST_CASE(stop_with_a_request_in_flight_completes) {
    HttpTestServer server;
    server.misbehave(HttpTestServer::Behaviour::Hang, 100);
    Harness h(config(server.url(), {{"timeout", "30s"}}));
    h.publish(3);
    BOOST_REQUIRE(h.waitUntil([&] { return server.attempts() >= 1; }));
    auto t0 = std::chrono::steady_clock::now();
    h.stop(); // waits at most the 2 s drain grace, then cancels the hanging request
    BOOST_CHECK(std::chrono::steady_clock::now() - t0 < 4s);
}

BOOST_AUTO_TEST_CASE(stop_lets_queued_events_go_out_first) {
    HttpTestServer server;
    Harness h(config(server.url()));
    h.publish(20);
    h.running.ctx().bus().flushForTest(); // all 20 are queued in the client
    h.stop();
    BOOST_CHECK_EQUAL(server.received().size(), 20u);
}

BOOST_AUTO_TEST_CASE(bad_settings_are_config_errors) {
    boost::json::object https{{"url", "https://x/"}, {"ca_file", "/nonexistent/ca.pem"}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(WebhookNotifier::schema().validate(https, "$", problems));
    auto r = WebhookNotifier::settingsFrom(https);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("ca_file /nonexistent/ca.pem"), std::string::npos);

    boost::json::object auth{{"url", "http://x/"},
                             {"headers", boost::json::object{{"authorization", "Bearer s3cret"}}}};
    BOOST_REQUIRE(WebhookNotifier::schema().validate(auth, "$", problems));
    auto a = WebhookNotifier::settingsFrom(auth);
    BOOST_REQUIRE(!a);
    BOOST_CHECK_NE(a.error().message.find("bearer_token_file"), std::string::npos);
    BOOST_CHECK_EQUAL(a.error().message.find("s3cret"), std::string::npos);

    boost::json::object header{{"url", "http://x/"}, {"headers", boost::json::object{{"X-Evil", "a\r\nInjected: 1"}}}};
    BOOST_REQUIRE(WebhookNotifier::schema().validate(header, "$", problems));
    auto h = WebhookNotifier::settingsFrom(header);
    BOOST_REQUIRE(!h);
    BOOST_CHECK_NE(h.error().message.find("invalid header 'X-Evil'"), std::string::npos);

    boost::json::object missing;
    BOOST_CHECK(!WebhookNotifier::schema().validate(missing, "$", problems));
}

BOOST_AUTO_TEST_SUITE_END()
