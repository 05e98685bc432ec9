#include <jm/net/direct_inbox.hpp>

#include <jm/protocol/envelope.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>

namespace jm::net {

using jm::protocol::MessageType;
using Kind = DirectVerdict::Kind;

namespace {

constexpr int code(MessageType t) { return static_cast<int>(t); }

DirectVerdict drop(std::string reason) {
    DirectVerdict v;
    v.kind = Kind::drop;
    v.reason = std::move(reason);
    return v;
}

// Peer-chosen text quoted in a reason is cut short and kept printable.
std::string quoted(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 40))
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return "'" + out + (text.size() > 40 ? "...'" : "'");
}

} // namespace

DirectInbox::DirectInbox(std::string network, std::string our_nick, std::string expected_nick, std::size_t max_line,
                         std::size_t max_ignored) :
    m_network(std::move(network)),
    m_ourNick(std::move(our_nick)), m_expectedNick(std::move(expected_nick)), m_maxLine(max_line),
    m_maxIgnored(max_ignored) {}

DirectVerdict DirectInbox::ignore(std::string reason) {
    if (++m_ignored > m_maxIgnored)
        return drop("more than " + std::to_string(m_maxIgnored) + " lines of no use (last: " + reason + ")");
    DirectVerdict v;
    v.reason = std::move(reason);
    return v;
}

DirectVerdict DirectInbox::onLine(std::string_view text) {
    auto envelope = jm::protocol::parseEnvelope(text, m_maxLine);
    if (!envelope) return drop("malformed line: " + envelope.error().message);

    if (envelope->type == code(MessageType::Handshake)) {
        if (m_peer) return ignore("a second handshake"); // REF handles one per connection
        auto hs = jm::protocol::parseClientHandshake(envelope->line);
        if (!hs) return drop("invalid handshake: " + hs.error().message);
        if (auto why = jm::protocol::clientHandshakeRefusal(*hs, m_network); !why.empty())
            return drop("handshake refused: " + why);
        if (!jm::protocol::isWellFormedNick(hs->nick))
            return drop("handshake with an invalid nick " + quoted(hs->nick));
        if (hs->nick == m_ourNick) return drop("the peer claims our own nick");
        if (!m_expectedNick.empty() && hs->nick != m_expectedNick)
            return drop("the peer at this location is " + hs->nick + ", not " + m_expectedNick);
        m_peer = std::move(*hs);
        DirectVerdict v;
        v.kind = Kind::handshake;
        v.handshake = *m_peer;
        return v;
    }

    if (envelope->type != code(MessageType::Privmsg)) {
        // 795 from a non-directory is ignored by REF; public messages belong on directories;
        // local-only codes are never acted on; unknown codes are ignored (REF).
        return ignore("message type " + std::to_string(envelope->type));
    }
    if (!m_peer) return drop("a private message before the handshake");
    auto line = jm::protocol::parseChannelLine(envelope->line);
    if (!line) return drop("malformed private message: " + line.error().message);
    if (line->isPublic()) return drop("a public message sent as private");
    if (line->from != m_peer->nick)
        return drop("a private message from " + quoted(line->from) + " on the connection of " + m_peer->nick +
                    " (forged nick)");
    if (line->to != m_ourNick) return ignore("a private message for another nick");
    auto body = jm::protocol::parseSignedBody(line->body);
    if (!body) return drop("malformed private message from " + line->from + ": " + body.error().message);
    if (!jm::protocol::nickMatchesPubkeyHex(line->from, body->pubkey_hex))
        return drop("a private message from " + line->from + " signed with a key that is not the nick's");
    if (auto ok = jm::protocol::verifyPrivmsg(body->text, body->pubkey_hex, body->signature_base64); !ok)
        return drop("a private message from " + line->from + " with a bad signature: " + ok.error().message);
    m_proven = true;
    DirectVerdict v;
    v.kind = Kind::message;
    v.message = ChannelMessage{true, std::move(*line), std::move(envelope->line)};
    return v;
}

} // namespace jm::net
