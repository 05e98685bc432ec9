#pragma once

#include "directory_settings.hpp"
#include "directory_stats.hpp"
#include "peer_link.hpp"
#include "token_bucket.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace jm::plugins::directory {

//! The router's state of one connection. Executor: only the connection's own I/O thread.
struct PeerSession {
    using Clock = std::chrono::steady_clock;
    enum class State { awaiting_handshake, active, closed };

    PeerSession(std::weak_ptr<PeerLink> self_link, ThreadCounters& thread_counters, boost::asio::ip::address from,
                Clock::time_point now, const DirectorySettings& settings) :
        self(std::move(self_link)),
        counters(&thread_counters), address(from), messages(settings.message_rate, settings.message_burst),
        orderbook(settings.orderbook_rate, settings.orderbook_burst),
        relay_bytes(settings.relay_byte_rate, settings.relay_byte_burst), connected_at(now), last_activity(now) {}

    std::weak_ptr<PeerLink> self;
    ThreadCounters* counters;
    boost::asio::ip::address address;
    State state = State::awaiting_handshake;
    std::shared_ptr<const PeerIdentity> identity; //!< set when the handshake is accepted
    TokenBucket messages;
    TokenBucket orderbook;
    TokenBucket relay_bytes; //!< bytes this peer may have relayed to others
    std::size_t violations = 0;
    Clock::time_point connected_at;
    Clock::time_point last_activity;
    Clock::time_point last_getpeerlist{};
    bool probed = false;
    //! Ids of the peers this peer's location was already sent to after a private message
    //! (REF repeats it after every one; once per recipient is enough). Bounded.
    std::vector<std::uint64_t> told_location;
};

} // namespace jm::plugins::directory
