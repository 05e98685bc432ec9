#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace jm::test {

//! A loopback SMTP server for the email notifier (RFC 5321 with STARTTLS, RFC 3207, and AUTH
//! PLAIN / LOGIN, RFC 4954), using the run-time test CA's localhost certificate. It records each
//! accepted mail. Runs its own threads.
class SmtpTestServer {
public:
    struct Options {
        std::filesystem::path cert, key;
        bool offer_starttls = true;
        std::string mechanisms = "PLAIN LOGIN"; //!< advertised in EHLO after STARTTLS
        std::string user = "jm", password = "pw";
        int transient_failures = 0; //!< the first MAIL commands answered 451
    };
    struct Mail {
        std::string ehlo;
        bool tls = false; //!< STARTTLS happened before AUTH and DATA
        std::string auth; //!< "PLAIN", "LOGIN" or ""
        std::string from;
        std::vector<std::string> to;
        std::string data; //!< without the final "." line, dot-stuffing undone
    };

    explicit SmtpTestServer(Options options);
    ~SmtpTestServer();
    SmtpTestServer(const SmtpTestServer&) = delete;
    SmtpTestServer& operator=(const SmtpTestServer&) = delete;

    std::uint16_t port() const { return m_port; }
    std::vector<Mail> mails() const;
    //! Failed AUTH attempts (bad credentials) and MAIL commands refused with 451.
    int authFailures() const;
    int transientRefusals() const;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
    std::uint16_t m_port = 0;
};

} // namespace jm::test
