#pragma once

#include <boost/json/object.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace jm::plugins::directory {

//! Why a message or a connection was dropped; each has a counter.
enum class Drop {
    invalid_envelope,     //!< not a {"type": int, "line": string} object: connection closed
    line_too_long,        //!< longer than max_line_length: connection closed
    no_handshake,         //!< another message before the handshake: connection closed
    handshake_malformed,  //!< 793 missing or mistyping a field: connection closed
    handshake_refused,    //!< wrong network/version/app, bad nick or location: refused and closed
    duplicate_nick,       //!< nick held by another live connection: refused and closed
    directory_full,       //!< max_peers reached: refused and closed
    handshake_timeout,    //!< no handshake within handshake_timeout: closed
    idle_timeout,         //!< silent past idle_timeout: closed
    rate_limited,         //!< over message_rate/message_burst: message dropped
    orderbook_limited,    //!< over orderbook_rate or several !orderbook in one line: dropped
    getpeerlist_limited,  //!< GETPEERLIST sooner than getpeerlist_interval: dropped
    spoofed_nick,         //!< from-nick differs from the handshake nick: dropped
    bad_line,             //!< PUBMSG/PRIVMSG line that is not from!to!body: dropped
    unknown_recipient,    //!< PRIVMSG to a nick not connected here: dropped
    ignored_type,         //!< a type a client must not send (local-only, 795, 789, ...): ignored
    relay_too_long,       //!< the relayed message would exceed the line limit: dropped
    relay_bytes_limited,  //!< over relay_byte_rate/relay_byte_burst: message dropped
    lagging_reader,       //!< a public message not queued to a peer that reads too slowly
    total_queue_full,     //!< a private message or departure not queued to a peer with a backlog:
                          //!< all queues together are at max_total_send_queue
    send_queue_overflow,  //!< the peer does not read even its private messages: closed
    banned,               //!< connection or nick on the ban list: refused
    address_limit,        //!< max_connections_per_address reached: refused
    too_many_connections, //!< could not be accepted (the peer was already gone): refused
    pending_evicted,      //!< the oldest connection still without handshake, closed for a new one
    idle_evicted,         //!< the longest-silent non-serving peer, closed for a new one (directory full)
    nick_taken_over,      //!< a silent connection whose nick reconnected: closed for the new one
    count_
};

constexpr std::size_t DROP_KINDS = static_cast<std::size_t>(Drop::count_);
std::string_view toString(Drop d) noexcept;

//! The counters one I/O thread writes (relaxed atomics: only that thread writes them, the stats
//! reader sums all threads' copies, so there is no cache-line ping-pong on the hot path).
struct alignas(64) ThreadCounters {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> handshakes{0};
    std::atomic<std::uint64_t> disconnects{0};
    std::atomic<std::uint64_t> lines_in{0};
    std::atomic<std::uint64_t> bytes_in{0};
    std::atomic<std::uint64_t> bytes_out{0};
    std::atomic<std::uint64_t> pubmsgs{0};
    std::atomic<std::uint64_t> broadcast_deliveries{0};
    std::atomic<std::uint64_t> privmsgs_routed{0};
    std::atomic<std::uint64_t> peerlists{0};
    std::array<std::atomic<std::uint64_t>, DROP_KINDS> drops{};

    void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
    void drop(Drop d) { add(drops[static_cast<std::size_t>(d)]); }
};

//! A sum over every thread's counters at one moment.
struct StatsSnapshot {
    std::uint64_t connections = 0, handshakes = 0, disconnects = 0, lines_in = 0, bytes_in = 0, bytes_out = 0,
                  pubmsgs = 0, broadcast_deliveries = 0, privmsgs_routed = 0, peerlists = 0;
    std::array<std::uint64_t, DROP_KINDS> drops{};
    std::uint64_t totalDrops() const;
};

StatsSnapshot sumCounters(const std::vector<std::unique_ptr<ThreadCounters>>& threads);

//! The stats line for the log: peers, rates since `before` over `seconds`, drops by reason.
std::string formatStatsLine(const StatsSnapshot& now, const StatsSnapshot& before, double seconds, std::size_t peers,
                            std::size_t connections);
//! The same as JSON (totals and rates) for the status file.
boost::json::object statsJson(const StatsSnapshot& now, const StatsSnapshot& before, double seconds, std::size_t peers,
                              std::size_t connections);

} // namespace jm::plugins::directory
