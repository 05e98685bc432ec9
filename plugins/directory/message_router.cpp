#include "message_router.hpp"

#include <jm/protocol/envelope.hpp>
#include <jm/protocol/handshake.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>

#include <algorithm>

namespace jm::plugins::directory {

using jm::protocol::MessageType;
using State = PeerSession::State;

namespace {

constexpr std::size_t PEERLIST_CHUNK = 20; // entries per GETPEERLIST reply message, as NG sends
constexpr std::size_t MAX_TOLD = 256;
constexpr std::size_t MAX_FEATURES = 16;
constexpr auto LOG_INTERVAL = std::chrono::seconds(10);

//! How long since a peer (possibly on another I/O thread) last sent a line.
std::chrono::steady_clock::duration silentFor(const PeerLink& link, std::chrono::steady_clock::time_point now) {
    return now.time_since_epoch() -
           std::chrono::steady_clock::duration(link.last_heard.load(std::memory_order_relaxed));
}

constexpr int code(MessageType t) { return static_cast<int>(t); }

//! A feature name goes into peerlist entries after ";F:", joined by '+': letters, digits and
//! '_' only, or a hostile name could inject entries.
bool wellFormedFeature(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

//! Location hosts are onion names, host names or IPv4 addresses; anything else could break the
//! peerlist grammar (';' ',') for every other peer.
bool wellFormedHost(std::string_view host) {
    if (host.empty() || host.size() > 255) return false;
    return std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    });
}

} // namespace

MessageRouter::MessageRouter(const DirectorySettings& settings, DirectoryIdentity identity, PeerRegistry& registry,
                             Admission& admission, Fabric& fabric, jm::sdk::Logger& logger) :
    m_settings(settings),
    m_identity(std::move(identity)), m_location(settings.location), m_registry(registry), m_admission(admission),
    m_fabric(fabric), m_logger(logger) {}

std::string MessageRouter::describe(const PeerSession& s) const {
    std::string who = s.identity ? s.identity->nick : std::string("(no handshake)");
    return who + " from " + s.address.to_string();
}

void MessageRouter::logThrottled(Drop reason, const PeerSession& s, std::string_view detail) {
    auto now = Clock::now().time_since_epoch().count();
    auto& last = m_lastLog[static_cast<std::size_t>(reason)];
    auto previous = last.load(std::memory_order_relaxed);
    auto interval = std::chrono::duration_cast<Clock::duration>(LOG_INTERVAL).count();
    if (previous != 0 && now - previous < interval) return;
    if (!last.compare_exchange_strong(previous, now, std::memory_order_relaxed)) return;
    JM_LOG(m_logger, info) << toString(reason) << ": " << describe(s) << (detail.empty() ? "" : ": ") << detail
                           << " (further ones for 10 s only counted)";
}

void MessageRouter::closeFor(PeerSession& s, Drop reason, std::string_view detail, bool flush) {
    if (s.state == State::closed) return;
    logThrottled(reason, s, detail);
    if (auto link = s.self.lock()) link->close(flush);
}

void MessageRouter::sendTo(PeerSession& s, int type, std::string line) {
    auto wire = jm::protocol::formatEnvelope({type, std::move(line)}, m_settings.max_line_length);
    if (!wire) return; // only our own bounded texts reach here
    if (auto link = s.self.lock()) link->send(std::make_shared<const std::string>(std::move(*wire)));
}

void MessageRouter::violation(PeerSession& s, Drop reason, Clock::time_point now) {
    s.counters->drop(reason);
    ++s.violations;
    if (m_settings.violations_before_ban == 0 || s.violations < m_settings.violations_before_ban) {
        logThrottled(reason, s, "message dropped");
        return;
    }
    // The connection goes, and its address unless that is exempt (loopback: everyone behind
    // Tor). Never the nick: anybody can claim any nick, so a nick ban would lock out its owner.
    bool banned = m_admission.ban(s.address, now);
    if (banned) s.counters->drop(Drop::banned);
    auto ban_seconds = std::chrono::duration_cast<std::chrono::seconds>(m_settings.ban_duration).count();
    JM_LOG(m_logger, warning) << "closing " << describe(s) << " after " << s.violations
                              << " dropped messages (last: " << toString(reason) << ")"
                              << (banned ? "; its address is banned for " + std::to_string(ban_seconds) + " s" : "");
    if (auto link = s.self.lock()) link->close(false);
}

