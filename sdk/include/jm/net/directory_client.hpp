#pragma once

#include <jm/net/reconnect_policy.hpp>
#include <jm/net/socks5.hpp>
#include <jm/protocol/envelope.hpp>
#include <jm/protocol/handshake.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/protocol/peerlist.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jm::net {

//! Where and how to reach one directory, and what to tell it.
struct DirectoryClientSettings {
    std::string host;
    std::uint16_t port = jm::protocol::ONION_VIRTUAL_PORT;
    std::string network;             //!< must equal the directory's
    jm::protocol::Location location; //!< our own; NOT-SERVING-ONION by default
    boost::json::object features;    //!< advertised in our 793 (REF: {})
    std::chrono::milliseconds connect_timeout{60'000};
    std::chrono::milliseconds handshake_timeout{60'000};
    ReconnectPolicy reconnect;
    std::size_t max_line = jm::protocol::DEFAULT_MAX_RECEIVE_LINE;
    //! Connect through this SOCKS5 proxy (Tor) instead of directly; see TorSettings::proxyFor.
    std::optional<Socks5Proxy> socks;
};

//! A PUBMSG or PRIVMSG as received from a directory. Private messages are delivered as
//! received: verifying their signature is the receiver's job (it knows which commands it
//! expects).
struct ChannelMessage {
    bool is_private = false;
    jm::protocol::ChannelLine line;
    std::string raw; //!< the envelope's line, unchanged
};

//! The client's callbacks. Executor: all are called on the client's executor, never inline
//! from a DirectoryClient member. Any may be empty.
struct DirectoryClientHandler {
    //! The directory accepted our handshake.
    std::function<void(const jm::protocol::DirectoryHandshake&)> on_ready;
    //! The connection ended (a reconnect follows unless stopped or the policy is disabled).
    std::function<void(const std::string& reason)> on_disconnected;
    std::function<void(const ChannelMessage&)> on_message;
    std::function<void(const std::vector<jm::protocol::PeerlistEntry>&)> on_peerlist;
};

//! One connection to one directory (protocol.md 3-5): TCP connect, the 793/795 handshake,
//! peerlists, public and signed private messages, and reconnection with backoff.
//! Executor: create it with the caller's strand; call every member on that strand.
//! Ownership: shared; pending operations keep it alive until stop() completes them.
class JM_SDK_API DirectoryClient : public std::enable_shared_from_this<DirectoryClient> {
public:
    enum class State { idle, connecting, handshaking, ready, waiting_to_reconnect, stopped };

    //! `identity` (shared, kept by the client) signs private messages and gives the nick.
    static std::shared_ptr<DirectoryClient> create(jm::sdk::Executor executor, DirectoryClientSettings settings,
                                                   std::shared_ptr<const jm::protocol::NickIdentity> identity,
                                                   DirectoryClientHandler handler);
    virtual ~DirectoryClient();

    //! Starts connecting (and reconnecting after losses, per the policy).
    virtual void start() = 0;
    //! Closes the connection for good; no callback follows.
    virtual void stop() = 0;
    virtual State state() const = 0;
    bool ready() const { return state() == State::ready; }
    //! The directory's nick and handshake reply (valid once ready).
    virtual const jm::protocol::DirectoryHandshake& directoryHandshake() const = 0;
    virtual const DirectoryClientSettings& settings() const = 0;

    //! Sends "nick!PUBLIC!cmd args!cmd args". Errors: errc::unavailable when not ready,
    //! errc::invalid_argument when the line would be too long.
    virtual jm::sdk::Result<void> sendPublic(const std::vector<jm::protocol::Command>& commands) = 0;
    //! Sends "nick!to!command text <pubkey> <sig>" signed with our nick key over
    //! text + "onion-network". Errors: as sendPublic.
    virtual jm::sdk::Result<void> sendPrivate(std::string_view to, std::string_view command, std::string_view text) = 0;
    //! Asks for the peer list (GETPEERLIST; answered by NG-style directories). Errors: unavailable.
    virtual jm::sdk::Result<void> requestPeerlist() = 0;
};

JM_SDK_API std::string_view toString(DirectoryClient::State state) noexcept;

} // namespace jm::net
