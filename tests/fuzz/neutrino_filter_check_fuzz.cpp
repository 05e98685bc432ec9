// backend-neutrino's check of a peer's BIP158 filter against a block (a dispute between peers)
// on arbitrary bytes: the first two bytes give the length of a serialised block, the rest is the
// filter a peer sent. It must never crash, and the filter built here from the block's outputs
// alone (what an honest filter holds when nothing is spent) must always pass.
#include "filter_check.hpp"

#include <jm/bitcoin/block_filter.hpp>

#include <cstddef>
#include <cstdint>

using namespace jm::plugins::backend_neutrino;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::size_t block_len = std::min<std::size_t>((std::size_t{data[0]} << 8) | data[1], size - 2);
    jm::bitcoin::ByteView block_bytes(data + 2, block_len);
    jm::bitcoin::ByteView filter(data + 2 + block_len, size - 2 - block_len);
    auto block = jm::bitcoin::parseBlock(block_bytes);
    jm::bitcoin::Block b;
    if (block)
        b = *block;
    else if (auto header = jm::bitcoin::parseBlockHeaderPrefix(block_bytes))
        b.header = *header;
    auto hash = b.header.hash();
    (void)checkFilterAgainstBlock(b, hash, filter);
    bool spends = false;
    for (std::size_t i = 1; i < b.transactions.size(); ++i)
        spends = spends || !b.transactions[i].inputs.empty();
    if (!spends) {
        auto honest = jm::bitcoin::buildBasicFilter(b, {});
        if (checkFilterAgainstBlock(b, hash, honest.encoded())) __builtin_trap();
    }
    return 0;
}
