#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace jm::bitcoin {

//! 21 million BTC in satoshis: no output value (nor any sum of outputs) is ever larger (consensus).
constexpr std::int64_t MAX_MONEY = 2'100'000'000'000'000;

//! A reference to an output. `txid` is in internal byte order (display order reversed).
struct OutPoint {
    Hash256 txid{};
    std::uint32_t vout = 0;
    bool operator==(const OutPoint&) const = default;
    auto operator<=>(const OutPoint&) const = default;
    //! "txid:vout" with the txid in display order.
    JM_SDK_API std::string toString() const;
};

struct TxIn {
    OutPoint prevout;
    Script script_sig;
    std::uint32_t sequence = 0xffffffff;
    std::vector<Bytes> witness;
};

struct TxOut {
    std::int64_t value = 0; //!< satoshis
    Script script_pubkey;
};

//! A Bitcoin transaction. Plain value type. Executor: any.
struct JM_SDK_API Transaction {
    std::int32_t version = 2;
    std::vector<TxIn> inputs;
    std::vector<TxOut> outputs;
    std::uint32_t locktime = 0;

    bool hasWitness() const;
    //! Network serialisation; with witness data (BIP144) when any input has some and
    //! `with_witness` is true.
    Bytes serialize(bool with_witness = true) const;
    Hash256 txid() const;        //!< internal order
    Hash256 wtxid() const;       //!< internal order
    std::string txidHex() const; //!< display order
    std::size_t weight() const;
    std::size_t vsize() const; //!< weight / 4, rounded up
};

//! Strict parse: canonical compact sizes, counts bounded by the bytes left (no large
//! allocation from a length prefix), no trailing bytes, no empty witness section when the
//! segwit marker is present. Errors: errc::invalid_argument with the offset and reason.
JM_SDK_API jm::sdk::Result<Transaction> parseTransaction(ByteView data);

//! A transaction parsed from the front of a longer buffer, and how many bytes it took.
struct ParsedTransaction {
    Transaction tx;
    std::size_t size = 0;
};
//! Parses one transaction at the start of `data` (the transactions of a block), with the rules
//! of parseTransaction except that bytes may follow it. Executor: any; pure. Ownership: copies
//! what it needs from `data`. Errors: errc::invalid_argument with the offset and reason.
JM_SDK_API jm::sdk::Result<ParsedTransaction> parseTransactionPrefix(ByteView data);

//! Appends a Bitcoin compact-size integer.
JM_SDK_API void writeCompactSize(Bytes& out, std::uint64_t n);

} // namespace jm::bitcoin
