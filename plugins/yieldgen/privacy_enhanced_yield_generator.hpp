#pragma once

#include "yieldgen_settings.hpp"

#include <jm/maker/yield_generator.hpp>

#include <cstdint>
#include <mutex>
#include <random>

namespace jm::plugins::yieldgen {

//! yieldgen/privacy_enhanced: REF's yg-privacyenhanced. One offer (oid 0) whose sizes and fees
//! are drawn afresh each time offers are made, so that an observer cannot follow a maker's
//! balance from its announcements:
//!   txfee   = int(uniform(txfee * (1 - txfee_contribution_factor), txfee * (1 + ...)))
//!   minsize = int(uniform(minsize * (1 - size_factor), minsize * (1 + size_factor))), at least dust
//!   maxsize = int(uniform(M * (1 - size_factor), M)), M = largest balance - max(dust, txfee)
//!   cjfee   = relative: uniform(cjfee_r * (1 -/+ cjfee_factor)) with 6 decimals;
//!             absolute: int(uniform(cjfee_a * (1 -/+ cjfee_factor))) + txfee
//! Only mixdepths holding more than minsize count. A relative offer's txfee is halved (up to 20
//! times) until the fee at minsize pays it. A fill is taken from the first mixdepth after the
//! largest cyclic run of mixdepths that cannot pay it (keeps the big coins together).
//! Executor: any; the random generator is guarded by a mutex.
class PrivacyEnhancedYieldGenerator final : public jm::maker::YieldGenerator {
public:
    //! `seed`: the random generator's seed (tests fix it; the plugin draws it from libsodium).
    PrivacyEnhancedYieldGenerator(YieldGenSettings settings, std::uint64_t seed);

    jm::sdk::Result<std::vector<jm::protocol::Offer>> createOffers(const jm::maker::WalletView& wallet,
                                                                   const jm::maker::FeeView& fees) override;
    jm::sdk::Result<int> chooseMixdepth(const jm::maker::FillContext& fill,
                                        const jm::maker::WalletView& wallet) override;

    //! REF select_input_mixdepth: of the sorted `available` mixdepths (of `count`), the one that
    //! ends the largest cyclic gap of unavailable ones (the first such on a tie). Pure.
    static int afterLargestGap(const std::vector<int>& available, int count);

private:
    //! Python's random.uniform(a, b).
    double uniform(double a, double b);

    YieldGenSettings m_settings;
    std::mutex m_mutex;
    std::mt19937_64 m_random;
};

} // namespace jm::plugins::yieldgen
