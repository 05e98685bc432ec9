#include "privacy_enhanced_yield_generator.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace jm::plugins::yieldgen {

using jm::protocol::Offer;
using jm::sdk::errc;
using jm::sdk::fail;

PrivacyEnhancedYieldGenerator::PrivacyEnhancedYieldGenerator(YieldGenSettings settings, std::uint64_t seed) :
    m_settings(std::move(settings)), m_random(seed) {}

double PrivacyEnhancedYieldGenerator::uniform(double a, double b) {
    double u = std::generate_canonical<double, 53>(m_random);
    return a + (b - a) * u;
}

jm::sdk::Result<std::vector<Offer>> PrivacyEnhancedYieldGenerator::createOffers(const jm::maker::WalletView& wallet,
                                                                                const jm::maker::FeeView&) {
    const auto& s = m_settings;
    const auto dust = s.dust_threshold;
    // Only mixdepths above minsize can carry the offer (REF), the largest one sizes it.
    std::optional<int> largest;
    for (const auto& md : wallet.mixdepths)
        if (md.available > s.minsize && (!largest || md.available > wallet.available(*largest))) largest = md.mixdepth;
    if (!largest) return std::vector<Offer>{};
    auto as_double = [](std::int64_t v) { return static_cast<double>(v); };

    std::lock_guard lock(m_mutex);
    Offer o;
    o.type = s.ordertype;
    o.oid = 0;
    double tf = s.txfee_contribution_factor, sf = s.size_factor, cf = s.cjfee_factor;
    o.txfee = static_cast<std::int64_t>(
        uniform(as_double(s.txfee_contribution) * (1 - tf), as_double(s.txfee_contribution) * (1 + tf)));
    o.minsize = static_cast<std::int64_t>(uniform(as_double(s.minsize) * (1 - sf), as_double(s.minsize) * (1 + sf)));
    o.minsize = std::max(o.minsize, dust);
    auto possible_max = wallet.available(*largest) - std::max(dust, o.txfee);
    o.maxsize = static_cast<std::int64_t>(uniform(as_double(possible_max) * (1 - sf), as_double(possible_max)));
    if (jm::protocol::isRelative(s.ordertype)) {
        double f = std::strtod(s.cjfee_r.c_str(), nullptr);
        char text[64];
        std::snprintf(text, sizeof text, "%.6f", uniform(f * (1 - cf), f * (1 + cf)));
        o.cjfee = text;
    } else {
        auto a = as_double(s.cjfee_a);
        o.cjfee = std::to_string(static_cast<std::int64_t>(uniform(a * (1 - cf), a * (1 + cf))) + o.txfee);
    }
    // REF asserts minsize <= maxsize (and stops the maker); here the maker just offers nothing.
    if (o.minsize > o.maxsize) return std::vector<Offer>{};
    if (jm::protocol::isRelative(s.ordertype)) {
        double fee = std::strtod(o.cjfee.c_str(), nullptr);
        bool profitable = false;
        for (int i = 0; i < 20 && !profitable; ++i) {
            profitable = as_double(o.txfee) < fee * as_double(o.minsize);
            if (!profitable) o.txfee /= 2;
        }
        if (!profitable)
            return fail(errc::invalid_config, "the txfee contribution is too high for the relative fee (REF gives "
                                              "up after 20 halvings); lower txfee_contribution");
    }
    return std::vector<Offer>{o};
}

int PrivacyEnhancedYieldGenerator::afterLargestGap(const std::vector<int>& available, int count) {
    // The gap that ends at available[i] is the distance from the previous available mixdepth,
    // cyclically for the first one.
    std::size_t best = 0;
    int best_gap = -1;
    for (std::size_t i = 0; i < available.size(); ++i) {
        int gap = i == 0 ? count + available.front() - available.back() : available[i] - available[i - 1];
        if (gap > best_gap) {
            best_gap = gap;
            best = i;
        }
    }
    return available[best];
}

jm::sdk::Result<int> PrivacyEnhancedYieldGenerator::chooseMixdepth(const jm::maker::FillContext& fill,
                                                                   const jm::maker::WalletView& wallet) {
    if (fill.candidates.empty()) return fail(errc::insufficient_funds, "no mixdepth can pay this fill");
    auto sorted = fill.candidates;
    std::sort(sorted.begin(), sorted.end());
    return afterLargestGap(sorted, wallet.mixdepthCount());
}

} // namespace jm::plugins::yieldgen
