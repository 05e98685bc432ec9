// The email notifier against a loopback SMTP server: STARTTLS with the run-time test CA, AUTH
// PLAIN and LOGIN, transient (4xx) and final (5xx) replies, and servers that offer no TLS.
#include "message_notifier.hpp"
#include "notifier_harness.hpp"
#include "smtp_test_server.hpp"
#include "smtp_transport.hpp"
#include "test_pki.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/maker/events.hpp>
#include <jm/sdk/events.hpp>

#include "tls.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <thread>

using namespace jm::plugins::notify;
using jm::test::NotifierHarness;
using jm::test::SmtpTestServer;
using jm::test::TestPki;
using namespace std::chrono_literals;

namespace {

SmtpTestServer::Options options() {
    SmtpTestServer::Options o;
    o.cert = TestPki::get().cert;
    o.key = TestPki::get().key;
    return o;
}

struct EmailFixture {
    jm::test::TempDir dir;
    NotifierHarness h;
    MessageNotifier* notifier = nullptr;

    void start(const SmtpTestServer& server, boost::json::object extra = {}, std::string password = "pw") {
        jm::test::writeSecret(dir.path() / "smtp.pw", password);
        boost::json::object cfg{{"server", "localhost"},
                                {"port", server.port()},
                                {"from", "node@example.org"},
                                {"to", boost::json::array{"op@example.org", "backup@example.org"}},
                                {"username", "jm"},
                                {"password_file", "smtp.pw"},
                                {"ca_file", TestPki::get().ca.string()},
                                {"backoff_initial", "10ms"},
                                {"min_interval", "0ms"}};
        for (auto& [k, v] : extra)
            cfg[k] = v;
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(MessageNotifier::schema("email").validate(cfg, "$", problems));
        auto parts = MessageNotifier::emailParts(cfg, h.running.ctx().executor(), dir.path());
        BOOST_REQUIRE_MESSAGE(parts, (parts ? "" : parts.error().message));
        auto n = std::make_unique<MessageNotifier>(h.running.ctx(), std::move(*parts));
        notifier = n.get();
        h.start(std::move(n));
    }
    const DeliveryStats& stats() { return *notifier->stats(); }
    void failed() {
        h.running.ctx().bus().publish(jm::maker::events::SessionFailed{"maker", "J5taker", "auth", "bad PoDLE"});
    }
};

// The decoded text body of a recorded mail.
std::string bodyOf(const SmtpTestServer::Mail& mail) {
    auto start = mail.data.find("\r\n\r\n");
    std::string b64;
    for (char c : mail.data.substr(start + 4))
        if (c != '\r' && c != '\n') b64 += c;
    auto bytes = jm::bitcoin::fromBase64(b64);
    return bytes ? std::string(bytes->begin(), bytes->end()) : "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(email_tests)

BOOST_AUTO_TEST_CASE(starttls_then_auth_plain_then_one_mail_to_every_recipient) {
    SmtpTestServer server(options());
    EmailFixture f;
    f.start(server, {{"title", "jmnöde"}});
    f.failed();
    BOOST_REQUIRE(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
    auto mails = server.mails();
    BOOST_REQUIRE_EQUAL(mails.size(), 1u);
    const auto& m = mails[0];
    BOOST_CHECK(m.tls);
    BOOST_CHECK_EQUAL(m.auth, "PLAIN");
    BOOST_CHECK_EQUAL(m.ehlo, "jmnode");
    BOOST_CHECK_EQUAL(m.from, "node@example.org");
    BOOST_REQUIRE_EQUAL(m.to.size(), 2u);
    BOOST_CHECK_EQUAL(m.to[1], "backup@example.org");
    BOOST_CHECK_NE(m.data.find("From: node@example.org\r\n"), std::string::npos);
    BOOST_CHECK_NE(m.data.find("To: op@example.org, backup@example.org\r\n"), std::string::npos);
    // "jmnöde: CoinJoin failed" is not ASCII: RFC 2047 encoded word.
    BOOST_CHECK_NE(m.data.find("Subject: =?UTF-8?B?am1uw7ZkZTogQ29pbkpvaW4gZmFpbGVk?=\r\n"), std::string::npos);
    BOOST_CHECK_NE(m.data.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
    BOOST_CHECK_NE(m.data.find("Message-ID: <jm."), std::string::npos);
    BOOST_CHECK_EQUAL(bodyOf(m), "CoinJoin with J5taker failed (auth): bad PoDLE");
}

BOOST_AUTO_TEST_CASE(auth_login_when_the_server_offers_only_login) {
    auto o = options();
    o.mechanisms = "LOGIN";
    SmtpTestServer server(o);
    EmailFixture f;
    f.start(server);
    f.failed();
    BOOST_REQUIRE(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
    BOOST_CHECK_EQUAL(server.mails().at(0).auth, "LOGIN");
}

BOOST_AUTO_TEST_CASE(a_4xx_reply_is_retried_and_a_bad_password_is_final) {
    auto o = options();
    o.transient_failures = 2;
    SmtpTestServer server(o);
    {
        EmailFixture f;
        f.start(server);
        f.failed();
        BOOST_REQUIRE(f.h.waitUntil([&] { return f.stats().delivered == 1; }));
        BOOST_CHECK_EQUAL(f.stats().retried.load(), 2u);
        BOOST_CHECK_EQUAL(server.transientRefusals(), 2);
    }
    EmailFixture bad;
    bad.start(server, {}, "wrong");
    bad.failed();
    BOOST_REQUIRE(bad.h.waitUntil([&] { return bad.stats().dropped_rejected == 1; }));
    BOOST_CHECK_EQUAL(server.authFailures(), 1); // 535 is not retried
    BOOST_CHECK_EQUAL(server.mails().size(), 1u);
}

BOOST_AUTO_TEST_CASE(no_starttls_offered_means_nothing_is_sent) {
    auto o = options();
    o.offer_starttls = false;
    SmtpTestServer server(o);
    EmailFixture f;
    f.start(server);
    f.failed();
    BOOST_REQUIRE(f.h.waitUntil([&] { return f.stats().dropped_rejected == 1; }));
    BOOST_CHECK(server.mails().empty());
    BOOST_CHECK_EQUAL(server.authFailures(), 0);
}

BOOST_AUTO_TEST_CASE(a_certificate_from_another_ca_stops_at_starttls) {
    SmtpTestServer server(options());
    EmailFixture f;
    f.start(server, {{"ca_file", TestPki::get().other_ca.string()}, {"max_attempts", 2}});
    f.failed();
    BOOST_REQUIRE(f.h.waitUntil([&] { return f.stats().dropped_after_retries == 1; }));
    BOOST_CHECK(server.mails().empty());
    BOOST_CHECK_EQUAL(server.authFailures(), 0);
}

BOOST_AUTO_TEST_CASE(config_errors) {
    jm::test::TempDir dir;
    boost::asio::io_context ioc;
    auto parts = [&](boost::json::object cfg) {
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(MessageNotifier::schema("email").validate(cfg, "$", problems));
        return MessageNotifier::emailParts(cfg, ioc.get_executor(), dir.path());
    };
    auto expect = [&](boost::json::object cfg, std::string_view what) {
        auto p = parts(std::move(cfg));
        BOOST_REQUIRE(!p);
        BOOST_CHECK_MESSAGE(p.error().message.find(what) != std::string::npos, p.error().message);
    };
    boost::json::object base{{"server", "smtp.example.org"}, {"from", "a@b"}, {"to", boost::json::array{"c@d"}}};
    auto with = [&](boost::json::object extra) {
        auto c = base;
        for (auto& [k, v] : extra)
            c[k] = v;
        return c;
    };
    BOOST_CHECK(parts(base)); // no username: no password needed
    expect(with({{"username", "jm"}}), "password");
    jm::test::writeSecret(dir.path() / "open", "pw", 0644);
    expect(with({{"username", "jm"}, {"password_file", "open"}}), "chmod 600");
    expect(with({{"security", "none"}}), "only for a server on this machine");
    jm::test::writeSecret(dir.path() / "pw", "pw");
    expect(with({{"server", "127.0.0.1"}, {"security", "none"}, {"username", "jm"}, {"password_file", "pw"}}),
           "in clear");
    expect(with({{"from", "a@b>\r\nRCPT TO:<x@y"}}), "from: not a plain address");
    expect(with({{"to", boost::json::array{"ok@x", "bad"}}}), "'bad' is not a plain address");
    expect(with({{"to", boost::json::array()}}), "at least one recipient");
}

BOOST_AUTO_TEST_CASE(compose_encodes_subject_and_body) {
    SmtpSettings s;
    s.from = "a@b";
    s.to = {"c@d"};
    Outgoing o;
    o.subject = "plain\r\nBcc: injected@x";
    o.body = "line one\n.line two";
    auto text = composeEmail(s, o, "id@x");
    BOOST_CHECK_NE(text.find("Subject: plain  Bcc: injected@x\r\n"), std::string::npos); // no header injection
    BOOST_CHECK_EQUAL(text.find("\r\nBcc:"), std::string::npos);
    auto body = text.substr(text.find("\r\n\r\n") + 4);
    std::string b64;
    for (char c : body)
        if (c != '\r' && c != '\n') b64 += c;
    auto decoded = jm::bitcoin::fromBase64(b64);
    BOOST_REQUIRE(decoded);
    BOOST_CHECK_EQUAL(std::string(decoded->begin(), decoded->end()), "line one\r\n.line two");
}

BOOST_AUTO_TEST_CASE(hostile_smtp_replies_are_transient_failures_not_crashes) {
    // Each server greets with `payload` and then waits: the transport must give up cleanly.
    const std::vector<std::string> payloads = {
        "garbage\r\n",
        "22\r\n",
        "220-\r\n" + std::string(200 * 7, 'x'), // no line end
        std::string(9000, '2'),                 // longer than a reply may be
        [] {
            std::string s;
            for (int i = 0; i < 150; ++i)
                s += "220-again\r\n";
            return s;
        }(),
        "220 ok\r\n250 unasked\r\n999x\r\n",
        std::string("220 \0\xff\r\n", 7) + "250-STARTTLS\r\n",
    };
    for (const auto& payload : payloads) {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
        auto port = acceptor.local_endpoint().port();
        std::thread server([&] {
            boost::asio::ip::tcp::socket s(ioc);
            acceptor.accept(s);
            boost::system::error_code ec;
            boost::asio::write(s, boost::asio::buffer(payload), ec);
            char buf[512];
            while (!ec)
                s.read_some(boost::asio::buffer(buf), ec); // until the client closes
        });
        jm::test::RunningContext running;
        SmtpSettings settings;
        settings.host = "127.0.0.1";
        settings.port = std::to_string(port);
        settings.from = "a@b";
        settings.to = {"c@d"};
        settings.timeout = std::chrono::milliseconds(500);
        auto tls = makeTlsContext(TestPki::get().ca.string());
        BOOST_REQUIRE(tls);
        auto transport = std::make_shared<SmtpTransport>(running.ctx().executor(), settings, *tls);
        std::promise<Outcome> result;
        running.onStrand([&] {
            Outgoing o;
            o.subject = "s";
            o.body = "b";
            transport->send(o, [&](Outcome outcome) { result.set_value(std::move(outcome)); });
            return 0;
        });
        auto future = result.get_future();
        BOOST_REQUIRE(future.wait_for(10s) == std::future_status::ready);
        auto outcome = future.get();
        BOOST_CHECK_MESSAGE(outcome.kind != Outcome::Kind::Delivered, payload.substr(0, 40));
        BOOST_CHECK(outcome.why.size() < 4096);
        running.onStrand([&] {
            transport.reset();
            return 0;
        });
        server.join();
    }
}

BOOST_AUTO_TEST_CASE(a_server_dripping_reply_lines_is_given_one_timeout_per_reply) {
    // Each continuation line comes before a per-line timeout would run out; the reply as a whole
    // never ends. The transport must give up after `timeout`, not after 100 of them.
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto port = acceptor.local_endpoint().port();
    std::thread server([&] {
        boost::asio::ip::tcp::socket s(ioc);
        acceptor.accept(s);
        boost::system::error_code ec;
        for (int i = 0; i < 100 && !ec; ++i) {
            boost::asio::write(s, boost::asio::buffer(std::string("220-still greeting\r\n")), ec);
            std::this_thread::sleep_for(200ms);
        }
    });
    jm::test::RunningContext running;
    SmtpSettings settings;
    settings.host = "127.0.0.1";
    settings.port = std::to_string(port);
    settings.from = "a@b";
    settings.to = {"c@d"};
    settings.timeout = std::chrono::milliseconds(500);
    auto tls = makeTlsContext(TestPki::get().ca.string());
    BOOST_REQUIRE(tls);
    auto transport = std::make_shared<SmtpTransport>(running.ctx().executor(), settings, *tls);
    std::promise<Outcome> result;
    auto started = std::chrono::steady_clock::now();
    running.onStrand([&] {
        Outgoing o;
        o.subject = "s";
        o.body = "b";
        transport->send(o, [&](Outcome outcome) { result.set_value(std::move(outcome)); });
        return 0;
    });
    auto future = result.get_future();
    bool ready = future.wait_for(4s) == std::future_status::ready;
    BOOST_CHECK_MESSAGE(ready, "the dripping reply held the transport past 4 s");
    if (ready) {
        BOOST_CHECK(future.get().kind == Outcome::Kind::Retry);
        BOOST_CHECK_LT(std::chrono::steady_clock::now() - started, 3s);
    }
    running.onStrand([&] {
        transport.reset();
        return 0;
    });
    server.join();
}

BOOST_AUTO_TEST_CASE(ehlo_capabilities_come_from_keyword_lines_only) {
    // The greeting line names the server and may hold any word.
    auto c = parseEhlo("smtp.plainstarttls.example greets you | PIPELINING | AUTH LOGIN | SIZE 1000");
    BOOST_CHECK(!c.starttls);
    BOOST_CHECK(c.auth == std::set<std::string>{"LOGIN"});
    auto d = parseEhlo("mx | starttls | auth=plain cram-md5");
    BOOST_CHECK(d.starttls);
    BOOST_CHECK((d.auth == std::set<std::string>{"PLAIN", "CRAM-MD5"}));
    auto e = parseEhlo("only a greeting");
    BOOST_CHECK(!e.starttls);
    BOOST_CHECK(e.auth.empty());
    auto f = parseEhlo(" |  | AUTH | x-AUTH PLAIN | ");
    BOOST_CHECK(f.auth.empty());
}

BOOST_AUTO_TEST_SUITE_END()
