// HTTPS for notifiers (the test CA is made at run time; see test_pki.hpp) and secrets read only
// from owner-only files or the environment.
#include "http_transport.hpp"
#include "notifier_harness.hpp"
#include "secret.hpp"
#include "service_server.hpp"
#include "test_pki.hpp"
#include "tls.hpp"
#include "webhook_notifier.hpp"

#include <jm/sdk/events.hpp>

#include <boost/json/parse.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

using namespace jm::plugins::notify;
using jm::test::NotifierHarness;
using jm::test::ServiceServer;
using jm::test::TestPki;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<WebhookNotifier> webhook(jm::test::RunningContext& running, boost::json::object cfg,
                                         const std::filesystem::path& base = {}) {
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(WebhookNotifier::schema().validate(cfg, "$", problems));
    auto settings = WebhookNotifier::settingsFrom(cfg, base);
    BOOST_REQUIRE_MESSAGE(settings, (settings ? "" : settings.error().message));
    return std::make_unique<WebhookNotifier>(running.ctx(), TopicFilter({"*"}), std::move(*settings));
}

ServiceServer::Response ok(const ServiceServer::Request&) { return {}; }

} // namespace

BOOST_AUTO_TEST_SUITE(tls_secret_tests)

BOOST_AUTO_TEST_CASE(https_delivers_with_verified_certificate_sni_and_a_token_from_a_0600_file) {
    const auto& pki = TestPki::get();
    ServiceServer server(ok, ServiceServer::Tls{pki.cert, pki.key});
    jm::test::TempDir dir;
    jm::test::writeSecret(dir.path() / "token", "s3cr3t-token");
    NotifierHarness h;
    auto n = webhook(h.running,
                     {{"url", server.base() + "/hook"}, {"ca_file", pki.ca.string()}, {"bearer_token_file", "token"}},
                     dir.path());
    auto* raw = n.get();
    h.start(std::move(n));
    h.running.ctx().bus().publish(jm::sdk::events::NodeStopping{"test"});
    BOOST_REQUIRE(server.waitForRequests(1, 10s));
    auto r = server.requests().at(0);
    BOOST_CHECK_EQUAL(r.sni, "localhost");
    BOOST_CHECK_EQUAL(r.target, "/hook");
    BOOST_CHECK_EQUAL(r.headers["authorization"], "Bearer s3cr3t-token");
    BOOST_CHECK_EQUAL(r.headers["host"], "localhost:" + std::to_string(server.port()));
    BOOST_CHECK_EQUAL(boost::json::parse(r.body).at("event").at("reason").as_string(), "test");
    BOOST_CHECK(h.waitUntil([&] { return raw->stats()->delivered == 1; }));
}

BOOST_AUTO_TEST_CASE(https_refuses_a_certificate_from_another_ca) {
    const auto& pki = TestPki::get();
    ServiceServer server(ok, ServiceServer::Tls{pki.cert, pki.key});
    NotifierHarness h;
    auto n = webhook(h.running, {{"url", server.base() + "/hook"},
                                 {"ca_file", pki.other_ca.string()},
                                 {"max_attempts", 2},
                                 {"backoff_initial", "10ms"}});
    auto* raw = n.get();
    h.start(std::move(n));
    h.running.ctx().bus().publish(jm::sdk::events::NodeStopping{"test"});
    BOOST_CHECK(h.waitUntil([&] { return raw->stats()->dropped_after_retries == 1; }));
    BOOST_CHECK_EQUAL(raw->stats()->delivered.load(), 0u);
    BOOST_CHECK(server.requests().empty());
    BOOST_CHECK(h.waitUntil([&] { return server.failedHandshakes() >= 2u; }));
}

BOOST_AUTO_TEST_CASE(https_refuses_the_system_store_for_a_private_ca) {
    // Without ca_file the system store is used, and it does not hold the test CA.
    const auto& pki = TestPki::get();
    ServiceServer server(ok, ServiceServer::Tls{pki.cert, pki.key});
    NotifierHarness h;
    auto n = webhook(h.running, {{"url", server.base() + "/hook"}, {"max_attempts", 1}});
    auto* raw = n.get();
    h.start(std::move(n));
    h.running.ctx().bus().publish(jm::sdk::events::NodeStopping{"test"});
    BOOST_CHECK(h.waitUntil([&] { return raw->stats()->dropped_after_retries == 1; }));
    BOOST_CHECK(server.requests().empty());
}

