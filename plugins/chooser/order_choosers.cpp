#include "order_choosers.hpp"

#include <boost/random/uniform_01.hpp>

#include <algorithm>
#include <cmath>

namespace jm::plugins::chooser {

std::size_t RandomChooser::pick(std::span<const RankedOffer> ranked, std::size_t, Rng& rng) const {
    return uniformIndex(ranked.size(), rng);
}

std::size_t CheapestChooser::pick(std::span<const RankedOffer>, std::size_t, Rng&) const { return 0; }

std::size_t WeightedChooser::pick(std::span<const RankedOffer> ranked, std::size_t count, Rng& rng) const {
    auto m = 3 * count;
    double min_fee = static_cast<double>(ranked.front().fee);
    double phi = static_cast<double>(ranked.size() > m ? ranked[m].fee : ranked.back().fee) - min_fee;
    std::vector<double> weights(ranked.size(), 1.0);
    if (phi > 0)
        for (std::size_t i = 0; i < ranked.size(); ++i)
            weights[i] = std::exp(-(static_cast<double>(ranked[i].fee) - min_fee) / phi);
    return weightedIndex(weights, rng);
}

std::size_t FidelityBondWeightedChooser::pick(std::span<const RankedOffer> ranked, std::size_t, Rng& rng) const {
    if (boost::random::uniform_01<double>()(rng) < m_settings.bondless_makers_allowance)
        return uniformIndex(ranked.size(), rng);
    double largest = 0;
    for (const auto& r : ranked)
        largest = std::max(largest, r.bond_value);
    if (largest <= 0) return uniformIndex(ranked.size(), rng);
    // (v / largest)^x is proportional to v^x and cannot overflow, whatever the bond sizes.
    std::vector<double> weights(ranked.size(), 0.0);
    for (std::size_t i = 0; i < ranked.size(); ++i)
        if (ranked[i].bond_value > 0)
            weights[i] = std::pow(ranked[i].bond_value / largest, m_settings.bond_value_exponent);
    return weightedIndex(weights, rng);
}

} // namespace jm::plugins::chooser