void MessageRouter::onLineTooLong(PeerSession& s) {
    s.counters->drop(Drop::line_too_long);
    closeFor(s, Drop::line_too_long, "line longer than " + std::to_string(m_settings.max_line_length) + " bytes");
}

void MessageRouter::onLine(PeerSession& s, std::string_view text, Clock::time_point now) {
    if (s.state == State::closed) return;
    s.counters->add(s.counters->lines_in);
    s.last_activity = now;
    s.probed = false;
    auto envelope = jm::protocol::parseEnvelope(text, m_settings.max_line_length);
    if (!envelope) {
        s.counters->drop(Drop::invalid_envelope);
        closeFor(s, Drop::invalid_envelope, envelope.error().message);
        return;
    }
    if (s.state == State::awaiting_handshake) {
        if (envelope->type != code(MessageType::Handshake)) {
            s.counters->drop(Drop::no_handshake);
            closeFor(s, Drop::no_handshake, "type " + std::to_string(envelope->type) + " before the handshake");
            return;
        }
        handleHandshake(s, envelope->line, now);
        return;
    }
    if (!s.messages.take(now)) {
        violation(s, Drop::rate_limited, now);
        return;
    }
    switch (envelope->type) {
    case code(MessageType::Pubmsg):
        handlePubmsg(s, *envelope, text, now);
        break;
    case code(MessageType::Privmsg):
        handlePrivmsg(s, *envelope, text, now);
        break;
    case code(MessageType::GetPeerlist):
        handleGetPeerlist(s, now);
        break;
    case code(MessageType::Ping):
        if (s.identity->ping) sendTo(s, code(MessageType::Pong), "");
        break;
    case code(MessageType::Pong):
        break; // activity is all it means
    case code(MessageType::Handshake):
        break; // REF: processed once per connection
    default:
        s.counters->drop(Drop::ignored_type);
        break; // local-only, 795, 789, nick-auth, unknown
    }
}

void MessageRouter::refuseHandshake(PeerSession& s, Drop reason, const std::string& why, const std::string& nick) {
    s.counters->drop(reason);
    jm::protocol::DirectoryHandshake reply;
    reply.accepted = false;
    reply.nick = m_identity.nick;
    reply.network = m_identity.network;
    reply.motd = "Rejected: " + why;
    reply.features = {{"peerlist_features", true}, {"ping", true}};
    sendTo(s, code(MessageType::DnHandshake), jm::protocol::formatDirectoryHandshake(reply));
    closeFor(s, reason, why + (nick.empty() ? "" : " (nick " + nick + ")"), true);
}

