#include <jm/net/tor_control.hpp>

// GCC 12 reports a false -Wmismatched-new-delete on Asio's coroutine frames.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <jm/bitcoin/encoding.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;
namespace asio = boost::asio;
using asio::ip::tcp;

// ---- parsing ----

jm::sdk::Result<std::optional<TorControlReply>> TorControlReplyParser::feed(std::string_view line) {
    auto reset = [this] {
        m_partial.reset();
        m_in_data = false;
        m_bytes = 0;
    };
    m_bytes += line.size() + 1;
    if (m_bytes > m_max_bytes) {
        reset();
        return fail(errc::protocol_error, "Tor control reply longer than " + std::to_string(m_max_bytes) + " bytes");
    }
    if (m_in_data) {
        if (line == ".") {
            m_in_data = false;
            return std::optional<TorControlReply>{};
        }
        if (line.starts_with(".")) line.remove_prefix(1); // dot-stuffing
        auto& last = m_partial->lines.back();
        last += '\n';
        last += line;
        return std::optional<TorControlReply>{};
    }
    if (line.size() < 4 || !std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }) ||
        (line[3] != '-' && line[3] != ' ' && line[3] != '+') || line[0] == '0') {
        reset();
        return fail(errc::protocol_error, "malformed Tor control line '" + std::string(line.substr(0, 80)) + "'");
    }
    int status = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (!m_partial) {
        m_partial.emplace();
        m_partial->status = status;
    } else if (m_partial->status != status) {
        reset();
        return fail(errc::protocol_error, "Tor control reply changed status within one reply");
    }
    m_partial->lines.emplace_back(line.substr(4));
    if (line[3] == '+') m_in_data = true;
    if (line[3] != ' ') return std::optional<TorControlReply>{};
    auto done = std::move(*m_partial);
    reset();
    return std::optional<TorControlReply>{std::move(done)};
}

jm::sdk::Result<std::map<std::string, std::string, std::less<>>> parseTorKeyValues(std::string_view text) {
    std::map<std::string, std::string, std::less<>> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ')
            ++i;
        std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '=')
            ++i;
        std::string key(text.substr(start, i - start));
        if (i >= text.size() || text[i] == ' ') continue; // a bare word
        ++i;                                              // '='
        std::string value;
        if (i < text.size() && text[i] == '"') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                char c = text[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (i >= text.size()) break;
                    char e = text[i++];
                    switch (e) {
                    case 'n':
                        value += '\n';
                        break;
                    case 't':
                        value += '\t';
                        break;
                    case 'r':
                        value += '\r';
                        break;
                    case '\\':
                    case '"':
                    case '\'':
                        value += e;
                        break;
                    default:
                        return fail(errc::protocol_error, "bad escape in a Tor control string");
                    }
                } else {
                    value += c;
                }
            }
            if (!closed) return fail(errc::protocol_error, "unterminated quoted string in a Tor control reply");
            if (i < text.size() && text[i] != ' ')
                return fail(errc::protocol_error, "text after a quoted string in a Tor control reply");
        } else {
            std::size_t vstart = i;
            while (i < text.size() && text[i] != ' ')
                ++i;
            value = std::string(text.substr(vstart, i - vstart));
        }
        if (!key.empty()) out[std::move(key)] = std::move(value);
    }
    return out;
}

std::string quoteTorString(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

namespace {

bool isServiceId(std::string_view id) {
    return id.size() == 56 &&
           std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); });
}

bool isEd25519Key(std::string_view key) {
    constexpr std::string_view prefix = "ED25519-V3:";
    if (!key.starts_with(prefix) || key.size() == prefix.size() || key.size() > 200) return false;
    key.remove_prefix(prefix.size());
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
               c == '=';
    });
}

std::string replyText(const TorControlReply& reply) {
    std::string text = std::to_string(reply.status);
    for (const auto& l : reply.lines)
        text += " " + l.substr(0, 200);
    return text;
}

