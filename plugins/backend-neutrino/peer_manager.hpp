#pragma once

#include "peer_connection.hpp"

#include <jm/net/reconnect_policy.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::backend_neutrino {

struct PeerManagerSettings {
    std::vector<jm::net::PeerAddress> peers; //!< the config's `peers`, always tried
    //! Also connect to addresses peers announce (addr/addrv2), up to max_peers connections.
    bool connect_learned = false;
    std::size_t max_peers = 8;
    std::size_t max_learned = 1000; //!< learned addresses kept (the oldest are forgotten)
    jm::net::ReconnectPolicy reconnect{true,
                                       std::chrono::milliseconds{1000},
                                       2.0,
                                       std::chrono::milliseconds{300'000},
                                       std::chrono::milliseconds{0},
                                       std::chrono::milliseconds{500}};
    std::chrono::seconds ban_duration{24 * 3600};
    PeerConnectionSettings connection;
};

//! The outbound peers: one slot per configured address (and, when allowed, per learned
//! address), reconnected with backoff after a loss; misbehaving peers banned for
//! ban_duration. Bans are kept in memory only: a restart forgets them (a banned peer that
//! misbehaves again is banned again after its first offence; the configured peers are few and
//! chosen by the user, so a persisted list would mostly keep out a peer the user fixed).
//!
//! Executor: one strand; every member and every listener call runs there. Ownership: owns the
//! connections; stop() (or the destructor) closes them and no listener call follows.
class PeerManager {
public:
    struct Listener {
        std::function<void(const PeerConnectionPtr&)> ready;
        std::function<void(const PeerConnectionPtr&, const Message&)> message;
        std::function<void(const PeerConnectionPtr&)> closed; //!< only for peers that were ready
    };

    PeerManager(jm::sdk::Executor executor, PeerManagerSettings settings, Listener listener);
    ~PeerManager();
    PeerManager(const PeerManager&) = delete;
    PeerManager& operator=(const PeerManager&) = delete;

    //! `our_height` goes into our version messages (updated with setOurHeight).
    void start();
    void stop();
    void setOurHeight(std::int32_t height) { m_ourHeight = height; }

    //! Drops the peer and keeps its address out for ban_duration.
    void ban(const PeerConnectionPtr& peer, const std::string& reason);
    //! Drops the peer without a ban (it reconnects later, with backoff).
    void disconnect(const PeerConnectionPtr& peer, const std::string& reason);

    std::vector<PeerConnectionPtr> readyPeers() const;
    bool isBanned(const std::string& host_port) const;
    std::size_t learnedCount() const { return m_learned.size(); }
    const PeerManagerSettings& settings() const { return m_settings; }

private:
    struct Slot {
        jm::net::PeerAddress address;
        bool configured = false;
        PeerConnectionPtr connection;
        unsigned attempts = 0;
        std::unique_ptr<boost::asio::steady_timer> timer;
        bool wasReady = false;
    };
    void connectSlot(Slot& slot);
    void scheduleSlot(Slot& slot, std::chrono::milliseconds delay);
    void onClosed(const std::string& key, const jm::sdk::Error& reason);
    void learn(const Message& message);
    void fillLearnedSlots();
    Slot* slotOf(const PeerConnectionPtr& peer);

    jm::sdk::Executor m_executor;
    PeerManagerSettings m_settings;
    Listener m_listener;
    std::int32_t m_ourHeight = 0;
    bool m_running = false;
    std::map<std::string, Slot> m_slots; //!< by host:port
    std::map<std::string, std::chrono::steady_clock::time_point> m_bans;
    std::vector<jm::net::PeerAddress> m_learned;
    std::set<std::string> m_learnedKeys;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    jm::sdk::Logger m_log;
};

} // namespace jm::plugins::backend_neutrino