void MessageRouter::handleHandshake(PeerSession& s, std::string_view line, Clock::time_point now) {
    auto hs = jm::protocol::parseClientHandshake(line);
    if (!hs) {
        // REF directories ignore such a handshake; NG directories close. Closing frees the slot.
        s.counters->drop(Drop::handshake_malformed);
        closeFor(s, Drop::handshake_malformed, hs.error().message);
        return;
    }
    if (auto why = jm::protocol::clientHandshakeRefusal(*hs, m_identity.network); !why.empty())
        return refuseHandshake(s, Drop::handshake_refused, why, hs->nick);
    if (!jm::protocol::isWellFormedNick(hs->nick))
        return refuseHandshake(s, Drop::handshake_refused, "invalid nick", "");
    if (hs->location.serving() && !wellFormedHost(hs->location.host))
        return refuseHandshake(s, Drop::handshake_refused, "invalid location host", hs->nick);
    if (hs->nick == m_identity.nick) return refuseHandshake(s, Drop::duplicate_nick, "nick already in use", hs->nick);
    if (m_admission.nickBanned(hs->nick, now)) return refuseHandshake(s, Drop::banned, "banned", hs->nick);
    // A nick already here reconnects: it needs no room, it takes its old connection's place
    // (or is refused below), so nobody is refused or evicted for it.
    bool reconnect = m_registry.find(hs->nick) != nullptr;
    if (!reconnect && m_registry.size() >= m_settings.max_peers && !evictForRoom(s, now))
        return refuseHandshake(s, Drop::directory_full, "directory full", hs->nick);

    auto identity = std::make_shared<PeerIdentity>();
    identity->id = m_nextId.fetch_add(1, std::memory_order_relaxed);
    identity->nick = hs->nick;
    identity->location = hs->location.toString();
    identity->serving = hs->location.serving();
    for (const auto& [name, value] : hs->features) {
        if (!value.is_bool() || !value.as_bool() || !wellFormedFeature(name)) continue;
        if (identity->features.size() >= MAX_FEATURES) break;
        identity->features.emplace_back(name);
    }
    identity->peerlist_features = jm::protocol::hasFeature(hs->features, "peerlist_features");
    identity->ping = jm::protocol::hasFeature(hs->features, "ping");

    auto link = s.self.lock();
    if (!link) return;
    link->identity = identity;
    if (!m_registry.claim(link) && !takeOver(s, link, now)) {
        link->identity.reset();
        return refuseHandshake(s, Drop::duplicate_nick, "nick already in use", hs->nick);
    }
    // A departure of this nick still being coalesced reaches everyone before the new
    // connection's first offer, or watchers would delete the new offers. Flushed after the
    // claim: a claim that succeeded follows the old connection's release, and that follows its
    // announced departure (onClosed), so the departure is found even when the old connection
    // closed on another thread a moment ago.
    m_fabric.flushDeparturesOf(hs->nick);
    link->pending.store(false, std::memory_order_relaxed);
    s.identity = std::move(identity);
    s.state = State::active;
    s.counters->add(s.counters->handshakes);

    jm::protocol::DirectoryHandshake reply;
    reply.accepted = true;
    reply.nick = m_identity.nick;
    reply.network = m_identity.network;
    reply.motd = m_settings.motd;
    reply.features = {{"peerlist_features", true}, {"ping", true}};
    sendTo(s, code(MessageType::DnHandshake), jm::protocol::formatDirectoryHandshake(reply));
    // No peerlist follows, as from a REF directory: a REF client starting up waits until every
    // peer it knows is handshaked, so locations it cannot reach yet would stall it for 60 s.
    // NG clients ask with GETPEERLIST.
    JM_LOG(m_logger, debug) << "peer " << describe(s) << " handshaked at " << s.identity->location;
}

bool MessageRouter::evictForRoom(PeerSession& s, Clock::time_point now) {
    // Only past evict_silent_after, so a burst of newcomers cannot push out peers that talk.
    if (m_settings.evict_silent_after.count() == 0) return false;
    auto victim = m_registry.longestSilentNotServing();
    if (!victim || silentFor(*victim, now) < m_settings.evict_silent_after) return false;
    s.counters->drop(Drop::idle_evicted);
    JM_LOG(m_logger, info) << "directory full: closing " << victim->identity->nick << " (silent "
                           << std::chrono::duration_cast<std::chrono::seconds>(silentFor(*victim, now)).count()
                           << " s, not serving) to admit a new peer";
    victim->close(false); // its departure is announced when it closes
    return true;
}

