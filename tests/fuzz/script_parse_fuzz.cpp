// Script parsing, classification, timelock-script recognition and address forms of arbitrary
// bytes.
#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/script.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    jm::bitcoin::ByteView script(data, size);
    if (auto ops = jm::bitcoin::parseScript(script)) {
        // Re-assembling the parsed pushes with minimal encoding never makes them longer.
        std::size_t pushed = 0;
        for (const auto& op : *ops)
            pushed += op.data.size();
        if (pushed > size) __builtin_trap();
    }
    (void)jm::bitcoin::classifyScript(script);
    if (auto t = jm::bitcoin::parseTimelockScript(script)) {
        auto key = jm::bitcoin::PublicKey::parse(t->pubkey);
        if (key && jm::bitcoin::timelockScript(t->locktime, *key) != jm::bitcoin::Bytes(script.begin(), script.end()))
            __builtin_trap();
    }
    (void)jm::bitcoin::scriptToAddress(script, jm::bitcoin::Network::Mainnet);
    return 0;
}
