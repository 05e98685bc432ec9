#include "test_server.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/net/tor_control.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

using namespace jm::test;
using jm::net::TorControlConnection;
using jm::net::TorControlReplyParser;
using jm::sdk::errc;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const std::string SERVICE_ID = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd";
const std::string KEY = "ED25519-V3:aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSByZWFsIGtleQ==";

int code(const jm::sdk::Error& e) { return e.code.value(); }
int code(errc e) { return static_cast<int>(e); }

asio::awaitable<std::string> readLine(tcp::socket& s, asio::streambuf& buf) {
    auto n = co_await asio::async_read_until(s, buf, "\r\n", asio::use_awaitable);
    std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n - 2);
    buf.consume(n);
    co_return line;
}

//! A cookie file in a temporary directory, removed at the end of the test.
struct CookieFile {
    CookieFile() {
        static int made = 0; // several at once in one test
        dir = std::filesystem::temp_directory_path() /
              ("jm-torctl-" + std::to_string(::getpid()) + "-" + std::to_string(made++));
        std::filesystem::create_directories(dir);
        randombytes_buf(cookie.data(), cookie.size());
        std::ofstream(path(), std::ios::binary).write(reinterpret_cast<const char*>(cookie.data()), cookie.size());
    }
    ~CookieFile() { std::filesystem::remove_all(dir); }
    std::string path() const { return (dir / "control_auth_cookie").string(); }
    std::filesystem::path dir;
    std::array<std::uint8_t, 32> cookie{};
};

std::array<std::uint8_t, 32> hmac(std::string_view key, const std::array<std::uint8_t, 32>& cookie,
                                  const std::vector<std::uint8_t>& client, const std::vector<std::uint8_t>& server) {
    std::vector<std::uint8_t> msg(cookie.begin(), cookie.end());
    msg.insert(msg.end(), client.begin(), client.end());
    msg.insert(msg.end(), server.begin(), server.end());
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&st, msg.data(), msg.size());
    std::array<std::uint8_t, 32> out{};
    crypto_auth_hmacsha256_final(&st, out.data());
    return out;
}

//! What a fake Tor saw.
struct Log {
    std::vector<std::string> lines;
    bool contains(std::string_view prefix) const {
        return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.starts_with(prefix); });
    }
};

//! A fake Tor control port following control-spec: PROTOCOLINFO with `methods`, SAFECOOKIE,
//! COOKIE, HASHEDPASSWORD `password`, NULL; ADD_ONION / DEL_ONION. `tamper` corrupts the
//! SAFECOOKIE server hash.
Script fakeTor(std::shared_ptr<Log> log, std::string methods, const CookieFile* cookie, std::string password = "",
               bool tamper = false) {
    return [=](tcp::socket& s) -> asio::awaitable<void> {
        asio::streambuf buf;
        std::vector<std::uint8_t> client_nonce;
        std::vector<std::uint8_t> server_nonce(32, 0x5a);
        bool authed = false;
        for (;;) {
            auto line = co_await readLine(s, buf);
            log->lines.push_back(line);
            std::string reply;
            if (line == "PROTOCOLINFO 1") {
                reply = "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=" + methods +
                        (cookie ? " COOKIEFILE=\"" + cookie->path() + "\"" : std::string()) +
                        "\r\n250-VERSION Tor=\"0.4.7.16\"\r\n250 OK\r\n";
            } else if (line.starts_with("AUTHCHALLENGE SAFECOOKIE ")) {
                client_nonce = *jm::bitcoin::fromHex(line.substr(25));
                auto sh = hmac("Tor safe cookie authentication server-to-controller hash", cookie->cookie, client_nonce,
                               server_nonce);
                if (tamper) sh[0] ^= 1;
                reply = "250 AUTHCHALLENGE SERVERHASH=" + jm::bitcoin::toHex(sh) +
                        " SERVERNONCE=" + jm::bitcoin::toHex(server_nonce) + "\r\n";
            } else if (line.starts_with("AUTHENTICATE")) {
                std::string arg = line.size() > 13 ? line.substr(13) : "";
                bool ok = false;
                if (!client_nonce.empty())
                    ok = arg == jm::bitcoin::toHex(hmac("Tor safe cookie authentication controller-to-server hash",
                                                        cookie->cookie, client_nonce, server_nonce));
                else if (methods.find("COOKIE") != std::string::npos && cookie)
                    ok = arg == jm::bitcoin::toHex(cookie->cookie);
                else if (!password.empty())
                    ok = arg == password; // already quoted by the caller of fakeTor
                else
                    ok = methods == "NULL" && arg.empty();
                authed = ok;
                reply = ok ? "250 OK\r\n" : "515 Authentication failed: Wrong length on authentication cookie.\r\n";
                if (!ok) {
                    co_await writeText(s, reply);
                    co_return; // Tor closes after a failed AUTHENTICATE
                }
            } else if (!authed) {
                reply = "514 Authentication required.\r\n";
            } else if (line.starts_with("ADD_ONION NEW:ED25519-V3 ")) {
                reply = "250-ServiceID=" + SERVICE_ID + "\r\n250-PrivateKey=" + KEY + "\r\n250 OK\r\n";
            } else if (line.starts_with("ADD_ONION " + KEY + " ")) {
                reply = "250-ServiceID=" + SERVICE_ID + "\r\n250 OK\r\n";
            } else if (line.starts_with("ADD_ONION")) {
                reply = "512 Bad arguments to ADD_ONION\r\n";
            } else if (line == "DEL_ONION " + SERVICE_ID) {
                reply = "650 STATUS_CLIENT NOTICE SOMETHING\r\n250 OK\r\n"; // an event first
            } else {
                reply = "510 Unrecognized command\r\n";
            }
            co_await writeText(s, reply);
        }
    };
}

