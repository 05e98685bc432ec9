#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

namespace jm::plugins::maker {

//! Per-nick flood limits: a token bucket of messages per nick, and at most one offer list per
//! nick per interval. Bounded: past `max_nicks` the least recently active nick is forgotten, so a
//! flood of fresh nicks cannot grow it. (The directory keeps its own per-connection buckets; this
//! one is keyed by nick because many nicks share a directory connection. The maker passes
//! "directory/nick" as the nick: a directory does not prove who owns a nick.)
//! Executor: not thread-safe; the maker's strand.
class NickLimiter {
public:
    using Clock = std::chrono::steady_clock;

    NickLimiter(double rate, double burst, std::chrono::milliseconds orderbook_interval,
                std::size_t max_nicks = 10'000);

    //! Whether one more message from `nick` may be processed now.
    bool allowMessage(const std::string& nick, Clock::time_point now = Clock::now());
    //! Whether `nick` may get our offer list now (and records that it did).
    bool allowOrderbook(const std::string& nick, Clock::time_point now = Clock::now());
    std::size_t dropped() const { return m_dropped; }

private:
    struct Entry {
        double tokens = 0;
        Clock::time_point last{};
        Clock::time_point last_orderbook{};
        bool answered = false;
    };
    Entry& entry(const std::string& nick, Clock::time_point now);

    double m_rate;
    double m_burst;
    std::chrono::milliseconds m_orderbookInterval;
    std::size_t m_maxNicks;
    std::map<std::string, Entry> m_entries;
    std::size_t m_dropped = 0;
};

} // namespace jm::plugins::maker
