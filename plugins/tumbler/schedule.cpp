#include "schedule.hpp"

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace jm::plugins::tumbler {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

using Rng = boost::random::mt19937_64;

double uniform(Rng& rng) { return boost::random::uniform_01<double>()(rng); }

double normal(Rng& rng, double mean, double sd) {
    if (sd <= 0) return mean;
    return boost::random::normal_distribution<double>(mean, sd)(rng);
}

double exponential(Rng& rng, double mean) {
    if (mean <= 0) return 0;
    return boost::random::exponential_distribution<double>(1.0 / mean)(rng);
}

//! A normal draw truncated toward zero, then clamped up to `floor` (REF lower_bounded_int).
std::vector<int> counts(Rng& rng, double mean, double sd, std::size_t n, int floor) {
    std::vector<double> draws(n);
    for (auto& d : draws)
        d = normal(rng, mean, sd);
    std::vector<int> out;
    for (double d : draws) {
        // Clamp before the cast: a wild draw must not overflow int.
        double t = std::trunc(std::clamp(d, -1e6, 1e6));
        out.push_back(std::max(static_cast<int>(t), floor));
    }
    return out;
}

std::vector<double> waits(Rng& rng, double mean, std::size_t n) {
    std::vector<double> out(n);
    for (auto& w : out)
        w = std::round(exponential(rng, mean) * 100) / 100; // two decimals, as REF keeps them
    return out;
}

//! `count` fractions summing to 1 from uniform cut points; the last (the mixdepth's closing
//! sweep) is kept above 5% so it stays a real CoinJoin after the earlier amounts were bumped.
std::vector<double> amountFractions(Rng& rng, int count) {
    for (;;) {
        std::vector<double> knives(static_cast<std::size_t>(std::max(count - 1, 0)));
        for (auto& k : knives)
            k = uniform(rng);
        std::sort(knives.rbegin(), knives.rend());
        std::vector<double> out;
        double previous = 1, last = 1;
        for (double k : knives) {
            out.push_back(previous - k);
            previous = k;
            last = k;
        }
        out.push_back(last);
        if (out.back() > 0.05) return out;
    }
}

int weightedChoice(Rng& rng, const std::array<double, 5>& weights) {
    double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    double u = uniform(rng) * total;
    double sum = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        sum += weights[i];
        if (u < sum) return static_cast<int>(i);
    }
    return static_cast<int>(weights.size()) - 1;
}

} // namespace

std::int64_t roundToSignificantFigures(std::int64_t sats, int figures) {
    if (sats <= 0 || figures <= 0) return sats;
    int digits = static_cast<int>(std::to_string(sats).size());
    if (digits <= figures) return sats;
    std::int64_t unit = 1;
    for (int i = 0; i < digits - figures; ++i)
        unit *= 10;
    return (sats + unit / 2) / unit * unit;
}

