// Base58 and Base58Check decoding of arbitrary text; whatever decodes must re-encode to the
// same text.
#include <jm/bitcoin/encoding.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto decoded = jm::bitcoin::fromBase58(text)) {
        if (jm::bitcoin::toBase58(*decoded) != text) __builtin_trap();
    }
    if (auto payload = jm::bitcoin::fromBase58Check(text)) {
        if (jm::bitcoin::toBase58Check(*payload) != text) __builtin_trap();
    }
    return 0;
}