bool MessageRouter::takeOver(PeerSession& s, const std::shared_ptr<PeerLink>& link, Clock::time_point now) {
    // REF directories route to the newest connection of a nick, NG directories refuse the new
    // one. Without nick authentication taking over on every claim would let anyone cut a maker
    // off with one handshake; refusing always locks out a peer whose old TCP connection died
    // unnoticed until the idle timeout. So the nick moves only from a connection that has been
    // silent for nick_takeover_after: a dead one, or one idle enough that its owner, if it is
    // still there, loses little and reconnects.
    auto holder = m_registry.find(link->identity->nick);
    if (!holder || silentFor(*holder, now) < m_settings.nick_takeover_after) return false;
    if (!m_registry.replace(link, holder.get())) return false;
    holder->superseded.store(true, std::memory_order_relaxed);
    m_fabric.announceDeparture({holder->identity->nick, holder->identity->location, true, {}});
    m_fabric.flushDeparturesOf(holder->identity->nick);
    holder->close(false);
    s.counters->drop(Drop::nick_taken_over);
    JM_LOG(m_logger, info) << "nick " << link->identity->nick << " reconnected from " << s.address.to_string()
                           << ": its old connection (silent "
                           << std::chrono::duration_cast<std::chrono::seconds>(silentFor(*holder, now)).count()
                           << " s) is closed";
    return true;
}

SharedLine MessageRouter::relayLine(jm::protocol::Envelope& envelope, std::string_view text) const {
    // Every recipient gets REF's exact form of the one (from, to, line) we checked, whatever
    // duplicate keys or spacing the sender used; text already in that form is forwarded as is.
    if (envelope.canonical) {
        std::string wire;
        wire.reserve(text.size() + 2);
        wire.append(text).append("\r\n");
        return std::make_shared<const std::string>(std::move(wire));
    }
    auto wire = jm::protocol::formatEnvelope({envelope.type, std::move(envelope.line)}, m_settings.max_line_length);
    if (!wire) return nullptr;
    return std::make_shared<const std::string>(std::move(*wire));
}

void MessageRouter::handlePubmsg(PeerSession& s, jm::protocol::Envelope& envelope, std::string_view text,
                                 Clock::time_point now) {
    auto parsed = jm::protocol::parseChannelLine(envelope.line);
    if (!parsed || !parsed->isPublic()) {
        s.counters->drop(Drop::bad_line);
        return;
    }
    if (parsed->from != s.identity->nick) return violation(s, Drop::spoofed_nick, now);
    auto commands = jm::protocol::splitCommands(parsed->body);
    if (!commands) {
        s.counters->drop(Drop::bad_line);
        return;
    }
    auto orderbooks =
        std::count_if(commands->begin(), commands->end(), [](const auto& c) { return c.name == "orderbook"; });
    // REF drops a pubmsg with several !orderbook commands; each one makes every maker answer.
    if (orderbooks > 1 || (orderbooks == 1 && !s.orderbook.take(now)))
        return violation(s, Drop::orderbook_limited, now);
    auto wire = relayLine(envelope, text);
    if (!wire) {
        s.counters->drop(Drop::relay_too_long);
        return;
    }
    if (!s.relay_bytes.take(now, static_cast<double>(wire->size())))
        return violation(s, Drop::relay_bytes_limited, now);
    s.counters->add(s.counters->pubmsgs);
    m_fabric.broadcast(std::move(wire), s.identity->id);
}

void MessageRouter::handlePrivmsg(PeerSession& s, jm::protocol::Envelope& envelope, std::string_view text,
                                  Clock::time_point now) {
    auto parsed = jm::protocol::parseChannelLine(envelope.line);
    if (!parsed || parsed->isPublic()) {
        s.counters->drop(Drop::bad_line);
        return;
    }
    if (parsed->from != s.identity->nick) return violation(s, Drop::spoofed_nick, now);
    if (parsed->to == m_identity.nick) return; // an answer to our idle probe: activity only
    auto recipient = m_registry.find(parsed->to);
    if (!recipient) {
        s.counters->drop(Drop::unknown_recipient); // REF drops it silently too
        return;
    }
    auto wire = relayLine(envelope, text);
    if (!wire) {
        s.counters->drop(Drop::relay_too_long);
        return;
    }
    if (!s.relay_bytes.take(now, static_cast<double>(wire->size())))
        return violation(s, Drop::relay_bytes_limited, now);
    recipient->send(std::move(wire));
    s.counters->add(s.counters->privmsgs_routed);
    if (s.identity->serving) tellLocation(s, *recipient);
}

