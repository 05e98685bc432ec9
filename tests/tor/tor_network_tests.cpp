// jmnode over real Tor (Debian's `tor`), everything on 127.0.0.1:
//  - directory_onion: a `jmnode run` directory with tor.control creates its own onion service
//    through a tor with DisableNetwork 1 (ADD_ONION works offline): the onion becomes its
//    location in the peerlists it sends, the key kept in its store gives the same onion after a
//    restart, "ephemeral" gives a new one each start (the stored key untouched), and after Tor
//    restarts the service is added again.
//  - private_network_coinjoin: a private Tor network (TestingTorNetwork: one authority, relays and
//    a client started from generated torrcs) carries the directory as an onion service; jmnode
//    makers and a jmnode taker on the simulated chain reach it only through the client's SOCKS
//    port (a .onion host). Each maker also serves direct connections on an onion of its own
//    (ADD_ONION through the control port) and announces it in its handshake; the taker dials
//    them through SOCKS, the CoinJoin's private messages go over those links (the makers'
//    counters say so) and it confirms. When the private network cannot start here
//    (no tor-gencert, no consensus within the bound) the test says why and runs the control-port
//    part (the directory's onion against an offline tor) instead.
// Without any tor binary both print SKIPPED and exit 77. Set TOR / TOR_GENCERT to use others.
#include "private_tor_network.hpp"

#include <cli/prepared_node.hpp>
#include <demo/demo_market.hpp>
#include <logging/logging.hpp>
#include <node/node.hpp>
#include <util/process.hpp>
#include <util/raw_peer.hpp>
#include <util/setup.hpp>

#include <jm/maker/events.hpp>
#include <jm/taker/coinjoin_service.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <future>
#include <list>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace {

using namespace jm::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string requireTor() {
    auto tor = findTor();
    if (tor.empty()) {
        std::printf("SKIPPED: no tor (install Debian's tor package, or set TOR)\n");
        std::fflush(stdout);
        std::_Exit(77);
    }
    return tor;
}

