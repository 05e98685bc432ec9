#include "test_server.hpp"

#include <jm/net/directory_client.hpp>
#include <jm/net/peer_address.hpp>
#include <jm/net/socks5.hpp>
#include <jm/net/stream_connector.hpp>
#include <jm/net/tor_settings.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <optional>

using namespace jm::test;
using jm::net::Socks5Proxy;
using jm::sdk::errc;
namespace asio = boost::asio;
using asio::ip::tcp;
using Bytes = std::vector<std::uint8_t>;

namespace {

const std::string ONION = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd.onion";

struct Seen {
    Bytes greeting;
    std::string username;
    std::string password;
    std::string host;
    std::uint16_t port = 0;
};

//! A SOCKS5 server that negotiates like Tor and answers CONNECT with `reply` (raw bytes), then
//! sends "hello" when the reply was a success.
Script socksServer(std::shared_ptr<Seen> seen, Bytes reply, bool send_hello = true) {
    return [seen, reply, send_hello](tcp::socket& s) -> asio::awaitable<void> {
        seen->greeting = co_await readBytes(s, 3);
        bool auth = seen->greeting[2] == 0x02;
        {
            Bytes out{0x05, static_cast<std::uint8_t>(auth ? 0x02 : 0x00)};
            co_await writeBytes(s, out);
        }
        if (auth) {
            auto head = co_await readBytes(s, 2);
            auto user = co_await readBytes(s, head[1]);
            auto plen = co_await readBytes(s, 1);
            auto pass = co_await readBytes(s, plen[0]);
            seen->username.assign(user.begin(), user.end());
            seen->password.assign(pass.begin(), pass.end());
            {
                Bytes out{0x01, 0x00};
                co_await writeBytes(s, out);
            }
        }
        auto head = co_await readBytes(s, 4);
        BOOST_REQUIRE(head[1] == 0x01 && head[3] == 0x03);
        auto len = co_await readBytes(s, 1);
        auto host = co_await readBytes(s, len[0]);
        auto port = co_await readBytes(s, 2);
        seen->host.assign(host.begin(), host.end());
        seen->port = static_cast<std::uint16_t>(port[0] << 8 | port[1]);
        co_await writeBytes(s, reply);
        if (send_hello && reply.size() > 1 && reply[1] == 0) {
            std::string hello = "hello";
            co_await writeText(s, hello);
        }
        std::vector<char> sink(1);
        boost::system::error_code ec;
        co_await s.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    };
}

Bytes success() { return {0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0}; }

struct Outcome {
    std::optional<jm::sdk::Result<void>> result;
    std::string received;
};

//! Connects through the proxy on `port` and reads what the destination sends first.
Outcome connectVia(asio::io_context& context, std::uint16_t port, std::string username = "jm:peer",
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(3000), std::string host = ONION) {
    tcp::socket socket(context);
    Outcome out;
    std::array<char, 5> buf{};
    bool read_done = false;
    auto cancel = jm::net::asyncConnectStream(
        socket, host, 5222, Socks5Proxy{"127.0.0.1", port, username, "pw"}, timeout, [&](jm::sdk::Result<void> r) {
            out.result = r;
            if (!r) return;
            asio::async_read(socket, asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
                if (!ec) out.received.assign(buf.data(), n);
                read_done = true;
            });
        });
    BOOST_REQUIRE(runUntil(context, [&] { return out.result && (!*out.result || read_done); }));
    (void)cancel;
    return out;
}

errc codeOf(const Outcome& o) { return static_cast<errc>(o.result->error().code.value()); }

} // namespace

BOOST_AUTO_TEST_SUITE(socks5_messages)

