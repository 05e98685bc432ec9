#include "scaled_yield_generator.hpp"

#include <algorithm>
#include <cstdio>

namespace example {

const jm::sdk::ConfigSchema& ScaledYieldGenerator::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        schema.bounded("base_fee_ppb", jm::sdk::ConfigType::Int, 20'000, 1, 100'000'000,
                       "fee of an empty mixdepth, in parts per billion of the CoinJoin amount");
        schema.bounded("scale", jm::sdk::ConfigType::Amount, 100'000'000, 1, 2.1e15,
                       "each this many satoshis of balance add one base fee");
        schema.optional("minsize", jm::sdk::ConfigType::Amount, 100'000, "smallest CoinJoin amount offered");
        return schema;
    }();
    return s;
}

std::string ScaledYieldGenerator::fractionText(std::int64_t ppb) {
    char digits[16];
    std::snprintf(digits, sizeof digits, "%09lld", static_cast<long long>(ppb % 1'000'000'000));
    std::string text = std::string("0.") + digits;
    while (text.back() == '0')
        text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
}

jm::sdk::Result<std::vector<jm::protocol::Offer>>
ScaledYieldGenerator::createOffers(const jm::maker::WalletView& wallet, const jm::maker::FeeView&) {
    std::vector<jm::protocol::Offer> offers;
    for (const auto& md : wallet.mixdepths) {
        // Keep the change above dust, as the maker requires (jm::maker::fillRequirement).
        auto maxsize = md.available - 2 * jm::protocol::DUST_THRESHOLD;
        if (maxsize < m_settings.minsize) continue;
        // Integer arithmetic on purpose: the fee text must be exact.
        auto extra =
            static_cast<std::int64_t>(static_cast<__int128>(m_settings.base_fee_ppb) * md.available / m_settings.scale);
        auto ppb = std::min<std::int64_t>(m_settings.base_fee_ppb + extra, 10'000'000); // at most 1 %
        jm::protocol::Offer o;
        o.type = jm::protocol::OfferType::Sw0Rel;
        o.oid = md.mixdepth;
        o.minsize = m_settings.minsize;
        o.maxsize = maxsize;
        o.txfee = 0;
        o.cjfee = fractionText(ppb);
        offers.push_back(o);
    }
    return offers;
}

jm::sdk::Result<int> ScaledYieldGenerator::chooseMixdepth(const jm::maker::FillContext& fill,
                                                          const jm::maker::WalletView&) {
    auto mixdepth = static_cast<int>(fill.offer.oid);
    if (std::find(fill.candidates.begin(), fill.candidates.end(), mixdepth) == fill.candidates.end())
        return jm::sdk::fail(jm::sdk::errc::insufficient_funds,
                             "mixdepth " + std::to_string(mixdepth) + " can no longer pay this fill");
    return mixdepth;
}

} // namespace example
