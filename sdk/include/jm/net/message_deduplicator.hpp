#pragma once

#include <jm/sdk/export.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_set>

namespace jm::net {

//! Remembers which messages were seen in the last `window` so that a message arriving through
//! several directories is delivered once (a bot sends its public messages to every directory; NG
//! makers send their private replies through all of them). Bounded: beyond `max_entries` the
//! oldest are forgotten first. Keyed by a 64-bit keyed hash of the text.
//! Executor: not thread-safe; use from one strand.
class JM_SDK_API MessageDeduplicator {
public:
    using Clock = std::chrono::steady_clock;

    explicit MessageDeduplicator(std::chrono::milliseconds window = std::chrono::seconds(30),
                                 std::size_t max_entries = 100'000);
    //! True the first time `text` is seen within the window; false for a repeat.
    bool firstSighting(std::string_view text, Clock::time_point now = Clock::now());
    std::size_t size() const { return m_seen.size(); }

private:
    void expire(Clock::time_point now);

    std::chrono::milliseconds m_window;
    std::size_t m_max;
    unsigned char m_key[16];
    std::deque<std::pair<Clock::time_point, std::uint64_t>> m_order;
    std::unordered_multiset<std::uint64_t> m_seen;
};

} // namespace jm::net
