// directory_load: N simulated JoinMarket peers against any directory at host:port (ours or
// another implementation's). Real handshakes (793 -> 795), then private messages between random
// pairs and/or public messages, at a target rate or as fast as the directory delivers them.
// Reports delivered messages/s, routing latency (p50/p99/max, send to receipt), drops, and the
// directory's resident memory per peer when its pid is given.
//
//   bench_directory_load --port 5222 --peers 1000 --mode privmsg --rate 0 --duration 10
//   bench_directory_load --port 5222 --peers 1000 --rate 10000 --duration 10 --server-pid PID
//   bench_directory_load --port 5222 --peers 10000 --duration 0 --server-pid PID   (idle RSS)
//
// Peers are spread over --threads event loops. In --rate 0 (maximum) mode a window of messages
// in flight (--window) keeps the directory saturated without unbounded queues.
#include <jm/protocol/envelope.hpp>
#include <jm/protocol/handshake.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/program_options.hpp>

#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using boost::asio::ip::tcp;

std::int64_t nowNs() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

std::size_t rssKiB(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            std::size_t kib = 0;
            status >> kib;
            return kib;
        }
        status.ignore(4096, '\n');
    }
    return 0;
}

std::string peerNick(std::size_t i) {
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    std::string nick = "J5";
    for (int d = 0; d < 14; ++d) {
        nick += alphabet[i % 58];
        i /= 58;
    }
    return nick;
}

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5222;
    std::size_t peers = 1000;
    std::string network = "testnet";
    std::string mode = "privmsg"; // privmsg | pubmsg | mixed
    double rate = 0;              // messages per second in total; 0 = as fast as delivered
    double duration = 10;
    double warmup = 1;
    std::size_t window = 4000;
    int threads = 1;
    int server_pid = 0;
    std::size_t connect_parallel = 256;
};

struct Shared {
    Options options;
    std::atomic<std::size_t> ready{0};
    std::atomic<std::size_t> refused{0};
    std::atomic<std::size_t> failed{0};
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<bool> measuring{false};
    std::atomic<bool> sending{false};
};

class Worker;

//! One simulated peer: a socket, its nick, a batched write buffer and a line reader.
struct Peer {
    Peer(Worker& w, std::size_t i, boost::asio::io_context& ctx) : worker(w), index(i), nick(peerNick(i)), socket(ctx) {}
    Worker& worker;
    std::size_t index;
    std::string nick;
    tcp::socket socket;
    std::string pending, writing;
    bool write_active = false;
    bool ready = false;
    std::string in;
    std::array<char, 8192> buffer{};
};

class Worker {
public:
    Worker(Shared& shared, int index) : m_shared(shared), m_index(index), m_timer(m_context), m_rng(index * 7919 + 1) {}

    void addPeer(std::size_t i) { m_peers.push_back(std::make_unique<Peer>(*this, i, m_context)); }
    std::vector<std::unique_ptr<Peer>>& peers() { return m_peers; }
    boost::asio::io_context& context() { return m_context; }

    void connectAll(tcp::endpoint endpoint) {
        m_endpoint = endpoint;
        auto parallel = std::max<std::size_t>(1, m_shared.options.connect_parallel / m_shared.options.threads);
        for (std::size_t k = 0; k < parallel; ++k) connectNext();
    }

    void startTraffic(std::vector<std::string>* all_nicks, double share) {
        m_nicks = all_nicks;
        m_rate = m_shared.options.rate * share;
        m_start = Clock::now();
        tick();
    }
    void stopTraffic() {
        boost::asio::post(m_context, [this] { m_timer.cancel(); });
    }
    void run() { m_context.run(); }
    void stop() { m_context.stop(); }

