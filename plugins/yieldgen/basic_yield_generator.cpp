#include "basic_yield_generator.hpp"

#include <jm/protocol/basic_offers.hpp>

#include <algorithm>

namespace jm::plugins::yieldgen {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<std::vector<jm::protocol::Offer>> BasicYieldGenerator::createOffers(const jm::maker::WalletView& wallet,
                                                                                    const jm::maker::FeeView&) {
    // REF: no coins, no offer.
    if (!wallet.largestMixdepth()) return std::vector<jm::protocol::Offer>{};
    jm::protocol::BasicOfferParams params;
    params.type = m_settings.ordertype;
    params.txfee_contribution = m_settings.txfee_contribution;
    params.cjfee_a = m_settings.cjfee_a;
    params.cjfee_r = m_settings.cjfee_r;
    params.minsize = m_settings.minsize;
    params.dust_threshold = m_settings.dust_threshold;
    auto offers = jm::protocol::basicOffers(wallet.balances(), params);
    if (!offers) return offers.error();
    // REF asserts maxsize > 0: a balance at or below the dust threshold offers nothing.
    std::erase_if(*offers, [](const auto& o) { return o.maxsize <= 0; });
    return offers;
}

jm::sdk::Result<int> BasicYieldGenerator::chooseMixdepth(const jm::maker::FillContext& fill,
                                                         const jm::maker::WalletView&) {
    if (fill.candidates.empty()) return fail(errc::insufficient_funds, "no mixdepth can pay this fill");
    return *std::min_element(fill.candidates.begin(), fill.candidates.end());
}

} // namespace jm::plugins::yieldgen
