#pragma once

#include "transport.hpp"

#include <jm/sdk/executor.hpp>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace jm::plugins::notify {

//! Where and how an SmtpTransport mails.
struct SmtpSettings {
    enum class Security {
        StartTls, //!< plain connect, then STARTTLS (required; port 587)
        Implicit, //!< TLS from the first byte (port 465)
        None,     //!< no TLS: only to this machine and never with a password
    };
    std::string host;
    std::string port = "587";
    Security security = Security::StartTls;
    std::string helo_name = "jmnode"; //!< our name in EHLO
    std::string username;             //!< empty: no AUTH
    std::string password;             //!< from a 0600 file or the environment; never logged
    enum class Auth { Auto, Plain, Login } auth = Auth::Auto;
    std::string from;
    std::vector<std::string> to;
    std::chrono::milliseconds timeout{30000}; //!< per SMTP step
};

//! Sends each Outgoing (subject + text) as one e-mail, on a fresh SMTP connection: EHLO,
//! STARTTLS (certificate chain and host name verified, SNI sent), AUTH PLAIN or LOGIN, MAIL,
//! RCPT per recipient, DATA. 4xx replies and network failures are transient (Outcome::retry),
//! 5xx replies final (Outcome::drop: bad password, unknown recipient). Replies are bounded
//! (8 KiB per reply), so a hostile server cannot grow memory.
//!
//! Written on Asio rather than with a library: Debian's well-kept SMTP client library is libcurl,
//! whose easy interface blocks a thread per mail and whose multi interface would need its own
//! socket integration with our strands, beside a second TLS/HTTP stack; the subset of SMTP
//! a notifier needs (RFC 5321, 3207, 4954) is small.
//! Executor: see Transport.
class SmtpTransport final : public Transport {
public:
    //! `tls` is required unless security is None. Ownership: shares `tls`.
    SmtpTransport(jm::sdk::Executor executor, SmtpSettings settings, std::shared_ptr<boost::asio::ssl::context> tls);
    ~SmtpTransport() override;

    void send(const Outgoing& message, std::function<void(Outcome)> done) override;
    void cancel() override;

    class Impl;

private:
    std::shared_ptr<Impl> m_impl;
};

//! What an EHLO reply offers (RFC 5321 4.1.1.1): only keyword lines count, never the first line.
struct SmtpCapabilities {
    bool starttls = false;
    std::set<std::string> auth; //!< upper-case mechanisms of the AUTH line(s)
    std::string text;           //!< the reply, for error messages
};

//! Parses the text of an EHLO reply as SmtpTransport reads it (lines joined by " | ", the
//! first being the server's greeting). Never throws on any text.
SmtpCapabilities parseEhlo(std::string_view text);

//! The RFC 5322 message for `message`: headers (Subject RFC 2047-encoded when not ASCII, Date,
//! Message-ID, MIME text/plain UTF-8) and the text base64-encoded in 76-character lines.
std::string composeEmail(const SmtpSettings& settings, const Outgoing& message, std::string_view message_id);

} // namespace jm::plugins::notify
