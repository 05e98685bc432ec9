// Key functions of the chain service interfaces (see sdk/src/interfaces.cpp for why).
#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/fee_estimator.hpp>

namespace jm::chain {

BlockchainBackend::~BlockchainBackend() = default;
FeeEstimator::~FeeEstimator() = default;

BackendCapabilities BlockchainBackend::capabilities() const { return {}; }

void BlockchainBackend::getTxOutHinted(jm::bitcoin::OutPoint outpoint, std::optional<OutPointHint>,
                                       jm::sdk::Executor ex, Callback<std::optional<TxOutInfo>> done) {
    // A full node's UTXO set answers for any outpoint: the hint is not needed, and ignoring it
    // means a peer's wrong hint cannot change the answer.
    getTxOut(std::move(outpoint), std::move(ex), std::move(done));
}

} // namespace jm::chain
