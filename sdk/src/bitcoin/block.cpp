#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

#include <algorithm>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

void putLe32(std::uint8_t* out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint32_t getLe32(const std::uint8_t* in) {
    return std::uint32_t(in[0]) | std::uint32_t(in[1]) << 8 | std::uint32_t(in[2]) << 16 | std::uint32_t(in[3]) << 24;
}

// The smallest transaction: version, one-byte counts, one input (41), one output (9), locktime.
constexpr std::size_t MIN_TX_SIZE = 60;

} // namespace

std::array<std::uint8_t, BlockHeader::SIZE> BlockHeader::serialize() const {
    std::array<std::uint8_t, SIZE> out{};
    putLe32(out.data(), static_cast<std::uint32_t>(version));
    std::copy(prev_block.begin(), prev_block.end(), out.begin() + 4);
    std::copy(merkle_root.begin(), merkle_root.end(), out.begin() + 36);
    putLe32(out.data() + 68, time);
    putLe32(out.data() + 72, bits);
    putLe32(out.data() + 76, nonce);
    return out;
}

Hash256 BlockHeader::hash() const {
    auto raw = serialize();
    return sha256d(raw);
}

std::string BlockHeader::hashHex() const { return toHexReversed(hash()); }

Hash256 Block::computeMerkleRoot() const {
    if (transactions.empty()) return Hash256{};
    std::vector<Hash256> level;
    level.reserve(transactions.size());
    for (const auto& tx : transactions)
        level.push_back(tx.txid());
    while (level.size() > 1) {
        if (level.size() % 2) level.push_back(level.back());
        std::vector<Hash256> next;
        next.reserve(level.size() / 2);
        for (std::size_t i = 0; i < level.size(); i += 2) {
            std::array<std::uint8_t, 64> pair{};
            std::copy(level[i].begin(), level[i].end(), pair.begin());
            std::copy(level[i + 1].begin(), level[i + 1].end(), pair.begin() + 32);
            next.push_back(sha256d(pair));
        }
        level = std::move(next);
    }
    return level.front();
}

Bytes Block::serialize() const {
    auto head = header.serialize();
    Bytes out(head.begin(), head.end());
    writeCompactSize(out, transactions.size());
    for (const auto& tx : transactions) {
        auto raw = tx.serialize();
        out.insert(out.end(), raw.begin(), raw.end());
    }
    return out;
}

jm::sdk::Result<BlockHeader> parseBlockHeaderPrefix(ByteView data) {
    if (data.size() < BlockHeader::SIZE)
        return fail(errc::invalid_argument, "block header: " + std::to_string(data.size()) + " bytes, need 80");
    BlockHeader h;
    h.version = static_cast<std::int32_t>(getLe32(data.data()));
    std::copy_n(data.begin() + 4, 32, h.prev_block.begin());
    std::copy_n(data.begin() + 36, 32, h.merkle_root.begin());
    h.time = getLe32(data.data() + 68);
    h.bits = getLe32(data.data() + 72);
    h.nonce = getLe32(data.data() + 76);
    return h;
}

jm::sdk::Result<BlockHeader> parseBlockHeader(ByteView data) {
    if (data.size() != BlockHeader::SIZE)
        return fail(errc::invalid_argument, "block header: " + std::to_string(data.size()) + " bytes, need exactly 80");
    return parseBlockHeaderPrefix(data);
}

jm::sdk::Result<Block> parseBlock(ByteView data) {
    auto header = parseBlockHeaderPrefix(data);
    if (!header) return header.error();
    Block block;
    block.header = *header;
    std::size_t pos = BlockHeader::SIZE;
    auto bad = [&](const std::string& why) {
        return fail(errc::invalid_argument, "block: " + why + " at byte " + std::to_string(pos));
    };
    if (pos >= data.size()) return bad("missing transaction count");
    // Canonical compact size, as in parseTransaction.
    std::uint64_t count = data[pos];
    std::size_t width = count == 0xfd ? 2 : count == 0xfe ? 4 : count == 0xff ? 8 : 0;
    if (data.size() - pos - 1 < width) return bad("truncated transaction count");
    if (width) {
        count = 0;
        for (std::size_t i = 0; i < width; ++i)
            count |= std::uint64_t(data[pos + 1 + i]) << (8 * i);
        std::uint64_t min = width == 2 ? 0xfd : width == 4 ? 0x10000 : 0x100000000ULL;
        if (count < min) return bad("non-canonical transaction count");
    }
    pos += 1 + width;
    if (count == 0) return bad("no transactions");
    if (count > (data.size() - pos) / MIN_TX_SIZE) return bad("transaction count larger than the block");
    block.transactions.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        auto tx = parseTransactionPrefix(data.subspan(pos));
        if (!tx)
            return tx.error().withContext("block: transaction " + std::to_string(i) + " at byte " +
                                          std::to_string(pos));
        pos += tx->size;
        block.transactions.push_back(std::move(tx->tx));
    }
    if (pos != data.size()) return bad(std::to_string(data.size() - pos) + " trailing bytes");
    return block;
}

} // namespace jm::bitcoin
