// BIP158 filter decoding of arbitrary bytes (cfilter messages come from untrusted peers): the
// first 32 bytes are the block hash, the rest the encoded filter. A decoded filter must keep its
// bytes and answer matches without failing; a filter rebuilt from the matching elements of a
// small set must match them.
#include <jm/bitcoin/block_filter.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 32) return 0;
    jm::bitcoin::Hash256 hash{};
    std::copy_n(data, 32, hash.begin());
    jm::bitcoin::ByteView encoded(data + 32, size - 32);
    auto filter = jm::bitcoin::decodeBasicFilter(hash, encoded);
    if (!filter) return 0;
    if (filter->encoded().size() != encoded.size() ||
        !std::equal(encoded.begin(), encoded.end(), filter->encoded().begin()))
        __builtin_trap();
    std::vector<jm::bitcoin::Bytes> queries;
    for (std::size_t i = 0; i + 4 <= encoded.size() && queries.size() < 64; i += 4)
        queries.emplace_back(encoded.begin() + static_cast<std::ptrdiff_t>(i),
                             encoded.begin() + static_cast<std::ptrdiff_t>(i + 4));
    bool any = filter->matchAny(queries);
    bool each = false;
    for (const auto& q : queries)
        each = each || filter->match(q);
    if (any != each) __builtin_trap();
    auto rebuilt = jm::bitcoin::GcsFilter::build(filter->params(), queries);
    for (const auto& q : queries)
        if (!rebuilt.match(q)) __builtin_trap();
    return 0;
}
