// Key functions of the chain service interfaces (see sdk/src/interfaces.cpp for why).
#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/fee_estimator.hpp>

namespace jm::chain {

BlockchainBackend::~BlockchainBackend() = default;
FeeEstimator::~FeeEstimator() = default;

} // namespace jm::chain
