#include <jm/bitcoin/block_filter.hpp>
#include <jm/bitcoin/hash.hpp>

#include <algorithm>

namespace jm::bitcoin {

namespace {
constexpr std::uint8_t OP_RETURN = 0x6a;
}

GcsParams basicFilterParams(const Hash256& block_hash) {
    GcsParams params;
    std::copy_n(block_hash.begin(), params.siphash_key.size(), params.siphash_key.begin());
    params.p = BASIC_FILTER_P;
    params.m = BASIC_FILTER_M;
    return params;
}

std::vector<Bytes> basicFilterElements(const Block& block, std::span<const Script> spent_scripts) {
    std::vector<Bytes> elements;
    for (const auto& tx : block.transactions)
        for (const auto& out : tx.outputs)
            if (!out.script_pubkey.empty() && out.script_pubkey[0] != OP_RETURN) elements.push_back(out.script_pubkey);
    for (const auto& script : spent_scripts)
        if (!script.empty()) elements.push_back(script);
    std::sort(elements.begin(), elements.end());
    elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
    return elements;
}

GcsFilter buildBasicFilter(const Block& block, std::span<const Script> spent_scripts) {
    auto elements = basicFilterElements(block, spent_scripts);
    return GcsFilter::build(basicFilterParams(block.header.hash()), elements);
}

jm::sdk::Result<GcsFilter> decodeBasicFilter(const Hash256& block_hash, ByteView encoded) {
    return GcsFilter::decode(basicFilterParams(block_hash), encoded);
}

Hash256 blockFilterHash(ByteView encoded) { return sha256d(encoded); }

Hash256 blockFilterHeader(const Hash256& filter_hash, const Hash256& prev_header) {
    std::array<std::uint8_t, 64> both{};
    std::copy(filter_hash.begin(), filter_hash.end(), both.begin());
    std::copy(prev_header.begin(), prev_header.end(), both.begin() + 32);
    return sha256d(both);
}

} // namespace jm::bitcoin
