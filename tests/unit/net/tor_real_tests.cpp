// The control-port client against a real Tor (Debian's `tor`), started here with
// DisableNetwork 1: it never contacts the network, yet ADD_ONION / DEL_ONION work locally.
// Without a tor binary (TOR env or /usr/bin/tor, /usr/sbin/tor) it prints SKIPPED and exits 77.
#include "util/process.hpp"
#include "util/setup.hpp"

#include <jm/net/tor_control.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace asio = boost::asio;

namespace {

std::string findTor() {
    if (const char* env = std::getenv("TOR"); env && *env) return env;
    for (const char* p : {"/usr/bin/tor", "/usr/sbin/tor"})
        if (std::filesystem::exists(p)) return p;
    return "";
}

//! A tor process with networking disabled and a cookie-authenticated control port on loopback.
struct OfflineTor {
    OfflineTor(const std::string& binary, const std::filesystem::path& dir) {
        std::filesystem::create_directories(dir / "data");
        std::filesystem::permissions(dir / "data", std::filesystem::perms::owner_all);
        std::ofstream(dir / "torrc") << "DataDirectory " << (dir / "data").string() << "\n"
                                     << "DisableNetwork 1\n"
                                     << "SocksPort 0\n"
                                     << "ControlPort 127.0.0.1:auto\n"
                                     << "ControlPortWriteToFile " << (dir / "control-port").string() << "\n"
                                     << "CookieAuthentication 1\n"
                                     << "CookieAuthFile " << (dir / "cookie").string() << "\n"
                                     << "AvoidDiskWrites 1\n"
                                     << "Log notice stdout\n";
        process = std::make_unique<jm::test::ChildProcess>(
            std::vector<std::string>{binary, "-f", (dir / "torrc").string(), "--ignore-missing-torrc"});
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            std::ifstream in(dir / "control-port");
            std::string line;
            if (in && std::getline(in, line) && line.starts_with("PORT=")) {
                auto colon = line.rfind(':');
                port = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    std::unique_ptr<jm::test::ChildProcess> process;
    std::uint16_t port = 0;
};

//! Publishes an onion through `store` and stops it; returns the address.
std::string publishOnce(asio::io_context& context, std::uint16_t port, std::shared_ptr<jm::sdk::KvStore> store,
                        bool ephemeral) {
    jm::net::OnionServiceSettings settings;
    settings.control_port = port;
    settings.target = "127.0.0.1:5222";
    settings.ephemeral = ephemeral;
    settings.timeout = std::chrono::seconds(20);
    std::string published;
    std::string lost;
    auto service = jm::net::OnionService::create(
        context.get_executor(), settings, std::move(store),
        {[&](const std::string& host) { published = host; }, [&](const std::string& why) { lost = why; }});
    service->start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    context.restart();
    while (published.empty() && lost.empty() && std::chrono::steady_clock::now() < deadline)
        context.run_for(std::chrono::milliseconds(20));
    BOOST_REQUIRE_MESSAGE(!published.empty(), "no onion published: " << lost);
    service->stop();
    context.restart();
    context.run_for(std::chrono::seconds(2)); // DEL_ONION goes out
    return published;
}

//! The onion services Tor currently has for any control connection ("GETINFO onions/detached"
//! lists detached ones; ours are not detached, so we check our own connection's list).
std::string currentOnions(asio::io_context& context, std::uint16_t port) {
    std::string result = "error";
    asio::co_spawn(
        context,
        [&]() -> asio::awaitable<void> {
            jm::net::TorControlConnection c(context.get_executor(), std::chrono::seconds(10));
            std::string host = "127.0.0.1";
            auto connected = co_await c.connect(host, port);
            if (!connected) co_return;
            jm::net::TorAuthOptions none;
            auto auth = co_await c.authenticate(none);
            if (!auth) co_return;
            std::string line = "GETINFO onions/detached";
            auto reply = co_await c.command(line);
            if (reply && reply->ok()) result = reply->lines.front();
        },
        asio::detached);
    context.restart();
    context.run_for(std::chrono::seconds(10));
    return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(real_tor)

BOOST_AUTO_TEST_CASE(add_onion_with_a_persisted_key_gives_the_same_address) {
    auto binary = findTor();
    if (binary.empty()) {
        std::printf("SKIPPED: no tor (install Debian's tor package, or set TOR)\n");
        std::fflush(stdout);
        std::_Exit(77);
    }
    jm::test::TempDir dir;
    OfflineTor tor(binary, dir.path());
    BOOST_REQUIRE_MESSAGE(tor.port != 0, "tor did not open its control port: " << tor.process->output());

    asio::io_context context;
    auto store = std::make_shared<jm::sdk::testing::MemoryKvStore>();
    auto first = publishOnce(context, tor.port, store, false);
    BOOST_TEST(first.size() == 56u + 6);
    BOOST_TEST(first.ends_with(".onion"));
    BOOST_TEST(store->get(jm::net::ONION_KEY_STORE_KEY).value().has_value());
    auto second = publishOnce(context, tor.port, store, false);
    BOOST_TEST(second == first); // the stored key recreates the address

    auto fresh = std::make_shared<jm::sdk::testing::MemoryKvStore>();
    auto ephemeral = publishOnce(context, tor.port, fresh, true);
    BOOST_TEST(ephemeral != first);
    BOOST_TEST(!fresh->get(jm::net::ONION_KEY_STORE_KEY).value().has_value());

    // Nothing was left behind: our services were neither detached nor kept after DEL_ONION.
    BOOST_TEST(currentOnions(context, tor.port) == "onions/detached=");
}

BOOST_AUTO_TEST_SUITE_END()
