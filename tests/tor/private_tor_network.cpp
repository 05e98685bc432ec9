#include "private_tor_network.hpp"

#include <util/setup.hpp>

#include <jm/net/socks5.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace jm::test {

namespace fs = std::filesystem;

namespace {

std::string readText(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

//! Tor refuses a DataDirectory others can read.
void privateDirectory(const fs::path& dir) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all);
}

std::string tail(const std::string& text, std::size_t lines) {
    std::size_t pos = text.size();
    for (std::size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n)
        pos = text.rfind('\n', pos - 1);
    return pos == std::string::npos ? text : text.substr(pos + 1);
}

//! The text of `GETINFO key` (the data lines) from the tor at control_port, authenticated with
//! its cookie; nullopt on any failure.
std::optional<std::string> controlGetInfo(std::uint16_t control_port, const fs::path& cookie_file,
                                          const std::string& key) {
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), control_port}, ec);
    if (ec) return std::nullopt;
    std::ifstream in(cookie_file, std::ios::binary);
    std::string cookie((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cookie.size() != 32) return std::nullopt;
    static const char* hex = "0123456789abcdef";
    std::string command = "AUTHENTICATE ";
    for (unsigned char c : cookie) {
        command += hex[c >> 4];
        command += hex[c & 15];
    }
    command += "\r\nGETINFO " + key + "\r\nQUIT\r\n";
    asio::write(socket, asio::buffer(command), ec);
    std::string reply;
    std::array<char, 65536> chunk{};
    while (!ec) {
        auto n = socket.read_some(asio::buffer(chunk), ec);
        reply.append(chunk.data(), n);
    }
    // "250 OK" (AUTHENTICATE), then "250+key=" data "." "250 OK", then QUIT's "250 closing".
    auto start = reply.find("250+" + key + "=");
    if (start == std::string::npos) return std::nullopt;
    start = reply.find('\n', start);
    auto end = reply.find("\r\n.\r\n", start);
    if (start == std::string::npos || end == std::string::npos) return std::nullopt;
    return reply.substr(start + 1, end - start - 1);
}

bool canConnect(std::uint16_t port) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

} // namespace

std::string findTor() {
    if (const char* env = std::getenv("TOR"); env && *env) return fs::exists(env) ? env : "";
    for (const char* p : {"/usr/bin/tor", "/usr/sbin/tor"})
        if (fs::exists(p)) return p;
    return "";
}

std::string findTorGencert(const std::string& tor) {
    if (const char* env = std::getenv("TOR_GENCERT"); env && *env) return fs::exists(env) ? env : "";
    if (!tor.empty()) {
        auto sibling = fs::path(tor).parent_path() / "tor-gencert";
        if (fs::exists(sibling)) return sibling.string();
    }
    for (const char* p : {"/usr/bin/tor-gencert", "/usr/sbin/tor-gencert"})
        if (fs::exists(p)) return p;
    return "";
}

// ---------------------------------------------------------------------------------------------

OfflineTor::OfflineTor(std::string binary, fs::path dir) : m_binary(std::move(binary)), m_dir(std::move(dir)) {}

std::optional<std::string> OfflineTor::start() {
    privateDirectory(m_dir / "data");
    if (m_control_port == 0) m_control_port = freeLoopbackPort();
    std::ofstream(m_dir / "torrc") << "DataDirectory " << (m_dir / "data").string() << "\n"
                                   << "DisableNetwork 1\n"
                                   << "SocksPort 0\n"
                                   << "ControlPort 127.0.0.1:" << m_control_port << "\n"
                                   << "CookieAuthentication 1\n"
                                   << "AvoidDiskWrites 1\n"
                                   << "__OwningControllerProcess " << ::getpid() << "\n"
                                   << "Log notice stdout\n";
    m_process = std::make_unique<ChildProcess>(
        std::vector<std::string>{m_binary, "-f", (m_dir / "torrc").string(), "--ignore-missing-torrc"});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (canConnect(m_control_port)) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "tor did not open its control port in 30 s: " + tail(m_process->output(), 10);
}

void OfflineTor::stop() {
    if (!m_process) return;
    m_process->signal(SIGTERM); // SIGTERM: tor closes its control connections and exits at once
    m_process->wait(std::chrono::seconds(10));
    m_process.reset();
}

std::optional<std::string> OfflineTor::restart() {
    stop();
    return start();
}

std::string OfflineTor::log() const { return m_process ? m_process->output() : std::string(); }

// ---------------------------------------------------------------------------------------------

