// Transaction parsing of arbitrary bytes: a parsed transaction must serialise back to the same
// bytes, and sighash computation on it must not fail for valid indices.
#include <jm/bitcoin/sighash.hpp>
#include <jm/bitcoin/transaction.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    jm::bitcoin::ByteView bytes(data, size);
    auto tx = jm::bitcoin::parseTransaction(bytes);
    if (!tx) return 0;
    auto out = tx->serialize();
    if (out.size() != size || !std::equal(out.begin(), out.end(), data)) __builtin_trap();
    if (!tx->inputs.empty() && !jm::bitcoin::segwitSighash(*tx, 0, {}, 1000, jm::bitcoin::SIGHASH_ALL))
        __builtin_trap();
    (void)tx->vsize();
    return 0;
}
