#include "directory_server.hpp"

#include "peer_connection.hpp"

#include <jm/protocol/envelope.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>

#include <sys/resource.h>

namespace jm::plugins::directory {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr std::size_t DEPARTURES_PER_LINE = 100;
constexpr auto DEPARTURE_COALESCE = std::chrono::milliseconds(100);

//! Every peer is a file descriptor: lift the soft limit to the hard one (often 1024 -> 1M).
void raiseFileLimit(jm::sdk::Logger& logger) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    auto before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0)
        JM_LOG(logger, debug) << "open-file limit raised from " << before << " to " << limit.rlim_cur;
}

} // namespace

DirectoryServer::DirectoryServer(DirectorySettings settings, DirectoryIdentity identity, jm::sdk::Logger& logger) :
    m_settings(std::move(settings)), m_logger(logger), m_admission(m_settings),
    m_router(m_settings, std::move(identity), m_registry, m_admission, *this, logger) {
    for (int i = 0; i < m_settings.io_threads; ++i) {
        m_counters.push_back(std::make_unique<ThreadCounters>());
        m_workers.push_back(std::make_unique<IoWorker>(*this, static_cast<std::size_t>(i), *m_counters.back()));
    }
}

DirectoryServer::~DirectoryServer() { stop(); }

jm::sdk::Result<boost::asio::ip::tcp::endpoint> DirectoryServer::start() {
    raiseFileLimit(m_logger);
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(m_settings.host, ec);
    if (ec) return fail(errc::invalid_config, "host '" + m_settings.host + "' is not an IP address");
    boost::asio::ip::tcp::endpoint endpoint(address, m_settings.port);
    auto& context = m_workers.front()->context();
    m_acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(context);
    m_acceptRetry = std::make_unique<boost::asio::steady_timer>(context);
    m_departureTimer = std::make_unique<boost::asio::steady_timer>(context);
    auto where = m_settings.host + ":" + std::to_string(m_settings.port);
    m_acceptor->open(endpoint.protocol(), ec);
    if (!ec) m_acceptor->set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec) m_acceptor->bind(endpoint, ec);
    if (!ec) m_acceptor->listen(4096, ec);
    if (ec) return fail(errc::io_error, "cannot listen on " + where + ": " + ec.message());
    auto bound = m_acceptor->local_endpoint(ec);
    accept();
    for (auto& worker : m_workers)
        worker->startThread();
    m_started = true;
    return bound;
}

void DirectoryServer::stop() {
    {
        std::lock_guard lock(m_departureMutex);
        if (!m_started) return;
        m_started = false; // no more departure broadcasts while everyone leaves
        m_departures.clear();
    }
    boost::asio::post(m_workers.front()->context(), [this] {
        boost::system::error_code ec;
        m_acceptor->close(ec);
        m_acceptRetry->cancel();
        m_departureTimer->cancel();
    });
    for (auto& worker : m_workers)
        worker->shutdown();
    for (auto& worker : m_workers)
        worker->join();
}

void DirectoryServer::accept() {
    auto& target = *m_workers[m_nextWorker++ % m_workers.size()];
    m_acceptor->async_accept(
        target.context(), [this, &target](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
            if (ec == boost::asio::error::operation_aborted || !m_acceptor->is_open()) return;
            if (ec) {
                // Out of descriptors or similar: wait a little instead of spinning on the error.
                JM_LOG(m_logger, warning) << "accept failed: " << ec.message();
                m_acceptRetry->expires_after(std::chrono::milliseconds(100));
                m_acceptRetry->async_wait([this](boost::system::error_code wait_ec) {
                    if (!wait_ec) accept();
                });
                return;
            }
            auto remote = socket.remote_endpoint(ec);
            auto& counters = target.counters();
            std::optional<Drop> refusal;
            if (ec) {
                refusal = Drop::too_many_connections; // the peer is already gone
            } else {
                refusal = m_admission.admit(remote.address(), std::chrono::steady_clock::now());
            }
            if (!refusal &&
                (m_pending.load(std::memory_order_relaxed) >= m_settings.max_pending_handshakes ||
                 connections() >= m_settings.max_peers + m_settings.max_pending_handshakes) &&
                !evictOldestPending(counters)) {
                m_admission.release(remote.address());
                refusal = Drop::too_many_connections;
            }
            if (refusal) {
                counters.drop(*refusal);
                boost::system::error_code ignored;
                socket.close(ignored);
            } else {
                m_connections.fetch_add(1, std::memory_order_relaxed);
                m_pending.fetch_add(1, std::memory_order_relaxed);
                auto connection = std::make_shared<PeerConnection>(target, std::move(socket), remote.address());
                m_pendingOrder.push_back(connection);
                boost::asio::post(target.context(), [&target, connection] {
                    target.add(connection);
                    connection->start();
                });
            }
            // Forget the front entries that are handshaked or gone (the rest time out in 30 s).
            while (!m_pendingOrder.empty()) {
                auto front = m_pendingOrder.front().lock();
                if (front && front->pending.load(std::memory_order_relaxed)) break;
                m_pendingOrder.pop_front();
            }
            // Behind a front that stays pending (a silent socket, up to handshake_timeout) the loop
            // above forgets nothing, and each entry keeps its connection's memory (make_shared):
            // past twice the pending limit, forget every entry that is no longer pending. The
            // pending ones are at most max_pending_handshakes, so this is amortised O(1).
            if (m_pendingOrder.size() > 2 * m_settings.max_pending_handshakes + 64)
                std::erase_if(m_pendingOrder, [](const std::weak_ptr<PeerConnection>& entry) {
                    auto connection = entry.lock();
                    return !connection || !connection->pending.load(std::memory_order_relaxed);
                });
            m_trackedPending.store(m_pendingOrder.size(), std::memory_order_relaxed);
            accept();
        });
}

