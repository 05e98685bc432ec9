#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>

using namespace jm::bitcoin;

namespace {
// The BIP158 vectors carry ten real testnet blocks (segwit, odd scripts, the genesis block).
std::vector<std::pair<std::string, Bytes>> vectorBlocks() {
    std::vector<std::pair<std::string, Bytes>> out;
    auto v = jm::test::loadVectors("bip158.json");
    const auto& rows = v.at("rows").as_array();
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto& row = rows[i].as_array();
        out.emplace_back(std::string(row[1].as_string()), *fromHex(row[2].as_string()));
    }
    return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(block_tests)

BOOST_AUTO_TEST_CASE(real_blocks_parse_hash_and_round_trip) {
    auto blocks = vectorBlocks();
    BOOST_REQUIRE_EQUAL(blocks.size(), 10u);
    bool saw_witness = false;
    for (const auto& [hash, raw] : blocks) {
        auto block = parseBlock(raw);
        BOOST_REQUIRE_MESSAGE(block, hash << ": " << block.error().message);
        BOOST_CHECK_EQUAL(block->header.hashHex(), hash);
        BOOST_CHECK(block->computeMerkleRoot() == block->header.merkle_root);
        BOOST_CHECK(block->serialize() == raw);
        for (const auto& tx : block->transactions)
            saw_witness = saw_witness || tx.hasWitness();
        auto header = parseBlockHeader(ByteView(raw).first(80));
        BOOST_REQUIRE(header);
        BOOST_CHECK(*header == block->header);
    }
    BOOST_CHECK(saw_witness);
}

BOOST_AUTO_TEST_CASE(merkle_root_changes_with_any_transaction) {
    std::optional<Block> largest;
    for (const auto& [hash, raw] : vectorBlocks()) {
        auto parsed = parseBlock(raw);
        BOOST_REQUIRE(parsed);
        if (!largest || parsed->transactions.size() > largest->transactions.size()) largest = *parsed;
    }
    auto block = &*largest;
    BOOST_REQUIRE_GT(block->transactions.size(), 2u);
    auto tampered = *block;
    tampered.transactions[1].locktime ^= 1;
    BOOST_CHECK(tampered.computeMerkleRoot() != block->header.merkle_root);
    tampered = *block;
    tampered.transactions.pop_back();
    BOOST_CHECK(tampered.computeMerkleRoot() != block->header.merkle_root);
    BOOST_CHECK(Block{}.computeMerkleRoot() == Hash256{});
}

BOOST_AUTO_TEST_CASE(malformed_blocks_are_rejected) {
    auto raw = vectorBlocks()[4].second;
    // Truncation anywhere fails cleanly.
    for (std::size_t cut : {0ul, 79ul, 80ul, 81ul, 150ul, raw.size() / 2, raw.size() - 1}) {
        Bytes t(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(cut));
        BOOST_CHECK_MESSAGE(!parseBlock(t), "truncated at " << cut);
    }
    Bytes trailing = raw;
    trailing.push_back(0);
    auto r = parseBlock(trailing);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("trailing"), std::string::npos);

    // A huge transaction count is refused before any allocation.
    Bytes huge(raw.begin(), raw.begin() + 80);
    for (std::uint8_t b : {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
        huge.push_back(b);
    huge.resize(huge.size() + 100, 0);
    r = parseBlock(huge);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("transaction count"), std::string::npos);

    // Non-canonical count (0xfd 0x01 0x00 means 1) and zero transactions.
    Bytes noncanon(raw.begin(), raw.begin() + 80);
    noncanon.insert(noncanon.end(), {0xfd, 0x01, 0x00});
    noncanon.insert(noncanon.end(), raw.begin() + 81, raw.end());
    BOOST_CHECK(!parseBlock(noncanon));
    Bytes empty(raw.begin(), raw.begin() + 80);
    empty.push_back(0);
    r = parseBlock(empty);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("no transactions"), std::string::npos);

    // A header must be exactly 80 bytes.
    BOOST_CHECK(!parseBlockHeader(ByteView(raw).first(79)));
    BOOST_CHECK(!parseBlockHeader(ByteView(raw).first(81)));
}

BOOST_AUTO_TEST_CASE(transaction_prefix_reports_its_size) {
    auto raw = vectorBlocks()[4].second;
    auto block = parseBlock(raw);
    BOOST_REQUIRE(block);
    auto first = block->transactions[0].serialize();
    Bytes two = first;
    auto second = block->transactions[1].serialize();
    two.insert(two.end(), second.begin(), second.end());
    auto parsed = parseTransactionPrefix(two);
    BOOST_REQUIRE(parsed);
    BOOST_CHECK_EQUAL(parsed->size, first.size());
    BOOST_CHECK(!parseTransaction(two)); // the strict parse still refuses trailing bytes
}

BOOST_AUTO_TEST_SUITE_END()
