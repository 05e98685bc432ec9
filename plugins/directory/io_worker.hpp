#pragma once

#include "directory_stats.hpp"
#include "peer_link.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace jm::plugins::directory {

class DirectoryServer;
class PeerConnection;

//! One I/O thread with its own io_context and the connections assigned to it. A connection's
//! state is touched only here, so the hot path takes no lock; work for a connection on another
//! worker is posted to that worker.
class IoWorker {
public:
    IoWorker(DirectoryServer& server, std::size_t index, ThreadCounters& counters);
    ~IoWorker();

    void startThread();
    //! Closes every connection, then lets the thread finish. Executor: any thread.
    void shutdown();
    void join();

    boost::asio::io_context& context() { return m_context; }
    DirectoryServer& server() { return m_server; }
    ThreadCounters& counters() { return m_counters; }
    //! Read scratch space shared by this worker's connections. Executor: this worker's thread.
    std::vector<char>& scratch() { return m_scratch; }
    //! Memory queued to this worker's connections: changed on this worker's thread only, read
    //! by any (DirectoryServer::queuedBytes).
    std::size_t queuedBytes() const { return m_queuedBytes.load(std::memory_order_relaxed); }
    void addQueued(std::size_t bytes) {
        m_queuedBytes.store(m_queuedBytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    }
    void removeQueued(std::size_t bytes) {
        m_queuedBytes.store(m_queuedBytes.load(std::memory_order_relaxed) - bytes, std::memory_order_relaxed);
    }

    //! Executor: this worker's thread.
    void add(const std::shared_ptr<PeerConnection>& connection);
    void remove(PeerConnection& connection);
    //! Queues `line` to every handshaked connection of this worker but the one with `except_id`;
    //! a `droppable` line (relayed public traffic) is not queued to a lagging reader.
    void deliver(const SharedLine& line, std::uint64_t except_id, bool droppable);

private:
    void scheduleSweep();

    DirectoryServer& m_server;
    std::size_t m_index;
    boost::asio::io_context m_context{1};
    boost::asio::steady_timer m_sweep{m_context};
    std::vector<std::shared_ptr<PeerConnection>> m_connections;
    std::vector<char> m_scratch;
    std::atomic<std::size_t> m_queuedBytes{0};
    ThreadCounters& m_counters;
    std::thread m_thread;
    bool m_stopping = false;
};

} // namespace jm::plugins::directory