BOOST_AUTO_TEST_CASE(requests_have_rfc_layout) {
    BOOST_TEST(jm::net::socks5Greeting(false) == Bytes({0x05, 0x01, 0x00}));
    BOOST_TEST(jm::net::socks5Greeting(true) == Bytes({0x05, 0x01, 0x02}));
    BOOST_TEST(*jm::net::socks5AuthRequest("ab", "c") == Bytes({0x01, 2, 'a', 'b', 1, 'c'}));
    BOOST_TEST(*jm::net::socks5ConnectRequest("127.0.0.1", 0x1466) ==
               Bytes({0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0x14, 0x66}));
    auto v6 = *jm::net::socks5ConnectRequest("::1", 80);
    BOOST_TEST(v6.size() == 4u + 16 + 2);
    BOOST_TEST(v6[3] == 0x04);
    auto domain = *jm::net::socks5ConnectRequest("ab.onion", 5222);
    BOOST_TEST(domain == Bytes({0x05, 0x01, 0x00, 0x03, 8, 'a', 'b', '.', 'o', 'n', 'i', 'o', 'n', 0x14, 0x66}));
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused) {
    BOOST_TEST(!jm::net::socks5AuthRequest("", "x"));
    BOOST_TEST(!jm::net::socks5AuthRequest(std::string(256, 'u'), "x"));
    BOOST_TEST(!jm::net::socks5AuthRequest("u", std::string(256, 'p')));
    BOOST_TEST(!jm::net::socks5ConnectRequest("", 1));
    BOOST_TEST(!jm::net::socks5ConnectRequest(std::string(256, 'h'), 1));
    BOOST_TEST(!jm::net::socks5ConnectRequest("host", 0));
}

BOOST_AUTO_TEST_CASE(method_and_auth_replies) {
    BOOST_TEST(jm::net::parseSocks5MethodReply(Bytes{0x05, 0x00}, false).has_value());
    BOOST_TEST(jm::net::parseSocks5MethodReply(Bytes{0x05, 0x02}, true).has_value());
    BOOST_TEST(!jm::net::parseSocks5MethodReply(Bytes{0x05, 0x00}, true)); // not offered
    BOOST_TEST(!jm::net::parseSocks5MethodReply(Bytes{0x04, 0x00}, false));
    BOOST_TEST(!jm::net::parseSocks5MethodReply(Bytes{0x05}, false));
    auto none = jm::net::parseSocks5MethodReply(Bytes{0x05, 0xFF}, true);
    BOOST_TEST(none.error().code.value() == static_cast<int>(errc::permission_denied));
    BOOST_TEST(jm::net::parseSocks5AuthReply(Bytes{0x01, 0x00}).has_value());
    auto refused = jm::net::parseSocks5AuthReply(Bytes{0x01, 0x01});
    BOOST_TEST(refused.error().code.value() == static_cast<int>(errc::permission_denied));
    BOOST_TEST(!jm::net::parseSocks5AuthReply(Bytes{0x05, 0x00}));
    BOOST_TEST(!jm::net::parseSocks5AuthReply(Bytes{0x01, 0x00, 0x00}));
}

BOOST_AUTO_TEST_CASE(connect_reply_is_read_incrementally) {
    using jm::net::socks5ConnectReplyNeeds;
    BOOST_TEST(*socks5ConnectReplyNeeds(Bytes{}) == 2u);
    BOOST_TEST(*socks5ConnectReplyNeeds(Bytes{5, 0}) == 5u);
    BOOST_TEST(*socks5ConnectReplyNeeds(Bytes{5, 0, 0, 1, 0}) == 10u);
    BOOST_TEST(*socks5ConnectReplyNeeds(success()) == 0u);
    BOOST_TEST(*socks5ConnectReplyNeeds(Bytes{5, 0, 0, 4, 0}) == 22u);
    BOOST_TEST(*socks5ConnectReplyNeeds(Bytes{5, 0, 0, 3, 3}) == 10u);
    BOOST_TEST(*socks5ConnectReplyNeeds(Bytes{5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 1}) == 0u);
    BOOST_TEST(!socks5ConnectReplyNeeds(Bytes{5, 0, 0, 3, 0})); // empty domain
    BOOST_TEST(!socks5ConnectReplyNeeds(Bytes{5, 0, 0, 9, 0})); // unknown type
    BOOST_TEST(!socks5ConnectReplyNeeds(Bytes{5, 0, 1, 1, 0})); // reserved byte
    BOOST_TEST(!socks5ConnectReplyNeeds(Bytes{4, 0}));          // version
    auto longer = success();
    longer.push_back(0);
    BOOST_TEST(!socks5ConnectReplyNeeds(longer));
}