bool DirectoryServer::evictOldestPending(ThreadCounters& counters) {
    while (!m_pendingOrder.empty()) {
        auto oldest = m_pendingOrder.front().lock();
        m_pendingOrder.pop_front();
        if (!oldest || !oldest->pending.exchange(false, std::memory_order_relaxed)) continue;
        counters.drop(Drop::pending_evicted);
        oldest->close(false);
        return true;
    }
    return false;
}

std::size_t DirectoryServer::queuedBytes() const {
    std::size_t total = 0;
    for (const auto& worker : m_workers)
        total += worker->queuedBytes();
    return total;
}

void DirectoryServer::connectionClosed(const boost::asio::ip::address& address, bool was_pending) {
    if (was_pending) m_pending.fetch_sub(1, std::memory_order_relaxed);
    m_connections.fetch_sub(1, std::memory_order_relaxed);
    m_admission.release(address);
}

void DirectoryServer::broadcast(SharedLine line, std::uint64_t except_id) { deliverToAll(line, except_id, true); }

void DirectoryServer::deliverToAll(const SharedLine& line, std::uint64_t except_id, bool droppable) {
    for (auto& worker : m_workers) {
        if (worker->context().get_executor().running_in_this_thread()) {
            worker->deliver(line, except_id, droppable);
        } else {
            boost::asio::post(worker->context(), [w = worker.get(), line, except_id, droppable] {
                w->deliver(line, except_id, droppable);
            });
        }
    }
}

void DirectoryServer::announceDeparture(jm::protocol::PeerlistEntry entry) {
    std::lock_guard lock(m_departureMutex);
    if (!m_started) return;
    m_departures.push_back(std::move(entry));
    if (m_departureFlushScheduled) return;
    m_departureFlushScheduled = true;
    // Coalesced: when many peers leave at once every remaining peer gets a few peerlists with
    // many ";D" entries instead of one message per departure.
    boost::asio::post(m_workers.front()->context(), [this] {
        m_departureTimer->expires_after(DEPARTURE_COALESCE);
        m_departureTimer->async_wait([this](boost::system::error_code ec) {
            if (!ec) flushDepartures();
        });
    });
}

void DirectoryServer::flushDeparturesOf(const std::string& nick) {
    {
        std::lock_guard lock(m_departureMutex);
        if (std::none_of(m_departures.begin(), m_departures.end(), [&](const auto& e) { return e.nick == nick; }))
            return;
    }
    // The timer still fires later and finds nothing (or later departures) to send.
    flushDepartures();
}

void DirectoryServer::flushDepartures() {
    std::vector<jm::protocol::PeerlistEntry> departed;
    {
        std::lock_guard lock(m_departureMutex);
        if (!m_started) return;
        departed.swap(m_departures);
        m_departureFlushScheduled = false;
    }
    const auto& self_nick = m_router.identity().nick;
    auto own_location = m_router.location();
    for (std::size_t i = 0; i < departed.size(); i += DEPARTURES_PER_LINE) {
        std::vector<jm::protocol::PeerlistEntry> chunk(
            departed.begin() + static_cast<std::ptrdiff_t>(i),
            departed.begin() + static_cast<std::ptrdiff_t>(std::min(departed.size(), i + DEPARTURES_PER_LINE)));
        if (!own_location.empty()) chunk.push_back({self_nick, own_location, false, {}});
        auto wire = jm::protocol::formatEnvelope(
            {static_cast<int>(jm::protocol::MessageType::Peerlist), jm::protocol::formatPeerlist(chunk, false)});
        if (wire) deliverToAll(std::make_shared<const std::string>(std::move(*wire)), 0, false);
    }
}

} // namespace jm::plugins::directory