PrivateTorNetwork::PrivateTorNetwork(std::string tor, std::string gencert, fs::path dir, int relays) :
    m_tor(std::move(tor)), m_gencert(std::move(gencert)), m_dir(std::move(dir)), m_relays(relays) {}

PrivateTorNetwork::~PrivateTorNetwork() { stop(); }

std::string PrivateTorNetwork::commonTorrc(const std::string& name) const {
    // chutney's settings for a network that bootstraps in seconds: every relay gets the flags
    // it needs at once (Guard, Exit, HSDir), and private addresses are allowed (TestingTorNetwork).
    std::ostringstream t;
    t << "TestingTorNetwork 1\n"
      << "DataDirectory " << (m_dir / name).string() << "\n"
      << "Nickname " << name << "\n"
      << "RunAsDaemon 0\n"
      << "ShutdownWaitLength 0\n"
      << "PathsNeededToBuildCircuits 0.67\n"
      << "TestingDirAuthVoteExit *\n"
      << "TestingDirAuthVoteHSDir *\n"
      << "TestingDirAuthVoteGuard *\n"
      << "TestingMinExitFlagThreshold 0\n"
      << "V3AuthNIntervalsValid 2\n"
      << "AssumeReachable 1\n"
      << "SafeLogging 0\n"
      << "AvoidDiskWrites 1\n"
      << "__OwningControllerProcess " << ::getpid() << "\n"
      << "Log notice stdout\n";
    return t.str();
}

std::optional<std::string> PrivateTorNetwork::generate() {
    auto auth = m_dir / "auth";
    privateDirectory(auth / "keys");
    auto or_port = freeLoopbackPort();
    auto dir_port = freeLoopbackPort();
    // The authority's v3 keys and certificate (empty passphrase on stdin).
    auto keys = auth / "keys";
    auto gencert =
        runProcess({m_gencert, "--create-identity-key", "-m", "12", "-a", "127.0.0.1:" + std::to_string(dir_port),
                    "--passphrase-fd", "0", "-i", (keys / "authority_identity_key").string(), "-s",
                    (keys / "authority_signing_key").string(), "-c", (keys / "authority_certificate").string()},
                   std::chrono::seconds(60), {}, std::string("\n"));
    if (gencert.exit_code != 0) return "tor-gencert failed: " + gencert.err + gencert.out;
    std::string v3ident;
    {
        std::istringstream cert(readText(keys / "authority_certificate"));
        std::string word;
        while (cert >> word)
            if (word == "fingerprint" && cert >> v3ident) break;
    }
    if (v3ident.size() != 40) return "no fingerprint in the authority certificate tor-gencert wrote";
    // The authority's relay identity (tor writes DataDirectory/fingerprint).
    auto listed = runProcess({m_tor, "--list-fingerprint", "--DataDirectory", auth.string(), "--ORPort",
                              "127.0.0.1:" + std::to_string(or_port), "-f", "/dev/null", "--ignore-missing-torrc"},
                             std::chrono::seconds(60));
    std::istringstream fingerprint_file(readText(auth / "fingerprint"));
    std::string nickname, fingerprint;
    fingerprint_file >> nickname >> fingerprint;
    if (fingerprint.size() != 40) return "tor --list-fingerprint gave no fingerprint: " + listed.err + listed.out;
    std::string authority = "DirAuthority auth orport=" + std::to_string(or_port) + " no-v2 v3ident=" + v3ident +
                            " 127.0.0.1:" + std::to_string(dir_port) + " " + fingerprint + "\n";

    std::ofstream(auth / "torrc") << commonTorrc("auth") << authority << "SocksPort 0\n"
                                  << "Address 127.0.0.1\n"
                                  << "ORPort 127.0.0.1:" << or_port << "\n"
                                  << "DirPort 127.0.0.1:" << dir_port << "\n"
                                  << "AuthoritativeDirectory 1\n"
                                  << "V3AuthoritativeDirectory 1\n"
                                  << "ContactInfo auth@test.invalid\n"
                                  // The shortest votes Tor accepts: a consensus within seconds.
                                  << "TestingV3AuthInitialVotingInterval 5\n"
                                  << "V3AuthVotingInterval 10\n"
                                  << "TestingV3AuthInitialVoteDelay 2\n"
                                  << "V3AuthVoteDelay 2\n"
                                  << "TestingV3AuthInitialDistDelay 2\n"
                                  << "V3AuthDistDelay 2\n"
                                  << "ExitPolicy accept 127.0.0.0/8:*\n"
                                  << "ExitPolicyRejectPrivate 0\n";
    for (int i = 1; i <= m_relays; ++i) {
        auto name = "relay" + std::to_string(i);
        privateDirectory(m_dir / name);
        std::ofstream(m_dir / name / "torrc") << commonTorrc(name) << authority << "SocksPort 0\n"
                                              << "Address 127.0.0.1\n"
                                              << "ORPort 127.0.0.1:" << freeLoopbackPort() << "\n"
                                              << "DirPort 127.0.0.1:" << freeLoopbackPort() << "\n"
                                              << "ContactInfo " << name << "@test.invalid\n"
                                              << "ExitRelay 1\n"
                                              << "ExitPolicy accept 127.0.0.0/8:*\n"
                                              << "ExitPolicyRejectPrivate 0\n";
    }
    privateDirectory(m_dir / "client");
    m_socks_port = freeLoopbackPort();
    m_control_port = freeLoopbackPort();
    std::ofstream(m_dir / "client" / "torrc")
        << commonTorrc("client") << authority << "SocksPort 127.0.0.1:" << m_socks_port << "\n"
        << "ControlPort 127.0.0.1:" << m_control_port << "\n"
        << "CookieAuthentication 1\n"
        // Layer-2 vanguards are chosen once, for hours: from an early consensus of a few relays
        // they would hold the onion service back.
        << "VanguardsLiteEnabled 0\n";
    return std::nullopt;
}