//! Runs `body` as a coroutine on `context` and waits for it.
template <class F> void runCoroutine(asio::io_context& context, F body) {
    bool done = false;
    asio::co_spawn(context, body(), [&](std::exception_ptr e) {
        done = true;
        if (e) std::rethrow_exception(e);
    });
    BOOST_REQUIRE(runUntil(context, [&] { return done; }));
}

} // namespace

BOOST_AUTO_TEST_SUITE(tor_control_parser)

BOOST_AUTO_TEST_CASE(multi_line_and_data_replies) {
    TorControlReplyParser p;
    BOOST_TEST(!*p.feed("250-ServiceID=abc"));
    BOOST_TEST(!*p.feed("250+data"));
    BOOST_TEST(!*p.feed("line one"));
    BOOST_TEST(!*p.feed("..dotted"));
    BOOST_TEST(!*p.feed("."));
    auto r = p.feed("250 OK");
    BOOST_REQUIRE((r && r->has_value()));
    BOOST_TEST((*r)->ok());
    BOOST_REQUIRE((*r)->lines.size() == 3u);
    BOOST_TEST((*r)->lines[1] == "data\nline one\n.dotted");
    auto event = p.feed("650 CIRC 1 BUILT");
    BOOST_TEST((*event)->isEvent());
}

BOOST_AUTO_TEST_CASE(malformed_lines_are_errors) {
    for (std::string_view bad : {"", "25", "250", "25O OK", "250*OK", "abc def", "099 x"}) {
        TorControlReplyParser p;
        BOOST_TEST(!p.feed(bad), bad);
    }
    TorControlReplyParser p;
    BOOST_TEST(!*p.feed("250-a"));
    BOOST_TEST(!p.feed("251 b"));                        // status changed mid-reply
    BOOST_TEST((*p.feed("250 OK"))->lines.size() == 1u); // reset after the error
    TorControlReplyParser small(100);
    BOOST_TEST(!*small.feed("250-" + std::string(50, 'x')));
    BOOST_TEST(!small.feed("250-" + std::string(50, 'x')));
}

