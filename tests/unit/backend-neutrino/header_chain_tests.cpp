#include "chain_params.hpp"
#include "header_chain.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <map>

using namespace jm::plugins::backend_neutrino;
using jm::bitcoin::BlockHeader;
using jm::bitcoin::Hash256;
using jm::bitcoin::Network;
using jm::sdk::errc;
using jm::sdk::testing::MemoryKvStore;

namespace {

constexpr std::int64_t NOW = 2'000'000'000; // "now" for the timestamp checks (2033)
constexpr std::uint32_t REGTEST_BITS = 0x207fffff;

// Mines a header on `prev`: with `valid_pow` false, finds a nonce whose hash misses the target.
BlockHeader mine(const Hash256& prev, std::uint32_t time, std::uint32_t bits, std::uint8_t salt = 0,
                 std::int32_t version = 4, bool valid_pow = true,
                 const ChainParams& params = chainParams(Network::Regtest)) {
    BlockHeader h;
    h.version = version;
    h.prev_block = prev;
    h.merkle_root.fill(salt);
    h.time = time;
    h.bits = bits;
    while (checkProofOfWork(h.hash(), bits, params) != valid_pow)
        ++h.nonce;
    return h;
}

// `count` headers on `prev`, 600 s apart from `time`.
std::vector<BlockHeader> mineChain(Hash256 prev, std::uint32_t time, std::size_t count, std::uint8_t salt = 0,
                                   std::uint32_t bits = REGTEST_BITS,
                                   const ChainParams& params = chainParams(Network::Regtest)) {
    std::vector<BlockHeader> out;
    for (std::size_t i = 0; i < count; ++i) {
        time += 600;
        out.push_back(mine(prev, time, bits, salt, 4, true, params));
        prev = out.back().hash();
    }
    return out;
}

const BlockHeader& regtestGenesis() { return chainParams(Network::Regtest).genesis; }

std::map<int, BlockHeader> mainnetHeaders() {
    std::map<int, BlockHeader> out;
    auto v = jm::test::loadVectors("mainnet_headers.json");
    for (const auto& row : v.at("headers").as_array()) {
        auto header = jm::bitcoin::parseBlockHeader(*jm::bitcoin::fromHex(row.at("header").as_string()));
        BOOST_REQUIRE(header);
        BOOST_REQUIRE_EQUAL(header->hashHex(), row.at("hash").as_string());
        out[static_cast<int>(row.at("height").as_int64())] = *header;
    }
    return out;
}

void requireRejected(HeaderChain& chain, const std::vector<BlockHeader>& headers, const std::string& what,
                     errc code = errc::protocol_error) {
    auto before = chain.tip().hash;
    auto r = chain.acceptHeaders(headers, NOW);
    BOOST_REQUIRE_MESSAGE(!r, "accepted, expected " << what);
    BOOST_CHECK(r.error().code == code);
    BOOST_CHECK_MESSAGE(r.error().message.find(what) != std::string::npos, r.error().message);
    BOOST_CHECK(chain.tip().hash == before);
    for (const auto& h : headers)
        if (h.prev_block == before) BOOST_CHECK(!chain.find(h.hash()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(pow_tests)

BOOST_AUTO_TEST_CASE(genesis_blocks) {
    BOOST_CHECK_EQUAL(chainParams(Network::Mainnet).genesis.hashHex(),
                      "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    BOOST_CHECK_EQUAL(chainParams(Network::Testnet).genesis.hashHex(),
                      "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943");
    BOOST_CHECK_EQUAL(chainParams(Network::Signet).genesis.hashHex(),
                      "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6");
    BOOST_CHECK_EQUAL(chainParams(Network::Regtest).genesis.hashHex(),
                      "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206");
    for (auto n : {Network::Mainnet, Network::Testnet, Network::Signet, Network::Regtest}) {
        const auto& p = chainParams(n);
        BOOST_CHECK(checkProofOfWork(p.genesis.hash(), p.genesis.bits, p));
    }
}

BOOST_AUTO_TEST_CASE(compact_targets) {
    BOOST_CHECK(!targetFromCompact(0));          // zero
    BOOST_CHECK(!targetFromCompact(0x01803456)); // negative
    BOOST_CHECK(!targetFromCompact(0xff123456)); // overflow
    BOOST_CHECK(!targetFromCompact(0x04923456)); // negative with a larger size
    BOOST_CHECK(targetFromCompact(0x05009234) == Uint256(0x92340000u));
    BOOST_CHECK(targetFromCompact(0x01123456) == Uint256(0x12));
    for (std::uint32_t bits : {0x1d00ffffu, 0x1c0168fdu, 0x207fffffu, 0x1e0377aeu, 0x1b0404cbu})
        BOOST_CHECK_EQUAL(compactFromTarget(*targetFromCompact(bits)), bits);
    // Work of difficulty 1 is 2^32 + 2^16 + 1 hashes... (2^256 / (target + 1)).
    BOOST_CHECK(workFromBits(0x1d00ffff) == Uint256(0x100010001ULL));
    BOOST_CHECK(workFromBits(0x01803456) == 0);
}

BOOST_AUTO_TEST_CASE(mainnet_headers_and_retargets) {
    const auto& main = chainParams(Network::Mainnet);
    auto h = mainnetHeaders();
    for (const auto& [height, header] : h)
        BOOST_CHECK_MESSAGE(checkProofOfWork(header.hash(), header.bits, main), "height " << height);
    BOOST_CHECK(h[0] == main.genesis);
    BOOST_CHECK(h[32256].prev_block == h[32255].hash());
    BOOST_CHECK(h[34272].prev_block == h[34271].hash());
    // The first two retargets, from each period's first and last block.
    BOOST_CHECK_EQUAL(retargetBits(h[32255].bits, h[32255].time, h[30240].time, main), h[32256].bits);
    BOOST_CHECK_EQUAL(h[32256].bits, 0x1d00d86au);
    BOOST_CHECK_EQUAL(retargetBits(h[34271].bits, h[34271].time, h[32256].time, main), h[34272].bits);
    BOOST_CHECK_EQUAL(h[34272].bits, 0x1d00c428u);
    // A real header fails with a much harder target.
    BOOST_CHECK(!checkProofOfWork(h[32256].hash(), 0x1c00d86a, main));
    // Clamps: periods of 2009/2010 (slow: capped at the limit; fast: at most 4x harder; slow: at
    // most 4x easier), numbers from real mainnet periods.
    BOOST_CHECK_EQUAL(retargetBits(0x1d00ffff, 1233061996, 1231006505, main), 0x1d00ffffu);
    BOOST_CHECK_EQUAL(retargetBits(0x1c05a3f4, 1279297671, 1279008237, main), 0x1c0168fdu);
    BOOST_CHECK_EQUAL(retargetBits(0x1c387f6f, 1269211443, 1263163443, main), 0x1d00e1fdu);
    // Regtest never retargets.
    BOOST_CHECK_EQUAL(retargetBits(REGTEST_BITS, 1000, 0, chainParams(Network::Regtest)), REGTEST_BITS);
}

BOOST_AUTO_TEST_CASE(mainnet_chain_accepts_block_one) {
    MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Mainnet), store);
    BOOST_REQUIRE(chain);
    auto h = mainnetHeaders();
    auto r = chain->acceptHeaders(std::vector{h[1]}, NOW);
    BOOST_REQUIRE_MESSAGE(r, r.error().message);
    BOOST_CHECK_EQUAL(chain->height(), 1u);
    BOOST_CHECK(chain->tip().hash == h[1].hash());
    // Block 32256 does not connect: its parent is unknown here.
    requireRejected(*chain, {h[32256]}, "unknown block", errc::not_found);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(header_chain_tests)

BOOST_AUTO_TEST_CASE(regtest_chain_grows_and_locates) {
    MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    BOOST_CHECK_EQUAL(chain->height(), 0u);
    auto headers = mineChain(regtestGenesis().hash(), regtestGenesis().time, 30);
    auto r = chain->acceptHeaders(headers, NOW);
    BOOST_REQUIRE_MESSAGE(r, r.error().message);
    BOOST_CHECK_EQUAL(r->added, 30u);
    BOOST_CHECK(r->tip_changed);
    BOOST_CHECK(r->disconnected.empty());
    BOOST_CHECK_EQUAL(chain->height(), 30u);
    BOOST_CHECK(chain->atHeight(17)->hash == headers[16].hash());
    BOOST_CHECK(!chain->atHeight(31));
    BOOST_CHECK(chain->tip().chain_work == workFromBits(REGTEST_BITS) * 31);
    // Sending the same headers again changes nothing.
    r = chain->acceptHeaders(headers, NOW);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(r->added, 0u);
    BOOST_CHECK(!r->tip_changed);
    auto locator = chain->locator();
    BOOST_REQUIRE_GE(locator.size(), 12u);
    BOOST_CHECK(locator.front() == headers.back().hash());
    BOOST_CHECK(locator[9] == chain->atHeight(21)->hash);
    BOOST_CHECK(locator[10] == chain->atHeight(19)->hash); // steps double after ten
    BOOST_CHECK(locator.back() == regtestGenesis().hash());
}

BOOST_AUTO_TEST_CASE(bad_proof_of_work_and_bits) {
    MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    auto g = regtestGenesis();
    requireRejected(*chain, {mine(g.hash(), g.time + 600, REGTEST_BITS, 0, 4, false)}, "high-hash");
    // Valid work for its own (harder) target, but regtest expects the limit.
    requireRejected(*chain, {mine(g.hash(), g.time + 600, 0x2000ffff)}, "bad-diffbits");
    // A target easier than the network allows: refused whatever the hash.
    BlockHeader easy;
    easy.version = 4;
    easy.prev_block = g.hash();
    easy.time = g.time + 600;
    easy.bits = 0x2100ffff;
    BOOST_CHECK(hashToUint256(easy.hash()) <= *targetFromCompact(easy.bits));
    requireRejected(*chain, {easy}, "high-hash");
}

BOOST_AUTO_TEST_CASE(timestamps_and_versions) {
    MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    auto g = regtestGenesis();
    auto headers = mineChain(g.hash(), g.time, 11);
    BOOST_REQUIRE(chain->acceptHeaders(headers, NOW));
    auto mtp = chain->medianTimePast(chain->tip());
    BOOST_CHECK_EQUAL(mtp, g.time + 600 * 6); // median of heights 1..11
    auto tip = chain->tip().hash;
    requireRejected(*chain, {mine(tip, static_cast<std::uint32_t>(mtp), REGTEST_BITS)}, "time-too-old");
    BOOST_CHECK(
        chain->acceptHeaders(std::vector{mine(tip, static_cast<std::uint32_t>(mtp + 1), REGTEST_BITS, 1)}, NOW));
    tip = chain->tip().hash;
    requireRejected(*chain, {mine(tip, static_cast<std::uint32_t>(NOW + 7201), REGTEST_BITS)}, "time-too-new");
    BOOST_CHECK(
        chain->acceptHeaders(std::vector{mine(tip, static_cast<std::uint32_t>(NOW + 7200), REGTEST_BITS)}, NOW));
    tip = chain->tip().hash;
    requireRejected(*chain, {mine(tip, static_cast<std::uint32_t>(NOW + 7200), REGTEST_BITS, 0, 3)}, "bad-version");
}

BOOST_AUTO_TEST_CASE(wrong_network) {
    MemoryKvStore store;
    {
        auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
        BOOST_REQUIRE(chain);
        // Mainnet's block 1 does not connect to the regtest genesis.
        requireRejected(*chain, {mainnetHeaders()[1]}, "unknown block", errc::not_found);
    }
    auto other = HeaderChain::open(chainParams(Network::Mainnet), store);
    BOOST_REQUIRE(!other);
    BOOST_CHECK(other.error().code == errc::corrupt_data);
    BOOST_CHECK_NE(other.error().message.find("regtest"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(reorg_to_the_chain_with_most_work) {
    MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    auto g = regtestGenesis();
    auto a = mineChain(g.hash(), g.time, 5, 0xa);
    BOOST_REQUIRE(chain->acceptHeaders(a, NOW));
    // A branch from height 2 with as much work: the first seen chain stays best.
    auto b = mineChain(a[1].hash(), a[1].time, 3, 0xb);
    auto r = chain->acceptHeaders(b, NOW);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(r->added, 3u);
    BOOST_CHECK(!r->tip_changed);
    BOOST_CHECK(chain->tip().hash == a.back().hash());
    BOOST_CHECK(chain->find(b.back().hash()));
    BOOST_CHECK(!chain->inBestChain(b.back().hash()));
    // One more block on the branch: it has more work and becomes best.
    auto b4 = mineChain(b.back().hash(), b.back().time, 1, 0xb);
    r = chain->acceptHeaders(b4, NOW);
    BOOST_REQUIRE(r);
    BOOST_CHECK(r->tip_changed);
    BOOST_CHECK_EQUAL(r->fork_height, 2u);
    BOOST_REQUIRE_EQUAL(r->disconnected.size(), 3u);
    BOOST_CHECK(r->disconnected[0] == a[4].hash());
    BOOST_CHECK(r->disconnected[2] == a[2].hash());
    BOOST_CHECK_EQUAL(chain->height(), 6u);
    BOOST_CHECK(chain->atHeight(3)->hash == b[0].hash());
    BOOST_CHECK(chain->atHeight(2)->hash == a[1].hash());
    BOOST_CHECK(!chain->inBestChain(a[2].hash()));
    // The reorg survives a restart.
    auto reopened = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(reopened);
    BOOST_CHECK(reopened->tip().hash == b4.back().hash());
    BOOST_CHECK(reopened->atHeight(3)->hash == b[0].hash());
    BOOST_CHECK(reopened->find(a[4].hash())); // the old branch is kept
}

BOOST_AUTO_TEST_CASE(a_side_branch_with_far_less_work_is_not_stored) {
    // A peer can mine regtest (or testnet min-difficulty) headers for free: a branch far below
    // the tip's work can never become best, and storing it would let a peer fill memory and disk.
    MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    auto g = regtestGenesis();
    auto a = mineChain(g.hash(), g.time, 300, 0xa);
    BOOST_REQUIRE(chain->acceptHeaders(a, NOW));
    auto low = mineChain(g.hash(), g.time, 100, 0xb);
    requireRejected(*chain, low, "low-work", errc::rejected);
    for (const auto& h : low)
        BOOST_CHECK(!chain->find(h.hash()));
    auto reopened = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(reopened);
    BOOST_CHECK(!reopened->find(low.back().hash()));
    // A short branch near the tip (within 144 blocks of work) is kept: it may still win.
    auto near = mineChain(a[279].hash(), a[279].time, 5, 0xc);
    auto r = chain->acceptHeaders(near, NOW);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(r->added, 5u);
    BOOST_CHECK(chain->find(near.back().hash()));
    // A branch that overtakes the tip is a reorg, however deep it forks.
    auto deep = mineChain(a[9].hash(), a[9].time, 295, 0xd);
    r = chain->acceptHeaders(deep, NOW);
    BOOST_REQUIRE(r);
    BOOST_CHECK(r->tip_changed);
    BOOST_CHECK(chain->tip().hash == deep.back().hash());
}

BOOST_AUTO_TEST_CASE(all_or_nothing) {
    MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    auto g = regtestGenesis();
    auto headers = mineChain(g.hash(), g.time, 4);
    headers.push_back(mine(headers.back().hash(), headers.back().time + 600, REGTEST_BITS, 0, 4, false));
    auto r = chain->acceptHeaders(headers, NOW);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("header 4"), std::string::npos);
    BOOST_CHECK_EQUAL(chain->height(), 0u);
    BOOST_CHECK(!chain->find(headers[0].hash()));
    auto reopened = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(reopened);
    BOOST_CHECK_EQUAL(reopened->height(), 0u);
    BOOST_CHECK(!reopened->find(headers[0].hash()));
}

BOOST_AUTO_TEST_CASE(restart_resumes) {
    MemoryKvStore store;
    auto g = regtestGenesis();
    auto headers = mineChain(g.hash(), g.time, 40);
    {
        auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
        BOOST_REQUIRE(chain);
        BOOST_REQUIRE(chain->acceptHeaders(std::span(headers).first(25), NOW));
    }
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    BOOST_CHECK_EQUAL(chain->height(), 25u);
    BOOST_CHECK(chain->tip().hash == headers[24].hash());
    BOOST_CHECK(chain->tip().chain_work == workFromBits(REGTEST_BITS) * 26);
    auto r = chain->acceptHeaders(std::span(headers).subspan(25), NOW);
    BOOST_REQUIRE(r);
    BOOST_CHECK_EQUAL(r->added, 15u);
    BOOST_CHECK_EQUAL(chain->height(), 40u);
    // A damaged store is reported, not trusted.
    BOOST_REQUIRE(store.put(std::string("hdr/") + std::string(32, 'x'), "short"));
    auto damaged = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(!damaged);
    BOOST_CHECK(damaged.error().code == errc::corrupt_data);
}

BOOST_AUTO_TEST_CASE(checkpoints) {
    auto g = regtestGenesis();
    auto a = mineChain(g.hash(), g.time, 6, 0xa);
    ChainParams params = chainParams(Network::Regtest);
    params.checkpoints[3] = a[2].hash();
    MemoryKvStore store;
    auto chain = HeaderChain::open(params, store);
    BOOST_REQUIRE(chain);
    BOOST_REQUIRE(chain->acceptHeaders(std::span(a).first(2), NOW));
    // A different block at the checkpoint height.
    requireRejected(*chain, mineChain(a[1].hash(), a[1].time, 2, 0xb), "checkpoint height 3");
    BOOST_REQUIRE(chain->acceptHeaders(std::span(a).subspan(2), NOW));
    // Past the checkpoint: a fork from below it is refused even where it does not hit height 3.
    requireRejected(*chain, mineChain(a[0].hash(), a[0].time, 1, 0xc), "bad-fork-prior-to-checkpoint");
    // Forks above it are fine.
    BOOST_CHECK(chain->acceptHeaders(mineChain(a[3].hash(), a[3].time, 1, 0xd), NOW));
}

BOOST_AUTO_TEST_CASE(testnet_twenty_minute_rule) {
    // Testnet's rules with an easy limit so the test can mine: normal blocks carry 0x2000ffff,
    // min-difficulty blocks the limit 0x207fffff.
    ChainParams params = chainParams(Network::Testnet);
    params.pow_limit = chainParams(Network::Regtest).pow_limit;
    params.bip34_height = params.bip65_height = params.bip66_height = 1;
    params.genesis = mine(Hash256{}, 1'600'000'000, 0x2000ffff, 0, 1, true, params);
    MemoryKvStore store;
    auto chain = HeaderChain::open(params, store);
    BOOST_REQUIRE(chain);
    auto g = params.genesis;
    auto h1 = mine(g.hash(), g.time + 600, 0x2000ffff, 0, 4, true, params);
    BOOST_REQUIRE(chain->acceptHeaders(std::vector{h1}, NOW));
    // 10 minutes later the limit is not allowed...
    requireRejected(*chain, {mine(h1.hash(), h1.time + 600, REGTEST_BITS, 0, 4, true, params)}, "bad-diffbits");
    // ...but after more than 20 minutes it is.
    auto h2 = mine(h1.hash(), h1.time + 1201, REGTEST_BITS, 0, 4, true, params);
    BOOST_REQUIRE(chain->acceptHeaders(std::vector{h2}, NOW));
    // The next block on time goes back to the last real difficulty, not the limit.
    requireRejected(*chain, {mine(h2.hash(), h2.time + 600, REGTEST_BITS, 0, 4, true, params)}, "bad-diffbits");
    auto h3 = mine(h2.hash(), h2.time + 600, 0x2000ffff, 0, 4, true, params);
    BOOST_REQUIRE(chain->acceptHeaders(std::vector{h3}, NOW));
    BOOST_CHECK_EQUAL(chain->height(), 3u);
    // Exactly 20 minutes is not more than 20 minutes.
    requireRejected(*chain, {mine(h3.hash(), h3.time + 1200, REGTEST_BITS, 0, 4, true, params)}, "bad-diffbits");
}

BOOST_AUTO_TEST_CASE(retarget_in_the_chain) {
    // Mainnet's rules with a 10-block period and an easy limit: blocks at half the spacing make
    // the next period's target harder (0x2000ffff * 2700 / 6000 = 0x1f7332c0).
    ChainParams params = chainParams(Network::Mainnet);
    params.pow_limit = chainParams(Network::Regtest).pow_limit;
    params.target_timespan = 10 * 600;
    params.checkpoints.clear();
    params.bip34_height = params.bip65_height = params.bip66_height = 1;
    params.genesis = mine(Hash256{}, 1'600'000'000, 0x2000ffff, 0, 1, true, params);
    MemoryKvStore store;
    auto chain = HeaderChain::open(params, store);
    BOOST_REQUIRE(chain);
    std::vector<BlockHeader> period;
    Hash256 prev = params.genesis.hash();
    for (int i = 1; i <= 9; ++i) {
        period.push_back(
            mine(prev, params.genesis.time + 300 * static_cast<std::uint32_t>(i), 0x2000ffff, 0, 4, true, params));
        prev = period.back().hash();
    }
    BOOST_REQUIRE(chain->acceptHeaders(period, NOW));
    auto time = period.back().time + 300;
    BOOST_CHECK_EQUAL(chain->nextBits(chain->tip(), time), 0x1f7332c0u);
    requireRejected(*chain, {mine(prev, time, 0x2000ffff, 0, 4, true, params)}, "bad-diffbits");
    BOOST_REQUIRE(chain->acceptHeaders(std::vector{mine(prev, time, 0x1f7332c0, 0, 4, true, params)}, NOW));
    BOOST_CHECK_EQUAL(chain->height(), 10u);
    // Within the new period the new bits are required.
    prev = chain->tip().hash;
    requireRejected(*chain, {mine(prev, time + 600, 0x2000ffff, 0, 4, true, params)}, "bad-diffbits");
}

BOOST_AUTO_TEST_SUITE_END()
