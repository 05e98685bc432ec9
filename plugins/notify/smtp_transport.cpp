#include "smtp_transport.hpp"

#include <jm/bitcoin/encoding.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <ctime>

namespace jm::plugins::notify {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

std::string base64(std::string_view text) {
    return jm::bitcoin::toBase64({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

bool isAscii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// A reply: the code of its last line and the text of every line.
struct SmtpReply {
    int code = 0;
    std::string text;
};

// An SMTP step that went wrong, with what it means for the message.
struct SmtpFailure {
    Outcome outcome;
};

[[noreturn]] void fail(const std::string& step, const SmtpReply& reply) {
    auto why = "SMTP " + step + ": " + std::to_string(reply.code) + " " + reply.text;
    // 4xx is transient by definition (RFC 5321 4.2.1); 5xx is final.
    if (reply.code >= 400 && reply.code < 500) throw SmtpFailure{Outcome::retry(why)};
    throw SmtpFailure{Outcome::drop(why)};
}

} // namespace

SmtpCapabilities parseEhlo(std::string_view text) {
    SmtpCapabilities caps;
    caps.text = std::string(text);
    std::size_t start = text.find(" | "); // readReply joins the lines with " | "
    while (start != std::string_view::npos) {
        start += 3;
        auto end = text.find(" | ", start);
        std::string line(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return std::toupper(c); });
        // Keyword, then parameters separated by spaces ("AUTH PLAIN LOGIN"; old servers: "AUTH=LOGIN").
        std::vector<std::string> words;
        std::size_t i = 0;
        while (i < line.size()) {
            auto j = line.find_first_of(" =", i);
            if (j == std::string::npos) j = line.size();
            if (j > i) words.push_back(line.substr(i, j - i));
            i = j + 1;
        }
        if (!words.empty() && words[0] == "STARTTLS") caps.starttls = true;
        if (!words.empty() && words[0] == "AUTH") caps.auth.insert(words.begin() + 1, words.end());
        start = end;
    }
    return caps;
}

std::string composeEmail(const SmtpSettings& settings, const Outgoing& message, std::string_view message_id) {
    std::string subject = message.subject;
    for (auto& c : subject)
        if (c == '\r' || c == '\n') c = ' ';
    subject = isAscii(subject) ? subject : "=?UTF-8?B?" + base64(subject) + "?=";
    char date[64];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string to;
    for (const auto& r : settings.to)
        to += (to.empty() ? "" : ", ") + r;
    std::string out = "From: " + settings.from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nDate: " + date +
                      "\r\nMessage-ID: <" + std::string(message_id) +
                      ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n";
    std::string text;
    for (char c : message.body) // normalise line ends to CRLF before encoding
        if (c == '\n')
            text += "\r\n";
        else if (c != '\r')
            text += c;
    auto encoded = base64(text);
    for (std::size_t i = 0; i < encoded.size(); i += 76)
        out += encoded.substr(i, 76) + "\r\n";
    return out;
}

class SmtpTransport::Impl : public std::enable_shared_from_this<SmtpTransport::Impl> {
public:
    Impl(jm::sdk::Executor executor, SmtpSettings settings, std::shared_ptr<ssl::context> tls) :
        m_executor(executor), m_settings(std::move(settings)), m_tls(std::move(tls)) {}

    void send(const Outgoing& message, std::function<void(Outcome)> done) {
        m_cancelled = false;
        m_done = std::move(done);
        asio::co_spawn(m_executor, session(shared_from_this(), message),
                       [self = shared_from_this()](std::exception_ptr error, Outcome outcome) {
                           if (error) outcome = Outcome::retry("SMTP: unexpected failure");
                           if (self->m_cancelled) return;
                           self->close();
                           auto done = std::move(self->m_done);
                           self->m_done = nullptr;
                           if (done) done(std::move(outcome));
                       });
    }

    void cancel() {
        m_cancelled = true;
        m_done = nullptr;
        close();
    }

private:
    using Stream = beast::ssl_stream<beast::tcp_stream>;

    void close() {
        if (!m_stream) return;
        beast::error_code ec;
        beast::get_lowest_layer(*m_stream).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(*m_stream).close();
    }

    beast::tcp_stream& lowest() { return beast::get_lowest_layer(*m_stream); }

    // Reads one (multi-line) reply from the plain or the TLS layer.
    asio::awaitable<SmtpReply> readReply() {
        SmtpReply reply;
        // One deadline for the whole reply, not per line: a server dripping a line at a time
        // must not hold the queue for up to 100 timeouts per step.
        lowest().expires_after(m_settings.timeout);
        for (int lines = 0;; ++lines) {
            auto buffer = asio::dynamic_buffer(m_input, 8192);
            std::size_t n = m_secure ? co_await asio::async_read_until(*m_stream, buffer, "\r\n", asio::use_awaitable)
                                     : co_await asio::async_read_until(lowest(), buffer, "\r\n", asio::use_awaitable);
            std::string line = m_input.substr(0, n - 2);
            m_input.erase(0, n);
            if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
                !std::isdigit(static_cast<unsigned char>(line[1])) ||
                !std::isdigit(static_cast<unsigned char>(line[2])) ||
                (line.size() > 3 && line[3] != ' ' && line[3] != '-') || lines > 100)
                throw SmtpFailure{Outcome::retry("SMTP: malformed reply line")};
            reply.code = std::stoi(line.substr(0, 3));
            if (reply.text.size() < 2048)
                reply.text +=
                    (reply.text.empty() ? "" : " | ") + snippetOf(line.substr(std::min<std::size_t>(4, line.size())));
            if (line.size() == 3 || line[3] == ' ') co_return reply;
        }
    }

    static std::string snippetOf(std::string s) {
        for (auto& c : s)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
        return s.substr(0, 300);
    }

    asio::awaitable<void> write(std::string text) {
        lowest().expires_after(m_settings.timeout);
        if (m_secure)
            co_await asio::async_write(*m_stream, asio::buffer(text), asio::use_awaitable);
        else
            co_await asio::async_write(lowest(), asio::buffer(text), asio::use_awaitable);
    }

    // Sends a command and reads its reply; `secret` keeps the command out of failure reasons.
    asio::awaitable<SmtpReply> command(std::string line) {
        co_await write(line + "\r\n");
        co_return co_await readReply();
    }

    asio::awaitable<void> handshake() {
        // SNI carries names only (RFC 6066 section 3).
        boost::system::error_code ec;
        asio::ip::make_address(m_settings.host, ec);
        if (ec && !SSL_set_tlsext_host_name(m_stream->native_handle(), m_settings.host.c_str()))
            throw SmtpFailure{Outcome::retry("TLS: cannot set the server name")};
        m_stream->set_verify_mode(ssl::verify_peer);
        m_stream->set_verify_callback(ssl::host_name_verification(m_settings.host));
        lowest().expires_after(m_settings.timeout);
        try {
            co_await m_stream->async_handshake(ssl::stream_base::client, asio::use_awaitable);
        } catch (const boost::system::system_error& e) {
            std::string why = "TLS handshake with " + m_settings.host + " failed: " + e.code().message();
            long verify = SSL_get_verify_result(m_stream->native_handle());
            // Our host name check rejects without an OpenSSL error code of its own.
            if (verify == X509_V_ERR_UNSPECIFIED)
                why += " (certificate: not issued for " + m_settings.host + ")";
            else if (verify != X509_V_OK)
                why += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
            throw SmtpFailure{Outcome::retry(why)};
        }
        m_secure = true;
    }

    // Capabilities from an EHLO reply: the keyword lines after the first (which is the server's
    // name and greeting, and may hold any word: "smtp.plainmail.example").
    asio::awaitable<SmtpCapabilities> ehlo() {
        auto reply = co_await command("EHLO " + m_settings.helo_name);
        if (reply.code != 250) fail("EHLO", reply);
        co_return parseEhlo(reply.text);
    }

    static asio::awaitable<Outcome> session(std::shared_ptr<Impl> self, Outgoing message) {
        try {
            co_return co_await self->run(message);
        } catch (const SmtpFailure& f) {
            co_return f.outcome;
        } catch (const boost::system::system_error& e) {
            co_return Outcome::retry("SMTP with " + self->m_settings.host + ": " + e.code().message());
        } catch (const std::exception& e) {
            co_return Outcome::retry(std::string("SMTP: ") + e.what());
        }
    }

    asio::awaitable<Outcome> run(const Outgoing& message) {
        const auto& s = m_settings;
        m_input.clear();
        m_secure = false;
        m_stream.emplace(beast::tcp_stream(m_executor), *m_tls);
        tcp::resolver resolver(m_executor);
        auto endpoints = co_await resolver.async_resolve(s.host, s.port, asio::use_awaitable);
        lowest().expires_after(s.timeout);
        co_await lowest().async_connect(endpoints, asio::use_awaitable);
        if (s.security == SmtpSettings::Security::Implicit) co_await handshake();
        auto greeting = co_await readReply();
        if (greeting.code != 220) fail("greeting", greeting);
        auto caps = co_await ehlo();
        if (s.security == SmtpSettings::Security::StartTls) {
            if (!caps.starttls)
                throw SmtpFailure{
                    Outcome::drop("SMTP: " + s.host + " does not offer STARTTLS; refusing to send in clear")};
            auto go = co_await command("STARTTLS");
            if (go.code != 220) fail("STARTTLS", go);
            m_input.clear(); // nothing sent before the handshake may be trusted (RFC 3207 section 4.2)
            co_await handshake();
            caps = co_await ehlo();
        }
        if (!s.username.empty()) {
            if (!m_secure) throw SmtpFailure{Outcome::drop("SMTP: no password is sent without TLS")};
            bool plain = caps.auth.count("PLAIN") > 0;
            bool login = caps.auth.count("LOGIN") > 0;
            auto mode = s.auth;
            if (mode == SmtpSettings::Auth::Auto) mode = plain ? SmtpSettings::Auth::Plain : SmtpSettings::Auth::Login;
            if ((mode == SmtpSettings::Auth::Plain && !plain) || (mode == SmtpSettings::Auth::Login && !login))
                throw SmtpFailure{Outcome::drop("SMTP: " + s.host + " offers no usable AUTH mechanism (" +
                                                snippetOf(caps.text).substr(0, 200) + ")")};
            SmtpReply reply;
            if (mode == SmtpSettings::Auth::Plain) {
                reply = co_await command("AUTH PLAIN " + base64(std::string(1, '\0') + s.username + '\0' + s.password));
            } else {
                reply = co_await command("AUTH LOGIN");
                if (reply.code != 334) fail("AUTH LOGIN", reply);
                reply = co_await command(base64(s.username));
                if (reply.code != 334) fail("AUTH LOGIN", reply);
                reply = co_await command(base64(s.password));
            }
            if (reply.code != 235) fail("AUTH (user " + s.username + ")", reply);
        }
        auto mail = co_await command("MAIL FROM:<" + s.from + ">");
        if (mail.code != 250) fail("MAIL FROM", mail);
        for (const auto& r : s.to) {
            auto rcpt = co_await command("RCPT TO:<" + r + ">");
            if (rcpt.code != 250 && rcpt.code != 251) fail("RCPT TO " + r, rcpt);
        }
        auto data = co_await command("DATA");
        if (data.code != 354) fail("DATA", data);
        auto id = "jm." + std::to_string(std::time(nullptr)) + "." + std::to_string(++m_sent) + "@" + s.helo_name;
        std::string text = composeEmail(s, message, id);
        // Dot-stuffing (RFC 5321 4.5.2); the base64 body never needs it, the headers might.
        std::string stuffed;
        std::size_t start = 0;
        while (start < text.size()) {
            auto end = text.find("\r\n", start);
            if (end == std::string::npos) end = text.size();
            if (text[start] == '.') stuffed += '.';
            stuffed.append(text, start, end - start);
            stuffed += "\r\n";
            start = end + 2;
        }
        co_await write(stuffed + ".\r\n");
        auto accepted = co_await readReply();
        if (accepted.code != 250) fail("end of DATA", accepted);
        try {
            co_await command("QUIT");
        } catch (...) { // the mail is accepted; a rude goodbye changes nothing
        }
        co_return Outcome::delivered();
    }

    jm::sdk::Executor m_executor;
    SmtpSettings m_settings;
    std::shared_ptr<ssl::context> m_tls;
    std::optional<Stream> m_stream;
    std::string m_input;
    bool m_secure = false;
    bool m_cancelled = false;
    std::uint64_t m_sent = 0;
    std::function<void(Outcome)> m_done;
};

SmtpTransport::SmtpTransport(jm::sdk::Executor executor, SmtpSettings settings, std::shared_ptr<ssl::context> tls) :
    m_impl(std::make_shared<Impl>(std::move(executor), std::move(settings), std::move(tls))) {}

SmtpTransport::~SmtpTransport() { m_impl->cancel(); }

void SmtpTransport::send(const Outgoing& message, std::function<void(Outcome)> done) {
    m_impl->send(message, std::move(done));
}
void SmtpTransport::cancel() { m_impl->cancel(); }

} // namespace jm::plugins::notify
