#include "directory_stats.hpp"

#include <cstdio>
#include <string>

namespace jm::plugins::directory {

std::string_view toString(Drop d) noexcept {
    switch (d) {
    case Drop::invalid_envelope:
        return "invalid_envelope";
    case Drop::line_too_long:
        return "line_too_long";
    case Drop::no_handshake:
        return "no_handshake";
    case Drop::handshake_malformed:
        return "handshake_malformed";
    case Drop::handshake_refused:
        return "handshake_refused";
    case Drop::duplicate_nick:
        return "duplicate_nick";
    case Drop::directory_full:
        return "directory_full";
    case Drop::handshake_timeout:
        return "handshake_timeout";
    case Drop::idle_timeout:
        return "idle_timeout";
    case Drop::rate_limited:
        return "rate_limited";
    case Drop::orderbook_limited:
        return "orderbook_limited";
    case Drop::getpeerlist_limited:
        return "getpeerlist_limited";
    case Drop::spoofed_nick:
        return "spoofed_nick";
    case Drop::bad_line:
        return "bad_line";
    case Drop::unknown_recipient:
        return "unknown_recipient";
    case Drop::ignored_type:
        return "ignored_type";
    case Drop::relay_too_long:
        return "relay_too_long";
    case Drop::relay_bytes_limited:
        return "relay_bytes_limited";
    case Drop::lagging_reader:
        return "lagging_reader";
    case Drop::total_queue_full:
        return "total_queue_full";
    case Drop::send_queue_overflow:
        return "send_queue_overflow";
    case Drop::banned:
        return "banned";
    case Drop::address_limit:
        return "address_limit";
    case Drop::too_many_connections:
        return "too_many_connections";
    case Drop::pending_evicted:
        return "pending_evicted";
    case Drop::idle_evicted:
        return "idle_evicted";
    case Drop::nick_taken_over:
        return "nick_taken_over";
    case Drop::count_:
        break;
    }
    return "unknown";
}

std::uint64_t StatsSnapshot::totalDrops() const {
    std::uint64_t n = 0;
    for (auto d : drops)
        n += d;
    return n;
}

StatsSnapshot sumCounters(const std::vector<std::unique_ptr<ThreadCounters>>& threads) {
    StatsSnapshot s;
    auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    for (const auto& t : threads) {
        s.connections += get(t->connections);
        s.handshakes += get(t->handshakes);
        s.disconnects += get(t->disconnects);
        s.lines_in += get(t->lines_in);
        s.bytes_in += get(t->bytes_in);
        s.bytes_out += get(t->bytes_out);
        s.pubmsgs += get(t->pubmsgs);
        s.broadcast_deliveries += get(t->broadcast_deliveries);
        s.privmsgs_routed += get(t->privmsgs_routed);
        s.peerlists += get(t->peerlists);
        for (std::size_t i = 0; i < DROP_KINDS; ++i)
            s.drops[i] += get(t->drops[i]);
    }
    return s;
}

namespace {
double rate(std::uint64_t now, std::uint64_t before, double seconds) {
    return seconds > 0 ? static_cast<double>(now - before) / seconds : 0.0;
}
} // namespace

std::string formatStatsLine(const StatsSnapshot& now, const StatsSnapshot& before, double seconds, std::size_t peers,
                            std::size_t connections) {
    char head[256];
    std::snprintf(
        head, sizeof head,
        "stats: %zu peers, %zu connections, in %.1f msg/s, privmsg routed %.1f/s, pubmsg %.1f/s "
        "(%.1f broadcast deliveries/s), in %.1f KiB/s, out %.1f KiB/s",
        peers, connections, rate(now.lines_in, before.lines_in, seconds),
        rate(now.privmsgs_routed, before.privmsgs_routed, seconds), rate(now.pubmsgs, before.pubmsgs, seconds),
        rate(now.broadcast_deliveries, before.broadcast_deliveries, seconds),
        rate(now.bytes_in, before.bytes_in, seconds) / 1024, rate(now.bytes_out, before.bytes_out, seconds) / 1024);
    std::string line = head;
    std::string drops;
    for (std::size_t i = 0; i < DROP_KINDS; ++i) {
        auto n = now.drops[i] - before.drops[i];
        if (n == 0) continue;
        drops += drops.empty() ? "" : ", ";
        drops += std::string(toString(static_cast<Drop>(i))) + " " + std::to_string(n);
    }
    line += drops.empty() ? ", no drops" : ", drops: " + drops;
    return line;
}

boost::json::object statsJson(const StatsSnapshot& now, const StatsSnapshot& before, double seconds, std::size_t peers,
                              std::size_t connections) {
    boost::json::object drops;
    for (std::size_t i = 0; i < DROP_KINDS; ++i)
        drops[toString(static_cast<Drop>(i))] = now.drops[i];
    return {
        {"peers", peers},
        {"connections", connections},
        {"messages_in", now.lines_in},
        {"messages_in_per_s", rate(now.lines_in, before.lines_in, seconds)},
        {"privmsgs_routed", now.privmsgs_routed},
        {"privmsgs_routed_per_s", rate(now.privmsgs_routed, before.privmsgs_routed, seconds)},
        {"pubmsgs", now.pubmsgs},
        {"broadcast_deliveries", now.broadcast_deliveries},
        {"peerlists_sent", now.peerlists},
        {"bytes_in", now.bytes_in},
        {"bytes_out", now.bytes_out},
        {"handshakes", now.handshakes},
        {"connections_accepted", now.connections},
        {"disconnects", now.disconnects},
        {"drops", std::move(drops)},
    };
}

} // namespace jm::plugins::directory
