// SOCKS5 replies of arbitrary bytes, read the way the client reads them: method and auth replies
// from the first two bytes, the CONNECT reply in the steps socks5ConnectReplyNeeds asks for.
#include <jm/net/socks5.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> bytes(data, size);
    if (size >= 2) {
        (void)jm::net::parseSocks5MethodReply(bytes.first(2), size % 2 == 0);
        (void)jm::net::parseSocks5AuthReply(bytes.first(2));
    }
    std::size_t have = 0;
    for (;;) {
        auto needs = jm::net::socks5ConnectReplyNeeds(bytes.first(have));
        if (!needs) {
            if (needs.error().message.empty()) __builtin_trap();
            break;
        }
        if (*needs == 0) {
            if (have < 4 + 1 + 1 + 2 || have > 4 + 1 + 255 + 2) __builtin_trap(); // smallest and largest replies
            break;
        }
        if (*needs <= have) __builtin_trap(); // must always ask for more
        if (*needs > size) break;             // the proxy would still be sending
        have = *needs;
    }
    if (size > 0) (void)jm::net::socks5ReplyMessage(data[0]);
    return 0;
}