boost::json::object readJson(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

bool isOnionLocation(const std::string& location, std::uint16_t port = 5222) {
    static const std::regex onion("[a-z2-7]{56}\\.onion:([0-9]+)");
    std::smatch m;
    return std::regex_match(location, m, onion) && m[1] == std::to_string(port);
}

//! A `jmnode run` directory whose onion service Tor's control port at `control_port` carries.
class OnionDirectory {
public:
    OnionDirectory(fs::path dir, std::string network) : m_dir(std::move(dir)), m_network(std::move(network)) {}

    //! Starts it and waits for its onion location (empty when none came within `timeout`).
    std::string start(std::uint16_t control_port, bool ephemeral,
                      std::chrono::seconds timeout = std::chrono::seconds(60)) {
        fs::create_directories(m_dir);
        fs::remove(m_dir / "data" / "status.json");
        fs::remove(m_dir / "data" / "port");
        boost::json::object tor{{"control", "127.0.0.1:" + std::to_string(control_port)}};
        if (ephemeral) tor["onion"] = "ephemeral";
        boost::json::object config{{"node", {{"datadir", (m_dir / "data").string()}, {"network", m_network}}},
                                   {"log", {{"level", "info"}}},
                                   {"plugins", boost::json::array{{{"load", "directory"},
                                                                   {"factory", "server"},
                                                                   {"instance", "dn"},
                                                                   {"config",
                                                                    {{"port", 0},
                                                                     {"port_file", "port"},
                                                                     {"stats_interval", "200ms"},
                                                                     {"status_file", "status.json"},
                                                                     {"tor", tor}}}}}}};
        std::ofstream(m_dir / "directory.json") << boost::json::serialize(config) << "\n";
        m_process = std::make_unique<ChildProcess>(std::vector<std::string>{
            (binDir() / "jmnode").string(), "run", "--config", (m_dir / "directory.json").string()});
        auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            auto status = readJson(m_dir / "data" / "status.json");
            if (auto* location = status.if_contains("location");
                location && location->is_string() && !location->as_string().empty()) {
                std::ifstream port(m_dir / "data" / "port");
                port >> m_port;
                return std::string(location->as_string());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return "";
    }
    void stop() {
        if (!m_process) return;
        m_process->signal(SIGTERM);
        auto r = m_process->wait(std::chrono::seconds(20));
        BOOST_TEST(r.exit_code == 0, "jmnode run did not stop cleanly:\n" << r.out << r.err);
        m_process.reset();
    }
    std::string output() const { return m_process ? m_process->output() : std::string(); }
    bool waitForOutput(const std::string& text, std::chrono::seconds timeout) {
        return m_process && m_process->waitForOutput(text, timeout);
    }
    std::uint16_t port() const { return m_port; }
    fs::path configFile() const { return m_dir / "directory.json"; }

private:
    fs::path m_dir;
    std::string m_network;
    std::unique_ptr<ChildProcess> m_process;
    std::uint16_t m_port = 0;
};

//! The control-port part: the directory's own onion through an offline tor.
void directoryOnionChecks(const std::string& tor_binary) {
    TempDir dir;
    OfflineTor tor(tor_binary, dir.path() / "tor");
    auto failed = tor.start();
    BOOST_REQUIRE_MESSAGE(!failed, *failed);
    OnionDirectory directory(dir.path() / "dn", "testnet");

    auto location = directory.start(tor.controlPort(), false);
    BOOST_REQUIRE_MESSAGE(isOnionLocation(location), "no onion location: '" << location << "'\n"
                                                                            << directory.output() << tor.log());
    // The location is what the directory lists as its own entry in the peerlists it sends.
    const boost::json::object features{{"peerlist_features", true}, {"ping", true}};
    RawPeer maker(directory.port()), taker(directory.port());
    auto hs = maker.join(testNick(1), "makeronion.onion:5222", features);
    BOOST_REQUIRE(hs);
    BOOST_REQUIRE(taker.join(testNick(2), "NOT-SERVING-ONION", features));
    maker.send(685, testNick(1) + "!" + testNick(2) + "!pubkey abc 02aa c2ln");
    auto peerlist = taker.readType(789);
    BOOST_REQUIRE(peerlist);
    BOOST_TEST(peerlist->line.ends_with("," + hs->nick + ";" + location), peerlist->line);
    // `jmnode directory status` tells the operator the same location.
    auto status = runProcess(
        {(binDir() / "jmnode").string(), "directory", "status", "--config", directory.configFile().string()});
    BOOST_TEST(status.exit_code == 0, status.err);
    BOOST_TEST(status.out.find("\n  location: " + location + "\n") != std::string::npos, status.out);

    // Tor restarts: the service is added again, same address (the key is kept).
    auto restarted = tor.restart();
    BOOST_REQUIRE_MESSAGE(!restarted, *restarted);
    BOOST_TEST(directory.waitForOutput("onion service published: " + location + " (again", std::chrono::seconds(30)),
               directory.output());
    directory.stop();

    // The key in the store gives the same onion after a restart of jmnode.
    BOOST_TEST(directory.start(tor.controlPort(), false) == location, directory.output());
    directory.stop();
    // Ephemeral: a new onion at each start, and the stored key is neither used nor replaced.
    auto first = directory.start(tor.controlPort(), true);
    BOOST_TEST(isOnionLocation(first), first);
    BOOST_TEST(first != location);
    directory.stop();
    auto second = directory.start(tor.controlPort(), true);
    BOOST_TEST(isOnionLocation(second), second);
    BOOST_TEST(second != first);
    BOOST_TEST(second != location);
    directory.stop();
    BOOST_TEST(directory.start(tor.controlPort(), false) == location, directory.output());
    directory.stop();
}

//! The demo market's wallets and config (DemoMarket), made while the Tor network bootstraps.
std::string makeMarket(const fs::path& data, std::size_t makers) {
    jm::host::DemoMarketOptions options;
    options.makers = makers;
    options.datadir = data;
    options.log_level = jm::sdk::Severity::error;
    auto market = jm::host::DemoMarket::open(options);
    return market ? std::string() : market.error().message;
} // stopped: the wallets, their stores and the config stay

//! The demo market's config turned into makers and a taker that know only the onion directory
//! and reach it through SOCKS (the taker through `taker_socks_port`); the makers serve direct
//! connections on onions of their own, added through `control_port`.
fs::path marketConfig(const fs::path& data, const std::string& directory, std::uint16_t socks_port,
                      std::uint16_t taker_socks_port, std::uint16_t control_port) {
    auto file = data / "demo.json";
    auto config = readJson(file);
    boost::json::array plugins;
    for (auto& p : config["plugins"].as_array()) {
        auto& entry = p.as_object();
        if (entry["load"].as_string() == "directory") continue; // the onion directory replaces it
        auto& c = entry["config"].as_object();
        if (entry["load"].as_string() == "maker" || entry["load"].as_string() == "taker") {
            c["directories"] = boost::json::array{boost::json::string(directory)};
            auto port = entry["load"].as_string() == "taker" ? taker_socks_port : socks_port;
            c["tor"] = {{"socks", "127.0.0.1:" + std::to_string(port)}};
        }
        // Each maker adds an onion service of its own for direct connections (cookie
        // authentication: the path comes from PROTOCOLINFO) and announces it.
        if (entry["load"].as_string() == "maker") {
            c["tor"].as_object()["control"] = "127.0.0.1:" + std::to_string(control_port);
            fs::remove(data / (std::string(entry["instance"].as_string()) + "-status.json"));
        }
        if (entry["load"].as_string() == "taker") {
            c["maker_timeout"] = "60s";
            c["direct_connections"] = "tor";
            c["direct_timeout"] = "60s";
        }
        plugins.push_back(entry);
    }
    config["plugins"] = std::move(plugins);
    std::ofstream(file) << boost::json::serialize(config) << "\n";
    return file;
}

//! The taker's way to the client tor's SOCKS port: bytes pass as they come, except that the
//! first chunk holding a "!fill " (on the taker's directory connection) waits until `makers`
//! direct connections have delivered a maker's 793 (or `bound` passed). In this private network
//! a directory round trip takes about 100 ms and a new rendezvous circuit several times that, so
//! without the pause the round could be over before the direct links are up; with it the
//! !auth and everything after it can take them (the !fill still goes through the directory).
class FillHoldingSocksRelay {
public:
    FillHoldingSocksRelay(std::uint16_t socks_port, std::size_t makers, std::chrono::seconds bound) :
        m_socksPort(socks_port), m_makers(makers), m_bound(bound),
        m_acceptor(m_io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        m_acceptor.non_blocking(true);
        m_acceptThread = std::thread([this] { acceptLoop(); });
    }
    ~FillHoldingSocksRelay() {
        m_stopping = true;
        m_changed.notify_all();
        m_acceptThread.join();
        {
            std::lock_guard lock(m_mutex);
            for (auto& s : m_sockets)
                ::shutdown(s.native_handle(), SHUT_RDWR);
        }
        for (auto& t : m_threads)
            t.join();
    }
    std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }
    //! How long the !fill was held (zero if never).
    std::chrono::milliseconds held() const { return m_held; }

private:
    void acceptLoop() {
        namespace asio = boost::asio;
        while (!m_stopping) {
            boost::system::error_code ec;
            asio::ip::tcp::socket client(m_io);
            m_acceptor.accept(client, ec);
            if (ec) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            asio::ip::tcp::socket tor(m_io);
            tor.connect({asio::ip::make_address("127.0.0.1"), m_socksPort}, ec);
            if (ec) continue;
            std::lock_guard lock(m_mutex);
            auto& c = m_sockets.emplace_back(std::move(client));
            auto& t = m_sockets.emplace_back(std::move(tor));
            m_threads.emplace_back([this, &c, &t] { pump(c, t, true); });
            m_threads.emplace_back([this, &c, &t] { pump(t, c, false); });
        }
    }
    void pump(boost::asio::ip::tcp::socket& from, boost::asio::ip::tcp::socket& to, bool from_taker) {
        char chunk[8192];
        bool handshake_seen = false;
        for (;;) {
            boost::system::error_code ec;
            auto n = from.read_some(boost::asio::buffer(chunk), ec);
            if (ec || m_stopping) break;
            std::string_view data(chunk, n);
            if (from_taker && data.find("!fill ") != std::string_view::npos && !m_fillSeen.exchange(true)) {
                auto start = Clock::now();
                std::unique_lock lock(m_mutex);
                m_changed.wait_for(lock, m_bound, [this] { return m_handshakes >= m_makers || m_stopping; });
                m_held = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
            }
            // A maker's 793 coming back on a direct connection (the directory answers with a 795).
            if (!from_taker && !handshake_seen && data.find("\"type\": 793") != std::string_view::npos) {
                handshake_seen = true;
                std::lock_guard lock(m_mutex);
                ++m_handshakes;
                m_changed.notify_all();
            }
            boost::asio::write(to, boost::asio::buffer(data), ec);
            if (ec) break;
        }
        ::shutdown(to.native_handle(), SHUT_RDWR);
    }

    std::uint16_t m_socksPort;
    std::size_t m_makers;
    std::chrono::seconds m_bound;
    boost::asio::io_context m_io;
    boost::asio::ip::tcp::acceptor m_acceptor;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::size_t m_handshakes = 0;
    std::list<boost::asio::ip::tcp::socket> m_sockets; // a list: the pumps hold references
    std::thread m_acceptThread;
    std::list<std::thread> m_threads;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_fillSeen{false};
    std::atomic<std::chrono::milliseconds> m_held{std::chrono::milliseconds(0)};
};

//! The "direct" object of maker `i`'s status file in `data` (empty when there is none yet).
boost::json::object makerDirect(const fs::path& data, std::size_t i) {
    auto status = readJson(data / ("maker" + std::to_string(i) + "-status.json"));
    auto* direct = status.if_contains("direct");
    return direct && direct->is_object() ? direct->as_object() : boost::json::object{};
}

//! Runs the market node in this process until one CoinJoin through the taker is done;
//! `before_send` runs once every maker announced its offers (an error message stops the run).
jm::sdk::Result<jm::taker::CoinjoinResult> coinjoinOverTor(const fs::path& config_file, std::size_t makers,
                                                           const std::function<std::string()>& before_send) {
    auto prepared = jm::host::prepareNode(config_file, {});
    if (!prepared) return jm::sdk::fail(jm::sdk::errc::invalid_config, "the market config has problems");
    auto log = prepared->config.log;
    log.console = true;
    log.level = std::getenv("JM_TOR_TEST_INFO") ? jm::sdk::Severity::info : jm::sdk::Severity::warning;
    if (auto r = jm::host::setupLogging(log); !r) return r.error();
    jm::host::Node node(prepared->config, std::move(prepared->plans));
    auto announced = std::make_shared<std::pair<std::set<std::string>, std::promise<void>>>();
    auto ready = announced->second.get_future();
    auto offers = node.bus().subscribe<jm::maker::events::OffersAnnounced>(
        boost::asio::make_strand(node.ioContext()), [announced, makers](const jm::maker::events::OffersAnnounced& e) {
            if (announced->first.insert(e.instance).second && announced->first.size() == makers)
                announced->second.set_value();
        });
    if (auto r = node.start(false); !r) return r.error();
    struct Stop {
        jm::host::Node& node;
        ~Stop() { node.stop(); }
    } stop{node};
    auto started = Clock::now();
    if (ready.wait_for(std::chrono::seconds(120)) != std::future_status::ready)
        return jm::sdk::fail(jm::sdk::errc::timeout, "the makers did not announce their offers through Tor in 120 s");
    BOOST_TEST_MESSAGE("makers announced through Tor after "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
                       << " ms");
    if (auto failed = before_send(); !failed.empty()) return jm::sdk::fail(jm::sdk::errc::unavailable, failed);
    auto service = node.services().get<jm::taker::CoinjoinService>("taker");
    if (!service) return service.error();
    std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>> done;
    auto result = done.get_future();
    jm::taker::CoinjoinObserver observer;
    observer.on_stage = [](const jm::taker::StageUpdate& u) { BOOST_TEST_MESSAGE("[" << u.stage << "] " << u.detail); };
    observer.confirm = [](const jm::taker::CoinjoinPlan&, std::function<void(bool)> proceed) { proceed(true); };
    jm::taker::CoinjoinRequest request{0, 10'000'000, false, jm::host::DemoMarket::outsideAddress(), makers};
    (*service)->send(request, observer, boost::asio::make_strand(node.ioContext()),
                     [&done](auto r) { done.set_value(std::move(r)); });
    if (result.wait_for(std::chrono::seconds(240)) != std::future_status::ready)
        return jm::sdk::fail(jm::sdk::errc::timeout, "the CoinJoin did not finish in 240 s");
    return result.get();
}

} // namespace