jm::sdk::Result<std::vector<std::uint8_t>> readCookie(const std::string& path) {
    // The path may come from the control port (COOKIEFILE): a hostile one could name a FIFO
    // (open blocks for ever) or a device (reads never end). Only a regular file is opened, and
    // no more than one byte past the cookie's size is read.
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found)
        return fail(errc::io_error, "the Tor auth cookie " + path + " does not exist (check tor.cookie_file)");
    if (ec)
        return fail(errc::io_error, "cannot read the Tor auth cookie " + path + " (is this user in the tor group?)");
    if (!std::filesystem::is_regular_file(status))
        return fail(errc::io_error, "the Tor auth cookie " + path + " is not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(errc::io_error, "cannot read the Tor auth cookie " + path + " (is this user in the tor group?)");
    std::vector<std::uint8_t> cookie(33);
    in.read(reinterpret_cast<char*>(cookie.data()), static_cast<std::streamsize>(cookie.size()));
    cookie.resize(static_cast<std::size_t>(in.gcount()));
    if (cookie.size() != 32) return fail(errc::io_error, "the Tor auth cookie " + path + " is not 32 bytes");
    return cookie;
}

std::array<std::uint8_t, 32> safeCookieHmac(std::string_view key, const std::vector<std::uint8_t>& cookie,
                                            std::span<const std::uint8_t> client_nonce,
                                            std::span<const std::uint8_t> server_nonce) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, cookie.data(), cookie.size());
    crypto_auth_hmacsha256_update(&state, client_nonce.data(), client_nonce.size());
    crypto_auth_hmacsha256_update(&state, server_nonce.data(), server_nonce.size());
    std::array<std::uint8_t, 32> out{};
    crypto_auth_hmacsha256_final(&state, out.data());
    return out;
}

} // namespace

// ---- connection ----

TorControlConnection::TorControlConnection(jm::sdk::Executor executor, std::chrono::milliseconds timeout) :
    m_socket(executor), m_timer(executor), m_buffer(64 * 1024), m_timeout(timeout),
    m_timed_out(std::make_shared<bool>(false)) {}

TorControlConnection::~TorControlConnection() { close(); }

void TorControlConnection::close() {
    boost::system::error_code ec;
    m_timer.cancel();
    m_socket.close(ec);
}

void TorControlConnection::cancelRead() {
    boost::system::error_code ec;
    m_socket.cancel(ec);
}

bool TorControlConnection::isOpen() const { return m_socket.is_open(); }

void TorControlConnection::arm() {
    m_timed_out = std::make_shared<bool>(false);
    m_timer.expires_after(m_timeout);
    m_timer.async_wait([flag = m_timed_out, this](boost::system::error_code ec) {
        if (ec) return; // cancelled (also when we are destroyed)
        *flag = true;
        boost::system::error_code ignored;
        m_socket.close(ignored);
    });
}

void TorControlConnection::disarm() { m_timer.cancel(); }

