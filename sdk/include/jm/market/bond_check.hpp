#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/chain/blockchain_backend.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <optional>
#include <set>

namespace jm::market {

//! A bond whose coin the backend showed to be real (protocol.md 10.4).
struct VerifiedBond {
    jm::bitcoin::OutPoint outpoint;
    std::int64_t amount = 0; //!< satoshis locked
    std::int32_t confirmations = 0;
    std::int64_t confirmed_at = 0; //!< unix time, estimated at ten minutes a block
    jm::bitcoin::Script script_pubkey;
    double value = 0; //!< bondValue()
};

//! The outpoint a proof names (its txid is in display order).
JM_SDK_API jm::bitcoin::OutPoint bondOutpoint(const jm::protocol::BondProof& proof);

//! Judges the backend's answer on a bond coin (`coin` as getTxOut gave it), for a proof whose
//! signatures were already verified: the coin must exist unspent, be confirmed, pay the proof's
//! timelocked script, the certificate must not have expired at `tip_height`, and the coin must
//! not back a bond already counted (`taken`). The value uses `now` (unix seconds) and REF's
//! interest rate and exponent as given. Errors: errc::rejected saying why the bond does not count.
//! Executor: any (pure).
JM_SDK_API jm::sdk::Result<VerifiedBond> checkBondCoin(const jm::protocol::BondProof& proof,
                                                       const jm::sdk::Result<std::optional<jm::chain::TxOutInfo>>& coin,
                                                       std::int32_t tip_height, std::int64_t now,
                                                       const std::set<jm::bitcoin::OutPoint>& taken,
                                                       double interest_rate = 0.015, double exponent = 1.0);

} // namespace jm::market
