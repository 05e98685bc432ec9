// fee/mempool: the reply parser's error paths and target mapping, and the estimator against a
// real local HTTP server (good reply, bad JSON, HTTP 500, a server that never answers, a huge
// body, a closed port), with its cache, stale-reply and fallback rules.
#include <http_get.hpp>
#include <mempool_fee_estimator.hpp>
#include <mempool_fees.hpp>

#include <service_server.hpp>
#include <test_pki.hpp>
#include <util/http_test_server.hpp>

#include <jm/sdk/testing/test_context.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace jm::plugins::fee;
using namespace std::chrono_literals;

namespace {

const std::string GOOD = R"({"fastestFee":41,"halfHourFee":30,"hourFee":20.5,"economyFee":8,"minimumFee":2})";

jm::sdk::Result<std::int64_t> ask(jm::sdk::testing::TestContext& ctx, MempoolFeeEstimator& e, int target = 0) {
    std::optional<jm::sdk::Result<std::int64_t>> out;
    e.estimate(target, ctx.executor(), [&](jm::sdk::Result<std::int64_t> r) { out = std::move(r); });
    auto until = std::chrono::steady_clock::now() + 20s;
    ctx.ioContext().restart();
    while (!out && std::chrono::steady_clock::now() < until)
        ctx.ioContext().run_one_for(50ms);
    if (!out) return jm::sdk::fail(jm::sdk::errc::internal, "no answer in the test's time");
    return std::move(*out);
}

struct Estimator {
    jm::test::HttpTestServer server;
    jm::sdk::testing::TestContext ctx{"fee"};
    std::unique_ptr<MempoolFeeEstimator> estimator;

    explicit Estimator(boost::json::object extra = {}, std::string path = "") {
        server.setResponder([](const jm::test::HttpTestServer::Request&) {
            return jm::test::HttpTestServer::Response{200, GOOD, "application/json"};
        });
        boost::json::object config{{"url", "http://127.0.0.1:" + std::to_string(server.port()) + path},
                                   {"randomization", 0.0},
                                   {"timeout", "2s"}};
        for (const auto& [k, v] : extra)
            config[k] = v;
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(MempoolFeeEstimator::schema().validate(config, "$", problems));
        auto settings = MempoolFeeEstimator::settingsFrom(config);
        BOOST_REQUIRE(settings);
        estimator = std::make_unique<MempoolFeeEstimator>(ctx, *settings);
        BOOST_REQUIRE(estimator->start());
    }
    void respond(int status, std::string body) {
        server.setResponder([status, body](const jm::test::HttpTestServer::Request&) {
            return jm::test::HttpTestServer::Response{status, body, "application/json"};
        });
    }
    jm::sdk::Result<std::int64_t> get(int target = 0) { return ask(ctx, *estimator, target); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(mempool_fee_tests)

BOOST_AUTO_TEST_CASE(the_reply_parser_reads_integers_and_decimals) {
    auto f = parseMempoolFees(GOOD);
    BOOST_REQUIRE(f);
    BOOST_CHECK_EQUAL(f->fastest, 41);
    BOOST_CHECK_EQUAL(f->half_hour, 30);
    BOOST_CHECK_EQUAL(f->hour, 20.5);
    BOOST_CHECK_EQUAL(f->economy, 8);
    BOOST_CHECK_EQUAL(f->minimum, 2);
    // Extra keys are ignored.
    BOOST_CHECK(
        parseMempoolFees(R"({"fastestFee":1,"halfHourFee":1,"hourFee":1,"economyFee":1,"minimumFee":1,"new":true})"));
}

BOOST_AUTO_TEST_CASE(the_reply_parser_refuses_bad_replies_with_a_reason) {
    auto why = [](std::string_view body) {
        auto r = parseMempoolFees(body);
        BOOST_REQUIRE(!r);
        BOOST_CHECK(r.error().code == jm::sdk::errc::protocol_error);
        return r.error().message;
    };
    BOOST_CHECK_NE(why("").find("not JSON"), std::string::npos);
    BOOST_CHECK_NE(why("<html>").find("not JSON"), std::string::npos);
    BOOST_CHECK_NE(why("[1,2]").find("not a JSON object"), std::string::npos);
    BOOST_CHECK_NE(why(R"({"fastestFee":1,"halfHourFee":1,"hourFee":1,"economyFee":1})").find("no minimumFee"),
                   std::string::npos);
    BOOST_CHECK_NE(why(R"({"fastestFee":"1","halfHourFee":1,"hourFee":1,"economyFee":1,"minimumFee":1})")
                       .find("fastestFee is not a number"),
                   std::string::npos);
    BOOST_CHECK_NE(
        why(R"({"fastestFee":-1,"halfHourFee":1,"hourFee":1,"economyFee":1,"minimumFee":1})").find("out of range"),
        std::string::npos);
    BOOST_CHECK_NE(
        why(R"({"fastestFee":0,"halfHourFee":1,"hourFee":1,"economyFee":1,"minimumFee":1})").find("out of range"),
        std::string::npos);
    BOOST_CHECK_NE(
        why(R"({"fastestFee":1e300,"halfHourFee":1,"hourFee":1,"economyFee":1,"minimumFee":1})").find("out of range"),
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(targets_map_to_the_apis_labels_never_below_the_minimum) {
    auto f = parseMempoolFees(GOOD).value();
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 0), 41);
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 1), 41);
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 2), 30);
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 3), 30);
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 4), 20.5);
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 6), 20.5);
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 7), 8);
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 1008), 8);
    f.economy = 1;
    BOOST_CHECK_EQUAL(mempoolRateFor(f, 144), 2); // minimumFee
}

