#pragma once

#include "directory_settings.hpp"
#include "directory_stats.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace jm::plugins::directory {

//! Who may connect: the ban list (static entries from the config and timed bans), and the number
//! of connections per source address. Loopback is exempt unless settings.limit_loopback (behind
//! Tor every peer arrives from 127.0.0.1, so an address ban would ban everyone).
//! Executor: thread-safe; called on accept, close, handshake and ban only (not per message).
class Admission {
public:
    using Clock = std::chrono::steady_clock;

    explicit Admission(const DirectorySettings& settings);

    //! Counts a new connection from `address`, or says why it is refused (nothing counted then).
    std::optional<Drop> admit(const boost::asio::ip::address& address, Clock::time_point now);
    //! Uncounts a connection admit() accepted.
    void release(const boost::asio::ip::address& address);
    //! Whether the operator banned this nick in the config (nicks are never banned automatically:
    //! they are not authenticated, so a ban would lock their owner out).
    bool nickBanned(const std::string& nick, Clock::time_point now);
    //! Bans the address for settings.ban_duration unless it is exempt; true when banned.
    bool ban(const boost::asio::ip::address& address, Clock::time_point now);

private:
    bool exempt(const boost::asio::ip::address& address) const;
    bool bannedLocked(const std::string& key, Clock::time_point now);

    const DirectorySettings& m_settings;
    std::mutex m_mutex;
    std::unordered_map<std::string, std::size_t> m_perAddress;
    //! key ("nick:<nick>" or "addr:<address>") -> expiry; time_point::max() = permanent.
    std::unordered_map<std::string, Clock::time_point> m_bans;
};

} // namespace jm::plugins::directory
