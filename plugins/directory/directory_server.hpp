#pragma once

#include "admission.hpp"
#include "directory_settings.hpp"
#include "directory_stats.hpp"
#include "io_worker.hpp"
#include "message_router.hpp"
#include "peer_registry.hpp"

#include <jm/sdk/log.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace jm::plugins::directory {

class PeerConnection;

//! The directory server: a listening socket and `io_threads` IoWorkers, each with its own
//! io_context and thread (the host's io_context is left to the other plugins). Connections are
//! spread round-robin over the workers.
//! Executor: start/stop/stats from one controlling thread (the plugin's strand); the Fabric
//! members from any worker.
class DirectoryServer final : public Fabric {
public:
    DirectoryServer(DirectorySettings settings, DirectoryIdentity identity, jm::sdk::Logger& logger);
    ~DirectoryServer() override;

    //! Binds and listens, then starts the worker threads. Errors: errc::io_error (address in use,
    //! permission) with the address in the message.
    jm::sdk::Result<boost::asio::ip::tcp::endpoint> start();
    //! Stops accepting, closes every connection and joins the threads. Blocks until done.
    void stop();

    void broadcast(SharedLine line, std::uint64_t except_id) override;
    void announceDeparture(jm::protocol::PeerlistEntry entry) override;
    void flushDeparturesOf(const std::string& nick) override;

    StatsSnapshot stats() const { return sumCounters(m_counters); }
    std::size_t peers() const { return m_registry.size(); }
    std::size_t connections() const { return m_connections.load(std::memory_order_relaxed); }
    //! Connections remembered for evictOldestPending (each keeps its connection's memory until
    //! forgotten). Executor: any (updated after every accept).
    std::size_t trackedPending() const { return m_trackedPending.load(std::memory_order_relaxed); }

    const DirectorySettings& settings() const { return m_settings; }
    //! The location listed as the directory's own peerlist entry; setLocation replaces it (the
    //! directory's onion service was published). Executor: any.
    std::string location() const { return m_router.location(); }
    void setLocation(std::string location) { m_router.setLocation(std::move(location)); }
    MessageRouter& router() { return m_router; }
    Admission& admission() { return m_admission; }
    jm::sdk::Logger& logger() { return m_logger; }

    //! Bookkeeping called by connections. Executor: the connection's worker.
    void handshakeDone() { m_pending.fetch_sub(1, std::memory_order_relaxed); }
    void connectionClosed(const boost::asio::ip::address& address, bool was_pending);
    //! Memory queued to all readers together (max_total_send_queue bounds it): the sum of the
    //! workers' own counts, so queueing never writes a counter shared between threads.
    //! Executor: any.
    std::size_t queuedBytes() const;

private:
    void accept();
    //! When the pending set is full, closes the oldest connection still without a handshake (a
    //! newcomer is more likely a real peer than a socket held open for hours). False when none.
    bool evictOldestPending(ThreadCounters& counters);
    void flushDepartures();
    //! broadcast() with a choice: departures are not droppable (a reader that missed a ";D"
    //! would keep the departed peer's offers; a missed offer comes back with !orderbook).
    void deliverToAll(const SharedLine& line, std::uint64_t except_id, bool droppable);

    DirectorySettings m_settings;
    jm::sdk::Logger& m_logger;
    PeerRegistry m_registry;
    Admission m_admission;
    MessageRouter m_router;
    std::vector<std::unique_ptr<ThreadCounters>> m_counters;
    std::vector<std::unique_ptr<IoWorker>> m_workers;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> m_acceptor;
    std::unique_ptr<boost::asio::steady_timer> m_acceptRetry;
    std::size_t m_nextWorker = 0;
    std::atomic<std::size_t> m_connections{0};
    std::atomic<std::size_t> m_pending{0};
    //! Accepted connections, oldest first, for evictOldestPending. Executor: the acceptor's thread.
    std::deque<std::weak_ptr<PeerConnection>> m_pendingOrder;
    std::atomic<std::size_t> m_trackedPending{0};

    std::mutex m_departureMutex;
    std::vector<jm::protocol::PeerlistEntry> m_departures;
    bool m_departureFlushScheduled = false;
    std::unique_ptr<boost::asio::steady_timer> m_departureTimer;
    std::atomic<bool> m_started{false};
};

} // namespace jm::plugins::directory
