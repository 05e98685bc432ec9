// Tor control-port replies of arbitrary text, line by line as the client reads them, and the
// KEY=VALUE words of each line.
#include <jm/net/tor_control.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    jm::net::TorControlReplyParser parser(4096);
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        auto reply = parser.feed(line);
        if (reply && *reply) {
            if ((*reply)->status < 100 || (*reply)->status > 999 || (*reply)->lines.empty()) __builtin_trap();
        }
        if (auto kv = jm::net::parseTorKeyValues(line)) {
            for (const auto& [key, value] : *kv)
                if (key.empty() || key.find(' ') != std::string::npos) __builtin_trap();
        }
    }
    (void)jm::net::quoteTorString(text);
    return 0;
}