std::optional<std::string> PrivateTorNetwork::start(std::chrono::seconds bound) {
    if (m_gencert.empty()) return "no tor-gencert (Debian's tor package installs /usr/bin/tor-gencert)";
    if (auto failed = generate()) return failed;
    auto deadline = std::chrono::steady_clock::now() + bound;
    std::vector<std::string> names{"auth"};
    for (int i = 1; i <= m_relays; ++i)
        names.push_back("relay" + std::to_string(i));
    names.push_back("client");
    for (const auto& name : names)
        m_processes.emplace_back(name, std::make_unique<ChildProcess>(std::vector<std::string>{
                                           m_tor, "-f", (m_dir / name / "torrc").string(), "--ignore-missing-torrc"}));
    auto& client = *m_processes.back().second;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!client.waitForOutput("Bootstrapped 100%", left)) {
        std::string why = "the client did not bootstrap within " + std::to_string(bound.count()) +
                          " s (no consensus or no circuits):\n" + logs();
        stop();
        return why;
    }
    // Bootstrapped can come with an early consensus that lists only some relays; an onion
    // service started then picks its paths (vanguards, HSDirs) from too few. Wait until the
    // client's consensus lists every relay as a Running HSDir.
    std::size_t listed = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        listed = 0;
        if (auto ns = controlGetInfo(m_control_port, cookieFile(), "ns/all")) {
            std::istringstream lines(*ns);
            for (std::string line; std::getline(lines, line);)
                if (line.starts_with("s ") && line.find(" HSDir") != std::string::npos &&
                    line.find(" Running") != std::string::npos)
                    ++listed;
        }
        if (listed == static_cast<std::size_t>(m_relays) + 1) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    std::string why = "the client's consensus listed " + std::to_string(listed) + " of " +
                      std::to_string(m_relays + 1) + " relays as Running HSDirs after " +
                      std::to_string(bound.count()) + " s:\n" + logs();
    stop();
    return why;
}

void PrivateTorNetwork::stop() {
    for (auto& [name, process] : m_processes)
        process->signal(SIGTERM);
    for (auto& [name, process] : m_processes)
        process->wait(std::chrono::seconds(10));
    m_processes.clear();
}

std::string PrivateTorNetwork::logs() const {
    std::string all;
    for (const auto& [name, process] : m_processes)
        all += "--- " + name + "\n" + tail(process->output(), 8);
    return all;
}

// ---------------------------------------------------------------------------------------------

struct HsDescWatcher::Impl {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket{io};
    std::thread reader;
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> events;
};

HsDescWatcher::HsDescWatcher() = default;

HsDescWatcher::~HsDescWatcher() {
    if (!m_impl) return;
    ::shutdown(m_impl->socket.native_handle(), SHUT_RDWR); // ends the reader's blocking read
    if (m_impl->reader.joinable()) m_impl->reader.join();
}

