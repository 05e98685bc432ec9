#include "ranked_chooser.hpp"

#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace jm::plugins::chooser {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

//! a - b, clamped to the int64 range (fees come from the network: never overflow).
std::int64_t saturatingSub(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (!__builtin_sub_overflow(a, b, &r)) return r;
    return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

} // namespace

std::size_t uniformIndex(std::size_t size, Rng& rng) {
    boost::random::uniform_int_distribution<std::size_t> dist(0, size - 1);
    return dist(rng);
}

std::size_t weightedIndex(std::span<const double> weights, Rng& rng) {
    double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    double r = boost::random::uniform_01<double>()(rng) * total;
    double cumulative = 0;
    // The first position whose cumulative weight reaches r; rounding can leave r above the last
    // sum, which REF would turn into an index past the end: the last positive weight is taken.
    std::size_t last_positive = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        if (weights[i] <= 0) continue;
        last_positive = i;
        cumulative += weights[i];
        if (r < cumulative) return i;
    }
    return last_positive;
}

std::vector<RankedOffer> RankedChooser::rank(const std::vector<jm::taker::CandidateOffer>& offers,
                                             std::int64_t amount) {
    std::map<std::string_view, RankedOffer> cheapest;
    for (std::size_t i = 0; i < offers.size(); ++i) {
        const auto& c = offers[i];
        RankedOffer r{i, c.counterparty, amount == 0 ? c.cjfee : saturatingSub(c.cjfee, c.offer.txfee),
                      std::isfinite(c.bond_value) && c.bond_value > 0 ? c.bond_value : 0.0};
        auto [it, inserted] = cheapest.emplace(c.counterparty, r);
        if (!inserted && r.fee < it->second.fee) it->second = r;
    }
    std::vector<RankedOffer> ranked;
    ranked.reserve(cheapest.size());
    for (const auto& [nick, r] : cheapest)
        ranked.push_back(r);
    std::sort(ranked.begin(), ranked.end(), [](const RankedOffer& a, const RankedOffer& b) {
        return a.fee != b.fee ? a.fee < b.fee : a.index < b.index;
    });
    return ranked;
}

jm::sdk::Result<std::vector<std::size_t>> RankedChooser::choose(const std::vector<jm::taker::CandidateOffer>& offers,
                                                                const jm::taker::ChooseRequest& request) const {
    if (request.amount < 0) return fail(errc::invalid_argument, "negative CoinJoin amount");
    auto ranked = rank(offers, request.amount);
    if (request.count > ranked.size())
        return fail(errc::not_found, "not enough liquidity: " + std::to_string(request.count) + " makers wanted, " +
                                         std::to_string(ranked.size()) + " suitable counterparties");
    Rng rng(request.seed);
    std::vector<std::size_t> chosen;
    chosen.reserve(request.count);
    while (chosen.size() < request.count) {
        auto at = pick(ranked, request.count, rng);
        if (at >= ranked.size()) at = ranked.size() - 1; // a pick rule's bug must not read past the end
        chosen.push_back(ranked[at].index);
        ranked.erase(ranked.begin() + static_cast<std::ptrdiff_t>(at));
    }
    return chosen;
}

} // namespace jm::plugins::chooser
