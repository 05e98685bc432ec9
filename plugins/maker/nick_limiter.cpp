#include "nick_limiter.hpp"

#include <algorithm>

namespace jm::plugins::maker {

NickLimiter::NickLimiter(double rate, double burst, std::chrono::milliseconds orderbook_interval,
                         std::size_t max_nicks) :
    m_rate(rate),
    m_burst(burst), m_orderbookInterval(orderbook_interval), m_maxNicks(max_nicks) {}

NickLimiter::Entry& NickLimiter::entry(const std::string& nick, Clock::time_point now) {
    auto it = m_entries.find(nick);
    if (it != m_entries.end()) return it->second;
    if (m_entries.size() >= m_maxNicks) {
        auto oldest = std::min_element(m_entries.begin(), m_entries.end(),
                                       [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
        m_entries.erase(oldest);
    }
    Entry e;
    e.tokens = m_burst;
    e.last = now;
    return m_entries.emplace(nick, e).first->second;
}

bool NickLimiter::allowMessage(const std::string& nick, Clock::time_point now) {
    auto& e = entry(nick, now);
    double elapsed = std::chrono::duration<double>(now - e.last).count();
    e.tokens = std::min(m_burst, e.tokens + std::max(0.0, elapsed) * m_rate);
    e.last = now;
    if (e.tokens < 1.0) {
        ++m_dropped;
        return false;
    }
    e.tokens -= 1.0;
    return true;
}

bool NickLimiter::allowOrderbook(const std::string& nick, Clock::time_point now) {
    auto& e = entry(nick, now);
    if (e.answered && now - e.last_orderbook < m_orderbookInterval) return false;
    e.answered = true;
    e.last_orderbook = now;
    return true;
}

} // namespace jm::plugins::maker
