#pragma once

#include "address_book.hpp"
#include "dns_seeds.hpp"
#include "peer_connection.hpp"

#include <jm/net/reconnect_policy.hpp>
#include <jm/sdk/kv_store.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace jm::plugins::backend_neutrino {

struct PeerManagerSettings {
    std::vector<jm::net::PeerAddress> peers; //!< the config's `peers`, always tried
    //! Also connect to addresses peers announce (addr/addrv2), up to max_peers connections.
    bool connect_learned = false;
    //! DNS seeds to ask for peers (empty: none). Their addresses are connected, up to
    //! max_peers, whether or not connect_learned is set.
    std::vector<SeedHost> dns_seeds;
    //! A seed lookup that gave nothing usable is repeated after this; so is one made when every
    //! address found before has been used up.
    std::chrono::milliseconds seed_retry{60'000};
    //! Connections at most, configured ones included (the config keeps `peers` within it).
    std::size_t max_peers = 8;
    std::size_t max_learned = 1000;      //!< candidate addresses kept per source (the oldest are forgotten)
    std::size_t max_addr_per_peer = 250; //!< addresses taken from one connection's addr messages, at most
    //! A learned peer that was connected and is lost waits this long before it is tried again.
    std::chrono::milliseconds learned_retry{30'000};
    jm::net::ReconnectPolicy reconnect{true,
                                       std::chrono::milliseconds{1000},
                                       2.0,
                                       std::chrono::milliseconds{300'000},
                                       std::chrono::milliseconds{0},
                                       std::chrono::milliseconds{500}};
    std::chrono::seconds ban_duration{24 * 3600};
    std::size_t max_bans = 10'000; //!< bans kept; past it the one ending soonest is forgotten
    PeerConnectionSettings connection;
};

//! The outbound peers: one slot per configured address, always reconnected with backoff after
//! a loss; the free slots up to max_peers go to candidate addresses from the DNS seeds and
//! (with connect_learned) from peers' addr messages. A candidate that cannot be reached or
//! lacks the required services is forgotten; one that was connected and is lost is tried
//! again after learned_retry. Misbehaving peers are banned for ban_duration: the ban is kept
//! in `store` (when given) with its end, so it outlives a restart, and a banned peer is
//! neither learned nor connected until it ends.
//!
//! Executor: one strand; every member and every listener call runs there. Ownership: owns the
//! connections; keeps a reference to `store`, which must outlive it; stop() (or the
//! destructor) closes the connections, cancels DNS lookups, and no listener call follows.
class PeerManager {
public:
    using SystemClock = std::chrono::system_clock;

    struct Listener {
        std::function<void(const PeerConnectionPtr&)> ready;
        std::function<void(const PeerConnectionPtr&, const Message&)> message;
        std::function<void(const PeerConnectionPtr&)> closed; //!< only for peers that were ready
    };

    //! Loads the unexpired bans from `store` (null: bans in memory only); an unreadable ban
    //! record is logged and erased.
    PeerManager(jm::sdk::Executor executor, PeerManagerSettings settings, Listener listener,
                jm::sdk::KvStore* store = nullptr);
    ~PeerManager();
    PeerManager(const PeerManager&) = delete;
    PeerManager& operator=(const PeerManager&) = delete;

    //! Connects the configured peers and starts the DNS lookups.
    void start();
    void stop();
    //! Goes into our version messages.
    void setOurHeight(std::int32_t height) { m_ourHeight = height; }

    //! Drops the peer and keeps its address out for ban_duration (persisted).
    void ban(const PeerConnectionPtr& peer, const std::string& reason);
    //! Drops the peer without a ban (it reconnects later, with backoff).
    void disconnect(const PeerConnectionPtr& peer, const std::string& reason);

    std::vector<PeerConnectionPtr> readyPeers() const;
    bool isBanned(const std::string& host_port) const;
    //! When the ban of `host_port` ends, if it is banned.
    std::optional<SystemClock::time_point> bannedUntil(const std::string& host_port) const;
    //! Diagnostics (tests): candidates from addr messages and from DNS seeds; open or opening
    //! connections; DNS lookup rounds finished.
    std::size_t learnedCount() const { return m_book.size(AddressSource::Addr); }
    std::size_t seededCount() const { return m_book.size(AddressSource::Dns); }
    std::size_t connectionCount() const { return m_slots.size(); }
    std::size_t seedRounds() const { return m_seedRounds; }
    //! Why no peer can be found (no peer listed, the DNS seeds gave nothing that works), or
    //! empty; cleared once a peer is connected. Also logged as an error.
    const std::string& noPeerReason() const { return m_noPeerReason; }
    const PeerManagerSettings& settings() const { return m_settings; }

private:
    struct Slot {
        jm::net::PeerAddress address;
        bool configured = false;
        PeerConnectionPtr connection;
        unsigned attempts = 0;
        std::unique_ptr<boost::asio::steady_timer> timer;
        bool wasReady = false;
        std::size_t addrTaken = 0; //!< addresses taken from this connection's addr messages
    };
    void connectSlot(Slot& slot);
    void scheduleSlot(Slot& slot, std::chrono::milliseconds delay);
    void onClosed(const std::string& key, const jm::sdk::Error& reason);
    void learn(Slot& slot, const Message& message);
    void fillLearnedSlots();
    void scheduleFill(std::chrono::steady_clock::time_point when);
    void recordBan(const std::string& key, const std::string& reason);
    void loadBans();

    void resolveSeeds();
    void resolveNext(std::size_t index, bool filtered);
    void seedsResolved();
    void scheduleSeeds(std::chrono::milliseconds delay);

    jm::sdk::Executor m_executor;
    PeerManagerSettings m_settings;
    Listener m_listener;
    jm::sdk::KvStore* m_store;
    std::int32_t m_ourHeight = 0;
    bool m_running = false;
    std::map<std::string, Slot> m_slots; //!< by host:port
    std::map<std::string, SystemClock::time_point> m_bans;
    AddressBook m_book;
    boost::asio::ip::tcp::resolver m_resolver;
    boost::asio::steady_timer m_seedTimer;
    boost::asio::steady_timer m_fillTimer;
    bool m_resolving = false;
    bool m_seedsScheduled = false;
    bool m_fillScheduled = false;
    std::size_t m_seedRounds = 0;
    std::size_t m_strandedRounds = 0; //!< seed rounds in a row that ended without any peer
    std::string m_noPeerReason;
    std::size_t m_seedFound = 0;           //!< addresses the current round added
    std::vector<std::string> m_seedErrors; //!< the current round's failed lookups
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    jm::sdk::Logger m_log;
};

} // namespace jm::plugins::backend_neutrino
