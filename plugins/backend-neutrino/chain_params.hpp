#pragma once

#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/network.hpp>

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>
#include <map>

namespace jm::plugins::backend_neutrino {

using Uint256 = boost::multiprecision::uint256_t;

//! The consensus rules of a network that a header-only client can check (Bitcoin Core's
//! chainparams, the parts about headers). Plain value type: tests copy and adjust it.
struct ChainParams {
    jm::bitcoin::Network network = jm::bitcoin::Network::Mainnet;
    jm::bitcoin::BlockHeader genesis;
    Uint256 pow_limit;                             //!< the easiest target allowed
    std::int64_t target_timespan = 14 * 24 * 3600; //!< seconds per retarget period
    std::int64_t target_spacing = 600;             //!< seconds per block
    //! testnet and regtest: a block more than 2 * spacing after its parent may use the easiest
    //! target (the 20-minute rule on testnet).
    bool allow_min_difficulty = false;
    bool no_retargeting = false; //!< regtest: the target never changes
    //! Heights from which header versions below 2, 3 and 4 are refused (BIP34, BIP66, BIP65).
    std::uint32_t bip34_height = 0;
    std::uint32_t bip66_height = 0;
    std::uint32_t bip65_height = 0;
    //! Known block hashes (internal order) by height: a different header there is refused, and
    //! so is any fork below the highest checkpoint the best chain has passed.
    std::map<std::uint32_t, jm::bitcoin::Hash256> checkpoints;

    std::int64_t retargetInterval() const { return target_timespan / target_spacing; }
};

//! The parameters of `network` (testnet is testnet3, signet the default signet). Executor: any.
const ChainParams& chainParams(jm::bitcoin::Network network);

//! Decodes a compact target (nBits) as Core does. Returns nullopt for negative, zero or
//! overflowing encodings.
std::optional<Uint256> targetFromCompact(std::uint32_t bits);
//! Encodes a target as compact bits (Core's GetCompact), rounding down.
std::uint32_t compactFromTarget(const Uint256& target);
//! The block hash (internal byte order) read as a little-endian 256-bit number.
Uint256 hashToUint256(const jm::bitcoin::Hash256& hash);
//! True when `hash` meets the target of `bits` and that target is valid and within the
//! network's limit.
bool checkProofOfWork(const jm::bitcoin::Hash256& hash, std::uint32_t bits, const ChainParams& params);
//! The expected number of hashes to meet the target of `bits`: 2^256 / (target + 1); zero
//! for invalid bits.
Uint256 workFromBits(std::uint32_t bits);
//! The retarget computation at the end of a period: the last block's target scaled by the
//! period's actual duration (clamped to a quarter and four times the timespan), capped at the
//! limit. `first_time` is the time of the period's first block.
std::uint32_t retargetBits(std::uint32_t last_bits, std::int64_t last_time, std::int64_t first_time,
                           const ChainParams& params);

} // namespace jm::plugins::backend_neutrino
