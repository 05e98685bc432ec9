#pragma once

#include "admission.hpp"
#include "directory_settings.hpp"
#include "peer_registry.hpp"
#include "peer_session.hpp"
#include "public_location.hpp"

#include <jm/protocol/envelope.hpp>
#include <jm/protocol/peerlist.hpp>
#include <jm/sdk/log.hpp>

#include <array>
#include <atomic>
#include <string>
#include <string_view>

namespace jm::plugins::directory {

//! What the router needs from the transport beyond single peers.
class Fabric {
public:
    virtual ~Fabric() = default;
    //! Delivers relayed public `line` to every handshaked peer except the one with identity id
    //! `except_id` (0: none); a lagging reader misses it. Executor: any thread.
    virtual void broadcast(SharedLine line, std::uint64_t except_id) = 0;
    //! Tells every peer that `entry` left (may be coalesced with others; a lagging reader gets it
    //! too). Executor: any thread.
    virtual void announceDeparture(jm::protocol::PeerlistEntry entry) = 0;
    //! Sends the coalesced departures now if one of them is `nick`'s, so that they reach every
    //! peer before anything of the nick's new connection. Executor: any thread.
    virtual void flushDeparturesOf(const std::string& nick) = 0;
};

//! The directory's own identity as sent in handshakes and peerlists.
struct DirectoryIdentity {
    std::string nick;
    std::string network;
};

//! The directory protocol (protocol.md 3-5): handshakes, relaying, peerlists, limits. Holds no
//! per-connection state itself (that is the PeerSession), so one router serves every thread.
//! Executor: each call runs on the I/O thread of the session passed in.
class MessageRouter {
public:
    using Clock = std::chrono::steady_clock;

    MessageRouter(const DirectorySettings& settings, DirectoryIdentity identity, PeerRegistry& registry,
                  Admission& admission, Fabric& fabric, jm::sdk::Logger& logger);

    //! One received line (terminator removed).
    void onLine(PeerSession& session, std::string_view text, Clock::time_point now);
    //! The received line was longer than the limit.
    void onLineTooLong(PeerSession& session);
    //! The connection is gone: releases the nick and announces the departure.
    void onClosed(PeerSession& session);
    //! Periodic check (about once a second): handshake timeout, idle probe, idle timeout.
    void sweep(PeerSession& session, Clock::time_point now);

    const DirectoryIdentity& identity() const { return m_identity; }
    //! The location listed as this directory's own peerlist entry (settings.location at first).
    //! Executor: any.
    std::string location() const { return m_location.get(); }
    //! Replaces it (the directory's onion service was published). Executor: any.
    void setLocation(std::string location) { m_location.set(std::move(location)); }
    //! Logs about a peer, at most once per 10 s per reason (the stats line carries the counts).
    void logThrottled(Drop reason, const PeerSession& s, std::string_view detail);

private:
    void handleHandshake(PeerSession& s, std::string_view line, Clock::time_point now);
    void refuseHandshake(PeerSession& s, Drop reason, const std::string& why, const std::string& nick);
    void handlePubmsg(PeerSession& s, jm::protocol::Envelope& envelope, std::string_view text, Clock::time_point now);
    void handlePrivmsg(PeerSession& s, jm::protocol::Envelope& envelope, std::string_view text, Clock::time_point now);
    //! The envelope as relayed: REF's exact form (the received text itself when it already was).
    SharedLine relayLine(jm::protocol::Envelope& envelope, std::string_view text) const;
    void handleGetPeerlist(PeerSession& s, Clock::time_point now);
    //! Sends `peers` (but s itself) in peerlist messages of at most 20 entries; an empty list is
    //! sent as one empty peerlist, as NG directories answer.
    void sendPeerlist(PeerSession& s, const std::vector<std::shared_ptr<const PeerIdentity>>& peers);
    void tellLocation(PeerSession& sender, PeerLink& recipient);
    //! Counts a dropped message; past violations_before_ban the peer is closed (and its address
    //! banned unless exempt: a nick is never banned, it is not authenticated).
    void violation(PeerSession& s, Drop reason, Clock::time_point now);
    void closeFor(PeerSession& s, Drop reason, std::string_view detail, bool flush = false);
    void sendTo(PeerSession& s, int type, std::string line);
    //! Makes room for a handshake when the directory is full: closes the non-serving peer that
    //! has been silent the longest, if it has been for a while. False when there is none.
    bool evictForRoom(PeerSession& s, Clock::time_point now);
    //! Gives `nick` to `link` when its holder has been silent for nick_takeover_after: the
    //! holder's departure is sent first, then the holder is closed. False when the holder keeps it.
    bool takeOver(PeerSession& s, const std::shared_ptr<PeerLink>& link, Clock::time_point now);
    std::string describe(const PeerSession& s) const;

    const DirectorySettings& m_settings;
    DirectoryIdentity m_identity;
    PublicLocation m_location;
    PeerRegistry& m_registry;
    Admission& m_admission;
    Fabric& m_fabric;
    jm::sdk::Logger& m_logger;
    std::atomic<std::uint64_t> m_nextId{1};
    std::array<std::atomic<std::int64_t>, DROP_KINDS> m_lastLog{};
};

} // namespace jm::plugins::directory
