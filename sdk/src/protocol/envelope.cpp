#include <jm/protocol/envelope.hpp>

#include <boost/json/parse.hpp>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

bool isLocalOnlyType(int type) noexcept {
    return type == 785 || type == 787 || type == 797 || type == 799 || type == 801;
}

bool isKnownType(int type) noexcept {
    switch (static_cast<MessageType>(type)) {
    case MessageType::Privmsg:
    case MessageType::Pubmsg:
    case MessageType::Peerlist:
    case MessageType::GetPeerlist:
    case MessageType::Handshake:
    case MessageType::DnHandshake:
    case MessageType::Ping:
    case MessageType::Pong:
    case MessageType::NickAuthChallenge:
    case MessageType::NickAuthProof:
    case MessageType::NickAuthResult:
        return true;
    }
    return false;
}

std::string pythonJsonString(std::string_view s) {
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out = "\"";
    auto unicodeEscape = [&](std::uint32_t cp) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4)
            out.push_back(HEX[(cp >> shift) & 15]);
    };
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20 || c == 0x7f) // Python escapes all but ' '..'~', DEL too
                    unicodeEscape(c);
                else
                    out.push_back(static_cast<char>(c));
            }
            ++i;
            continue;
        }
        // Decode one UTF-8 sequence; invalid bytes become U+FFFD as Python's decoder would not
        // produce them in the first place (our lines are ASCII in practice).
        std::uint32_t cp = 0xfffd;
        std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (len > 1 && i + len <= s.size()) {
            cp = c & (0x3f >> (len - 1));
            bool ok = true;
            for (std::size_t k = 1; k < len; ++k) {
                auto cc = static_cast<unsigned char>(s[i + k]);
                ok &= (cc & 0xc0) == 0x80;
                cp = cp << 6 | (cc & 0x3f);
            }
            if (!ok) {
                cp = 0xfffd;
                len = 1;
            }
        } else {
            len = 1;
        }
        if (cp >= 0x10000) { // UTF-16 surrogate pair, as json.dumps writes it
            cp -= 0x10000;
            unicodeEscape(0xd800 + (cp >> 10));
            unicodeEscape(0xdc00 + (cp & 0x3ff));
        } else {
            unicodeEscape(cp);
        }
        i += len;
    }
    out += "\"";
    return out;
}

jm::sdk::Result<std::string> formatEnvelope(const Envelope& envelope, std::size_t max_length) {
    std::string out =
        "{\"type\": " + std::to_string(envelope.type) + ", \"line\": " + pythonJsonString(envelope.line) + "}";
    if (out.size() > max_length)
        return fail(errc::invalid_argument, "message of " + std::to_string(out.size()) + " bytes exceeds the " +
                                                std::to_string(max_length) + "-byte line limit");
    out += "\r\n";
    return out;
}

namespace {

//! REF's exact form with a printable-ASCII line that needs no escape: what nearly every peer
//! sends. Reading it takes a scan instead of a JSON document (the directory's hot path); every
//! other text goes through the JSON parser, and for this form both give the same result.
std::optional<Envelope> parseCanonical(std::string_view text) {
    constexpr std::string_view head = "{\"type\": ";
    constexpr std::string_view middle = ", \"line\": \"";
    constexpr std::string_view tail = "\"}";
    if (!text.starts_with(head) || !text.ends_with(tail)) return std::nullopt;
    std::size_t pos = head.size();
    std::size_t digits = 0;
    int type = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 6) {
        type = type * 10 + (text[pos] - '0');
        ++pos;
        ++digits;
    }
    if (digits == 0 || (digits > 1 && text[head.size()] == '0') || type > 100000) return std::nullopt;
    if (text.substr(pos, middle.size()) != middle) return std::nullopt;
    pos += middle.size();
    if (pos > text.size() - tail.size()) return std::nullopt;
    auto line = text.substr(pos, text.size() - tail.size() - pos);
    for (char c : line)
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return std::nullopt;
    return Envelope{type, std::string(line), true};
}

} // namespace

jm::sdk::Result<Envelope> parseEnvelope(std::string_view text, std::size_t max_length) {
    if (text.size() > max_length)
        return fail(errc::protocol_error, "line of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                              std::to_string(max_length));
    if (auto canonical = parseCanonical(text)) return std::move(*canonical);
    boost::json::parse_options options;
    options.max_depth = 10; // an envelope is flat; deep nesting is an attack
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec, {}, options);
    if (ec) return fail(errc::protocol_error, "invalid JSON: " + ec.message());
    auto* obj = value.if_object();
    if (!obj) return fail(errc::protocol_error, "a message must be a JSON object");
    auto* type = obj->if_contains("type");
    auto* line = obj->if_contains("line");
    if (!type || !type->is_int64()) {
        if (type && type->is_uint64()) return fail(errc::protocol_error, "message type out of range");
        return fail(errc::protocol_error, "message has no integer \"type\"");
    }
    if (!line || !line->is_string()) return fail(errc::protocol_error, "message has no string \"line\"");
    auto t = type->as_int64();
    if (t < 0 || t > 100000) return fail(errc::protocol_error, "message type out of range");
    return Envelope{static_cast<int>(t), std::string(line->as_string()), false};
}

bool LineFramer::feed(std::string_view data, std::vector<std::string>& lines) {
    if (m_failed) return false;
    while (!data.empty()) {
        auto nl = data.find('\n');
        auto chunk = data.substr(0, nl);
        if (m_buffer.size() + chunk.size() > m_max + (nl == std::string_view::npos ? 0 : 1)) {
            // +1 allows the '\r' of a maximal line's CRLF.
            m_failed = true;
            m_buffer.clear();
            return false;
        }
        m_buffer.append(chunk);
        if (nl == std::string_view::npos) break;
        if (!m_buffer.empty() && m_buffer.back() == '\r') m_buffer.pop_back();
        if (m_buffer.size() > m_max) {
            m_failed = true;
            m_buffer.clear();
            return false;
        }
        lines.push_back(std::move(m_buffer));
        m_buffer.clear();
        data.remove_prefix(nl + 1);
    }
    return true;
}

} // namespace jm::protocol
