#pragma once

#include <jm/sdk/result.hpp>

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace jm::plugins::notify {

//! A TLS client context that verifies the server's certificate chain against the system's
//! trust store (OpenSSL's default paths, /etc/ssl/certs on Debian), or only against `ca_file`
//! when one is given (a private CA, tests). TLS 1.2 or later. Host name checks and SNI are per
//! connection (HttpTransport, SmtpTransport).
//! Errors: errc::invalid_config when `ca_file` cannot be loaded; errc::io_error when the
//! system store cannot be opened.
jm::sdk::Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const std::string& ca_file);

} // namespace jm::plugins::notify
