#pragma once

#include <jm/net/directory_client.hpp>
#include <jm/net/tor_settings.hpp>
#include <jm/protocol/handshake.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace jm::net {

//! How a node makes and takes direct peer connections (protocol.md 3.4).
struct DirectPeersSettings {
    std::string network;             //!< must equal the peer's (as on directories)
    jm::protocol::Location location; //!< ours, told in our 793 (NOT-SERVING-ONION for a taker)
    boost::json::object features;    //!< advertised in our 793 (REF: {})
    //! Dialling: the TCP (and SOCKS) connection must be up within this.
    std::chrono::milliseconds connect_timeout{60'000};
    //! The peer's 793 must arrive within this after the connection is up.
    std::chrono::milliseconds handshake_timeout{30'000};
    //! A connection silent this long is closed.
    std::chrono::milliseconds idle_timeout{900'000};
    std::size_t max_inbound = 32;  //!< accepted connections at once; more are closed at once
    std::size_t max_outbound = 64; //!< dialled connections at once
    //! .onion locations are dialled through tor's SOCKS proxy (isolated per nick when
    //! tor.isolate); without tor.socks they are not dialled.
    TorSettings tor;
    //! Testing mode (REF's regtest_count): loopback locations ("127.0.0.1:PORT") are dialled over
    //! plain TCP. Other non-onion locations are never dialled: a directory could otherwise point
    //! us anywhere.
    bool plain_tcp = false;
};

//! Counters for status files and tests.
struct DirectPeersCounters {
    std::uint64_t accepted = 0;   //!< inbound connections taken
    std::uint64_t refused = 0;    //!< inbound connections closed at once (over max_inbound)
    std::uint64_t dialled = 0;    //!< outbound attempts
    std::uint64_t handshakes = 0; //!< peers whose 793 we accepted
    std::uint64_t dropped = 0;    //!< links that ended: closed by the peer, a protocol violation or a timeout
    std::uint64_t received = 0;   //!< verified private messages delivered
    std::uint64_t sent = 0;       //!< private messages sent
};

//! Callbacks of DirectPeers. Executor: the DirectPeers' executor, never inline from a member
//! call other than through a socket completion. Any may be empty.
struct DirectPeersHandler {
    //! A verified private message to us from the nick the connection handshaked as.
    std::function<void(const ChannelMessage&)> on_message;
    //! A nick's direct connection can carry our messages (true) or no longer can (false).
    std::function<void(const std::string& nick, bool up)> on_peer;
    //! A connection ended or was refused: `who` is the nick or the remote address; for logs.
    std::function<void(const std::string& who, const std::string& reason)> on_closed;
};

//! A node's direct peer connections: the ones it accepts (a maker serving its location) and the
//! ones it dials (a taker reaching makers that announce a location). Both ends send a 793 at
//! once and accept the other's whenever it arrives (REF); each line is judged by DirectInbox.
//! We send to a nick over a connection only when it can be trusted to reach that nick: one we
//! dialled whose 793 names the nick we dialled, or one that came in and delivered a private
//! message signed by the nick's key (a 793 is not signed: anyone can claim a nick in it).
//! Executor: create with a strand and call every member there. Ownership: shared; pending
//! operations keep it alive until stop().
class JM_SDK_API DirectPeers : public std::enable_shared_from_this<DirectPeers> {
public:
    static std::shared_ptr<DirectPeers> create(jm::sdk::Executor executor, DirectPeersSettings settings,
                                               std::shared_ptr<const jm::protocol::NickIdentity> identity,
                                               DirectPeersHandler handler);
    virtual ~DirectPeers();

    //! Accepts connections on `endpoint` (port 0: any free port) and returns where it listens.
    //! Errors: errc::unavailable (cannot bind), errc::invalid_argument (already listening).
    virtual jm::sdk::Result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& endpoint) = 0;
    //! What our 793 says from now on (a maker's onion becomes known after listen()).
    virtual void setLocation(jm::protocol::Location location) = 0;
    //! Dials `nick` at `location` (a peerlist's text) unless a connection to it exists or was
    //! tried (one attempt per nick, as REF). Returns at once; on_peer tells when it is up.
    //! Errors: errc::invalid_argument (not a serving location), errc::unavailable (a location this
    //! node may not dial: .onion without SOCKS, non-onion outside testing mode, max_outbound).
    virtual jm::sdk::Result<void> connect(const std::string& nick, std::string_view location) = 0;
    //! Over the nick's trusted connection. Errors: errc::unavailable when there is none.
    virtual jm::sdk::Result<void> sendPrivate(const std::string& nick, std::string_view command,
                                              std::string_view text) = 0;
    //! Whether sendPrivate(nick, ...) would use a connection now.
    virtual bool isUp(const std::string& nick) const = 0;
    //! Closes the nick's connections (no callbacks); a later connect() may dial it again.
    virtual void disconnect(const std::string& nick) = 0;
    //! Closes everything; no callback follows.
    virtual void stop() = 0;
    virtual std::size_t inboundCount() const = 0;
    virtual std::size_t outboundCount() const = 0;
    virtual const DirectPeersCounters& counters() const = 0;
};

//! Whether `host` is a loopback address (127.0.0.0/8, ::1) or "localhost". Executor: any; pure.
JM_SDK_API bool isLoopbackHost(std::string_view host) noexcept;

} // namespace jm::net
