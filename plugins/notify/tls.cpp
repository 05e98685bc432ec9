#include "tls.hpp"

namespace jm::plugins::notify {

jm::sdk::Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsContext(const std::string& ca_file) {
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (!ca_file.empty()) {
        ctx->load_verify_file(ca_file, ec);
        if (ec) return jm::sdk::fail(jm::sdk::errc::invalid_config, "ca_file " + ca_file + ": " + ec.message());
    } else {
        ctx->set_default_verify_paths(ec);
        if (ec) return jm::sdk::fail(jm::sdk::errc::io_error, "the system's certificate store: " + ec.message());
    }
    return ctx;
}

} // namespace jm::plugins::notify
