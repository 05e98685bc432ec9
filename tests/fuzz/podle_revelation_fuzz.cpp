// PoDLE revelations from a hostile taker: parse, re-format, and verify against a fixed
// commitment; must never crash.
#include <jm/protocol/podle.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto proof = jm::protocol::parseRevelation(text);
    if (!proof) return 0;
    auto again = jm::protocol::parseRevelation(jm::protocol::formatRevelation(*proof));
    if (!again || again->s != proof->s || again->p2 != proof->p2) __builtin_trap();
    (void)jm::protocol::verifyPodle(*proof, jm::protocol::podleCommitment(*proof), 3);
    (void)jm::protocol::verifyPodle(*proof, "0699ef3695ee2050f6d0cfcdb8ef0b49d118d6b0b0bc9f56c8621639ad05bec6", 3);
    return 0;
}
