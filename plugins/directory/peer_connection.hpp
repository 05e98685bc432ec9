#pragma once

#include "message_router.hpp"
#include "peer_link.hpp"
#include "peer_session.hpp"

#include <jm/protocol/envelope.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <deque>
#include <memory>
#include <vector>

namespace jm::plugins::directory {

class IoWorker;

//! One accepted TCP connection. Lives on one IoWorker's thread: reads, writes, the session and
//! the router calls for it all run there; send() and close() from other threads are posted.
//! Reading waits for readability and then reads into the worker's shared scratch buffer, so an
//! idle connection holds no read buffer (a few hundred bytes per idle peer in all).
class PeerConnection final : public PeerLink, public std::enable_shared_from_this<PeerConnection> {
public:
    PeerConnection(IoWorker& worker, boost::asio::ip::tcp::socket socket, boost::asio::ip::address address);
    //! Starts reading. Executor: the worker's thread.
    void start();
    void send(SharedLine line) override;
    void close(bool flush) override;

    //! Executor: the worker's thread.
    PeerSession& session() { return m_session; }
    bool active() const { return m_session.state == PeerSession::State::active; }
    //! Queues without the cross-thread check. A `droppable` (relayed public) line is not queued
    //! to a reader that lags behind; no line is queued to a reader with a backlog while all
    //! queues together are past max_total_send_queue; any other line past max_send_queue closes
    //! the connection.
    //! Executor: the worker's thread.
    void enqueue(const SharedLine& line, bool droppable = false);
    //! Index in the worker's connection list (maintained by the worker).
    std::size_t slot = 0;

private:
    bool onOwnThread() const;
    void waitReadable();
    void readAvailable();
    void writeQueued();
    //! Forgets `lines` (written or dropped) and their cost.
    void release(std::vector<SharedLine>& lines);
    void closeNow();

    IoWorker& m_worker;
    boost::asio::ip::tcp::socket m_socket;
    boost::asio::ip::address m_address;
    PeerSession m_session;
    jm::protocol::LineFramer m_framer;
    std::deque<SharedLine> m_queue;
    std::vector<SharedLine> m_inFlight;
    std::size_t m_queuedBytes = 0; //!< memory held by m_queue and m_inFlight (see queueCost)
    bool m_writing = false;
    bool m_closeAfterFlush = false;
    bool m_closed = false;
};

} // namespace jm::plugins::directory