BOOST_AUTO_TEST_CASE(https_refuses_a_certificate_for_another_host_name) {
    // The reason names the problem (seen through the transport directly).
    {
        const auto& pki = TestPki::get();
        ServiceServer server(ok, ServiceServer::Tls{pki.wrong_name_cert, pki.wrong_name_key});
        jm::test::RunningContext running;
        auto url = parseWebhookUrl(server.base() + "/");
        auto tls = makeTlsContext(pki.ca.string());
        BOOST_REQUIRE(url && tls);
        auto transport = std::make_shared<HttpTransport>(running.ctx().executor(), *url, *tls, 5s, nullptr);
        std::promise<Outcome> result;
        running.onStrand([&] {
            transport->send(Outgoing{}, [&](Outcome o) { result.set_value(std::move(o)); });
            return 0;
        });
        auto outcome = result.get_future().get();
        BOOST_CHECK(outcome.kind == Outcome::Kind::Retry);
        BOOST_CHECK_MESSAGE(outcome.why.find("not issued for localhost") != std::string::npos, outcome.why);
        running.onStrand([&] {
            transport.reset();
            return 0;
        });
    }
    const auto& pki = TestPki::get();
    ServiceServer server(ok, ServiceServer::Tls{pki.wrong_name_cert, pki.wrong_name_key});
    NotifierHarness h;
    auto n = webhook(h.running, {{"url", server.base() + "/hook"}, {"ca_file", pki.ca.string()}, {"max_attempts", 1}});
    auto* raw = n.get();
    h.start(std::move(n));
    h.running.ctx().bus().publish(jm::sdk::events::NodeStopping{"test"});
    BOOST_CHECK(h.waitUntil([&] { return raw->stats()->dropped_after_retries == 1; }));
    BOOST_CHECK(server.requests().empty());
    BOOST_CHECK(h.waitUntil([&] { return server.failedHandshakes() >= 1u; }));
}

BOOST_AUTO_TEST_CASE(secret_files_must_be_owner_only_and_never_echoed) {
    jm::test::TempDir dir;
    auto open = jm::test::writeSecret(dir.path() / "open", "hunter2", 0644);
    auto r = readSecretFile(open);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("mode 0644"), std::string::npos);
    BOOST_CHECK_NE(r.error().message.find("chmod 600"), std::string::npos);
    BOOST_CHECK_EQUAL(r.error().message.find("hunter2"), std::string::npos);
    auto group = jm::test::writeSecret(dir.path() / "group", "hunter2", 0640);
    BOOST_CHECK(!readSecretFile(group));
    auto good = jm::test::writeSecret(dir.path() / "good", "hunter2", 0600);
    auto g = readSecretFile(good);
    BOOST_REQUIRE(g);
    BOOST_CHECK_EQUAL(*g, "hunter2"); // the trailing newline is not part of it
    auto ro = jm::test::writeSecret(dir.path() / "ro", "hunter3", 0400);
    BOOST_CHECK(readSecretFile(ro));
    auto missing = readSecretFile(dir.path() / "missing");
    BOOST_REQUIRE(!missing);
    BOOST_CHECK_NE(missing.error().message.find("missing"), std::string::npos);
    std::ofstream(dir.path() / "empty");
    ::chmod((dir.path() / "empty").c_str(), 0600);
    BOOST_CHECK(!readSecretFile(dir.path() / "empty"));
}

BOOST_AUTO_TEST_CASE(secrets_come_from_a_file_or_the_environment_never_both_or_neither) {
    jm::test::TempDir dir;
    jm::test::writeSecret(dir.path() / "tok", "from-file");
    ::setenv("JM_TEST_NOTIFY_TOKEN", "from-env", 1);
    auto f = readSecret({{"token_file", "tok"}}, "token", dir.path());
    BOOST_REQUIRE(f);
    BOOST_CHECK_EQUAL(*f, "from-file");
    auto e = readSecret({{"token_env", "JM_TEST_NOTIFY_TOKEN"}}, "token", dir.path());
    BOOST_REQUIRE(e);
    BOOST_CHECK_EQUAL(*e, "from-env");
    auto both = readSecret({{"token_file", "tok"}, {"token_env", "JM_TEST_NOTIFY_TOKEN"}}, "token", dir.path());
    BOOST_REQUIRE(!both);
    BOOST_CHECK_NE(both.error().message.find("not both"), std::string::npos);
    auto neither = readSecret({}, "token", dir.path());
    BOOST_REQUIRE(!neither);
    BOOST_CHECK_NE(neither.error().message.find("never go in the config"), std::string::npos);
    BOOST_CHECK(readSecret({}, "token", dir.path(), true)); // optional: ""
    auto unset = readSecret({{"token_env", "JM_TEST_NOTIFY_UNSET_VAR"}}, "token", dir.path());
    BOOST_REQUIRE(!unset);
    BOOST_CHECK_NE(unset.error().message.find("JM_TEST_NOTIFY_UNSET_VAR"), std::string::npos);
    ::unsetenv("JM_TEST_NOTIFY_TOKEN");
}

