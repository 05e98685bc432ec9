#pragma once

#include <algorithm>
#include <chrono>

namespace jm::plugins::directory {

//! A token bucket: `rate` tokens per second, at most `burst` held. Not thread-safe: each peer's
//! buckets are used only on that peer's I/O thread.
class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket(double rate, double burst) : m_rate(rate), m_burst(burst), m_tokens(burst) {}

    //! Takes `amount` tokens if there are that many.
    bool take(Clock::time_point now, double amount = 1.0) {
        if (m_last != Clock::time_point{}) {
            double elapsed = std::chrono::duration<double>(now - m_last).count();
            m_tokens = std::min(m_burst, m_tokens + elapsed * m_rate);
        }
        m_last = now;
        if (m_tokens < amount) return false;
        m_tokens -= amount;
        return true;
    }

private:
    double m_rate;
    double m_burst;
    double m_tokens;
    Clock::time_point m_last{};
};

} // namespace jm::plugins::directory
