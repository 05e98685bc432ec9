#pragma once

#include <jm/net/directory_client.hpp>
#include <jm/protocol/handshake.hpp>
#include <jm/sdk/export.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jm::net {

//! What one received line of a direct peer connection (protocol.md 3.4) amounts to.
struct DirectVerdict {
    enum class Kind {
        ignore,    //!< harmless and of no use (a later 793, a public message, an unknown type, ...)
        handshake, //!< the peer's 793, accepted: `handshake` is set
        message,   //!< a private message to us from the handshaked nick, signature verified: `message` is set
        drop,      //!< the connection must be closed: `reason` says why
    };
    Kind kind = Kind::ignore;
    std::string reason; //!< for drop (and, briefly, for ignore)
    std::optional<jm::protocol::ClientHandshake> handshake;
    std::optional<ChannelMessage> message;
};

//! The receive side of one direct peer connection, without the socket: judges each line.
//! Rules (REF's where it has them, stricter where a direct peer could abuse our trust):
//! * every line must be an envelope ({"type": int, "line": str}; REF drops the connection too);
//! * the first useful line is the peer's 793, checked as a directory checks it (app name,
//!   version 5, not a directory, our network, location syntax) plus a well-formed nick and, when
//!   we dialled a nick, that very nick; later 793s are ignored (REF);
//! * a 685 before the 793, one whose sender is not the handshaked nick (a forged nick), one that
//!   is not signed by that nick's key, or a malformed one drops the connection;
//! * public messages, peerlists, 795 and unknown or local-only codes are ignored, but only up to
//!   `max_ignored` of them: a peer sending nothing of use is dropped.
//! Executor: not thread-safe; pure apart from its own state.
class JM_SDK_API DirectInbox {
public:
    //! `our_nick`: private messages to another nick are ignored. `expected_nick`: the nick we
    //! dialled (empty for an inbound connection: any well-formed nick may present itself).
    DirectInbox(std::string network, std::string our_nick, std::string expected_nick,
                std::size_t max_line = jm::protocol::DEFAULT_MAX_RECEIVE_LINE, std::size_t max_ignored = 200);

    DirectVerdict onLine(std::string_view text);

    bool handshaked() const { return m_peer.has_value(); }
    //! The peer's accepted 793 (valid once handshaked()).
    const jm::protocol::ClientHandshake& peer() const { return *m_peer; }
    //! Whether a verified private message from the handshaked nick came in (the nick is proven).
    bool proven() const { return m_proven; }

private:
    DirectVerdict ignore(std::string reason);

    std::string m_network;
    std::string m_ourNick;
    std::string m_expectedNick;
    std::size_t m_maxLine;
    std::size_t m_maxIgnored;
    std::size_t m_ignored = 0;
    std::optional<jm::protocol::ClientHandshake> m_peer;
    bool m_proven = false;
};

} // namespace jm::net
