#include "peer_registry.hpp"

#include <mutex>

namespace jm::plugins::directory {

bool PeerRegistry::claim(const std::shared_ptr<PeerLink>& link) {
    const auto& nick = link->identity->nick;
    auto& shard = shardOf(nick);
    std::unique_lock lock(shard.mutex);
    if (!shard.peers.emplace(nick, link).second) return false;
    m_size.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void PeerRegistry::release(const std::string& nick, const PeerLink* link) {
    auto& shard = shardOf(nick);
    std::unique_lock lock(shard.mutex);
    auto it = shard.peers.find(nick);
    if (it == shard.peers.end() || it->second.get() != link) return;
    shard.peers.erase(it);
    m_size.fetch_sub(1, std::memory_order_relaxed);
}

bool PeerRegistry::replace(const std::shared_ptr<PeerLink>& link, const PeerLink* holder) {
    auto& shard = shardOf(link->identity->nick);
    std::unique_lock lock(shard.mutex);
    auto it = shard.peers.find(link->identity->nick);
    if (it == shard.peers.end() || it->second.get() != holder) return false;
    it->second = link;
    return true;
}

std::shared_ptr<PeerLink> PeerRegistry::longestSilentNotServing() const {
    std::shared_ptr<PeerLink> best;
    std::int64_t oldest = 0;
    for (auto& shard : m_shards) {
        std::shared_lock lock(shard.mutex);
        for (const auto& [nick, link] : shard.peers) {
            if (link->identity->serving) continue;
            auto heard = link->last_heard.load(std::memory_order_relaxed);
            if (!best || heard < oldest) {
                best = link;
                oldest = heard;
            }
        }
    }
    return best;
}

std::shared_ptr<PeerLink> PeerRegistry::find(std::string_view nick) const {
    auto& shard = shardOf(nick);
    std::shared_lock lock(shard.mutex);
    auto it = shard.peers.find(nick);
    return it == shard.peers.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const PeerIdentity>> PeerRegistry::snapshot() const {
    std::vector<std::shared_ptr<const PeerIdentity>> out;
    out.reserve(size());
    for (auto& shard : m_shards) {
        std::shared_lock lock(shard.mutex);
        for (const auto& [nick, link] : shard.peers)
            out.push_back(link->identity);
    }
    return out;
}

} // namespace jm::plugins::directory
