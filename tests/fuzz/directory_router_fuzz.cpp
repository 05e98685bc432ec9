// The directory server's input handling: arbitrary byte streams from three peers at once go
// through the line framer and the router (handshakes, routing, limits, sweeps). Invariants:
// nothing crashes, every line sent is a CRLF-terminated envelope within the limit, and once all
// peers are gone no nick stays registered.
#include <message_router.hpp>

#include <jm/protocol/envelope.hpp>

#include <boost/log/core.hpp>
#include <boost/log/keywords/channel.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

using namespace jm::plugins::directory;

namespace {

class FakeLink final : public PeerLink {
public:
    void send(SharedLine line) override {
        if (closed) return;
        if (line->size() < 2 || line->substr(line->size() - 2) != "\r\n") __builtin_trap();
        if (!jm::protocol::parseEnvelope(std::string_view(*line).substr(0, line->size() - 2), 1 << 21))
            __builtin_trap();
        sent += line->size();
    }
    void close(bool) override { closed = true; }
    bool closed = false;
    std::size_t sent = 0;
};

class FakeFabric final : public Fabric {
public:
    void broadcast(SharedLine line, std::uint64_t) override {
        if (line->empty()) __builtin_trap();
    }
    void announceDeparture(jm::protocol::PeerlistEntry entry) override {
        if (entry.nick.empty()) __builtin_trap();
    }
    void flushDeparturesOf(const std::string& nick) override {
        if (nick.empty()) __builtin_trap();
    }
};

struct World {
    World() {
        boost::log::core::get()->set_logging_enabled(false);
        settings.max_line_length = 4096;
        settings.message_rate = 50;
        settings.message_burst = 20;
        settings.violations_before_ban = 10;
        settings.ban_duration = std::chrono::milliseconds(1);
        settings.handshake_timeout = std::chrono::milliseconds(500);
        settings.idle_probe = std::chrono::milliseconds(1000);
        settings.idle_timeout = std::chrono::milliseconds(3000);
        settings.getpeerlist_interval = std::chrono::milliseconds(0);
    }
    DirectorySettings settings;
    jm::sdk::Logger logger{boost::log::keywords::channel = "fuzz"};
    PeerRegistry registry;
    Admission admission{settings};
    FakeFabric fabric;
    MessageRouter router{settings, {"J5DirectoryNick1", "testnet"}, registry, admission, fabric, logger};
    ThreadCounters counters;
};

struct Peer {
    std::shared_ptr<FakeLink> link = std::make_shared<FakeLink>();
    std::unique_ptr<PeerSession> session;
    jm::protocol::LineFramer framer{4096};
    bool gone = false;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static World world;
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    std::array<Peer, 3> peers;
    for (auto& p : peers)
        p.session = std::make_unique<PeerSession>(p.link, world.counters, boost::asio::ip::make_address("10.0.0.1"),
                                                  now, world.settings);
    std::size_t i = 0;
    while (i + 3 <= size) {
        auto& peer = peers[data[i] % peers.size()];
        now += std::chrono::milliseconds(data[i] / 3 * 10);
        std::size_t length = std::min<std::size_t>(data[i + 1] | (data[i + 2] << 8), size - i - 3);
        std::string_view chunk(reinterpret_cast<const char*>(data + i + 3), length);
        i += 3 + length;
        if (peer.gone) continue;
        std::vector<std::string> lines;
        bool ok = peer.framer.feed(chunk, lines);
        for (const auto& line : lines) {
            world.router.onLine(*peer.session, line, now);
            if (peer.link->closed) break;
        }
        if (!ok && !peer.link->closed) world.router.onLineTooLong(*peer.session);
        for (auto& p : peers) {
            if (!p.gone) world.router.sweep(*p.session, now);
            if (!p.gone && p.link->closed) {
                world.router.onClosed(*p.session);
                p.gone = true;
            }
        }
    }
    for (auto& p : peers)
        if (!p.gone) world.router.onClosed(*p.session);
    if (world.registry.size() != 0) __builtin_trap();
    return 0;
}