BOOST_AUTO_TEST_CASE(odd_secret_files_are_refused_without_blocking_or_reading_them_whole) {
    jm::test::TempDir dir;
    // A FIFO nobody writes to: opening it for reading must not wait for a writer.
    auto fifo = dir.path() / "fifo";
    BOOST_REQUIRE_EQUAL(::mkfifo(fifo.c_str(), 0600), 0);
    auto started = std::chrono::steady_clock::now();
    auto f = readSecretFile(fifo);
    BOOST_REQUIRE(!f);
    BOOST_CHECK_NE(f.error().message.find("not a file"), std::string::npos);
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, 2s);
    // A huge 0600 file (a wrong path): refused by its size, not read into memory.
    auto huge = jm::test::writeSecret(dir.path() / "huge", std::string(1 << 20, 'x'), 0600);
    auto h = readSecretFile(huge);
    BOOST_REQUIRE(!h);
    BOOST_CHECK_NE(h.error().message.find("too big"), std::string::npos);
    BOOST_CHECK_EQUAL(h.error().message.find("xxxx"), std::string::npos);
    // A symbolic link counts as the file it names: a 0644 target is refused.
    auto open = jm::test::writeSecret(dir.path() / "open", "hunter2", 0644);
    std::filesystem::create_symlink(open, dir.path() / "link");
    auto l = readSecretFile(dir.path() / "link");
    BOOST_REQUIRE(!l);
    BOOST_CHECK_NE(l.error().message.find("mode 0644"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(secrets_with_control_characters_cannot_split_requests) {
    jm::test::TempDir dir;
    ::setenv("JM_TEST_NOTIFY_CRLF", "tok\r\nX-Injected: 1", 1);
    auto e = readSecret({{"token_env", "JM_TEST_NOTIFY_CRLF"}}, "token", dir.path());
    ::unsetenv("JM_TEST_NOTIFY_CRLF");
    BOOST_REQUIRE(!e);
    BOOST_CHECK_NE(e.error().message.find("control characters"), std::string::npos);
    BOOST_CHECK_EQUAL(e.error().message.find("Injected"), std::string::npos);
    jm::test::writeSecret(dir.path() / "tab", std::string("tok\tX"), 0600);
    auto t = readSecret({{"token_file", "tab"}}, "token", dir.path());
    BOOST_REQUIRE(!t);
    BOOST_CHECK_NE(t.error().message.find("control characters"), std::string::npos);
    // Through a webhook's bearer token, the same refusal at config time.
    ::setenv("JM_TEST_NOTIFY_CRLF", "tok\r\nX-Injected: 1", 1);
    auto s = WebhookNotifier::settingsFrom(
        {{"url", "http://127.0.0.1:1/x"}, {"bearer_token_env", "JM_TEST_NOTIFY_CRLF"}}, dir.path());
    ::unsetenv("JM_TEST_NOTIFY_CRLF");
    BOOST_CHECK(!s);
}

BOOST_AUTO_TEST_CASE(a_secret_written_where_a_variable_name_goes_is_never_repeated) {
    jm::test::TempDir dir;
    auto e = readSecret({{"webhook_url_env", "https://discord.com/api/webhooks/1/T0KEN"}}, "webhook_url", dir.path());
    BOOST_REQUIRE(!e);
    BOOST_CHECK_EQUAL(e.error().message.find("T0KEN"), std::string::npos);
    BOOST_CHECK_NE(e.error().message.find("must name an environment variable"), std::string::npos);
    auto t = readSecret({{"bot_token_env", "123456:ABC-def"}}, "bot_token", dir.path());
    BOOST_REQUIRE(!t);
    BOOST_CHECK_EQUAL(t.error().message.find("ABC-def"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(webhook_refuses_a_token_file_others_can_read) {
    jm::test::TempDir dir;
    jm::test::writeSecret(dir.path() / "token", "s3cr3t", 0644);
    boost::json::object cfg{{"url", "https://hooks.example/x"}, {"bearer_token_file", "token"}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(WebhookNotifier::schema().validate(cfg, "$", problems));
    auto s = WebhookNotifier::settingsFrom(cfg, dir.path());
    BOOST_REQUIRE(!s);
    BOOST_CHECK_NE(s.error().message.find("chmod 600"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
