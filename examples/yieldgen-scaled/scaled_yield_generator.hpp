#pragma once

#include <jm/maker/yield_generator.hpp>
#include <jm/sdk/config.hpp>

#include <cstdint>
#include <string>

namespace example {

//! A yield generator whose fee grows with the mixdepth's balance: one relative offer per
//! mixdepth that can carry one (oid = the mixdepth), asking
//!   fee = base_fee × (1 + available / scale)
//! so a big mixdepth (which can fill big CoinJoins, the rarer liquidity) asks more. A fill is
//! paid by the offer's own mixdepth. Pure and stateless: safe to share between makers.
class ScaledYieldGenerator final : public jm::maker::YieldGenerator {
public:
    struct Settings {
        std::int64_t base_fee_ppb = 20'000; //!< 0.00002 in parts per billion
        std::int64_t scale = 100'000'000;   //!< satoshis that add one base fee
        std::int64_t minsize = 100'000;
    };
    static const jm::sdk::ConfigSchema& schema();
    explicit ScaledYieldGenerator(Settings s) : m_settings(s) {}

    jm::sdk::Result<std::vector<jm::protocol::Offer>> createOffers(const jm::maker::WalletView& wallet,
                                                                   const jm::maker::FeeView& fees) override;
    jm::sdk::Result<int> chooseMixdepth(const jm::maker::FillContext& fill,
                                        const jm::maker::WalletView& wallet) override;

    //! A fraction in parts per billion as the decimal text takers expect ("0.00002").
    static std::string fractionText(std::int64_t ppb);

private:
    Settings m_settings;
};

} // namespace example
