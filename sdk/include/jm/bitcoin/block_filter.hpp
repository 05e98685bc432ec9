#pragma once

#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/gcs_filter.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace jm::bitcoin {

//! BIP158 filter types; only the basic filter (0x00) is defined.
enum class BlockFilterType : std::uint8_t { Basic = 0 };

constexpr std::uint8_t BASIC_FILTER_P = 19;
constexpr std::uint32_t BASIC_FILTER_M = 784931;

//! The GCS parameters of a block's basic filter: SipHash key = the first 16 bytes of the block
//! hash in internal byte order, P = 19, M = 784931. Executor: any; pure.
JM_SDK_API GcsParams basicFilterParams(const Hash256& block_hash);

//! The elements of a block's basic filter (BIP158): every output scriptPubKey that is not empty
//! and does not start with OP_RETURN, plus every non-empty script of the outputs the block's
//! inputs spend (`spent_scripts`, any order; the coinbase spends none). Duplicates removed.
//! Executor: any; pure.
JM_SDK_API std::vector<Bytes> basicFilterElements(const Block& block, std::span<const Script> spent_scripts);

//! Builds the basic filter of `block`. Executor: any; pure.
JM_SDK_API GcsFilter buildBasicFilter(const Block& block, std::span<const Script> spent_scripts);

//! Decodes a basic filter received for the block `block_hash` (a cfilter message).
//! Errors: errc::invalid_argument as GcsFilter::decode.
JM_SDK_API jm::sdk::Result<GcsFilter> decodeBasicFilter(const Hash256& block_hash, ByteView encoded);

//! sha256d of the encoded filter (BIP157 filter hash). Executor: any; pure.
JM_SDK_API Hash256 blockFilterHash(ByteView encoded);

//! The BIP157 filter header: sha256d(filter_hash || prev_header), internal byte order. The
//! genesis block's previous header is all zero. Executor: any; pure.
JM_SDK_API Hash256 blockFilterHeader(const Hash256& filter_hash, const Hash256& prev_header);

} // namespace jm::bitcoin