asio::awaitable<jm::sdk::Result<void>> TorControlConnection::connect(std::string host, std::uint16_t port) {
    arm();
    auto flag = m_timed_out;
    tcp::resolver resolver(m_socket.get_executor());
    boost::system::error_code ec;
    // Named arguments only: GCC 12 mishandles temporaries inside co_await expressions.
    std::string service = std::to_string(port);
    auto endpoints = co_await resolver.async_resolve(host, service, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !*flag) co_await asio::async_connect(m_socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    disarm();
    if (*flag) co_return fail(errc::timeout, "connecting to the Tor control port took too long");
    if (ec)
        co_return fail(errc::unavailable, "cannot connect to the Tor control port " + host + ":" +
                                              std::to_string(port) + ": " + ec.message());
    co_return jm::sdk::Result<void>{};
}

asio::awaitable<jm::sdk::Result<TorControlReply>> TorControlConnection::readReply() {
    TorControlReplyParser parser;
    for (;;) {
        boost::system::error_code ec;
        std::size_t n =
            co_await asio::async_read_until(m_socket, m_buffer, '\n', asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::not_found) co_return fail(errc::protocol_error, "Tor control line too long");
        if (ec)
            co_return fail(*m_timed_out ? errc::timeout : errc::unavailable,
                           *m_timed_out ? "the Tor control port did not answer in time"
                                        : "Tor control connection lost: " + ec.message());
        std::string line(asio::buffers_begin(m_buffer.data()), asio::buffers_begin(m_buffer.data()) + n - 1);
        m_buffer.consume(n);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto r = parser.feed(line);
        if (!r) co_return r.error();
        if (*r && !(*r)->isEvent()) co_return std::move(**r);
    }
}

asio::awaitable<jm::sdk::Result<TorControlReply>> TorControlConnection::command(std::string line) {
    if (line.find_first_of("\r\n") != std::string::npos)
        co_return fail(errc::invalid_argument, "a Tor control command must be one line");
    if (!m_socket.is_open()) co_return fail(errc::unavailable, "not connected to the Tor control port");
    arm();
    line += "\r\n";
    boost::system::error_code ec;
    co_await asio::async_write(m_socket, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        disarm();
        co_return fail(*m_timed_out ? errc::timeout : errc::unavailable, "Tor control write failed: " + ec.message());
    }
    auto reply = co_await readReply();
    disarm();
    if (!reply) close(); // after a bad reply the stream position is unknown
    co_return reply;
}

asio::awaitable<jm::sdk::Result<void>> TorControlConnection::authenticate(TorAuthOptions options) {
    std::string protocolinfo = "PROTOCOLINFO 1";
    auto info = co_await command(protocolinfo);
    if (!info) co_return info.error();
    if (!info->ok()) co_return fail(errc::protocol_error, "PROTOCOLINFO refused: " + replyText(*info));
    std::set<std::string, std::less<>> methods;
    std::string cookie_file = options.cookie_file;
    for (const auto& l : info->lines) {
        if (!l.starts_with("AUTH ")) continue;
        auto kv = parseTorKeyValues(std::string_view(l).substr(5));
        if (!kv) co_return kv.error();
        if (auto it = kv->find("METHODS"); it != kv->end()) {
            std::string_view list = it->second;
            while (!list.empty()) {
                auto comma = list.find(',');
                methods.emplace(list.substr(0, comma));
                list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
            }
        }
        if (auto it = kv->find("COOKIEFILE"); it != kv->end() && cookie_file.empty()) cookie_file = it->second;
    }
    std::string auth_line;
    if (!options.password.empty() && methods.contains("HASHEDPASSWORD")) {
        auth_line = "AUTHENTICATE " + quoteTorString(options.password);
    } else if (methods.contains("SAFECOOKIE") && !cookie_file.empty()) {
        auto cookie = readCookie(cookie_file);
        if (!cookie) co_return cookie.error();
        std::array<std::uint8_t, 32> client_nonce{};
        randombytes_buf(client_nonce.data(), client_nonce.size());
        std::string challenge_line = "AUTHCHALLENGE SAFECOOKIE " + jm::bitcoin::toHex(client_nonce);
        auto challenge = co_await command(challenge_line);
        if (!challenge) co_return challenge.error();
        if (!challenge->ok() || challenge->lines.size() != 1 || !challenge->lines[0].starts_with("AUTHCHALLENGE "))
            co_return fail(errc::protocol_error, "AUTHCHALLENGE refused: " + replyText(*challenge));
        auto kv = parseTorKeyValues(std::string_view(challenge->lines[0]).substr(14));
        if (!kv) co_return kv.error();
        auto hash_it = kv->find("SERVERHASH");
        auto nonce_it = kv->find("SERVERNONCE");
        if (hash_it == kv->end() || nonce_it == kv->end())
            co_return fail(errc::protocol_error, "AUTHCHALLENGE reply lacks SERVERHASH or SERVERNONCE");
        auto server_hash = jm::bitcoin::fromHex(hash_it->second);
        auto server_nonce = jm::bitcoin::fromHex(nonce_it->second);
        if (!server_hash || !server_nonce || server_hash->size() != 32 || server_nonce->size() != 32)
            co_return fail(errc::protocol_error, "AUTHCHALLENGE reply has a malformed SERVERHASH or SERVERNONCE");
        auto expected = safeCookieHmac("Tor safe cookie authentication server-to-controller hash", *cookie,
                                       client_nonce, *server_nonce);
        // The server proves it knows the cookie before we reveal anything derived from it.
        if (sodium_memcmp(expected.data(), server_hash->data(), 32) != 0)
            co_return fail(errc::permission_denied, "the Tor control port does not know our cookie (SERVERHASH wrong)");
        auto ours = safeCookieHmac("Tor safe cookie authentication controller-to-server hash", *cookie, client_nonce,
                                   *server_nonce);
        auth_line = "AUTHENTICATE " + jm::bitcoin::toHex(ours);
    } else if (methods.contains("NULL")) {
        auth_line = "AUTHENTICATE";
    } else if (methods.contains("COOKIE") && options.allow_plain_cookie && !options.cookie_file.empty()) {
        // The user asked for it (tor.plain_cookie) and named the file: never a COOKIEFILE the
        // port chose, which could make us send any 32-byte file of ours.
        auto cookie = readCookie(options.cookie_file);
        if (!cookie) co_return cookie.error();
        auth_line = "AUTHENTICATE " + jm::bitcoin::toHex(*cookie);
    } else if (methods.contains("COOKIE")) {
        // Plain COOKIE sends the cookie (or whatever 32-byte file COOKIEFILE names) to a port
        // that has proved nothing: anything listening there would get control of our Tor. Every
        // Tor since 0.2.3 offers SAFECOOKIE alongside it, so COOKIE alone means a downgrade.
        co_return fail(errc::permission_denied,
                       "the Tor control port offers COOKIE but not SAFECOOKIE authentication: refusing to send the "
                       "cookie to a port that has not proved it knows it (is this really Tor? if it is, set "
                       "tor.plain_cookie true and tor.cookie_file)");
    } else {
        std::string offered;
        for (const auto& m : methods)
            offered += (offered.empty() ? "" : ",") + m;
        co_return fail(errc::permission_denied, "no usable Tor control authentication (Tor offers " +
                                                    (offered.empty() ? "none" : offered) +
                                                    "; set tor.control_password_file for HASHEDPASSWORD)");
    }
    auto reply = co_await command(auth_line);
    if (!reply) co_return reply.error();
    if (!reply->ok()) co_return fail(errc::permission_denied, "Tor refused authentication: " + replyText(*reply));
    co_return jm::sdk::Result<void>{};
}

asio::awaitable<jm::sdk::Result<AddedOnion>>
TorControlConnection::addOnion(std::string private_key, std::uint16_t virtual_port, std::string target) {
    if (!private_key.empty() && !isEd25519Key(private_key))
        co_return fail(errc::invalid_argument, "the stored onion key is not an ED25519-V3 key");
    if (target.find_first_of(" \r\n") != std::string::npos || target.empty() || virtual_port == 0)
        co_return fail(errc::invalid_argument, "bad onion target '" + target + "'");
    std::string line = "ADD_ONION " + (private_key.empty() ? std::string("NEW:ED25519-V3") : private_key) +
                       " Port=" + std::to_string(virtual_port) + "," + target;
    auto reply = co_await command(line);
    if (!reply) co_return reply.error();
    if (!reply->ok()) co_return fail(errc::rejected, "Tor refused ADD_ONION: " + replyText(*reply));
    AddedOnion added;
    for (const auto& l : reply->lines) {
        if (l.starts_with("ServiceID=")) added.service_id = l.substr(10);
        if (l.starts_with("PrivateKey=")) added.private_key = l.substr(11);
    }
    if (!isServiceId(added.service_id)) co_return fail(errc::protocol_error, "ADD_ONION reply has no valid ServiceID");
    if (!added.private_key.empty() && !isEd25519Key(added.private_key))
        co_return fail(errc::protocol_error, "ADD_ONION reply has a malformed PrivateKey");
    if (added.private_key.empty()) added.private_key = std::move(private_key);
    co_return added;
}

asio::awaitable<jm::sdk::Result<void>> TorControlConnection::delOnion(std::string service_id) {
    if (!isServiceId(service_id)) co_return fail(errc::invalid_argument, "not an onion service id");
    std::string line = "DEL_ONION " + service_id;
    auto reply = co_await command(line);
    if (!reply) co_return reply.error();
    if (!reply->ok()) co_return fail(errc::rejected, "Tor refused DEL_ONION: " + replyText(*reply));
    co_return jm::sdk::Result<void>{};
}

asio::awaitable<std::string> TorControlConnection::waitClosed() {
    for (;;) {
        boost::system::error_code ec;
        std::size_t n =
            co_await asio::async_read_until(m_socket, m_buffer, '\n', asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return "cancelled";
        if (ec) co_return ec == asio::error::eof ? "Tor closed the control connection" : ec.message();
        m_buffer.consume(n); // asynchronous events we did not ask for
    }
}

// ---- onion service ----

namespace {

class OnionServiceImpl final : public OnionService {
public:
    OnionServiceImpl(jm::sdk::Executor executor, OnionServiceSettings settings, std::shared_ptr<jm::sdk::KvStore> store,
                     OnionServiceHandler handler) :
        m_executor(std::move(executor)),
        m_settings(std::move(settings)), m_store(std::move(store)), m_handler(std::move(handler)), m_timer(m_executor) {
    }

    void start() override {
        if (m_started) return;
        m_started = true;
        asio::co_spawn(m_executor, run(std::static_pointer_cast<OnionServiceImpl>(shared_from_this())), asio::detached);
    }

    void stop() override {
        if (m_stopped) return;
        m_stopped = true;
        m_timer.cancel();
        if (!m_connection) return;
        // A published service: wake waitClosed() so the loop sends DEL_ONION, then closes.
        if (m_published)
            m_connection->cancelRead();
        else
            m_connection->close();
    }

    std::string onionHost() const override { return m_published ? m_service_id + ".onion" : std::string(); }

private:
    jm::sdk::Result<std::string> storedKey() {
        if (m_settings.ephemeral || !m_store || !m_key.empty()) return m_key;
        auto value = m_store->get(ONION_KEY_STORE_KEY);
        if (!value) return value.error();
        return value->value_or(std::string());
    }

    static asio::awaitable<void> run(std::shared_ptr<OnionServiceImpl> self) {
        unsigned attempt = 0;
        while (!self->m_stopped) {
            std::string reason = co_await self->session();
            self->m_published = false;
            if (self->m_stopped) break;
            if (self->m_handler.on_lost) self->m_handler.on_lost(reason);
            if (self->m_stopped || !self->m_settings.reconnect.enabled) break;
            if (self->m_was_published) attempt = 0;
            self->m_was_published = false;
            self->m_timer.expires_after(self->m_settings.reconnect.delay(attempt++));
            boost::system::error_code ec;
            co_await self->m_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        self->m_connection.reset();
    }

    //! One control connection: returns why it ended.
    asio::awaitable<std::string> session() {
        m_connection = std::make_unique<TorControlConnection>(m_executor, m_settings.timeout);
        auto& c = *m_connection;
        auto end = [this](std::string why) {
            m_connection.reset();
            return why;
        };
        std::string host = m_settings.control_host;
        auto connected = co_await c.connect(host, m_settings.control_port);
        if (!connected) co_return end(connected.error().message);
        if (m_stopped) co_return end("stopped");
        jm::net::TorAuthOptions auth = m_settings.auth;
        auto authenticated = co_await c.authenticate(auth);
        if (!authenticated) co_return end(authenticated.error().message);
        if (m_stopped) co_return end("stopped");
        auto key = storedKey();
        if (!key) co_return end("cannot read the onion key: " + key.error().message);
        std::string key_text = *key;
        std::string target = m_settings.target;
        auto added = co_await c.addOnion(key_text, m_settings.virtual_port, target);
        if (!added) co_return end(added.error().message);
        if (key->empty() && !m_settings.ephemeral && m_store) {
            auto put = m_store->put(ONION_KEY_STORE_KEY, added->private_key, jm::sdk::WriteOptions{true});
            if (!put) co_return end("cannot store the onion key: " + put.error().message);
        }
        m_key = added->private_key;
        m_service_id = added->service_id;
        m_published = true;
        m_was_published = true;
        if (!m_stopped) {
            if (m_handler.on_published) m_handler.on_published(m_service_id + ".onion");
            std::string why = co_await c.waitClosed();
            if (!m_stopped) co_return end(why);
        }
        std::string id = m_service_id;
        auto deleted = co_await c.delOnion(id);
        (void)deleted;
        co_return end("stopped");
    }

    jm::sdk::Executor m_executor;
    OnionServiceSettings m_settings;
    std::shared_ptr<jm::sdk::KvStore> m_store;
    OnionServiceHandler m_handler;
    asio::steady_timer m_timer;
    std::unique_ptr<TorControlConnection> m_connection;
    std::string m_key;
    std::string m_service_id;
    bool m_started = false;
    bool m_stopped = false;
    bool m_published = false;
    bool m_was_published = false;
};

} // namespace

OnionService::~OnionService() = default;

std::shared_ptr<OnionService> OnionService::create(jm::sdk::Executor executor, OnionServiceSettings settings,
                                                   std::shared_ptr<jm::sdk::KvStore> store,
                                                   OnionServiceHandler handler) {
    return std::make_shared<OnionServiceImpl>(std::move(executor), std::move(settings), std::move(store),
                                              std::move(handler));
}

} // namespace jm::net
