// Block parsing of arbitrary bytes (blocks come from untrusted P2P peers): a parsed block must
// serialise back to the same bytes; the merkle root and header hash must be computable.
#include <jm/bitcoin/block.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    jm::bitcoin::ByteView bytes(data, size);
    auto block = jm::bitcoin::parseBlock(bytes);
    if (!block) return 0;
    auto out = block->serialize();
    if (out.size() != size || !std::equal(out.begin(), out.end(), data)) __builtin_trap();
    (void)block->computeMerkleRoot();
    (void)block->header.hash();
    return 0;
}
