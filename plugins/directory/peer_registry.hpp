#pragma once

#include "peer_link.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jm::plugins::directory {

//! Handshaked peers by nick. Sharded by nick hash with a reader/writer lock per shard, so a
//! lookup on the routing path takes one uncontended shared lock and never serialises peers.
//! Executor: thread-safe.
class PeerRegistry {
public:
    //! Registers `link` (its identity must be set) under its nick. False when the nick is held.
    bool claim(const std::shared_ptr<PeerLink>& link);
    //! Removes the nick if `link` still holds it.
    void release(const std::string& nick, const PeerLink* link);
    //! Gives the nick held by `holder` to `link` (its identity must be set). False when the nick
    //! is no longer held by `holder`.
    bool replace(const std::shared_ptr<PeerLink>& link, const PeerLink* holder);
    std::shared_ptr<PeerLink> find(std::string_view nick) const;
    //! The peer not serving an onion that has been silent the longest (nullptr if none): the
    //! cheapest to drop when the directory is full. Walks every shard: only for that case.
    std::shared_ptr<PeerLink> longestSilentNotServing() const;
    //! Every registered peer's identity (for GETPEERLIST).
    std::vector<std::shared_ptr<const PeerIdentity>> snapshot() const;
    std::size_t size() const { return m_size.load(std::memory_order_relaxed); }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct Shard {
        mutable std::shared_mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<PeerLink>, Hash, std::equal_to<>> peers;
    };
    static constexpr std::size_t SHARDS = 64;
    Shard& shardOf(std::string_view nick) const { return m_shards[Hash{}(nick) % SHARDS]; }

    mutable std::array<Shard, SHARDS> m_shards;
    std::atomic<std::size_t> m_size{0};
};

} // namespace jm::plugins::directory
