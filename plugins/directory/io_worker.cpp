#include "io_worker.hpp"

#include "directory_server.hpp"
#include "peer_connection.hpp"

#include <boost/asio/post.hpp>

namespace jm::plugins::directory {

namespace {
constexpr std::size_t SCRATCH_BYTES = 64 * 1024;
constexpr auto SWEEP_PERIOD = std::chrono::seconds(1);
} // namespace

IoWorker::IoWorker(DirectoryServer& server, std::size_t index, ThreadCounters& counters) :
    m_server(server), m_index(index), m_scratch(SCRATCH_BYTES), m_counters(counters) {}

IoWorker::~IoWorker() { join(); }

void IoWorker::startThread() {
    scheduleSweep();
    m_thread = std::thread([this] {
        try {
            m_context.run();
        } catch (const std::exception& e) {
            JM_LOG(m_server.logger(), error) << "directory I/O thread " << m_index << " failed: " << e.what();
        }
    });
}

void IoWorker::shutdown() {
    boost::asio::post(m_context, [this] {
        m_stopping = true;
        m_sweep.cancel();
        // Backwards: closing removes the connection by swapping the last one into its slot.
        for (auto i = m_connections.size(); i-- > 0;)
            if (i < m_connections.size()) m_connections[i]->close(false);
    });
}

void IoWorker::join() {
    if (m_thread.joinable()) m_thread.join();
}

void IoWorker::add(const std::shared_ptr<PeerConnection>& connection) {
    connection->slot = m_connections.size();
    m_connections.push_back(connection);
    m_counters.add(m_counters.connections);
    if (m_stopping) connection->close(false);
}

void IoWorker::remove(PeerConnection& connection) {
    auto slot = connection.slot;
    if (slot >= m_connections.size() || m_connections[slot].get() != &connection) return;
    if (slot != m_connections.size() - 1) {
        m_connections[slot] = std::move(m_connections.back());
        m_connections[slot]->slot = slot;
    }
    m_connections.pop_back();
}

void IoWorker::deliver(const SharedLine& line, std::uint64_t except_id, bool droppable) {
    std::uint64_t delivered = 0;
    for (auto i = m_connections.size(); i-- > 0;) {
        if (i >= m_connections.size()) continue;
        auto& connection = *m_connections[i];
        if (!connection.active() || connection.session().identity->id == except_id) continue;
        connection.enqueue(line, droppable);
        ++delivered;
    }
    m_counters.add(m_counters.broadcast_deliveries, delivered);
}

void IoWorker::scheduleSweep() {
    m_sweep.expires_after(SWEEP_PERIOD);
    m_sweep.async_wait([this](boost::system::error_code ec) {
        if (ec || m_stopping) return;
        auto now = std::chrono::steady_clock::now();
        auto& router = m_server.router();
        for (auto i = m_connections.size(); i-- > 0;)
            if (i < m_connections.size()) {
                auto keep = m_connections[i]; // sweep may close and remove it
                router.sweep(keep->session(), now);
            }
        scheduleSweep();
    });
}

} // namespace jm::plugins::directory