jm::sdk::Result<std::vector<ScheduleStep>> makeTumbleSchedule(const ScheduleOptions& o, std::size_t destinations,
                                                              const std::map<int, std::int64_t>& balances,
                                                              int wallet_mixdepths, std::uint64_t seed) {
    if (destinations < MIN_DESTINATIONS)
        return fail(errc::invalid_argument, "a tumble needs at least " + std::to_string(MIN_DESTINATIONS) +
                                                " destination addresses (it has " + std::to_string(destinations) + ")");
    if (o.mixdepthcount < 1 || o.mixdepthcount > 32) return fail(errc::invalid_argument, "mixdepthcount must be 1..32");
    if (destinations > static_cast<std::size_t>(o.mixdepthcount))
        return fail(errc::invalid_argument, "more destinations (" + std::to_string(destinations) +
                                                ") than mixdepths to tumble through (mixdepthcount " +
                                                std::to_string(o.mixdepthcount) + ")");
    if (wallet_mixdepths < 2) return fail(errc::invalid_argument, "the wallet needs at least 2 mixdepths");
    if (o.minmakercount < 1 || o.mintxcount < 1 || o.makercount_sd < 0 || o.txcount_sd < 0 || o.timelambda < 0 ||
        o.stage1_timelambda_increase < 0 || o.rounding_chance < 0 || o.rounding_chance > 1 ||
        !std::isfinite(o.makercount_mean) || !std::isfinite(o.txcount_mean) || !std::isfinite(o.timelambda))
        return fail(errc::invalid_argument, "tumble options out of range");
    double weights = 0;
    for (double w : o.rounding_sigfig_weights) {
        if (w < 0 || !std::isfinite(w)) return fail(errc::invalid_argument, "rounding weights must not be negative");
        weights += w;
    }
    if (weights <= 0) return fail(errc::invalid_argument, "the rounding weights add up to nothing");

    Rng rng(seed);
    const int n = o.mixdepthcount;
    const int addrcount = static_cast<int>(destinations);
    auto txcounts = counts(rng, o.txcount_mean, o.txcount_sd, static_cast<std::size_t>(n), o.mintxcount);
    std::vector<ScheduleStep> steps;

    // Stage 1: sweep every funded mixdepth into the next, highest first, so no change is made.
    std::vector<int> funded;
    for (const auto& [mixdepth, sats] : balances)
        if (sats > 0 && mixdepth >= 0 && mixdepth < wallet_mixdepths) funded.push_back(mixdepth);
    auto stage1_waits = waits(rng, o.timelambda * o.stage1_timelambda_increase, funded.size());
    auto stage1_makers = counts(rng, o.makercount_mean, o.makercount_sd, funded.size(), o.minmakercount);
    std::sort(funded.rbegin(), funded.rend());
    // Which mixdepths hold coins after stage 1: a later sweep may empty one an earlier filled.
    std::map<int, bool> holds;
    for (std::size_t i = 0; i < funded.size(); ++i) {
        holds[funded[i]] = false;
        holds[(funded[i] + 1) % wallet_mixdepths] = true;
        steps.push_back({funded[i], 0, stage1_makers[i], -1, stage1_waits[i], 0});
    }
    int lowest = -1;
    for (const auto& [mixdepth, has] : holds)
        if (has) {
            lowest = mixdepth;
            break;
        }
    if (lowest < 0) return fail(errc::insufficient_funds, "no mixdepth of the wallet holds coins to tumble");

    // Stage 2: random fractions through n mixdepths; the last CoinJoin of each is its sweep.
    for (int m = 0; m < n; ++m) {
        int txcount = txcounts[static_cast<std::size_t>(m)];
        // A mixdepth paying a destination (but not the last) keeps coins for the next one.
        if (n - addrcount <= m && m < n - 1 && txcount == 1) txcount = 2;
        auto fractions = amountFractions(rng, txcount);
        auto stage_waits = waits(rng, o.timelambda, static_cast<std::size_t>(txcount));
        auto makers =
            counts(rng, o.makercount_mean, o.makercount_sd, static_cast<std::size_t>(txcount), o.minmakercount);
        std::vector<bool> rounds;
        for (int i = 0; i < txcount; ++i)
            rounds.push_back(uniform(rng) < o.rounding_chance);
        for (std::size_t i = 0; i < static_cast<std::size_t>(txcount); ++i) {
            int rounding = rounds[i] ? weightedChoice(rng, o.rounding_sigfig_weights) + 1 : 0;
            steps.push_back({(lowest + m) % wallet_mixdepths, fractions[i], makers[i], -1, stage_waits[i], rounding});
        }
        steps.back().amount_fraction = 0;
        steps.back().rounding = 0;
    }

    // The last addrcount mixdepths pay out, their last CoinJoin each: the last mixdepth the last
    // destination, and so back; the very last mixdepth sends everything out.
    for (int offset = 0; offset < addrcount; ++offset) {
        int source = ((lowest + n - offset - 1) % wallet_mixdepths + wallet_mixdepths) % wallet_mixdepths;
        for (auto it = steps.rbegin(); it != steps.rend(); ++it)
            if (it->mixdepth == source) {
                it->destination = addrcount - 1 - offset;
                break;
            }
        if (offset == 0) {
            int ending = steps.back().mixdepth;
            std::vector<ScheduleStep> kept;
            auto tail = steps.size();
            while (tail > 0 && steps[tail - 1].mixdepth == ending)
                --tail;
            for (std::size_t i = tail; i < steps.size(); ++i) {
                if (steps[i].destination < 0) continue; // nothing stays behind in the last mixdepth
                steps[i].amount_fraction = 0;
                kept.push_back(steps[i]);
            }
            steps.resize(tail);
            steps.insert(steps.end(), kept.begin(), kept.end());
        }
    }
    // Each destination is paid by exactly one step: with more mixdepths to pass through than the
    // wallet has, two payouts would fall on one mixdepth and a destination would be lost.
    std::vector<int> paid(destinations, 0);
    for (const auto& s : steps)
        if (s.destination >= 0) ++paid[static_cast<std::size_t>(s.destination)];
    for (int p : paid)
        if (p != 1)
            return fail(errc::invalid_argument, "mixdepthcount " + std::to_string(n) + " with " +
                                                    std::to_string(destinations) +
                                                    " destinations does not fit a wallet of " +
                                                    std::to_string(wallet_mixdepths) + " mixdepths");
    return steps;
}

} // namespace jm::plugins::tumbler