BOOST_AUTO_TEST_CASE(key_values) {
    auto kv = jm::net::parseTorKeyValues(R"(METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/run/tor/a \"b\"\\c" bare X=)");
    BOOST_REQUIRE(kv.has_value());
    BOOST_TEST(kv->at("METHODS") == "COOKIE,SAFECOOKIE");
    BOOST_TEST(kv->at("COOKIEFILE") == "/run/tor/a \"b\"\\c");
    BOOST_TEST(kv->at("X") == "");
    BOOST_TEST(!kv->contains("bare"));
    BOOST_TEST(!jm::net::parseTorKeyValues(R"(A="open)"));
    BOOST_TEST(!jm::net::parseTorKeyValues(R"(A="bad\q")"));
    BOOST_TEST(!jm::net::parseTorKeyValues(R"(A="x"y)"));
    BOOST_TEST(jm::net::quoteTorString(R"(pa"s\s)") == R"("pa\"s\\s")");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tor_control_client)

BOOST_AUTO_TEST_CASE(safecookie_then_add_and_del_onion) {
    asio::io_context context;
    CookieFile cookie;
    auto log = std::make_shared<Log>();
    ScriptedServer tor(context, fakeTor(log, "COOKIE,SAFECOOKIE", &cookie));
    runCoroutine(context, [&]() -> asio::awaitable<void> {
        TorControlConnection c(context.get_executor(), std::chrono::seconds(5));
        std::string host = "127.0.0.1";
        auto connected = co_await c.connect(host, tor.port());
        BOOST_REQUIRE(connected.has_value());
        jm::net::TorAuthOptions none;
        auto auth = co_await c.authenticate(none);
        BOOST_REQUIRE_MESSAGE(auth.has_value(), auth.error().message);
        std::string empty;
        std::string target = "127.0.0.1:1234";
        auto added = co_await c.addOnion(empty, 5222, target);
        BOOST_REQUIRE_MESSAGE(added.has_value(), added.error().message);
        BOOST_TEST(added->service_id == SERVICE_ID);
        BOOST_TEST(added->private_key == KEY);
        std::string key = KEY;
        auto again = co_await c.addOnion(key, 5222, target);
        BOOST_REQUIRE(again.has_value());
        BOOST_TEST(again->private_key == KEY); // kept from the request
        std::string id = SERVICE_ID;
        auto deleted = co_await c.delOnion(id);
        BOOST_TEST(deleted.has_value());
    });
    BOOST_TEST(log->contains("AUTHCHALLENGE SAFECOOKIE "));
    BOOST_TEST(log->contains("ADD_ONION NEW:ED25519-V3 Port=5222,127.0.0.1:1234"));
}

BOOST_AUTO_TEST_CASE(safecookie_with_wrong_server_hash_reveals_nothing) {
    asio::io_context context;
    CookieFile cookie;
    auto log = std::make_shared<Log>();
    ScriptedServer tor(context, fakeTor(log, "SAFECOOKIE", &cookie, "", true));
    runCoroutine(context, [&]() -> asio::awaitable<void> {
        TorControlConnection c(context.get_executor(), std::chrono::seconds(5));
        std::string host = "127.0.0.1";
        auto connected = co_await c.connect(host, tor.port());
        BOOST_REQUIRE(connected.has_value());
        jm::net::TorAuthOptions none;
        auto auth = co_await c.authenticate(none);
        BOOST_REQUIRE(!auth);
        BOOST_TEST(code(auth.error()) == code(errc::permission_denied));
    });
    BOOST_TEST(!log->contains("AUTHENTICATE"));
}

BOOST_AUTO_TEST_CASE(cookie_password_and_null_methods) {
    CookieFile cookie;
    struct Case {
        std::string methods;
        const CookieFile* cookie;
        std::string server_password; // as it appears quoted on the wire
        jm::net::TorAuthOptions options;
    };
    const std::vector<Case> cases = {
        {"COOKIE,SAFECOOKIE", &cookie, "", {}},
        {"HASHEDPASSWORD,SAFECOOKIE", nullptr, R"("pa\"ss")", {R"(pa"ss)", ""}},
        {"NULL", nullptr, "", {}},
    };
    for (const auto& c : cases) {
        asio::io_context context;
        auto log = std::make_shared<Log>();
        ScriptedServer tor(context, fakeTor(log, c.methods, c.cookie, c.server_password));
        runCoroutine(context, [&]() -> asio::awaitable<void> {
            TorControlConnection conn(context.get_executor(), std::chrono::seconds(5));
            std::string host = "127.0.0.1";
            auto connected = co_await conn.connect(host, tor.port());
            BOOST_REQUIRE(connected.has_value());
            jm::net::TorAuthOptions options = c.options;
            auto auth = co_await conn.authenticate(options);
            BOOST_TEST(auth.has_value(), c.methods << ": " << (auth ? "" : auth.error().message));
        });
    }
}

BOOST_AUTO_TEST_CASE(authentication_failures) {
    CookieFile cookie;
    struct Case {
        std::string methods;
        const CookieFile* cookie;
        jm::net::TorAuthOptions options;
        errc expected;
    };
    const std::vector<Case> cases = {
        {"HASHEDPASSWORD", nullptr, {}, errc::permission_denied},             // no password configured
        {"HASHEDPASSWORD", nullptr, {"wrong", ""}, errc::permission_denied},  // 515 from Tor
        {"SAFECOOKIE", nullptr, {"", "/nonexistent/cookie"}, errc::io_error}, // cookie unreadable
        {"", nullptr, {}, errc::permission_denied},                           // nothing offered
    };
    for (const auto& c : cases) {
        asio::io_context context;
        auto log = std::make_shared<Log>();
        ScriptedServer tor(context, fakeTor(log, c.methods, c.cookie, "\"right\""));
        runCoroutine(context, [&]() -> asio::awaitable<void> {
            TorControlConnection conn(context.get_executor(), std::chrono::seconds(5));
            std::string host = "127.0.0.1";
            auto connected = co_await conn.connect(host, tor.port());
            BOOST_REQUIRE(connected.has_value());
            jm::net::TorAuthOptions options = c.options;
            auto auth = co_await conn.authenticate(options);
            BOOST_REQUIRE(!auth);
            BOOST_TEST(code(auth.error()) == code(c.expected), c.methods << ": " << auth.error().message);
        });
    }
}

BOOST_AUTO_TEST_CASE(a_port_offering_plain_cookie_only_never_gets_the_cookie) {
    // Something listening on the control port (Tor down, another local user's process) offers
    // only COOKIE: answering would hand it our Tor's cookie, or any 32-byte file it names.
    CookieFile cookie;
    asio::io_context context;
    auto log = std::make_shared<Log>();
    ScriptedServer tor(context, fakeTor(log, "COOKIE", &cookie));
    runCoroutine(context, [&]() -> asio::awaitable<void> {
        TorControlConnection conn(context.get_executor(), std::chrono::seconds(5));
        std::string host = "127.0.0.1";
        auto connected = co_await conn.connect(host, tor.port());
        BOOST_REQUIRE(connected.has_value());
        jm::net::TorAuthOptions none;
        auto auth = co_await conn.authenticate(none);
        BOOST_REQUIRE(!auth);
        BOOST_TEST(code(auth.error()) == code(errc::permission_denied));
        BOOST_TEST(auth.error().message.find("not SAFECOOKIE") != std::string::npos, auth.error().message);
    });
    BOOST_TEST(!log->contains("AUTHENTICATE"));
    for (const auto& line : log->lines)
        BOOST_TEST(line.find(jm::bitcoin::toHex(cookie.cookie)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_cookie_is_used_only_when_the_user_allows_it_and_names_the_file) {
    // A Tor built or configured to offer COOKIE alone: with tor.plain_cookie and tor.cookie_file
    // the cookie is sent as is, read from the user's file (the port's COOKIEFILE is ignored).
    CookieFile cookie;
    CookieFile decoy; // what a port could name instead
    asio::io_context context;
    auto log = std::make_shared<Log>();
    ScriptedServer tor(context, fakeTor(log, "COOKIE", &decoy));
    runCoroutine(context, [&]() -> asio::awaitable<void> {
        TorControlConnection conn(context.get_executor(), std::chrono::seconds(5));
        std::string host = "127.0.0.1";
        auto connected = co_await conn.connect(host, tor.port());
        BOOST_REQUIRE(connected.has_value());
        jm::net::TorAuthOptions options;
        options.allow_plain_cookie = true;
        options.cookie_file = cookie.path();
        auto auth = co_await conn.authenticate(options);
        (void)auth; // the fake Tor checks against the decoy, so it refuses: what was sent matters
    });
    BOOST_TEST(log->contains("AUTHENTICATE " + jm::bitcoin::toHex(cookie.cookie)));
    for (const auto& line : log->lines)
        BOOST_TEST(line.find(jm::bitcoin::toHex(decoy.cookie)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_cookiefile_that_is_not_a_regular_file_is_refused_at_once) {
    // A hostile control port names the file we read: a FIFO would block our thread for ever,
    // /dev/zero would be read until memory runs out. Both must fail at once, revealing nothing.
    CookieFile dir;
    auto fifo = (dir.dir / "fifo").string();
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    for (const std::string& path : {std::string("/dev/zero"), fifo, dir.dir.string()}) {
        asio::io_context context;
        auto log = std::make_shared<Log>();
        ScriptedServer tor(context, [log, path](tcp::socket& s) -> asio::awaitable<void> {
            asio::streambuf buf;
            for (;;) {
                auto line = co_await readLine(s, buf);
                log->lines.push_back(line);
                co_await writeText(s, "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=" +
                                          jm::net::quoteTorString(path) + "\r\n250 OK\r\n");
            }
        });
        runCoroutine(context, [&]() -> asio::awaitable<void> {
            TorControlConnection conn(context.get_executor(), std::chrono::seconds(5));
            std::string host = "127.0.0.1";
            auto connected = co_await conn.connect(host, tor.port());
            BOOST_REQUIRE(connected.has_value());
            jm::net::TorAuthOptions none;
            auto auth = co_await conn.authenticate(none);
            BOOST_REQUIRE(!auth);
            BOOST_TEST(code(auth.error()) == code(errc::io_error), path << ": " << auth.error().message);
            BOOST_TEST(auth.error().message.find("not a regular file") != std::string::npos, auth.error().message);
        });
        BOOST_TEST(!log->contains("AUTHCHALLENGE"), path);
        BOOST_TEST(!log->contains("AUTHENTICATE"), path);
    }
}

BOOST_AUTO_TEST_CASE(a_missing_cookie_file_says_so) {
    asio::io_context context;
    ScriptedServer tor(context, [](tcp::socket& s) -> asio::awaitable<void> {
        asio::streambuf buf;
        co_await readLine(s, buf);
        co_await writeText(s, "250-AUTH METHODS=SAFECOOKIE COOKIEFILE=\"/run/tor/control.authcookie\"\r\n250 OK\r\n");
        co_await readLine(s, buf);
    });
    runCoroutine(context, [&]() -> asio::awaitable<void> {
        TorControlConnection conn(context.get_executor(), std::chrono::seconds(5));
        std::string host = "127.0.0.1";
        auto connected = co_await conn.connect(host, tor.port());
        BOOST_REQUIRE(connected.has_value());
        jm::net::TorAuthOptions options{"", "/nonexistent/jm-test/control_auth_cookie"};
        auto auth = co_await conn.authenticate(options);
        BOOST_REQUIRE(!auth);
        BOOST_TEST(code(auth.error()) == code(errc::io_error));
        // The configured path wins over Tor's, and the message tells which key to fix.
        BOOST_TEST(auth.error().message.find("/nonexistent/jm-test/control_auth_cookie does not exist") !=
                       std::string::npos,
                   auth.error().message);
        BOOST_TEST(auth.error().message.find("tor.cookie_file") != std::string::npos, auth.error().message);
    });
}

BOOST_AUTO_TEST_CASE(malformed_and_refused_replies) {
    struct Case {
        std::string reply;
        errc expected;
    };
    const std::vector<Case> cases = {
        {"25O OK\r\n", errc::protocol_error},
        {"250-ServiceID=" + SERVICE_ID + "\r\n251 OK\r\n", errc::protocol_error},
        {"250-ServiceID=NOT_BASE32\r\n250 OK\r\n", errc::protocol_error},
        {"250-ServiceID=" + SERVICE_ID + "\r\n250-PrivateKey=RSA1024:abc\r\n250 OK\r\n", errc::protocol_error},
        {"512 Bad arguments\r\n", errc::rejected},
        {"", errc::unavailable}, // closed without a reply
    };
    for (const auto& c : cases) {
        asio::io_context context;
        ScriptedServer tor(context, [reply = c.reply](tcp::socket& s) -> asio::awaitable<void> {
            asio::streambuf buf;
            co_await readLine(s, buf);
            if (!reply.empty()) co_await writeText(s, reply);
            co_await readLine(s, buf); // wait for the client to go
        });
        runCoroutine(context, [&]() -> asio::awaitable<void> {
            TorControlConnection conn(context.get_executor(), std::chrono::seconds(1));
            std::string host = "127.0.0.1";
            auto connected = co_await conn.connect(host, tor.port());
            BOOST_REQUIRE(connected.has_value());
            if (c.reply.empty()) tor.close();
            std::string empty;
            std::string target = "127.0.0.1:1";
            auto added = co_await conn.addOnion(empty, 5222, target);
            BOOST_REQUIRE(!added);
            if (c.reply.empty()) {
                BOOST_TEST(
                    (code(added.error()) == code(errc::unavailable) || code(added.error()) == code(errc::timeout)));
            } else {
                BOOST_TEST(code(added.error()) == code(c.expected), c.reply << ": " << added.error().message);
            }
        });
    }
}

BOOST_AUTO_TEST_CASE(bad_arguments_never_reach_tor) {
    asio::io_context context;
    runCoroutine(context, [&]() -> asio::awaitable<void> {
        TorControlConnection conn(context.get_executor(), std::chrono::seconds(1));
        std::string two_lines = "GETINFO version\r\nSIGNAL HALT";
        auto r1 = co_await conn.command(two_lines);
        BOOST_TEST(code(r1.error()) == code(errc::invalid_argument));
        std::string bad_key = "ED25519-V3:abc Flags=Detach";
        std::string target = "127.0.0.1:1";
        auto r2 = co_await conn.addOnion(bad_key, 5222, target);
        BOOST_TEST(code(r2.error()) == code(errc::invalid_argument));
        std::string empty;
        std::string bad_target = "127.0.0.1:1 Flags=Detach";
        auto r3 = co_await conn.addOnion(empty, 5222, bad_target);
        BOOST_TEST(code(r3.error()) == code(errc::invalid_argument));
        std::string bad_id = "x y";
        auto r4 = co_await conn.delOnion(bad_id);
        BOOST_TEST(code(r4.error()) == code(errc::invalid_argument));
    });
}

BOOST_AUTO_TEST_CASE(slow_control_port_times_out) {
    asio::io_context context;
    ScriptedServer tor(context, [](tcp::socket& s) -> asio::awaitable<void> {
        asio::streambuf buf;
        co_await readLine(s, buf);
        std::string partial = "250-PROTOCOLINFO 1\r\n"; // and never the rest
        co_await writeText(s, partial);
        co_await readLine(s, buf);
    });
    runCoroutine(context, [&]() -> asio::awaitable<void> {
        TorControlConnection conn(context.get_executor(), std::chrono::milliseconds(200));
        std::string host = "127.0.0.1";
        auto connected = co_await conn.connect(host, tor.port());
        BOOST_REQUIRE(connected.has_value());
        jm::net::TorAuthOptions none;
        auto auth = co_await conn.authenticate(none);
        BOOST_REQUIRE(!auth);
        BOOST_TEST(code(auth.error()) == code(errc::timeout));
    });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(onion_service)

BOOST_AUTO_TEST_CASE(persistent_key_survives_a_tor_restart_and_stop_deletes) {
    asio::io_context context;
    auto log = std::make_shared<Log>();
    auto store = std::make_shared<jm::sdk::testing::MemoryKvStore>();
    // The first connection is dropped after ADD_ONION, like a Tor restart.
    int connection = 0;
    ScriptedServer tor(context, [&, inner = fakeTor(log, "NULL", nullptr)](tcp::socket& s) -> asio::awaitable<void> {
        if (++connection == 1) {
            asio::streambuf buf;
            for (;;) {
                std::string l = co_await readLine(s, buf);
                if (l.starts_with("ADD_ONION")) break;
                log->lines.push_back(l);
                std::string answer = l == "PROTOCOLINFO 1" ? "250-AUTH METHODS=NULL\r\n250 OK\r\n" : "250 OK\r\n";
                co_await writeText(s, answer);
            }
            log->lines.push_back("first ADD_ONION");
            std::string added = "250-ServiceID=" + SERVICE_ID + "\r\n250-PrivateKey=" + KEY + "\r\n250 OK\r\n";
            co_await writeText(s, added);
            co_return; // connection closes
        }
        co_await inner(s);
    });
    jm::net::OnionServiceSettings settings;
    settings.control_port = tor.port();
    settings.target = "127.0.0.1:1234";
    settings.reconnect.initial = std::chrono::milliseconds(10);
    settings.reconnect.jitter_min = settings.reconnect.jitter_max = std::chrono::milliseconds(0);
    std::vector<std::string> published;
    std::vector<std::string> lost;
    auto service = jm::net::OnionService::create(context.get_executor(), settings, store,
                                                 {[&](const std::string& host) { published.push_back(host); },
                                                  [&](const std::string& why) { lost.push_back(why); }});
    service->start();
    BOOST_REQUIRE(runUntil(context, [&] { return published.size() == 2; }));
    BOOST_TEST(published[0] == SERVICE_ID + ".onion");
    BOOST_TEST(published[1] == published[0]);
    BOOST_TEST(lost.size() == 1u);
    BOOST_TEST(*store->get(jm::net::ONION_KEY_STORE_KEY).value() == KEY);
    BOOST_TEST(log->contains("ADD_ONION " + KEY + " Port=5222,127.0.0.1:1234")); // the stored key came back
    BOOST_TEST(service->onionHost() == SERVICE_ID + ".onion");
    service->stop();
    BOOST_REQUIRE(runUntil(context, [&] { return log->contains("DEL_ONION " + SERVICE_ID); }));
    BOOST_TEST(service->onionHost().empty());
}

BOOST_AUTO_TEST_CASE(ephemeral_service_stores_nothing_and_failures_are_reported) {
    asio::io_context context;
    auto log = std::make_shared<Log>();
    auto store = std::make_shared<jm::sdk::testing::MemoryKvStore>();
    ScriptedServer tor(context, fakeTor(log, "HASHEDPASSWORD", nullptr, "\"pw\""));
    jm::net::OnionServiceSettings settings;
    settings.control_port = tor.port();
    settings.target = "127.0.0.1:1234";
    settings.ephemeral = true;
    settings.reconnect.initial = std::chrono::milliseconds(10);
    settings.reconnect.jitter_min = settings.reconnect.jitter_max = std::chrono::milliseconds(0);
    std::vector<std::string> published;
    std::vector<std::string> lost;
    auto handler = jm::net::OnionServiceHandler{[&](const std::string& h) { published.push_back(h); },
                                                [&](const std::string& why) { lost.push_back(why); }};
    auto wrong = jm::net::OnionService::create(context.get_executor(), settings, store, handler);
    wrong->start(); // no password: every attempt is refused, and said so
    BOOST_REQUIRE(runUntil(context, [&] { return lost.size() >= 2; }));
    BOOST_TEST(lost[0].find("control_password_file") != std::string::npos, lost[0]);
    wrong->stop();
    BOOST_TEST(published.empty());

    settings.auth.password = "pw";
    auto service = jm::net::OnionService::create(context.get_executor(), settings, store, handler);
    service->start();
    BOOST_REQUIRE(runUntil(context, [&] { return published.size() == 1; }));
    BOOST_TEST(!store->get(jm::net::ONION_KEY_STORE_KEY).value().has_value());
    service->stop();
    BOOST_REQUIRE(runUntil(context, [&] { return log->contains("DEL_ONION"); }));
}

BOOST_AUTO_TEST_SUITE_END()
