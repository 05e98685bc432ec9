// A direct peer connection's receive side fed arbitrary lines (one per input line): it never
// crashes, delivers a message only from the handshaked nick once it handshaked, and nothing
// is judged after a drop.
#include <jm/net/direct_inbox.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The nicks of protocol.md 6.3's worked example: the seeds carry its signed !fill.
    jm::net::DirectInbox inbox("mainnet", "J5cgWgQAS8pjF3QO", size % 2 ? "" : "J5D7wbEWpGZCy3Zv", 4096, 8);
    int handshakes = 0;
    while (!text.empty()) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        auto v = inbox.onLine(line);
        using Kind = jm::net::DirectVerdict::Kind;
        if (v.kind == Kind::drop) {
            if (v.reason.empty()) __builtin_trap();
            break;
        }
        if (v.kind == Kind::handshake && (++handshakes > 1 || !v.handshake || !inbox.handshaked())) __builtin_trap();
        if (v.kind == Kind::message) {
            if (!v.message || !inbox.handshaked() || !inbox.proven()) __builtin_trap();
            if (v.message->line.from != inbox.peer().nick || v.message->line.to != "J5cgWgQAS8pjF3QO") __builtin_trap();
        }
    }
    return 0;
}
