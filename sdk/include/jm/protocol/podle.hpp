#pragma once

#include <jm/bitcoin/key.hpp>
#include <jm/sdk/result.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jm::protocol {

constexpr int NUMS_COUNT = 256;

//! NUMS generator J_i (protocol.md 9.1), derived (not embedded): the first counter c for which
//! 0x02 || SHA256(ser(G) || i || c) is a point, trying compressed then uncompressed G.
//! Computed once and cached; thread-safe. Errors: index outside [0, 255].
JM_SDK_API jm::sdk::Result<jm::bitcoin::PublicKey> numsPoint(int index);
//! Which seed encoding and counter produced J_i (for tests against the reference table).
struct NumsDerivation {
    bool compressed_seed = true;
    int counter = 0;
};
JM_SDK_API jm::sdk::Result<NumsDerivation> numsDerivation(int index);

//! A PoDLE opening as sent inside !auth: "<utxo>|<P>|<P2>|<s>|<e>".
struct PodleProof {
    std::string utxo;      //!< "txid:vout" (or NG's extended form)
    jm::bitcoin::Bytes p;  //!< 33-byte compressed P = x*G
    jm::bitcoin::Bytes p2; //!< 33-byte compressed P2 = x*J_i
    jm::bitcoin::Hash256 s{};
    jm::bitcoin::Hash256 e{};
};

//! The commitment SHA256(P2), as hex in !fill (after "P") and in blacklists.
JM_SDK_API std::string podleCommitment(const PodleProof& proof);
//! The commitment of `key` at NUMS index `index` without a proof (for "used" bookkeeping).
JM_SDK_API jm::sdk::Result<std::string> podleCommitmentFor(const jm::bitcoin::PrivateKey& key, int index);

//! Makes a proof for the utxo owned by `key` at NUMS `index` with a fresh random nonce.
//! Errors: index out of range.
JM_SDK_API jm::sdk::Result<PodleProof> generatePodle(const jm::bitcoin::PrivateKey& key, std::string utxo, int index);
//! Verifies `proof` against the commitment hex received in !fill, trying NUMS indices
//! [0, max_index). Returns the index it verifies at. Errors: errc::protocol_error naming the
//! failure (commitment mismatch, bad point, s out of range, no index verifies).
JM_SDK_API jm::sdk::Result<int> verifyPodle(const PodleProof& proof, std::string_view commitment_hex,
                                            int max_index = 3);

//! "<utxo>|<P hex>|<P2 hex>|<s hex>|<e hex>".
JM_SDK_API std::string formatRevelation(const PodleProof& proof);
//! Parses a revelation strictly (five fields, 66/66/64/64 lower- or upper-case hex, a utxo
//! field without '|'). Errors: errc::protocol_error.
JM_SDK_API jm::sdk::Result<PodleProof> parseRevelation(std::string_view text);

//! Taker-side utxo rules (protocol.md 9.5, REF defaults).
struct PodlePolicy {
    int retries = 3;           //!< NUMS indices 0..retries-1 are usable per utxo
    int min_confirmations = 5; //!< taker_utxo_age
    int amount_percent = 20;   //!< taker_utxo_amtpercent
};
//! The smallest utxo value a maker accepts: int(cj_amount * percent / 100).
JM_SDK_API std::int64_t podleMinimumValue(std::int64_t cj_amount, int amount_percent);
//! Whether a utxo may back a commitment for `cj_amount`.
JM_SDK_API bool podleEligible(std::int64_t value, int confirmations, std::int64_t cj_amount, const PodlePolicy& policy);
//! The NUMS index to use for a utxo given which of its commitments are already used: one
//! past the highest used index; nullopt when all `retries` are spent.
JM_SDK_API std::optional<int> podleNextIndex(const std::function<bool(int index)>& is_used, const PodlePolicy& policy);

} // namespace jm::protocol
