#pragma once

#include "p2p_framing.hpp"
#include "p2p_messages.hpp"

#include <jm/bitcoin/network.hpp>
#include <jm/net/peer_address.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/log.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace jm::plugins::backend_neutrino {

//! How we present ourselves and what we require from a peer.
struct PeerConnectionSettings {
    jm::bitcoin::Network network = jm::bitcoin::Network::Mainnet;
    std::uint64_t our_services = 0; //!< a light client serves nothing
    //! Peers without all of these bits are dropped after their version (not banned).
    std::uint64_t required_services = NODE_NETWORK | NODE_COMPACT_FILTERS;
    std::string user_agent = "/jmnode:0.1/";
    bool relay = true; //!< version's relay flag: ask for transaction announcements
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds handshake_timeout{15'000};
    std::chrono::milliseconds ping_interval{120'000};
    std::chrono::milliseconds ping_timeout{60'000};
    int ban_score = 100; //!< misbehaviour score at which the peer is dropped and banned
    //! A peer that lets this many bytes of our messages queue up (it asks, e.g. getdata floods,
    //! but does not read the answers) is dropped: the queue would grow without bound.
    std::size_t max_send_queue = 10'000'000;
    //! Log channel of the connection, its PeerManager and P2pChainSource (the plugin instance's
    //! name when the plugin builds them).
    std::string log_channel = "backend-neutrino";
};

//! One outbound Bitcoin P2P connection: connect with a timeout, the version/verack handshake
//! (sendaddrv2 before verack; wtxidrelay is not sent, so peers announce transactions by txid),
//! sendheaders after it, ping/pong keepalive with a timeout, framing with checksums and
//! Core's size limit, and a misbehaviour score. Messages it handles itself (version, verack,
//! ping, pong, sendheaders, wtxidrelay, sendaddrv2 and the other ignored commands) are not
//! passed on; every other message is, once the handshake is done.
//!
//! Executor: one strand (`executor`); every member must be called there and every handler is
//! called there, never inline from a member. Ownership: shared; the pending I/O holds a
//! reference until the socket is closed. Handlers are dropped by close().
class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
public:
    struct Handlers {
        std::function<void()> ready;                              //!< handshake done
        std::function<void(const Message&)> message;              //!< after ready
        std::function<void(const jm::sdk::Error& reason)> closed; //!< once, not after close()
    };

    static std::shared_ptr<PeerConnection> create(jm::sdk::Executor executor, PeerConnectionSettings settings,
                                                  jm::net::PeerAddress address, std::int32_t our_height,
                                                  Handlers handlers);

    //! Connects and starts the handshake.
    void connect();
    //! Frames and queues a message (dropped when closed).
    void send(const Message& message);
    //! Adds to the misbehaviour score; at settings.ban_score the peer is closed with
    //! errc::protocol_error and banWorthy() turns true.
    void misbehaving(int score, const std::string& reason);
    //! Sends a ping of its own and calls `answered` when the matching pong arrives. A peer
    //! handles one connection's messages in order, so the pong proves that everything sent
    //! before the ping was read and processed. Dropped, never called, if the connection closes.
    void roundTrip(std::function<void()> answered);
    //! Closes the socket without calling the closed handler. Idempotent.
    void close();

    bool isReady() const { return m_ready; }
    bool isClosed() const { return m_closed; }
    bool banWorthy() const { return m_banWorthy; }
    const VersionMessage& peerVersion() const { return m_peerVersion; }
    const jm::net::PeerAddress& address() const { return m_address; }
    std::string name() const { return m_address.text(); }

private:
    PeerConnection(jm::sdk::Executor executor, PeerConnectionSettings settings, jm::net::PeerAddress address,
                   std::int32_t our_height, Handlers handlers);
    void fail(jm::sdk::Error reason);
    void readHeader();
    void readPayload(MessageHeader header);
    void handle(Message message);
    void writeNext();
    void schedulePing();

    jm::sdk::Executor m_executor;
    PeerConnectionSettings m_settings;
    jm::net::PeerAddress m_address;
    std::int32_t m_ourHeight;
    Handlers m_handlers;
    boost::asio::ip::tcp::socket m_socket;
    boost::asio::steady_timer m_handshakeTimer;
    boost::asio::steady_timer m_pingTimer;
    std::function<void()> m_cancelConnect;
    jm::sdk::Logger m_log;

    Bytes m_head;
    Bytes m_payload;
    std::deque<Bytes> m_outbox;
    std::size_t m_outboxBytes = 0;
    bool m_writing = false;
    bool m_closed = false;
    bool m_ready = false;
    bool m_gotVersion = false;
    bool m_gotVerack = false;
    bool m_banWorthy = false;
    int m_score = 0;
    VersionMessage m_peerVersion;
    std::uint64_t m_pingNonce = 0;                               //!< outstanding ping, 0 = none
    std::map<std::uint64_t, std::function<void()>> m_roundTrips; //!< nonce -> waiter
};

using PeerConnectionPtr = std::shared_ptr<PeerConnection>;

} // namespace jm::plugins::backend_neutrino