BOOST_AUTO_TEST_CASE(every_reply_code_has_an_error) {
    const std::vector<std::pair<std::uint8_t, errc>> table = {
        {0x01, errc::unavailable},       {0x02, errc::permission_denied}, {0x03, errc::unavailable},
        {0x04, errc::unavailable},       {0x05, errc::unavailable},       {0x06, errc::timeout},
        {0x07, errc::unsupported},       {0x08, errc::unsupported},       {0xF0, errc::unavailable},
        {0xF1, errc::unavailable},       {0xF2, errc::unavailable},       {0xF3, errc::unavailable},
        {0xF4, errc::permission_denied}, {0xF5, errc::permission_denied}, {0xF6, errc::invalid_argument},
        {0xF7, errc::timeout},           {0x09, errc::protocol_error},    {0xFF, errc::protocol_error}};
    for (auto [code, expected] : table) {
        auto r = jm::net::socks5ConnectReplyNeeds(Bytes{5, code});
        BOOST_REQUIRE(!r);
        BOOST_TEST(static_cast<int>(r.error().code.value()) == static_cast<int>(expected), "code " << int(code));
        BOOST_TEST(r.error().message.find(jm::net::socks5ReplyMessage(code)) != std::string::npos);
        BOOST_TEST(jm::net::socks5ReplyMessage(code) != jm::net::socks5ReplyMessage(0x00));
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(socks5_client)

BOOST_AUTO_TEST_CASE(connects_through_the_proxy_with_isolation_credentials) {
    asio::io_context context;
    auto seen = std::make_shared<Seen>();
    ScriptedServer proxy(context, socksServer(seen, success()));
    auto out = connectVia(context, proxy.port(), "jm:alice");
    BOOST_REQUIRE(out.result->has_value());
    BOOST_TEST(out.received == "hello");
    BOOST_TEST(seen->greeting == Bytes({0x05, 0x01, 0x02}));
    BOOST_TEST(seen->username == "jm:alice");
    BOOST_TEST(seen->password == "pw");
    BOOST_TEST(seen->host == ONION); // the name reaches the proxy unresolved
    BOOST_TEST(seen->port == 5222);
}

BOOST_AUTO_TEST_CASE(without_username_no_authentication_is_offered) {
    asio::io_context context;
    auto seen = std::make_shared<Seen>();
    ScriptedServer proxy(context, socksServer(seen, {0x05, 0x00, 0x00, 0x03, 2, 'a', 'b', 0, 1}));
    auto out = connectVia(context, proxy.port(), "");
    BOOST_REQUIRE(out.result->has_value());
    BOOST_TEST(out.received == "hello"); // the domain-form reply was consumed exactly
    BOOST_TEST(seen->greeting == Bytes({0x05, 0x01, 0x00}));
}

BOOST_AUTO_TEST_CASE(each_reply_code_fails_with_its_message) {
    for (std::uint8_t code :
         {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0x42}) {
        asio::io_context context;
        auto seen = std::make_shared<Seen>();
        ScriptedServer proxy(context, socksServer(seen, {0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0}));
        auto out = connectVia(context, proxy.port());
        BOOST_REQUIRE(!*out.result);
        BOOST_TEST(static_cast<int>(codeOf(out)) == static_cast<int>(jm::net::socks5ReplyErrc(code)));
        BOOST_TEST(out.result->error().message.find(jm::net::socks5ReplyMessage(code)) != std::string::npos,
                   out.result->error().message);
    }
}

BOOST_AUTO_TEST_CASE(malformed_replies_are_protocol_errors) {
    const std::vector<Bytes> replies = {
        {0x04, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0}, // SOCKS4 version byte
        {0x05, 0x00, 0x07, 0x01, 0, 0, 0, 0, 0, 0}, // reserved byte set
        {0x05, 0x00, 0x00, 0x09, 0, 0, 0, 0, 0, 0}, // unknown address type
        {0x05, 0x00, 0x00, 0x03, 0, 0, 0},          // empty domain
    };
    for (const auto& reply : replies) {
        asio::io_context context;
        ScriptedServer proxy(context, socksServer(std::make_shared<Seen>(), reply, false));
        auto out = connectVia(context, proxy.port());
        BOOST_REQUIRE(!*out.result);
        BOOST_TEST(static_cast<int>(codeOf(out)) == static_cast<int>(errc::protocol_error),
                   out.result->error().message);
    }
}

BOOST_AUTO_TEST_CASE(truncated_reply_reports_the_closed_proxy) {
    asio::io_context context;
    ScriptedServer proxy(context, [](tcp::socket& s) -> asio::awaitable<void> {
        co_await readBytes(s, 3);
        {
            Bytes out{0x05, 0x02};
            co_await writeBytes(s, out);
        }
        auto head = co_await readBytes(s, 2);
        co_await readBytes(s, head[1]);
        auto plen = co_await readBytes(s, 1);
        co_await readBytes(s, plen[0]);
        {
            Bytes out{0x01, 0x00};
            co_await writeBytes(s, out);
        }
        co_await readBytes(s, 4);
        auto len = co_await readBytes(s, 1);
        co_await readBytes(s, len[0] + 2u); // the whole request, so closing sends FIN, not RST
        {
            Bytes out{0x05, 0x00, 0x00};
            co_await writeBytes(s, out);
        } // then closes
    });
    auto out = connectVia(context, proxy.port());
    BOOST_REQUIRE(!*out.result);
    BOOST_TEST(static_cast<int>(codeOf(out)) == static_cast<int>(errc::unavailable));
    BOOST_TEST(out.result->error().message.find("closed by the proxy") != std::string::npos,
               out.result->error().message);
}

BOOST_AUTO_TEST_CASE(method_and_auth_failures) {
    struct Case {
        Bytes method;
        Bytes auth; // empty: not reached
        errc expected;
    };
    const std::vector<Case> cases = {
        {{0x05, 0xFF}, {}, errc::permission_denied},           // no acceptable method
        {{0x05, 0x00}, {}, errc::protocol_error},              // picked a method we did not offer
        {{0x04, 0x02}, {}, errc::protocol_error},              // not SOCKS5
        {{0x05, 0x02}, {0x01, 0x01}, errc::permission_denied}, // wrong username/password
        {{0x05, 0x02}, {0x05, 0x00}, errc::protocol_error},    // bad auth version
    };
    for (const auto& c : cases) {
        asio::io_context context;
        ScriptedServer proxy(context, [c](tcp::socket& s) -> asio::awaitable<void> {
            co_await readBytes(s, 3);
            co_await writeBytes(s, c.method);
            if (c.auth.empty()) co_return;
            auto head = co_await readBytes(s, 2);
            co_await readBytes(s, head[1]);
            auto plen = co_await readBytes(s, 1);
            co_await readBytes(s, plen[0]);
            co_await writeBytes(s, c.auth);
        });
        auto out = connectVia(context, proxy.port());
        BOOST_REQUIRE(!*out.result);
        BOOST_TEST(static_cast<int>(codeOf(out)) == static_cast<int>(c.expected), out.result->error().message);
    }
}

BOOST_AUTO_TEST_CASE(slow_proxy_times_out) {
    asio::io_context context;
    ScriptedServer proxy(context, [](tcp::socket& s) -> asio::awaitable<void> {
        co_await readBytes(s, 3);
        {
            Bytes out{0x05};
            co_await writeBytes(s, out);
        } // half a reply, then silence
        std::vector<char> sink(1);
        boost::system::error_code ec;
        co_await s.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    });
    auto started = std::chrono::steady_clock::now();
    auto out = connectVia(context, proxy.port(), "jm:x", std::chrono::milliseconds(200));
    BOOST_REQUIRE(!*out.result);
    BOOST_TEST(static_cast<int>(codeOf(out)) == static_cast<int>(errc::timeout));
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(3)));
}

