#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jm::protocol {

//! Message type codes of the onion message channel (protocol.md 2.4).
enum class MessageType : int {
    Privmsg = 685,
    Pubmsg = 687,
    Peerlist = 789,
    GetPeerlist = 791,
    Handshake = 793,
    DnHandshake = 795,
    Ping = 798, //!< NG only, to peers advertising "ping"
    Pong = 799, //!< NG only; REF crashes on it
    NickAuthChallenge = 803,
    NickAuthProof = 805,
    NickAuthResult = 807,
};

//! REF's local-only codes (785 connect, 787 disconnect, 797 connect-in) and codes REF cannot
//! handle (799 pong, 801 disconnect): never sent to a peer that is not known to be NG.
//! Receivers ignore the local-only ones.
JM_SDK_API bool isLocalOnlyType(int type) noexcept;
//! Whether a received type is one of the codes this implementation understands.
JM_SDK_API bool isKnownType(int type) noexcept;

//! The largest line REF accepts (excluding CRLF). Never send a longer one.
constexpr std::size_t MAX_SEND_LINE = 40000;
//! Default receive limit: NG directories accept up to 64 KiB.
constexpr std::size_t DEFAULT_MAX_RECEIVE_LINE = 65536;

//! One line of the onion channel: {"type": N, "line": "..."}.
struct Envelope {
    int type = 0;
    std::string line;
    //! Set by parseEnvelope when the text was byte for byte what formatEnvelope writes for it
    //! (so a relay may forward the text itself).
    bool canonical = false;
};

//! Serialises exactly as REF's json.dumps does ({"type": 685, "line": "..."} with ", " and
//! ": " separators, ASCII only with \uXXXX escapes) and appends CRLF.
//! Errors: errc::invalid_argument when the result (without CRLF) would exceed `max_length`
//! (REF's limit by default; a directory relaying between NG peers may allow its receive limit).
JM_SDK_API jm::sdk::Result<std::string> formatEnvelope(const Envelope& envelope,
                                                       std::size_t max_length = MAX_SEND_LINE);
//! Parses one line (without its line terminator). Requires a JSON object with an integer
//! "type" and a string "line"; other members are ignored. Errors: errc::protocol_error with
//! the reason (too long, invalid JSON, missing or mistyped member).
JM_SDK_API jm::sdk::Result<Envelope> parseEnvelope(std::string_view text,
                                                   std::size_t max_length = DEFAULT_MAX_RECEIVE_LINE);
//! A JSON string literal as Python's json.dumps(ensure_ascii=True) writes it.
JM_SDK_API std::string pythonJsonString(std::string_view utf8);

//! Splits a TCP byte stream into lines: terminated by "\r\n" (also a bare "\n"), the
//! terminator removed. Never buffers more than `max_line` bytes of an unfinished line: a longer
//! one puts the framer in the failed state (the connection should be closed).
//! Executor: not thread-safe.
class JM_SDK_API LineFramer {
public:
    explicit LineFramer(std::size_t max_line = DEFAULT_MAX_RECEIVE_LINE) : m_max(max_line) {}
    //! Adds received bytes; complete lines are appended to `lines`. Returns false once a line
    //! exceeded the limit (further input is ignored).
    bool feed(std::string_view data, std::vector<std::string>& lines);
    bool failed() const { return m_failed; }
    //! Bytes of the unfinished line held.
    std::size_t buffered() const { return m_buffer.size(); }

private:
    std::size_t m_max;
    std::string m_buffer;
    bool m_failed = false;
};

} // namespace jm::protocol
