#include "peer_connection.hpp"

#include "directory_server.hpp"
#include "io_worker.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace jm::plugins::directory {

namespace {
constexpr std::size_t MAX_WRITE_GATHER = 64; // lines per write call
constexpr int MAX_READS_PER_WAKEUP = 8;      // fairness between connections of one worker

//! Memory one queued line costs this connection: its text (shared lines are counted in full by
//! every recipient, so the sum bounds real memory from above) plus the queue entry, the
//! string and the shared control block.
std::size_t queueCost(const SharedLine& line) { return line->capacity() + 96; }

std::int64_t ticks(PeerSession::Clock::time_point t) { return t.time_since_epoch().count(); }
} // namespace

PeerConnection::PeerConnection(IoWorker& worker, boost::asio::ip::tcp::socket socket,
                               boost::asio::ip::address address) :
    m_worker(worker),
    m_socket(std::move(socket)), m_address(address),
    m_session({}, worker.counters(), address, PeerSession::Clock::now(), worker.server().settings()),
    m_framer(worker.server().settings().max_line_length) {}

bool PeerConnection::onOwnThread() const { return m_worker.context().get_executor().running_in_this_thread(); }

void PeerConnection::start() {
    m_session.self = weak_from_this();
    last_heard.store(ticks(m_session.connected_at), std::memory_order_relaxed);
    boost::system::error_code ec;
    m_socket.non_blocking(true, ec);
    m_socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    if (ec) return closeNow();
    waitReadable();
}

void PeerConnection::send(SharedLine line) {
    if (onOwnThread()) return enqueue(line);
    boost::asio::post(m_worker.context(), [self = shared_from_this(), line = std::move(line)] { self->enqueue(line); });
}

void PeerConnection::close(bool flush) {
    if (!onOwnThread()) {
        boost::asio::post(m_worker.context(), [self = shared_from_this(), flush] { self->close(flush); });
        return;
    }
    if (flush && (m_writing || !m_queue.empty())) {
        m_closeAfterFlush = true; // stop reading; writeQueued() closes once drained
        return;
    }
    closeNow();
}

void PeerConnection::enqueue(const SharedLine& line, bool droppable) {
    if (m_closed || m_closeAfterFlush) return;
    auto& server = m_worker.server();
    const auto& settings = server.settings();
    auto cost = queueCost(line);
    // Only a reader with a backlog can be over a bound; the common case reads no shared counter.
    bool total_full = m_queuedBytes > 0 && server.queuedBytes() + cost > settings.max_total_send_queue;
    if (droppable && m_queuedBytes > 0 && (m_queuedBytes + cost > settings.max_send_queue / 2 || total_full)) {
        // A slow reader (every peer behind Tor is one in a burst) misses public traffic rather
        // than its connection; offers are asked for again with !orderbook.
        m_session.counters->drop(Drop::lagging_reader);
        return;
    }
    if (total_full) {
        // Peers that stop reading must not make the directory run out of memory: past the total
        // bound a reader with a backlog gets nothing more, private traffic included.
        m_session.counters->drop(Drop::total_queue_full);
        server.router().logThrottled(Drop::total_queue_full, m_session,
                                     "message dropped: " + std::to_string(server.queuedBytes()) +
                                         " bytes queued to all peers, " + std::to_string(m_queuedBytes) +
                                         " to this one");
        return;
    }
    if (m_queuedBytes + cost > settings.max_send_queue) {
        m_session.counters->drop(Drop::send_queue_overflow);
        server.router().logThrottled(Drop::send_queue_overflow, m_session,
                                     "closed: " + std::to_string(m_queuedBytes) + " bytes queued and not read");
        return closeNow();
    }
    m_queuedBytes += cost;
    m_worker.addQueued(cost);
    m_queue.push_back(line);
    if (!m_writing) writeQueued();
}

void PeerConnection::writeQueued() {
    if (m_closed) return;
    if (m_queue.empty()) {
        if (m_closeAfterFlush) closeNow();
        return;
    }
    m_writing = true;
    auto n = std::min(m_queue.size(), MAX_WRITE_GATHER);
    m_inFlight.assign(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(n));
    m_queue.erase(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<boost::asio::const_buffer> buffers;
    buffers.reserve(n);
    for (const auto& line : m_inFlight)
        buffers.emplace_back(line->data(), line->size());
    boost::asio::async_write(m_socket, buffers,
                             [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                                 self->m_writing = false;
                                 self->release(self->m_inFlight);
                                 self->m_session.counters->add(self->m_session.counters->bytes_out, bytes);
                                 if (ec) return self->closeNow();
                                 self->writeQueued();
                             });
}

void PeerConnection::release(std::vector<SharedLine>& lines) {
    std::size_t cost = 0;
    for (const auto& line : lines)
        cost += queueCost(line);
    lines.clear();
    m_queuedBytes -= std::min(cost, m_queuedBytes);
    m_worker.removeQueued(cost);
}

void PeerConnection::waitReadable() {
    m_socket.async_wait(boost::asio::ip::tcp::socket::wait_read,
                        [self = shared_from_this()](boost::system::error_code ec) {
                            if (self->m_closed || self->m_closeAfterFlush) return;
                            if (ec) return self->closeNow();
                            self->readAvailable();
                        });
}

void PeerConnection::readAvailable() {
    auto& scratch = m_worker.scratch();
    auto& router = m_worker.server().router();
    std::vector<std::string> lines;
    for (int i = 0; i < MAX_READS_PER_WAKEUP; ++i) {
        boost::system::error_code ec;
        auto n = m_socket.read_some(boost::asio::buffer(scratch), ec);
        if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) break;
        if (ec) return closeNow(); // EOF or reset: the peer left
        m_session.counters->add(m_session.counters->bytes_in, n);
        lines.clear();
        bool ok = m_framer.feed(std::string_view(scratch.data(), n), lines);
        auto now = PeerSession::Clock::now();
        if (!lines.empty()) last_heard.store(ticks(now), std::memory_order_relaxed);
        bool was_pending = m_session.state == PeerSession::State::awaiting_handshake;
        for (const auto& line : lines) {
            router.onLine(m_session, line, now);
            if (m_closed || m_closeAfterFlush) break;
        }
        if (was_pending && m_session.state == PeerSession::State::active) m_worker.server().handshakeDone();
        if (m_closed || m_closeAfterFlush) return;
        if (!ok) return router.onLineTooLong(m_session);
        if (n < scratch.size()) break;
    }
    waitReadable();
}

void PeerConnection::closeNow() {
    if (m_closed) return;
    m_closed = true;
    auto keep = shared_from_this(); // the worker's list may hold the last reference
    bool was_pending = m_session.state == PeerSession::State::awaiting_handshake;
    boost::system::error_code ec;
    m_socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    m_socket.close(ec);
    pending.store(false, std::memory_order_relaxed);
    std::vector<SharedLine> queued(m_queue.begin(), m_queue.end());
    m_queue.clear();
    release(queued); // a write in flight keeps its lines until its handler releases them
    m_worker.server().router().onClosed(m_session);
    m_worker.remove(*this);
    m_worker.server().connectionClosed(m_address, was_pending);
}

} // namespace jm::plugins::directory