BOOST_AUTO_TEST_CASE(proxy_not_listening_is_unavailable) {
    asio::io_context context;
    std::uint16_t port = 0;
    {
        tcp::acceptor a(context, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    auto out = connectVia(context, port);
    BOOST_REQUIRE(!*out.result);
    BOOST_TEST(static_cast<int>(codeOf(out)) == static_cast<int>(errc::unavailable));
    BOOST_TEST(out.result->error().message.find("SOCKS5 proxy") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cancel_reports_cancelled) {
    asio::io_context context;
    ScriptedServer proxy(context, [](tcp::socket& s) -> asio::awaitable<void> {
        std::vector<char> sink(64);
        boost::system::error_code ec;
        while (!ec)
            co_await s.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    });
    tcp::socket socket(context);
    std::optional<jm::sdk::Result<void>> result;
    auto cancel = jm::net::asyncConnectStream(socket, ONION, 5222, Socks5Proxy{"127.0.0.1", proxy.port(), "", ""},
                                              std::chrono::seconds(5), [&](jm::sdk::Result<void> r) { result = r; });
    context.run_for(std::chrono::milliseconds(100));
    cancel();
    BOOST_REQUIRE(runUntil(context, [&] { return result.has_value(); }));
    BOOST_TEST(static_cast<int>(result->error().code.value()) == static_cast<int>(errc::cancelled));
    cancel(); // harmless afterwards
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tor_settings)

BOOST_AUTO_TEST_CASE(parses_and_routes) {
    auto s =
        jm::net::TorSettings::fromJson(boost::json::parse(R"({"socks":"127.0.0.1:9050","control":"127.0.0.1:9051"})"));
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->socks_port == 9050);
    BOOST_TEST(s->control_port == 9051);
    auto direct = s->proxyFor("127.0.0.1", "dir");
    BOOST_REQUIRE(direct.has_value());
    BOOST_TEST(!direct->has_value());
    auto a = s->proxyFor(ONION, "alice");
    auto b = s->proxyFor("ABC.ONION", "bob");
    BOOST_REQUIRE((a.has_value() && a->has_value() && b.has_value() && b->has_value()));
    BOOST_TEST((*a)->username != (*b)->username); // stream isolation per counterparty
    BOOST_TEST((*a)->port == 9050);
    s->isolate = false;
    BOOST_TEST((*s->proxyFor(ONION, "alice"))->username.empty());
    s->all_traffic = true;
    BOOST_TEST(s->proxyFor("example.org", "x")->has_value());
}

BOOST_AUTO_TEST_CASE(onion_without_socks_is_unavailable) {
    auto s = jm::net::TorSettings::fromJson(boost::json::value());
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(!s->hasSocks());
    auto r = s->proxyFor(ONION, "x");
    BOOST_REQUIRE(!r);
    BOOST_TEST(static_cast<int>(r.error().code.value()) == static_cast<int>(errc::unavailable));
}

BOOST_AUTO_TEST_CASE(bad_configs_are_refused) {
    for (const char* text : {R"({"socks":"127.0.0.1"})", R"({"socks":"h:0"})", R"({"socks":"h:70000"})",
                             R"({"socks":5})", R"({"control":":9051"})", R"({"all_traffic":true})",
                             R"({"onion":"sometimes"})", R"({"sock":"127.0.0.1:9050"})", R"({"isolate":"yes"})",
                             R"({"control_timeout_ms":5})", R"({"control_password_file":"/nonexistent/pw"})",
                             R"({"plain_cookie":true})", R"({"plain_cookie":"yes","cookie_file":"/c"})", "[]"}) {
        auto s = jm::net::TorSettings::fromJson(boost::json::parse(text));
        BOOST_TEST(!s, text);
    }
}

BOOST_AUTO_TEST_CASE(password_file_is_read) {
    auto dir = std::filesystem::temp_directory_path() / ("jm-tor-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "pw") << "s3cret\n";
    auto s = jm::net::TorSettings::fromJson(boost::json::parse(R"({"control_password_file":"pw","onion":"ephemeral"})"),
                                            dir.string());
    std::filesystem::remove_all(dir);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->control_password == "s3cret");
    BOOST_TEST(s->ephemeral_onion);
}

BOOST_AUTO_TEST_CASE(password_files_a_careless_user_writes_are_refused_with_the_reason) {
    auto dir = std::filesystem::temp_directory_path() / ("jm-tor-pw-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    struct Case {
        std::string content;
        std::string says;
    };
    const std::vector<Case> cases = {
        {"s3cret\nother\n", "on one line"}, // two lines: Tor would get neither
        // The torrc line's hash instead of the password (tor --hash-password's output):
        {"16:872860B76453A77D60CA2BB8C1A7042072093276A3D701AD684053EC4C\n", "HashedControlPassword"},
        {"\n", "is empty"},
    };
    for (const auto& c : cases) {
        std::ofstream(dir / "pw", std::ios::trunc) << c.content;
        auto s = jm::net::TorSettings::fromJson(boost::json::parse(R"({"control_password_file":"pw"})"), dir.string());
        BOOST_REQUIRE(!s);
        BOOST_TEST(s.error().code.value() == static_cast<int>(jm::sdk::errc::invalid_config));
        BOOST_TEST(s.error().message.find(c.says) != std::string::npos, s.error().message);
    }
    std::ofstream(dir / "pw", std::ios::trunc) << "s3cret\r\n"; // written on Windows: still fine
    auto s = jm::net::TorSettings::fromJson(boost::json::parse(R"({"control_password_file":"pw"})"), dir.string());
    std::filesystem::remove_all(dir);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->control_password == "s3cret");
}

BOOST_AUTO_TEST_CASE(an_onion_with_a_trailing_dot_is_refused_not_resolved) {
    // Not an onion to isOnionHost: it would have gone out without SOCKS, through the local DNS.
    const std::string onion = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd.onion";
    for (const std::string& host :
         {onion + ".", std::string("ZKVCXXG6XGNRN6CI2NGEENQDZGTYRHE7BRGU4XMXAVZKCJJBLW2ZI5QD.ONION.")}) {
        auto a = jm::net::parsePeerAddress(host + ":5222");
        BOOST_REQUIRE_MESSAGE(!a, host);
        BOOST_TEST(a.error().message.find("trailing dot") != std::string::npos, a.error().message);
    }
    BOOST_TEST(jm::net::parsePeerAddress(onion + ":5222").has_value());
    BOOST_TEST(jm::net::parsePeerAddress("example.org.:5222").has_value()); // a DNS name may end in a dot
}

BOOST_AUTO_TEST_CASE(host_port_forms) {
    BOOST_TEST(jm::net::parsePeerAddress("[::1]:9050")->host == "::1");
    BOOST_TEST(jm::net::parsePeerAddress("localhost:1")->port == 1);
    BOOST_TEST(!jm::net::parsePeerAddress("::1:9050"));
    BOOST_TEST(!jm::net::parsePeerAddress("[::1]9050"));
    BOOST_TEST(!jm::net::parsePeerAddress("[]:9050"));
    BOOST_TEST(!jm::net::parsePeerAddress("[::g]:9050"));
    BOOST_TEST(!jm::net::parsePeerAddress("host:"));
    BOOST_TEST(!jm::net::parsePeerAddress("host:12x"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(directory_client_via_socks)

// The directory client reaches an onion directory through the SOCKS proxy: the proxy sees the
// onion name and the isolation username, and the handshake then runs over the proxied stream.
BOOST_AUTO_TEST_CASE(onion_directory_is_reached_through_the_proxy) {
    asio::io_context context;
    auto seen = std::make_shared<Seen>();
    auto hello_line = std::make_shared<std::string>();
    ScriptedServer proxy(context, [seen, hello_line](tcp::socket& s) -> asio::awaitable<void> {
        seen->greeting = co_await readBytes(s, 3);
        {
            Bytes out{0x05, 0x02};
            co_await writeBytes(s, out);
        }
        auto head = co_await readBytes(s, 2);
        auto user = co_await readBytes(s, head[1]);
        auto plen = co_await readBytes(s, 1);
        co_await readBytes(s, plen[0]);
        seen->username.assign(user.begin(), user.end());
        {
            Bytes out{0x01, 0x00};
            co_await writeBytes(s, out);
        }
        co_await readBytes(s, 4);
        auto len = co_await readBytes(s, 1);
        auto host = co_await readBytes(s, len[0] + 2u);
        seen->host.assign(host.begin(), host.end() - 2);
        {
            Bytes out = success();
            co_await writeBytes(s, out);
        }
        asio::streambuf buf;
        auto n = co_await asio::async_read_until(s, buf, '\n', asio::use_awaitable);
        hello_line->assign(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
        jm::protocol::DirectoryHandshake dn;
        dn.accepted = true;
        dn.nick = "J5directoryXXXXX";
        dn.network = "regtest";
        jm::protocol::Envelope envelope;
        envelope.type = 795;
        envelope.line = jm::protocol::formatDirectoryHandshake(dn);
        std::string reply = *jm::protocol::formatEnvelope(envelope);
        co_await writeText(s, reply);
        std::vector<char> sink(64);
        boost::system::error_code ec;
        while (!ec)
            co_await s.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    });
    auto tor = jm::net::TorSettings::fromJson(
        boost::json::parse(R"({"socks":"127.0.0.1:)" + std::to_string(proxy.port()) + R"("})"));
    BOOST_REQUIRE(tor.has_value());
    jm::net::DirectoryClientSettings settings;
    settings.host = ONION;
    settings.port = 5222;
    settings.network = "regtest";
    settings.reconnect.enabled = false;
    settings.socks = tor->proxyFor(settings.host, settings.host).value();
    bool ready = false;
    std::string lost;
    jm::net::DirectoryClientHandler handler;
    handler.on_ready = [&](const jm::protocol::DirectoryHandshake&) { ready = true; };
    handler.on_disconnected = [&](const std::string& why) { lost = why; };
    auto client = jm::net::DirectoryClient::create(context.get_executor(), settings,
                                                   std::make_shared<const jm::protocol::NickIdentity>(), handler);
    client->start();
    BOOST_REQUIRE_MESSAGE(runUntil(context, [&] { return ready || !lost.empty(); }) && ready, lost);
    BOOST_TEST(seen->host == ONION);
    BOOST_TEST(seen->username == "jm:" + ONION);
    BOOST_TEST(hello_line->find("\"type\": 793") != std::string::npos, *hello_line);
    client->stop();
}

BOOST_AUTO_TEST_CASE(proxy_refusal_is_reported_as_the_disconnect_reason) {
    asio::io_context context;
    ScriptedServer proxy(context, socksServer(std::make_shared<Seen>(), {0x05, 0xF0, 0x00, 0x01, 0, 0, 0, 0, 0, 0}));
    jm::net::DirectoryClientSettings settings;
    settings.host = ONION;
    settings.network = "regtest";
    settings.reconnect.enabled = false;
    settings.socks = Socks5Proxy{"127.0.0.1", proxy.port(), "jm:d", "jmnode"};
    std::string lost;
    jm::net::DirectoryClientHandler handler;
    handler.on_disconnected = [&](const std::string& why) { lost = why; };
    auto client = jm::net::DirectoryClient::create(context.get_executor(), settings,
                                                   std::make_shared<const jm::protocol::NickIdentity>(), handler);
    client->start();
    BOOST_REQUIRE(runUntil(context, [&] { return !lost.empty(); }));
    BOOST_TEST(lost.find("descriptor not found") != std::string::npos, lost);
    client->stop();
}

BOOST_AUTO_TEST_SUITE_END()