std::optional<std::string> HsDescWatcher::start(std::uint16_t control_port, const fs::path& cookie_file) {
    namespace asio = boost::asio;
    m_impl = std::make_unique<Impl>();
    auto& socket = m_impl->socket;
    boost::system::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), control_port}, ec);
    if (ec) return "control port: " + ec.message();
    std::ifstream in(cookie_file, std::ios::binary);
    std::string cookie((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cookie.size() != 32) return "cannot read the control cookie " + cookie_file.string();
    static const char* hex = "0123456789abcdef";
    std::string command = "AUTHENTICATE ";
    for (unsigned char c : cookie) {
        command += hex[c >> 4];
        command += hex[c & 15];
    }
    command += "\r\nSETEVENTS HS_DESC\r\n";
    asio::write(socket, asio::buffer(command), ec);
    if (ec) return "control port: " + ec.message();
    auto buffer = std::make_shared<asio::streambuf>();
    for (const char* step : {"AUTHENTICATE", "SETEVENTS"}) {
        asio::read_until(socket, *buffer, "\r\n", ec);
        if (ec) return std::string("control port: ") + step + ": " + ec.message();
        std::string line;
        std::istream stream(buffer.get());
        std::getline(stream, line);
        if (!line.starts_with("250")) return std::string("control port refused ") + step + ": " + line;
    }
    m_impl->reader = std::thread([impl = m_impl.get(), buffer] {
        boost::system::error_code error;
        for (;;) {
            asio::read_until(impl->socket, *buffer, "\r\n", error);
            if (error) return;
            std::string line;
            std::istream stream(buffer.get());
            std::getline(stream, line);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            std::lock_guard lock(impl->mutex);
            impl->events.push_back(std::move(line));
            impl->changed.notify_all();
        }
    });
    return std::nullopt;
}

bool HsDescWatcher::waitUploaded(const std::string& service_id, std::chrono::seconds timeout) {
    if (!m_impl) return false;
    auto done = [&] {
        std::size_t started = 0, ended = 0, uploaded = 0;
        for (const auto& e : m_impl->events) {
            std::istringstream words(e);
            std::string status, kind, action, address;
            words >> status >> kind >> action >> address;
            if (kind != "HS_DESC" || address != service_id) continue;
            started += action == "UPLOAD";
            uploaded += action == "UPLOADED";
            ended += action == "UPLOADED" || action == "FAILED";
        }
        return uploaded > 0 && ended >= started;
    };
    std::unique_lock lock(m_impl->mutex);
    return m_impl->changed.wait_for(lock, timeout, done);
}

std::string HsDescWatcher::events() const {
    if (!m_impl) return "";
    std::lock_guard lock(m_impl->mutex);
    std::string all;
    for (const auto& e : m_impl->events)
        all += e + "\n";
    return all;
}

// ---------------------------------------------------------------------------------------------

std::optional<std::string> socksConnect(std::uint16_t socks_port, const std::string& host, std::uint16_t port,
                                        std::chrono::seconds timeout) {
    // Blocking I/O in a thread of its own, abandoned (socket closed) at the deadline.
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::socket socket(io, asio::ip::tcp::v4()); // opened here: its handle never changes
    auto run = [&]() -> std::optional<std::string> {
        boost::system::error_code ec;
        socket.connect({asio::ip::make_address("127.0.0.1"), socks_port}, ec);
        if (ec) return "SOCKS port: " + ec.message();
        asio::write(socket, asio::buffer(jm::net::socks5Greeting(false)), ec);
        std::vector<std::uint8_t> reply(2);
        if (!ec) asio::read(socket, asio::buffer(reply), ec);
        if (ec) return "SOCKS greeting: " + ec.message();
        if (auto ok = jm::net::parseSocks5MethodReply(reply, false); !ok) return ok.error().message;
        auto request = jm::net::socks5ConnectRequest(host, port);
        if (!request) return request.error().message;
        asio::write(socket, asio::buffer(*request), ec);
        if (ec) return "SOCKS request: " + ec.message();
        std::vector<std::uint8_t> received;
        for (;;) {
            auto needs = jm::net::socks5ConnectReplyNeeds(received);
            if (!needs) return needs.error().message;
            if (*needs == 0) return std::nullopt;
            auto have = received.size();
            received.resize(*needs);
            asio::read(socket, asio::buffer(received.data() + have, *needs - have), ec);
            if (ec) return "SOCKS reply: " + ec.message();
        }
    };
    std::promise<std::optional<std::string>> outcome;
    auto future = outcome.get_future();
    std::thread worker([&] { outcome.set_value(run()); });
    if (future.wait_for(timeout) != std::future_status::ready)
        ::shutdown(socket.native_handle(), SHUT_RDWR); // unblocks the worker's read or connect
    worker.join();
    return future.get();
}

} // namespace jm::test
