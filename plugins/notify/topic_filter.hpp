#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jm::plugins::notify {

//! Which bus topics a notifier forwards: exact topics ("node.started/1"), prefixes written
//! with a trailing '*' ("chain.*", "role.coinjoin_"...), or "*" for all.
class TopicFilter {
public:
    explicit TopicFilter(std::vector<std::string> patterns);

    bool matches(std::string_view topic) const;
    //! The topics to subscribe to: the exact ones, or just "*" when any pattern is a prefix
    //! (the bus matches exact topics and "*" only; the rest is filtered here).
    std::vector<std::string> subscriptions() const;

private:
    std::vector<std::string> m_exact;
    std::vector<std::string> m_prefixes;
    bool m_all = false;
};

} // namespace jm::plugins::notify
