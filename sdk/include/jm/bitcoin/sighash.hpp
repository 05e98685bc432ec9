#pragma once

#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/result.hpp>

namespace jm::bitcoin {

enum SighashType : std::uint32_t {
    SIGHASH_ALL = 1,
    SIGHASH_NONE = 2,
    SIGHASH_SINGLE = 3,
    SIGHASH_ANYONECANPAY = 0x80,
};

//! The BIP143 signature-hash preimage for input `index` spending `amount` with `script_code`
//! (without its length prefix), for any sighash type (SINGLE with no matching output hashes
//! zeros for the outputs, as BIP143 defines). Errors: index out of range.
JM_SDK_API jm::sdk::Result<Bytes> segwitSighashPreimage(const Transaction& tx, std::size_t index, ByteView script_code,
                                                        std::int64_t amount, std::uint32_t sighash_type);
//! sha256d of the preimage: what is signed.
JM_SDK_API jm::sdk::Result<Hash256> segwitSighash(const Transaction& tx, std::size_t index, ByteView script_code,
                                                  std::int64_t amount, std::uint32_t sighash_type);

//! The scriptCode of a P2WPKH spend: the P2PKH script of the key hash.
JM_SDK_API Script p2wpkhScriptCode(const PublicKey& key);

//! Signs input `index` as P2WPKH (SIGHASH_ALL) and sets its witness to [sig, pubkey].
//! Errors: index out of range.
JM_SDK_API jm::sdk::Result<void> signP2wpkhInput(Transaction& tx, std::size_t index, const PrivateKey& key,
                                                 std::int64_t amount);
//! Signs a fidelity-bond input (P2WSH of timelockScript) and sets its witness to
//! [sig, witness_script]. The transaction's locktime must be at or past the script's and the
//! input's sequence below 0xffffffff for the spend to be valid. Errors: index out of range,
//! locktime/sequence not allowing the spend.
JM_SDK_API jm::sdk::Result<void> signTimelockInput(Transaction& tx, std::size_t index, const PrivateKey& key,
                                                   ByteView witness_script, std::int64_t amount);

//! Verifies a P2WPKH input's witness against the output it spends (script and amount).
JM_SDK_API bool verifyP2wpkhInput(const Transaction& tx, std::size_t index, ByteView script_pubkey,
                                  std::int64_t amount);
//! Verifies a P2WSH single-key input (witness [sig, witness_script] with a timelock or
//! <pubkey> OP_CHECKSIG script) against the output it spends.
JM_SDK_API bool verifyP2wshSingleKeyInput(const Transaction& tx, std::size_t index, ByteView script_pubkey,
                                          std::int64_t amount);

} // namespace jm::bitcoin
