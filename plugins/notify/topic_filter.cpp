#include "topic_filter.hpp"

#include <algorithm>

namespace jm::plugins::notify {

TopicFilter::TopicFilter(std::vector<std::string> patterns) {
    for (auto& p : patterns) {
        if (p == "*")
            m_all = true;
        else if (!p.empty() && p.back() == '*')
            m_prefixes.push_back(p.substr(0, p.size() - 1));
        else if (!p.empty())
            m_exact.push_back(std::move(p));
    }
}

bool TopicFilter::matches(std::string_view topic) const {
    if (m_all) return true;
    if (std::find(m_exact.begin(), m_exact.end(), topic) != m_exact.end()) return true;
    return std::any_of(m_prefixes.begin(), m_prefixes.end(), [&](const auto& p) { return topic.starts_with(p); });
}

std::vector<std::string> TopicFilter::subscriptions() const {
    if (m_all || !m_prefixes.empty()) return {"*"};
    return m_exact;
}

} // namespace jm::plugins::notify
