#include <util/setup.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdlib>
#include <stdexcept>

namespace jm::test {

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jmnode-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::filesystem::path binDir() { return std::filesystem::path(JM_BUILD_DIR) / "bin"; }
std::filesystem::path pluginDir() { return std::filesystem::path(JM_BUILD_DIR) / "lib" / "jmnode" / "plugins"; }

std::uint16_t freeLoopbackPort() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace jm::test