void MessageRouter::tellLocation(PeerSession& sender, PeerLink& recipient) {
    auto target = recipient.identity;
    if (!target) return;
    auto& told = sender.told_location;
    if (std::find(told.begin(), told.end(), target->id) != told.end()) return;
    if (told.size() >= MAX_TOLD) told.clear();
    told.push_back(target->id);
    std::vector<jm::protocol::PeerlistEntry> entries{
        {sender.identity->nick, sender.identity->location, false, sender.identity->features}};
    if (auto own = m_location.get(); !own.empty()) entries.push_back({m_identity.nick, std::move(own), false, {}});
    auto line = jm::protocol::formatPeerlist(entries, target->peerlist_features);
    auto wire = jm::protocol::formatEnvelope({code(MessageType::Peerlist), std::move(line)});
    if (!wire) return;
    recipient.send(std::make_shared<const std::string>(std::move(*wire)));
    sender.counters->add(sender.counters->peerlists);
}

void MessageRouter::handleGetPeerlist(PeerSession& s, Clock::time_point now) {
    if (s.last_getpeerlist != Clock::time_point{} && now - s.last_getpeerlist < m_settings.getpeerlist_interval) {
        s.counters->drop(Drop::getpeerlist_limited);
        return;
    }
    s.last_getpeerlist = now;
    sendPeerlist(s, m_registry.snapshot());
}

void MessageRouter::sendPeerlist(PeerSession& s, const std::vector<std::shared_ptr<const PeerIdentity>>& peers) {
    std::vector<jm::protocol::PeerlistEntry> chunk;
    bool sent = false;
    auto flush = [&] {
        sendTo(s, code(MessageType::Peerlist), jm::protocol::formatPeerlist(chunk, s.identity->peerlist_features));
        s.counters->add(s.counters->peerlists);
        chunk.clear();
        sent = true;
    };
    for (const auto& peer : peers) {
        if (peer->id == s.identity->id) continue;
        chunk.push_back({peer->nick, peer->location, false, peer->features});
        if (chunk.size() == PEERLIST_CHUNK) flush();
    }
    if (!chunk.empty() || !sent) flush();
}

void MessageRouter::onClosed(PeerSession& s) {
    if (s.state == State::closed) return;
    bool was_active = s.state == State::active;
    s.state = State::closed;
    if (!was_active) return;
    s.counters->add(s.counters->disconnects);
    auto link = s.self.lock();
    // A superseded connection's departure was announced when its nick moved on.
    if (link && link->superseded.load(std::memory_order_relaxed)) return;
    // Announced before the nick is released, so a new connection that claims it afterwards
    // finds the departure to flush first (handleHandshake).
    m_fabric.announceDeparture({s.identity->nick, s.identity->location, true, {}});
    m_registry.release(s.identity->nick, link.get());
}

void MessageRouter::sweep(PeerSession& s, Clock::time_point now) {
    if (s.state == State::awaiting_handshake) {
        if (now - s.connected_at > m_settings.handshake_timeout) {
            s.counters->drop(Drop::handshake_timeout);
            closeFor(s, Drop::handshake_timeout, "no handshake");
        }
        return;
    }
    if (s.state != State::active) return;
    auto idle = now - s.last_activity;
    // Only a peer that could answer a probe is dropped for silence; REF takers and watchers
    // (no ping, no onion) can be silent for an hour between CoinJoins, and the REF directory
    // keeps them.
    bool probeable = s.identity->ping || s.identity->serving;
    if (probeable && m_settings.idle_timeout.count() > 0 && idle > m_settings.idle_timeout) {
        s.counters->drop(Drop::idle_timeout);
        closeFor(s, Drop::idle_timeout, "silent too long");
        return;
    }
    if (m_settings.idle_probe.count() > 0 && !s.probed && idle > m_settings.idle_probe) {
        s.probed = true;
        if (s.identity->ping) {
            sendTo(s, code(MessageType::Ping), "");
        } else if (s.identity->serving) {
            // A maker answers !orderbook with its offers, which proves it is alive (NG does this).
            sendTo(s, code(MessageType::Pubmsg), m_identity.nick + "!PUBLIC!orderbook");
        }
    }
}

} // namespace jm::plugins::directory
