#include "smtp_test_server.hpp"

#include <jm/bitcoin/encoding.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <thread>

namespace jm::test {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {
std::string decode(std::string_view b64) {
    auto bytes = jm::bitcoin::fromBase64(b64);
    return bytes ? std::string(bytes->begin(), bytes->end()) : std::string("\x01invalid");
}
bool startsWithNoCase(std::string_view s, std::string_view p) {
    if (s.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(s[i])) != p[i]) return false;
    return true;
}
} // namespace

struct SmtpTestServer::Impl {
    Options options;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    ssl::context tls{ssl::context::tls_server};
    std::thread accept_thread;
    std::atomic<bool> stopping{false};
    mutable std::mutex mutex;
    std::vector<Mail> mails;
    int auth_failures = 0;
    int transient_left = 0;
    int transient_refusals = 0;
    std::vector<std::thread> connections;
    std::vector<std::shared_ptr<tcp::socket>> sockets;

    struct Session {
        Mail mail;
        bool authed = false;
        std::string buffer;
    };

    template <class S> static bool readLine(S& s, std::string& buffer, std::string& line) {
        boost::system::error_code ec;
        auto n = asio::read_until(s, asio::dynamic_buffer(buffer, 65536), "\r\n", ec);
        if (ec) return false;
        line = buffer.substr(0, n - 2);
        buffer.erase(0, n);
        return true;
    }
    template <class S> static void send(S& s, const std::string& text) {
        boost::system::error_code ec;
        asio::write(s, asio::buffer(text + "\r\n"), ec);
    }

    // Runs commands until QUIT or a closed connection (false), or an accepted STARTTLS (true).
    template <class S> bool commands(S& s, Session& st, bool tls_active) {
        std::string line;
        while (readLine(s, st.buffer, line)) {
            if (startsWithNoCase(line, "EHLO ")) {
                st.mail.ehlo = line.substr(5);
                std::string reply = "250-test.invalid greets " + st.mail.ehlo + "\r\n250-8BITMIME\r\n";
                if (!tls_active && options.offer_starttls) reply += "250-STARTTLS\r\n";
                if (tls_active) reply += "250-AUTH " + options.mechanisms + "\r\n";
                send(s, reply + "250 SIZE 1000000");
            } else if (startsWithNoCase(line, "STARTTLS") && !tls_active && options.offer_starttls) {
                send(s, "220 2.0.0 Ready to start TLS");
                return true;
            } else if (startsWithNoCase(line, "AUTH PLAIN ") && tls_active) {
                auto creds = decode(line.substr(11));
                bool ok = creds == std::string(1, '\0') + options.user + '\0' + options.password;
                finishAuth(s, st, ok, "PLAIN");
            } else if (startsWithNoCase(line, "AUTH LOGIN") && tls_active) {
                send(s, "334 VXNlcm5hbWU6");
                std::string user, pass;
                if (!readLine(s, st.buffer, user)) return false;
                send(s, "334 UGFzc3dvcmQ6");
                if (!readLine(s, st.buffer, pass)) return false;
                finishAuth(s, st, decode(user) == options.user && decode(pass) == options.password, "LOGIN");
            } else if (startsWithNoCase(line, "MAIL FROM:<")) {
                if (!st.authed) {
                    send(s, "530 5.7.0 Authentication required");
                    continue;
                }
                {
                    std::lock_guard lock(mutex);
                    if (transient_left > 0) {
                        --transient_left;
                        ++transient_refusals;
                        send(s, "451 4.7.1 Try again later");
                        continue;
                    }
                }
                st.mail.from = line.substr(11, line.find('>') - 11);
                st.mail.to.clear();
                send(s, "250 2.1.0 Ok");
            } else if (startsWithNoCase(line, "RCPT TO:<")) {
                st.mail.to.push_back(line.substr(9, line.find('>') - 9));
                send(s, "250 2.1.5 Ok");
            } else if (startsWithNoCase(line, "DATA")) {
                send(s, "354 End data with <CR><LF>.<CR><LF>");
                std::string data;
                while (readLine(s, st.buffer, line) && line != ".")
                    data += (line.starts_with(".") ? line.substr(1) : line) + "\r\n";
                st.mail.data = data;
                st.mail.tls = tls_active;
                {
                    std::lock_guard lock(mutex);
                    mails.push_back(st.mail);
                }
                send(s, "250 2.0.0 Ok: queued as 1");
            } else if (startsWithNoCase(line, "QUIT")) {
                send(s, "221 2.0.0 Bye");
                return false;
            } else {
                send(s, "502 5.5.2 Error: command not recognized");
            }
        }
        return false;
    }

    template <class S> void finishAuth(S& s, Session& st, bool ok, const char* mechanism) {
        if (ok) {
            st.authed = true;
            st.mail.auth = mechanism;
            send(s, "235 2.7.0 Authentication successful");
        } else {
            std::lock_guard lock(mutex);
            ++auth_failures;
            send(s, "535 5.7.8 Error: authentication failed");
        }
    }

    void connection(std::shared_ptr<tcp::socket> socket) {
        Session st;
        send(*socket, "220 test.invalid ESMTP");
        if (!commands(*socket, st, false)) return;
        ssl::stream<tcp::socket&> stream(*socket, tls);
        boost::system::error_code ec;
        stream.handshake(ssl::stream_base::server, ec);
        if (ec) return;
        Session secure; // the state before STARTTLS is forgotten (RFC 3207)
        commands(stream, secure, true);
    }
};

SmtpTestServer::SmtpTestServer(Options options) : m_impl(std::make_shared<Impl>()) {
    m_impl->options = std::move(options);
    m_impl->transient_left = m_impl->options.transient_failures;
    m_impl->tls.use_certificate_chain_file(m_impl->options.cert.string());
    m_impl->tls.use_private_key_file(m_impl->options.key.string(), ssl::context::pem);
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    m_impl->acceptor.open(endpoint.protocol());
    m_impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
    m_impl->acceptor.bind(endpoint);
    m_impl->acceptor.listen();
    m_port = m_impl->acceptor.local_endpoint().port();
    m_impl->accept_thread = std::thread([impl = m_impl.get()] {
        while (!impl->stopping) {
            auto socket = std::make_shared<tcp::socket>(impl->ioc);
            boost::system::error_code ec;
            impl->acceptor.accept(*socket, ec);
            if (impl->stopping) return;
            if (ec) continue;
            std::lock_guard lock(impl->mutex);
            impl->sockets.push_back(socket);
            impl->connections.emplace_back([impl, socket] { impl->connection(socket); });
        }
    });
}

SmtpTestServer::~SmtpTestServer() {
    m_impl->stopping = true;
    boost::system::error_code ec;
    {
        tcp::socket wake(m_impl->ioc);
        wake.connect({asio::ip::make_address("127.0.0.1"), m_port}, ec);
    }
    m_impl->accept_thread.join();
    m_impl->acceptor.close(ec);
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_impl->mutex);
        for (auto& s : m_impl->sockets)
            s->shutdown(tcp::socket::shutdown_both, ec);
        threads.swap(m_impl->connections);
    }
    for (auto& t : threads)
        t.join();
}

std::vector<SmtpTestServer::Mail> SmtpTestServer::mails() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->mails;
}
int SmtpTestServer::authFailures() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->auth_failures;
}
int SmtpTestServer::transientRefusals() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->transient_refusals;
}

} // namespace jm::test