BOOST_AUTO_TEST_CASE(urls_are_checked) {
    BOOST_CHECK(!parseHttpEndpoint("ftp://example.org"));
    BOOST_CHECK(!parseHttpEndpoint("mempool.space"));
    BOOST_CHECK(!parseHttpEndpoint("https://user:pw@example.org"));
    BOOST_CHECK(!parseHttpEndpoint("https://example.org/?x=1"));
    BOOST_CHECK(!parseHttpEndpoint("http://"));
    auto e = parseHttpEndpoint("https://mempool.space/");
    BOOST_REQUIRE(e);
    BOOST_CHECK(e->tls);
    BOOST_CHECK_EQUAL(e->port, "443");
    BOOST_CHECK_EQUAL(e->base_path, "");
    auto v6 = parseHttpEndpoint("http://[::1]:8999/mempool/");
    BOOST_REQUIRE(v6);
    BOOST_CHECK_EQUAL(v6->host, "::1");
    BOOST_CHECK_EQUAL(v6->port, "8999");
    BOOST_CHECK_EQUAL(v6->base_path, "/mempool");
    boost::json::object bad{{"url", "ftp://x"}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(MempoolFeeEstimator::schema().validate(bad, "$", problems));
    BOOST_CHECK(!MempoolFeeEstimator::settingsFrom(bad));
}

BOOST_AUTO_TEST_CASE(a_good_reply_gives_the_targets_rate_and_is_cached) {
    Estimator e({}, "/mempool/");
    auto rate = e.get(5);
    BOOST_REQUIRE_MESSAGE(rate, (rate ? "" : rate.error().message));
    BOOST_CHECK_EQUAL(*rate, 20'500); // hourFee, sat/kvB
    BOOST_CHECK_EQUAL(*e.get(1), 41'000);
    BOOST_CHECK_EQUAL(*e.get(), 30'000); // the configured target 3
    auto requests = e.server.received();
    BOOST_REQUIRE_EQUAL(requests.size(), 1u); // the cache answered the others
    BOOST_CHECK_EQUAL(requests[0].method, "GET");
    BOOST_CHECK_EQUAL(requests[0].target, "/mempool/api/v1/fees/recommended");
}

BOOST_AUTO_TEST_CASE(the_policy_applies_floor_and_cap) {
    Estimator e({{"cache", "0s"}, {"cap_sat_vb", 25.0}, {"floor_sat_vb", 10.0}});
    BOOST_CHECK_EQUAL(*e.get(1), 25'000);
    BOOST_CHECK_EQUAL(*e.get(100), 10'000);
}

BOOST_AUTO_TEST_CASE(bad_json_fails_with_the_reason) {
    Estimator e;
    e.respond(200, "{\"fastestFee\": 4");
    auto r = e.get();
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::unavailable);
    BOOST_CHECK_NE(r.error().message.find("not JSON"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_http_error_fails_with_the_status) {
    Estimator e;
    e.server.misbehave(jm::test::HttpTestServer::Behaviour::Status500, 1);
    auto r = e.get();
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("HTTP 500"), std::string::npos);
    e.respond(404, "not here");
    r = e.get();
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("HTTP 404: not here"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_silent_server_times_out) {
    Estimator e({{"timeout", "300ms"}});
    e.server.misbehave(jm::test::HttpTestServer::Behaviour::Hang, 1);
    auto started = std::chrono::steady_clock::now();
    auto r = e.get();
    BOOST_REQUIRE(!r);
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, 3s);
    BOOST_CHECK_NE(r.error().message.find("within 300 ms"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_huge_body_is_refused) {
    Estimator e;
    e.respond(200, std::string(1 << 20, ' ') + GOOD);
    auto r = e.get();
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("larger than 65536 bytes"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_closed_port_is_unavailable) {
    std::uint16_t port;
    {
        jm::test::HttpTestServer gone;
        port = gone.port();
    }
    jm::sdk::testing::TestContext ctx("fee");
    boost::json::object config{{"url", "http://127.0.0.1:" + std::to_string(port)}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(MempoolFeeEstimator::schema().validate(config, "$", problems));
    MempoolFeeEstimator e(ctx, MempoolFeeEstimator::settingsFrom(config).value());
    BOOST_REQUIRE(e.start());
    auto r = ask(ctx, e);
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::unavailable);
    BOOST_CHECK_NE(r.error().message.find("cannot connect"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failing_api_falls_back_to_the_last_good_reply_then_the_fallback_rate) {
    {
        // The last good reply serves while younger than max_stale.
        Estimator e({{"cache", "0s"}});
        BOOST_CHECK_EQUAL(*e.get(2), 30'000);
        e.respond(200, "garbage");
        auto r = e.get(2);
        BOOST_REQUIRE(r);
        BOOST_CHECK_EQUAL(*r, 30'000);
        BOOST_CHECK_EQUAL(e.server.received().size(), 2u); // it did ask
    }
    {
        // Too old (max_stale 0): the fallback rate.
        Estimator e({{"cache", "0s"}, {"max_stale", "0s"}, {"fallback_sat_vb", 5.0}});
        BOOST_CHECK_EQUAL(*e.get(2), 30'000);
        e.server.misbehave(jm::test::HttpTestServer::Behaviour::Status500, 1);
        auto r = e.get(2);
        BOOST_REQUIRE(r);
        BOOST_CHECK_EQUAL(*r, 5'000);
    }
}

BOOST_AUTO_TEST_CASE(https_checks_the_certificate_chain_and_the_host_name) {
    const auto& pki = jm::test::TestPki::get();
    auto fees = [](const jm::test::ServiceServer::Request&) { return jm::test::ServiceServer::Response{200, GOOD}; };
    auto with = [&](const std::filesystem::path& cert, const std::filesystem::path& key,
                    const std::filesystem::path& ca) {
        jm::test::ServiceServer server(fees, jm::test::ServiceServer::Tls{cert, key});
        jm::sdk::testing::TestContext ctx("fee");
        boost::json::object config{{"url", server.base()}, {"ca_file", ca.string()}, {"randomization", 0.0}};
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(MempoolFeeEstimator::schema().validate(config, "$", problems));
        MempoolFeeEstimator e(ctx, MempoolFeeEstimator::settingsFrom(config).value());
        BOOST_REQUIRE(e.start());
        auto r = ask(ctx, e, 1);
        if (r) {
            auto requests = server.requests();
            BOOST_REQUIRE_EQUAL(requests.size(), 1u);
            BOOST_CHECK_EQUAL(requests[0].sni, "localhost");
        }
        return r;
    };
    auto good = with(pki.cert, pki.key, pki.ca);
    BOOST_REQUIRE_MESSAGE(good, (good ? "" : good.error().message));
    BOOST_CHECK_EQUAL(*good, 41'000);
    auto untrusted = with(pki.cert, pki.key, pki.other_ca);
    BOOST_REQUIRE(!untrusted);
    BOOST_CHECK_NE(untrusted.error().message.find("TLS handshake"), std::string::npos);
    auto wrong_name = with(pki.wrong_name_cert, pki.wrong_name_key, pki.ca);
    BOOST_REQUIRE(!wrong_name);
    BOOST_CHECK_NE(wrong_name.error().message.find("TLS handshake"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(https_needs_a_loadable_ca_file) {
    jm::sdk::testing::TestContext ctx("fee");
    boost::json::object config{{"url", "https://127.0.0.1:1"}, {"ca_file", "/nonexistent/ca.pem"}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(MempoolFeeEstimator::schema().validate(config, "$", problems));
    MempoolFeeEstimator e(ctx, MempoolFeeEstimator::settingsFrom(config).value());
    auto started = e.start();
    BOOST_REQUIRE(!started);
    BOOST_CHECK(started.error().code == jm::sdk::errc::invalid_config);
}

BOOST_AUTO_TEST_SUITE_END()
