#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/result.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace jm::bitcoin {

//! The 80-byte block header. Plain value type. Hashes are in internal byte order.
struct JM_SDK_API BlockHeader {
    static constexpr std::size_t SIZE = 80;

    std::int32_t version = 0;
    Hash256 prev_block{};
    Hash256 merkle_root{};
    std::uint32_t time = 0;
    std::uint32_t bits = 0; //!< compact difficulty target
    std::uint32_t nonce = 0;

    std::array<std::uint8_t, SIZE> serialize() const;
    //! sha256d of the serialisation, internal order.
    Hash256 hash() const;
    //! The hash in display order (as block explorers and RPC show it).
    std::string hashHex() const;
    bool operator==(const BlockHeader&) const = default;
};

//! A block: header and transactions. Plain value type. Executor: any.
struct JM_SDK_API Block {
    BlockHeader header;
    std::vector<Transaction> transactions;

    //! The merkle root of the transactions' txids (Bitcoin's, duplicating the last hash on odd
    //! levels); all zero for no transactions.
    Hash256 computeMerkleRoot() const;
    Bytes serialize() const;
};

//! Parses exactly 80 bytes. Executor: any; pure. Errors: errc::invalid_argument (wrong size).
JM_SDK_API jm::sdk::Result<BlockHeader> parseBlockHeader(ByteView data);

//! Parses a header at the start of `data` (at least 80 bytes; the rest is ignored).
//! Executor: any; pure. Errors: errc::invalid_argument (too short).
JM_SDK_API jm::sdk::Result<BlockHeader> parseBlockHeaderPrefix(ByteView data);

//! Strict parse of a serialised block (BIP144 witness data allowed): header, canonical
//! transaction count bounded by the bytes left (each transaction takes at least 60 bytes, so
//! a length prefix cannot cause a large allocation), every transaction as parseTransaction
//! checks it, no trailing bytes. It does not check the merkle root or proof of work: callers
//! compare computeMerkleRoot() with the header they trust. Executor: any; pure.
//! Errors: errc::invalid_argument with the transaction index, offset and reason.
JM_SDK_API jm::sdk::Result<Block> parseBlock(ByteView data);

} // namespace jm::bitcoin
