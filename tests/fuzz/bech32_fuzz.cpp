// Bech32/bech32m and segwit-address decoding; decoded strings must re-encode (lower case) and
// addresses must survive a script round trip.
#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bech32.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    if (auto d = jm::bitcoin::bech32Decode(text)) {
        std::string lower = text;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (jm::bitcoin::bech32Encode(d->variant, d->hrp, d->data) != lower) __builtin_trap();
    }
    for (auto net : {jm::bitcoin::Network::Mainnet, jm::bitcoin::Network::Regtest}) {
        if (auto script = jm::bitcoin::addressToScript(text, net)) {
            auto back = jm::bitcoin::scriptToAddress(*script, net);
            if (!back) __builtin_trap();
            auto again = jm::bitcoin::addressToScript(*back, net);
            if (!again || *again != *script) __builtin_trap();
        }
    }
    return 0;
}
