// Handshake and peerlist parsing of arbitrary text; accepted values format and parse back.
#include <jm/protocol/handshake.hpp>
#include <jm/protocol/peerlist.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto hs = jm::protocol::parseClientHandshake(text)) {
        auto again = jm::protocol::parseClientHandshake(jm::protocol::formatClientHandshake(*hs));
        if (!again || again->nick != hs->nick || !(again->location == hs->location)) __builtin_trap();
        (void)jm::protocol::clientHandshakeRefusal(*hs, "regtest");
    }
    if (auto dn = jm::protocol::parseDirectoryHandshake(text)) {
        auto again = jm::protocol::parseDirectoryHandshake(jm::protocol::formatDirectoryHandshake(*dn));
        if (!again || again->accepted != dn->accepted) __builtin_trap();
    }
    if (auto list = jm::protocol::parsePeerlist(text)) {
        std::size_t skipped = 0;
        auto again = jm::protocol::parsePeerlist(jm::protocol::formatPeerlist(*list, true), &skipped);
        if (!again || *again != *list || skipped) __builtin_trap();
    }
    return 0;
}