BOOST_AUTO_TEST_SUITE(tor_network)

BOOST_AUTO_TEST_CASE(directory_onion) { directoryOnionChecks(requireTor()); }

BOOST_AUTO_TEST_CASE(private_network_coinjoin) {
    auto tor = requireTor();
    TempDir dir;
    auto t0 = Clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    constexpr std::size_t MAKERS = 2;
    auto market = dir.path() / "market";
    // The wallets (key derivation, a few seconds) are made while the network bootstraps.
    auto made = std::async(std::launch::async, [&] { return makeMarket(market, MAKERS); });
    // Six relays: the client's tor also hosts the directory's and the makers' onions, and with
    // four, path restrictions left no middle hop for a while under load ("Failed to find node
    // for hop #2"), so the onion stayed unreachable for over a minute.
    PrivateTorNetwork network(tor, findTorGencert(tor), dir.path() / "net", 6);
    if (auto failed = network.start(std::chrono::seconds(90))) {
        made.wait();
        std::printf("PRIVATE TOR NETWORK NOT STARTED: %s\nRunning only the control-port part (the directory's onion "
                    "against an offline tor).\n",
                    failed->c_str());
        std::fflush(stdout);
        directoryOnionChecks(tor);
        return;
    }
    std::printf("private Tor network bootstrapped in %.1f s\n", seconds());

    // Subscribed before the directory adds its service, so no upload goes unseen.
    HsDescWatcher uploads;
    auto watching = uploads.start(network.controlPort(), network.cookieFile());
    BOOST_REQUIRE_MESSAGE(!watching, *watching);
    OnionDirectory directory(dir.path() / "dn", "regtest");
    auto location = directory.start(network.controlPort(), false);
    BOOST_REQUIRE_MESSAGE(isOnionLocation(location), "no onion location: '" << location << "'\n" << directory.output());
    auto host = location.substr(0, location.find(':'));
    BOOST_REQUIRE_MESSAGE(uploads.waitUploaded(host.substr(0, 56), std::chrono::seconds(90)),
                          "the directory's descriptor was not uploaded in 90 s:\n"
                              << uploads.events() << network.logs());
    std::printf("directory descriptor uploaded after %.1f s\n", seconds());
    // Uploaded: the first SOCKS connection should work; retries cover a slow introduction.
    std::optional<std::string> reach = "not tried";
    int attempts = 0;
    auto deadline = Clock::now() + std::chrono::seconds(120);
    while (reach && Clock::now() < deadline) {
        ++attempts;
        reach = socksConnect(network.socksPort(), host, 5222, std::chrono::seconds(30));
        if (reach) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    BOOST_REQUIRE_MESSAGE(!reach, "the directory's onion was not reachable through SOCKS: " << *reach << "\n"
                                                                                            << network.logs());
    std::printf("directory onion %s reachable after %.1f s (%d SOCKS attempt(s))\n", location.c_str(), seconds(),
                attempts);

    auto made_error = made.get();
    BOOST_REQUIRE_MESSAGE(made_error.empty(), made_error);
    FillHoldingSocksRelay taker_socks(network.socksPort(), MAKERS, std::chrono::seconds(30));
    auto config = marketConfig(market, location, network.socksPort(), taker_socks.port(), network.controlPort());
    // Each maker adds its onion, then connects to the directory; the taker should find each
    // onion's descriptor on the HSDirs when it dials, so the round waits for the uploads, as
    // for the directory's.
    auto makers_ready = [&]() -> std::string {
        for (std::size_t i = 1; i <= MAKERS; ++i) {
            // Its status file says when it is on the directory, and which location it announced
            // there (marketConfig removed the files of the demo run that made the wallets).
            std::string text;
            bool on_directory = false;
            for (auto until = Clock::now() + std::chrono::seconds(90);
                 Clock::now() < until && !(on_directory && isOnionLocation(text));
                 std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
                auto status = readJson(market / ("maker" + std::to_string(i) + "-status.json"));
                auto* ready = status.if_contains("directories_ready");
                on_directory = ready && ready->is_number() && ready->to_number<std::int64_t>() >= 1;
                auto maker_location = makerDirect(market, i)["location"];
                text = maker_location.is_string() ? std::string(maker_location.as_string()) : "";
            }
            if (!on_directory) return "maker " + std::to_string(i) + " did not reach the directory in 90 s";
            if (!isOnionLocation(text)) return "maker " + std::to_string(i) + " announces no onion: '" + text + "'";
            if (text == location) return "maker " + std::to_string(i) + " announces the directory's onion";
            if (!uploads.waitUploaded(text.substr(0, 56), std::chrono::seconds(90)))
                return "maker " + std::to_string(i) + "'s descriptor was not uploaded in 90 s:\n" + uploads.events();
            // Reachable through SOCKS before the round (the client tor then has the descriptor):
            // the round does not wait for direct connections, and a first fetch could outlast it.
            std::optional<std::string> reached = "not tried";
            for (auto until = Clock::now() + std::chrono::seconds(60); reached && Clock::now() < until;) {
                reached = socksConnect(network.socksPort(), text.substr(0, 62), 5222, std::chrono::seconds(30));
                if (reached) std::this_thread::sleep_for(std::chrono::milliseconds(500));
            }
            if (reached) return "maker " + std::to_string(i) + "'s onion was not reachable through SOCKS: " + *reached;
        }
        std::printf("maker descriptors uploaded after %.1f s\n", seconds());
        return "";
    };
    auto result = coinjoinOverTor(config, MAKERS, makers_ready);
    BOOST_REQUIRE_MESSAGE(result.has_value(), "CoinJoin over Tor failed: " << (result ? "" : result.error().message)
                                                                           << "\n"
                                                                           << directory.output());
    BOOST_TEST(result->txid.size() == 64u);
    BOOST_TEST(result->makers == MAKERS);
    BOOST_TEST(result->confirmed);
    std::printf("CoinJoin %s over Tor with %zu makers done after %.1f s (the !fill held %lld ms for the direct "
                "links)\n",
                result->txid.c_str(), result->makers, seconds(), static_cast<long long>(taker_socks.held().count()));
    // The private messages after the !fill went over the makers' onions: each maker took the
    // taker's direct connection (through SOCKS), received private messages on it and answered
    // on it (the status each maker wrote when the node stopped).
    for (std::size_t i = 1; i <= MAKERS; ++i) {
        auto direct = makerDirect(market, i);
        BOOST_TEST_MESSAGE("maker " << i << " direct: " << boost::json::serialize(direct));
        auto number = [&](const char* key) {
            auto* v = direct.if_contains(key);
            return v && v->is_number() ? v->to_number<std::int64_t>() : -1;
        };
        // The test's own reachability check was one connection, the taker's the other.
        BOOST_TEST(number("accepted") == 2, "maker " << i << ": " << boost::json::serialize(direct));
        BOOST_TEST(number("received") >= 1, "maker " << i << ": " << boost::json::serialize(direct));
        BOOST_TEST(number("sent") == number("received"), "maker " << i << ": " << boost::json::serialize(direct));
    }
    // Every peer the directory served came through Tor: they knew no other way to it.
    auto status = readJson(dir.path() / "dn" / "data" / "status.json");
    BOOST_TEST_MESSAGE("directory status: " << boost::json::serialize(status));
    directory.stop();
}

BOOST_AUTO_TEST_SUITE_END()
