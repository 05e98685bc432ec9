// Extended-key parsing of arbitrary text; accepted keys re-serialise to the same text and
// derive children without crashing.
#include <jm/bitcoin/bip32.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    jm::bitcoin::Network network;
    auto key = jm::bitcoin::ExtendedKey::parse(text, &network);
    if (!key) return 0;
    if (key->toString(network, key->isPrivate()) != text) __builtin_trap();
    (void)key->derive(0);
    (void)key->derive(jm::bitcoin::HARDENED);
    return 0;
}
