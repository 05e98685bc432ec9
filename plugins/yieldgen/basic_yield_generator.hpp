#pragma once

#include "yieldgen_settings.hpp"

#include <jm/maker/yield_generator.hpp>

namespace jm::plugins::yieldgen {

//! yieldgen/basic: REF's yield-generator-basic. One offer (oid 0) sized on the mixdepth with the
//! largest balance: maxsize = that balance - max(dust, txfee); a relative offer's minsize is
//! raised so that the fee always covers 1.5x the txfee contribution; an absolute offer asks
//! txfee + cjfee_a. A fill is taken from the lowest-numbered mixdepth that can pay it.
//! Executor: any; stateless after construction (safe to share).
class BasicYieldGenerator final : public jm::maker::YieldGenerator {
public:
    explicit BasicYieldGenerator(YieldGenSettings settings) : m_settings(std::move(settings)) {}

    jm::sdk::Result<std::vector<jm::protocol::Offer>> createOffers(const jm::maker::WalletView& wallet,
                                                                   const jm::maker::FeeView& fees) override;
    jm::sdk::Result<int> chooseMixdepth(const jm::maker::FillContext& fill,
                                        const jm::maker::WalletView& wallet) override;

private:
    YieldGenSettings m_settings;
};

} // namespace jm::plugins::yieldgen