    // Results (read after stop).
    std::vector<std::uint32_t> latencies_us;
    std::uint64_t sent = 0, received = 0, received_measured = 0, sent_measured = 0;

private:
    void connectNext() {
        if (m_nextConnect >= m_peers.size()) return;
        auto& peer = *m_peers[m_nextConnect++];
        peer.socket.async_connect(m_endpoint, [this, &peer](boost::system::error_code ec) {
            if (ec) {
                m_shared.failed++;
                connectNext();
                return;
            }
            boost::system::error_code ignored;
            peer.socket.set_option(tcp::no_delay(true), ignored);
            jm::protocol::ClientHandshake hs;
            hs.nick = peer.nick;
            hs.network = m_shared.options.network;
            send(peer, jm::protocol::formatEnvelope({793, jm::protocol::formatClientHandshake(hs)}).value());
            read(peer);
        });
    }

    void send(Peer& peer, const std::string& wire) {
        peer.pending += wire;
        if (!peer.write_active) flush(peer);
    }

    void flush(Peer& peer) {
        if (peer.pending.empty()) {
            peer.write_active = false;
            return;
        }
        peer.write_active = true;
        peer.writing.swap(peer.pending);
        peer.pending.clear();
        boost::asio::async_write(peer.socket, boost::asio::buffer(peer.writing),
                                 [this, &peer](boost::system::error_code ec, std::size_t) {
                                     if (ec) {
                                         peer.write_active = false;
                                         return;
                                     }
                                     peer.writing.clear();
                                     flush(peer);
                                 });
    }

    void read(Peer& peer) {
        peer.socket.async_read_some(boost::asio::buffer(peer.buffer), [this, &peer](boost::system::error_code ec,
                                                                                    std::size_t n) {
            if (ec) {
                if (peer.ready) m_shared.ready--;
                peer.ready = false;
                return;
            }
            peer.in.append(peer.buffer.data(), n);
            std::size_t start = 0;
            for (;;) {
                auto end = peer.in.find('\n', start);
                if (end == std::string::npos) break;
                onLine(peer, std::string_view(peer.in).substr(start, end - start));
                start = end + 1;
            }
            peer.in.erase(0, start);
            read(peer);
        });
    }

    void onLine(Peer& peer, std::string_view line) {
        if (!peer.ready) {
            if (line.find("\"type\": 795") == std::string_view::npos) return;
            if (line.find("\\\"accepted\\\": true") != std::string_view::npos) {
                peer.ready = true;
                m_shared.ready++;
            } else {
                m_shared.refused++;
            }
            connectNext();
            return;
        }
        // Our own messages: "... !<cmd> <seq> <send_ns> ..." in the line. Found by text search:
        // the load generator must not spend its time in a JSON parser.
        auto marker = line.find("!ltest ");
        if (marker == std::string_view::npos) return;
        auto p = line.data() + marker + 7;
        auto end = line.data() + line.size();
        std::int64_t ts = 0;
        auto r = std::from_chars(p, end, ts);
        if (r.ec != std::errc()) return;
        ++received;
        m_shared.in_flight--;
        if (m_shared.measuring.load(std::memory_order_relaxed)) {
            ++received_measured;
            auto latency = (nowNs() - ts) / 1000;
            latencies_us.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(latency, 0, UINT32_MAX)));
        }
    }

    void sendOne() {
        std::uniform_int_distribution<std::size_t> mine(0, m_peers.size() - 1);
        auto& from = *m_peers[mine(m_rng)];
        if (!from.ready) return;
        bool pub = m_shared.options.mode == "pubmsg" ||
                   (m_shared.options.mode == "mixed" && std::uniform_int_distribution<int>(0, 9)(m_rng) == 0);
        std::string body = "ltest " + std::to_string(nowNs()) + " " + std::to_string(sent) +
                           " 07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c "
                           "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f "
                           "MEUCIQDAuI7CV5gDTyNVYwEPEAZoAdAmLA0mnpohH62cwFyV6wIgDJnlZJzCtpbPQqNnzLNfibu0ggOniHVYqT6JKONpdMI=";
        std::string line;
        std::int64_t expected = 1;
        if (pub) {
            line = from.nick + "!PUBLIC!" + body;
            expected = static_cast<std::int64_t>(m_shared.ready.load()) - 1;
        } else {
            std::uniform_int_distribution<std::size_t> any(0, m_nicks->size() - 1);
            auto to = any(m_rng);
            if ((*m_nicks)[to] == from.nick) to = (to + 1) % m_nicks->size();
            line = from.nick + "!" + (*m_nicks)[to] + "!" + body;
        }
        send(from, jm::protocol::formatEnvelope({pub ? 687 : 685, line}).value());
        ++sent;
        if (m_shared.measuring.load(std::memory_order_relaxed)) sent_measured += static_cast<std::uint64_t>(expected);
        m_shared.in_flight += expected;
    }

    void tick() {
        if (m_shared.sending.load()) {
            if (m_rate > 0) {
                double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
                auto due = static_cast<std::uint64_t>(elapsed * m_rate);
                while (m_sentByRate < due) {
                    sendOne();
                    ++m_sentByRate;
                }
            } else {
                auto budget = static_cast<std::int64_t>(m_shared.options.window);
                for (int k = 0; k < 2000 && m_shared.in_flight.load(std::memory_order_relaxed) < budget; ++k) sendOne();
            }
        }
        m_timer.expires_after(std::chrono::microseconds(m_rate > 0 ? 100 : 200)); // paced sends stay spread out
        m_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) tick();
        });
    }

    Shared& m_shared;
    int m_index;
    boost::asio::io_context m_context{1};
    boost::asio::steady_timer m_timer;
    std::vector<std::unique_ptr<Peer>> m_peers;
    std::size_t m_nextConnect = 0;
    tcp::endpoint m_endpoint;
    std::vector<std::string>* m_nicks = nullptr;
    double m_rate = 0;
    std::uint64_t m_sentByRate = 0;
    Clock::time_point m_start;
    std::mt19937_64 m_rng;
};

double percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

} // namespace

int main(int argc, char** argv) {
    namespace po = boost::program_options;
    Shared shared;
    auto& o = shared.options;
    po::options_description desc("bench_directory_load: simulated JoinMarket peers against a directory");
    desc.add_options()("help", "this help")("host", po::value(&o.host)->default_value(o.host), "directory address")(
        "port", po::value(&o.port)->default_value(o.port), "directory port")(
        "peers", po::value(&o.peers)->default_value(o.peers), "simulated peers (up to 10000 and more)")(
        "network", po::value(&o.network)->default_value(o.network), "network in the handshakes")(
        "mode", po::value(&o.mode)->default_value(o.mode), "privmsg | pubmsg | mixed (1 in 10 public)")(
        "rate", po::value(&o.rate)->default_value(o.rate), "messages/s sent in total; 0 = as fast as delivered")(
        "duration", po::value(&o.duration)->default_value(o.duration), "measured seconds (0 = connect, report, exit)")(
        "warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds of traffic before measuring")(
        "window", po::value(&o.window)->default_value(o.window), "deliveries in flight in maximum mode")(
        "threads", po::value(&o.threads)->default_value(o.threads), "event-loop threads of this tool")(
        "server-pid", po::value(&o.server_pid)->default_value(0), "directory pid, for its memory per peer")(
        "connect-parallel", po::value(&o.connect_parallel)->default_value(o.connect_parallel),
        "handshakes in progress at once");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "bench_directory_load: " << e.what() << "\n" << desc;
        return 2;
    }
    if (vm.count("help")) {
        std::cout << desc;
        return 0;
    }
    if (o.peers < 2 || o.threads < 1 || (o.mode != "privmsg" && o.mode != "pubmsg" && o.mode != "mixed")) {
        std::cerr << "bench_directory_load: need --peers >= 2, --threads >= 1, --mode privmsg|pubmsg|mixed\n";
        return 2;
    }
    if (sodium_init() < 0) return 1;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    boost::system::error_code ec;
    tcp::endpoint endpoint(boost::asio::ip::make_address(o.host, ec), o.port);
    if (ec) {
        std::cerr << "bench_directory_load: --host must be an IP address\n";
        return 2;
    }

    std::size_t rss_before = o.server_pid ? rssKiB(o.server_pid) : 0;
    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<Worker>(shared, t));
    std::vector<std::string> nicks;
    for (std::size_t i = 0; i < o.peers; ++i) {
        workers[i % workers.size()]->addPeer(i);
        nicks.push_back(peerNick(i));
    }
    auto t0 = Clock::now();
    for (auto& w : workers) boost::asio::post(w->context(), [&w, endpoint] { w->connectAll(endpoint); });
    std::vector<std::thread> threads;
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards;
    for (auto& w : workers) {
        guards.push_back(boost::asio::make_work_guard(w->context()));
        threads.emplace_back([&w] { w->run(); });
    }
    while (shared.ready + shared.refused + shared.failed < o.peers &&
           Clock::now() - t0 < std::chrono::seconds(120))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    double connect_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("peers: %zu handshaked, %zu refused, %zu failed to connect, in %.2f s (%.0f handshakes/s)\n",
                shared.ready.load(), shared.refused.load(), shared.failed.load(), connect_s,
                static_cast<double>(shared.ready.load()) / connect_s);
    if (o.server_pid) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto rss_after = rssKiB(o.server_pid);
        std::printf("directory RSS: %zu KiB before, %zu KiB with %zu idle peers: %.2f KiB per peer\n", rss_before,
                    rss_after, shared.ready.load(),
                    shared.ready ? static_cast<double>(rss_after - std::min(rss_after, rss_before)) /
                                       static_cast<double>(shared.ready.load())
                                 : 0.0);
    }
    if (o.duration > 0 && shared.ready >= 2) {
        for (auto& w : workers)
            boost::asio::post(w->context(), [&w, &nicks, share = 1.0 / static_cast<double>(workers.size())] {
                w->startTraffic(&nicks, share);
            });
        shared.sending = true;
        std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
        shared.measuring = true;
        auto m0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
        shared.measuring = false;
        double measured = std::chrono::duration<double>(Clock::now() - m0).count();
        shared.sending = false;
        std::this_thread::sleep_for(std::chrono::seconds(2)); // let stragglers arrive
        for (auto& w : workers) w->stopTraffic();
        for (auto& g : guards) g.reset();
        for (auto& w : workers) w->stop();
        for (auto& t : threads) t.join();
        std::vector<std::uint32_t> lat;
        std::uint64_t sent = 0, received = 0, received_measured = 0, expected = 0;
        for (auto& w : workers) {
            lat.insert(lat.end(), w->latencies_us.begin(), w->latencies_us.end());
            sent += w->sent;
            received += w->received;
            received_measured += w->received_measured;
            expected += w->sent_measured;
        }
        auto inflight = shared.in_flight.load();
        std::printf("mode %s, %s: %.0f messages delivered/s over %.1f s (%lu sent in all, %lu deliveries)\n",
                    o.mode.c_str(), o.rate > 0 ? ("target " + std::to_string(static_cast<long>(o.rate)) + "/s").c_str() : "maximum",
                    static_cast<double>(received_measured) / measured, measured, static_cast<unsigned long>(sent),
                    static_cast<unsigned long>(received));
        std::printf("latency (send to receipt): p50 %.0f us, p99 %.0f us, max %.0f us (%zu samples)\n",
                    percentile(lat, 0.50), percentile(lat, 0.99), lat.empty() ? 0.0 : *std::max_element(lat.begin(), lat.end()),
                    lat.size());
        std::printf("drops: %ld deliveries never arrived (sent but not received after 2 s)\n", static_cast<long>(inflight));
        (void)expected;
    } else {
        for (auto& g : guards) g.reset();
        for (auto& w : workers) w->stop();
        for (auto& t : threads) t.join();
    }
    return 0;
}
