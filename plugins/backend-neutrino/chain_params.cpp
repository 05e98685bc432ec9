#include "chain_params.hpp"

#include <jm/bitcoin/encoding.hpp>

#include <algorithm>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Hash256;
using jm::bitcoin::Network;

namespace {

Hash256 displayHash(std::string_view hex) { return *jm::bitcoin::hashFromDisplayHex(hex); }

jm::bitcoin::BlockHeader genesisHeader(std::uint32_t time, std::uint32_t bits, std::uint32_t nonce) {
    jm::bitcoin::BlockHeader h;
    h.version = 1;
    // Every network's genesis block holds the same coinbase ("The Times 03/Jan/2009 ...").
    h.merkle_root = displayHash("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    h.time = time;
    h.bits = bits;
    h.nonce = nonce;
    return h;
}

ChainParams makeParams(Network network) {
    ChainParams p;
    p.network = network;
    switch (network) {
    case Network::Mainnet:
        p.genesis = genesisHeader(1231006505, 0x1d00ffff, 2083236893);
        p.pow_limit = *targetFromCompact(0x1d00ffff);
        p.bip34_height = 227931;
        p.bip66_height = 363725;
        p.bip65_height = 388381;
        // Checkpoints Bitcoin Core carried until it dropped them (still true history).
        p.checkpoints = {{250000, displayHash("000000000000003887df1f29024b06fc2200b55f8af8f35453d7be294df2d214")},
                         {279000, displayHash("0000000000000001ae8c72a0b0c301f67e3afca10e819efa9041e458e9bd7e40")},
                         {295000, displayHash("00000000000000004d9b4ef50f0f9d686fd69db2e03af35a100370c64632a983")}};
        break;
    case Network::Testnet:
        p.genesis = genesisHeader(1296688602, 0x1d00ffff, 414098458);
        p.pow_limit = *targetFromCompact(0x1d00ffff);
        p.allow_min_difficulty = true;
        p.bip34_height = 21111;
        p.bip66_height = 330776;
        p.bip65_height = 581885;
        break;
    case Network::Signet:
        p.genesis = genesisHeader(1598918400, 0x1e0377ae, 52613770);
        p.pow_limit = Uint256("0x00000377ae000000000000000000000000000000000000000000000000000000");
        p.bip34_height = p.bip66_height = p.bip65_height = 1;
        break;
    case Network::Regtest:
        p.genesis = genesisHeader(1296688602, 0x207fffff, 2);
        p.pow_limit = Uint256("0x7fffff0000000000000000000000000000000000000000000000000000000000");
        p.allow_min_difficulty = true;
        p.no_retargeting = true;
        p.bip34_height = p.bip66_height = p.bip65_height = 1;
        break;
    }
    return p;
}

} // namespace

const ChainParams& chainParams(Network network) {
    static const ChainParams mainnet = makeParams(Network::Mainnet);
    static const ChainParams testnet = makeParams(Network::Testnet);
    static const ChainParams signet = makeParams(Network::Signet);
    static const ChainParams regtest = makeParams(Network::Regtest);
    switch (network) {
    case Network::Mainnet:
        return mainnet;
    case Network::Testnet:
        return testnet;
    case Network::Signet:
        return signet;
    case Network::Regtest:
        return regtest;
    }
    return mainnet;
}

std::optional<Uint256> targetFromCompact(std::uint32_t bits) {
    // Core's arith_uint256::SetCompact, including its negative and overflow flags.
    int size = static_cast<int>(bits >> 24);
    std::uint32_t word = bits & 0x007fffff;
    bool negative = word != 0 && (bits & 0x00800000) != 0;
    bool overflow = word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
    if (negative || overflow) return std::nullopt;
    Uint256 target;
    if (size <= 3)
        target = word >> (8 * (3 - size));
    else
        target = Uint256(word) << (8 * (size - 3));
    if (target == 0) return std::nullopt;
    return target;
}

std::uint32_t compactFromTarget(const Uint256& target) {
    // Core's arith_uint256::GetCompact for non-negative values.
    int size = target == 0 ? 0 : static_cast<int>((boost::multiprecision::msb(target) + 8) / 8);
    std::uint32_t compact;
    if (size <= 3)
        compact = static_cast<std::uint32_t>(target << (8 * (3 - size)));
    else
        compact = static_cast<std::uint32_t>(target >> (8 * (size - 3)));
    if (compact & 0x00800000) {
        compact >>= 8;
        ++size;
    }
    return compact | static_cast<std::uint32_t>(size) << 24;
}

Uint256 hashToUint256(const Hash256& hash) {
    Uint256 v;
    for (int i = 31; i >= 0; --i)
        v = (v << 8) | hash[static_cast<std::size_t>(i)];
    return v;
}

bool checkProofOfWork(const Hash256& hash, std::uint32_t bits, const ChainParams& params) {
    auto target = targetFromCompact(bits);
    if (!target || *target > params.pow_limit) return false;
    return hashToUint256(hash) <= *target;
}

Uint256 workFromBits(std::uint32_t bits) {
    auto target = targetFromCompact(bits);
    if (!target) return 0;
    // 2^256 / (target + 1) computed in 256 bits as Core does: ~target / (target + 1) + 1.
    Uint256 not_target = ~*target;
    return not_target / (*target + 1) + 1;
}

std::uint32_t retargetBits(std::uint32_t last_bits, std::int64_t last_time, std::int64_t first_time,
                           const ChainParams& params) {
    if (params.no_retargeting) return last_bits;
    std::int64_t span = std::clamp(last_time - first_time, params.target_timespan / 4, params.target_timespan * 4);
    auto last = targetFromCompact(last_bits);
    if (!last) return compactFromTarget(params.pow_limit);
    // 512 bits: the product exceeds 256 bits for easy limits (Core's regtest never retargets).
    boost::multiprecision::uint512_t next = boost::multiprecision::uint512_t(*last) * static_cast<std::uint64_t>(span);
    next /= static_cast<std::uint64_t>(params.target_timespan);
    if (next > boost::multiprecision::uint512_t(params.pow_limit)) return compactFromTarget(params.pow_limit);
    return compactFromTarget(Uint256(next));
}

} // namespace jm::plugins::backend_neutrino
