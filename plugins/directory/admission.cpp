#include "admission.hpp"

namespace jm::plugins::directory {

Admission::Admission(const DirectorySettings& settings) : m_settings(settings) {
    for (const auto& entry : settings.banned) {
        boost::system::error_code ec;
        auto address = boost::asio::ip::make_address(entry, ec);
        m_bans[ec ? "nick:" + entry : "addr:" + address.to_string()] = Clock::time_point::max();
    }
}

bool Admission::exempt(const boost::asio::ip::address& address) const {
    return address.is_loopback() && !m_settings.limit_loopback;
}

bool Admission::bannedLocked(const std::string& key, Clock::time_point now) {
    auto it = m_bans.find(key);
    if (it == m_bans.end()) return false;
    if (it->second > now) return true;
    m_bans.erase(it);
    return false;
}

std::optional<Drop> Admission::admit(const boost::asio::ip::address& address, Clock::time_point now) {
    if (exempt(address)) return std::nullopt;
    auto key = address.to_string();
    std::lock_guard lock(m_mutex);
    if (bannedLocked("addr:" + key, now)) return Drop::banned;
    auto& count = m_perAddress[key];
    if (m_settings.max_connections_per_address != 0 && count >= m_settings.max_connections_per_address) {
        if (count == 0) m_perAddress.erase(key);
        return Drop::address_limit;
    }
    ++count;
    return std::nullopt;
}

void Admission::release(const boost::asio::ip::address& address) {
    if (exempt(address)) return;
    std::lock_guard lock(m_mutex);
    auto it = m_perAddress.find(address.to_string());
    if (it == m_perAddress.end()) return;
    if (--it->second == 0) m_perAddress.erase(it);
}

bool Admission::nickBanned(const std::string& nick, Clock::time_point now) {
    std::lock_guard lock(m_mutex);
    return bannedLocked("nick:" + nick, now);
}

bool Admission::ban(const boost::asio::ip::address& address, Clock::time_point now) {
    if (exempt(address)) return false;
    auto until = now + m_settings.ban_duration;
    std::lock_guard lock(m_mutex);
    if (m_bans.size() > 100'000) { // bounded: forget expired bans first, then the table
        std::erase_if(m_bans, [&](const auto& kv) { return kv.second <= now; });
        if (m_bans.size() > 100'000)
            std::erase_if(m_bans, [](const auto& kv) { return kv.second != Clock::time_point::max(); });
    }
    m_bans["addr:" + address.to_string()] = until;
    return true;
}

} // namespace jm::plugins::directory
