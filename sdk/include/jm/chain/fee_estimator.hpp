#pragma once

#include <jm/chain/blockchain_backend.hpp>

namespace jm::chain {

//! A fee policy: the fee rate to pay for a confirmation target. Provided by the fee plugin's
//! factories (`backend`: the backend's estimate with floor, cap and JoinMarket's randomisation;
//! `fixed`). Used by plain wallet sends and by the taker.
//! Executor: any; the completion runs on `ex`. Errors: those of the backend it asks.
class JM_SDK_API FeeEstimator : public jm::sdk::Service {
public:
    static constexpr std::string_view service_kind = "fee/1";
    ~FeeEstimator() override;

    //! Satoshis per 1000 virtual bytes.
    virtual void estimate(int target_blocks, jm::sdk::Executor ex, Callback<std::int64_t> done) = 0;
};

} // namespace jm::chain
