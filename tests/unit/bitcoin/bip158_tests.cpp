#include <jm/bitcoin/block_filter.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

namespace {

struct FilterVector {
    int height = 0;
    Hash256 block_hash{};
    Bytes block;
    std::vector<Script> spent_scripts;
    Hash256 prev_header{};
    Bytes filter;
    Hash256 header{};
    std::string notes;
};

std::vector<FilterVector> loadFilterVectors() {
    auto v = jm::test::loadVectors("bip158.json");
    const auto& rows = v.at("rows").as_array();
    std::vector<FilterVector> out;
    // rows[0] is the column-name row of the original file, not a vector.
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto& row = rows[i].as_array();
        FilterVector f;
        f.height = static_cast<int>(row[0].as_int64());
        f.block_hash = *hashFromDisplayHex(row[1].as_string());
        f.block = *fromHex(row[2].as_string());
        for (const auto& s : row[3].as_array())
            f.spent_scripts.push_back(*fromHex(s.as_string()));
        f.prev_header = *hashFromDisplayHex(row[4].as_string());
        f.filter = *fromHex(row[5].as_string());
        f.header = *hashFromDisplayHex(row[6].as_string());
        f.notes = std::string(row[7].as_string());
        out.push_back(std::move(f));
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(bip158_tests)

BOOST_AUTO_TEST_CASE(basic_filters_and_headers_match_the_vectors) {
    auto vectors = loadFilterVectors();
    BOOST_REQUIRE_EQUAL(vectors.size(), 10u);
    for (const auto& v : vectors) {
        BOOST_TEST_CONTEXT("height " << v.height << " " << v.notes) {
            auto block = parseBlock(v.block);
            BOOST_REQUIRE(block);
            BOOST_REQUIRE(block->header.hash() == v.block_hash);
            auto filter = buildBasicFilter(*block, v.spent_scripts);
            BOOST_CHECK_EQUAL(toHex(filter.encoded()), toHex(v.filter));
            auto header = blockFilterHeader(blockFilterHash(filter.encoded()), v.prev_header);
            BOOST_CHECK_EQUAL(toHexReversed(header), toHexReversed(v.header));
        }
    }
}

BOOST_AUTO_TEST_CASE(filter_headers_chain_between_vectors) {
    // Heights 2 and 3 are consecutive: the header of 2 is the previous header of 3.
    auto vectors = loadFilterVectors();
    BOOST_CHECK(vectors[1].header == vectors[2].prev_header);
    BOOST_CHECK(vectors[0].prev_header == Hash256{}); // genesis
}

BOOST_AUTO_TEST_CASE(decoded_filters_match_their_elements_only) {
    for (const auto& v : loadFilterVectors()) {
        BOOST_TEST_CONTEXT("height " << v.height) {
            auto block = parseBlock(v.block);
            BOOST_REQUIRE(block);
            auto decoded = decodeBasicFilter(v.block_hash, v.filter);
            BOOST_REQUIRE_MESSAGE(decoded, decoded.error().message);
            auto elements = basicFilterElements(*block, v.spent_scripts);
            BOOST_CHECK_EQUAL(decoded->size(), elements.size());
            BOOST_CHECK(decoded->encoded() == v.filter);
            for (const auto& e : elements)
                BOOST_CHECK(decoded->match(e));
            // Scripts that are not in the block: no match (false positives are 1 in 784931).
            std::vector<Bytes> others;
            for (std::uint8_t i = 0; i < 200; ++i)
                others.push_back(Bytes{0x00, 0x14, i, 0x42, static_cast<std::uint8_t>(v.height)});
            BOOST_CHECK(!decoded->matchAny(others));
            if (!elements.empty()) {
                others.insert(others.begin() + 57, elements.back());
                BOOST_CHECK(decoded->matchAny(others));
            }
            // The filter of a different block hash uses another key: its elements do not match.
            if (!elements.empty()) {
                Hash256 other = v.block_hash;
                other[0] ^= 1;
                auto wrong_key = decodeBasicFilter(other, v.filter);
                BOOST_REQUIRE(wrong_key);
                BOOST_CHECK(!wrong_key->matchAny(elements));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(selection_rules) {
    // Block 49291 pays to an empty script, 15007 has an OP_RETURN output, 180480 spends from
    // empty scripts: none of those are elements.
    for (const auto& v : loadFilterVectors()) {
        auto block = parseBlock(v.block);
        BOOST_REQUIRE(block);
        for (const auto& e : basicFilterElements(*block, v.spent_scripts)) {
            BOOST_CHECK(!e.empty());
            BOOST_CHECK_NE(e[0], 0x6a);
        }
    }
    Block block;
    block.transactions.resize(1);
    block.transactions[0].outputs = {{1, Bytes{0x51}}, {1, Bytes{}}, {1, Bytes{0x6a, 0x01, 0x02}}, {1, Bytes{0x51}}};
    std::vector<Script> spent{Bytes{}, Bytes{0x52}, Bytes{0x51}};
    auto elements = basicFilterElements(block, spent);
    BOOST_CHECK(elements == (std::vector<Bytes>{Bytes{0x51}, Bytes{0x52}}));
    auto filter = buildBasicFilter(block, spent);
    BOOST_CHECK_EQUAL(filter.size(), 2u);
    BOOST_CHECK(filter.match(Bytes{0x52}));
    BOOST_CHECK(!filter.match(Bytes{0x6a, 0x01, 0x02}));
}

BOOST_AUTO_TEST_CASE(empty_filter) {
    auto empty = decodeBasicFilter(Hash256{}, Bytes{0x00});
    BOOST_REQUIRE(empty);
    BOOST_CHECK_EQUAL(empty->size(), 0u);
    BOOST_CHECK(!empty->match(Bytes{0x51}));
    std::vector<Bytes> none;
    BOOST_CHECK(!empty->matchAny(none));
    BOOST_CHECK(GcsFilter::build(basicFilterParams(Hash256{}), none).encoded() == Bytes{0x00});
}

BOOST_AUTO_TEST_CASE(malformed_filters_are_rejected) {
    auto vectors = loadFilterVectors();
    const auto& v = vectors[6]; // block 926485: a filter of several bytes
    BOOST_REQUIRE_GT(v.filter.size(), 8u);
    auto expectError = [&](const Bytes& encoded, const std::string& what) {
        auto r = decodeBasicFilter(v.block_hash, encoded);
        BOOST_REQUIRE_MESSAGE(!r, "accepted: " << toHex(encoded));
        BOOST_CHECK_MESSAGE(r.error().message.find(what) != std::string::npos, r.error().message);
        BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_argument);
    };
    expectError(Bytes{}, "element count");
    expectError(Bytes{0xfd, 0x05, 0x00}, "non-canonical");
    expectError(Bytes{0xff, 0, 0, 0, 0, 1, 0, 0, 0}, "below 2^32");
    // More elements than the bits can hold.
    expectError(Bytes{0x10, 0x00}, "cannot fit");
    // Truncated stream.
    Bytes cut(v.filter.begin(), v.filter.end() - 1);
    expectError(cut, "truncated");
    // A whole extra byte after the last element.
    Bytes excess = v.filter;
    excess.push_back(0x00);
    expectError(excess, "after the last element");
    // A stream of only one-bits never ends its unary quotient.
    expectError(Bytes{0x02, 0xff, 0xff, 0xff, 0xff, 0xff}, "truncated");
}

BOOST_AUTO_TEST_CASE(many_elements_round_trip) {
    std::vector<Bytes> elements;
    for (std::uint32_t i = 0; i < 5000; ++i)
        elements.push_back(Bytes{0x00, 0x14, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 0x99});
    Hash256 key{};
    key[3] = 7;
    auto built = GcsFilter::build(basicFilterParams(key), elements);
    BOOST_CHECK_EQUAL(built.size(), elements.size());
    auto decoded = decodeBasicFilter(key, built.encoded());
    BOOST_REQUIRE(decoded);
    for (std::size_t i = 0; i < elements.size(); i += 97)
        BOOST_CHECK(decoded->match(elements[i]));
    std::size_t false_positives = 0;
    for (std::uint32_t i = 0; i < 5000; ++i)
        false_positives += decoded->match(Bytes{0x01, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)});
    BOOST_CHECK_LE(false_positives, 2u); // expected 5000/784931
}

BOOST_AUTO_TEST_SUITE_END()
