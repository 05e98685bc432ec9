#pragma once

#include "directory_stats.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace jm::plugins::directory {

//! A complete wire line (envelope + CRLF), shared by every recipient of a broadcast.
using SharedLine = std::shared_ptr<const std::string>;

//! What a peer said about itself in its accepted handshake. Immutable once published.
struct PeerIdentity {
    std::uint64_t id = 0; //!< unique per connection in this process
    std::string nick;
    std::string location; //!< "host:port" or NOT-SERVING-ONION, as sent
    bool serving = false;
    bool peerlist_features = false;    //!< understands ";F:" peerlist entries and GETPEERLIST
    bool ping = false;                 //!< understands PING 798 / PONG 799
    std::vector<std::string> features; //!< true-valued handshake features (sanitised names)
};

//! One peer connection as the router sees it.
class PeerLink {
public:
    virtual ~PeerLink() = default;
    //! Queues `line` for the peer. Executor: any thread; never blocks, never runs router code
    //! inline on another peer's thread.
    virtual void send(SharedLine line) = 0;
    //! Closes the connection; with `flush`, after what is queued has been written (a refusal).
    //! The router counts why before calling it. Executor: any thread.
    virtual void close(bool flush) = 0;

    //! Set on the link's own thread before the link is published in the PeerRegistry (whose
    //! lock orders it before any reader on another thread); never changed afterwards.
    std::shared_ptr<const PeerIdentity> identity;

    //! When the peer last sent a line (steady clock ticks). Written on the link's own thread,
    //! read by others deciding whom to evict.
    std::atomic<std::int64_t> last_heard{0};
    //! True until the handshake is accepted or the connection closes.
    std::atomic<bool> pending{true};
    //! Its nick was taken over by a newer connection, which already announced its departure.
    std::atomic<bool> superseded{false};
};

} // namespace jm::plugins::directory
