#pragma once

#include <jm/taker/order_chooser.hpp>

#include <boost/random/mersenne_twister.hpp>

#include <span>
#include <string_view>

namespace jm::plugins::chooser {

//! The only randomness a chooser uses, seeded from ChooseRequest::seed. Boost's engine and
//! distributions are the same code on every platform, so a seed means the same choice everywhere.
using Rng = boost::random::mt19937_64;

//! One maker as REF's choose_orders ranks it: its cheapest offer and that offer's fee.
struct RankedOffer {
    std::size_t index = 0; //!< into the offers the taker passed
    std::string_view counterparty;
    //! REF's sorting fee: real cjfee minus the offer's txfee contribution; for a sweep
    //! (amount 0) the real cjfee at the total input, as choose_sweep_orders does.
    std::int64_t fee = 0;
    double bond_value = 0; //!< before the exponent; 0 when bondless (negative / NaN count as 0)
};

//! REF's choose_orders / choose_sweep_orders around a per-pick rule: keeps each counterparty's
//! cheapest offer (ties: the first given), sorts them by fee (ties: the order given), then picks
//! `count` times with pick(), removing the chosen maker before the next pick.
//! Executor: any; immutable, safe to share between takers.
class RankedChooser : public jm::taker::OrderChooser {
public:
    jm::sdk::Result<std::vector<std::size_t>> choose(const std::vector<jm::taker::CandidateOffer>& offers,
                                                     const jm::taker::ChooseRequest& request) const final;

    //! The candidates as choose() ranks them (exposed for tests).
    static std::vector<RankedOffer> rank(const std::vector<jm::taker::CandidateOffer>& offers, std::int64_t amount);

protected:
    //! Position in `ranked` (never empty, ascending fee) of the next maker. `count` is the number
    //! of makers the taker asked for in total (REF passes n to every pick).
    virtual std::size_t pick(std::span<const RankedOffer> ranked, std::size_t count, Rng& rng) const = 0;
};

//! A uniform position in [0, size) (size > 0).
std::size_t uniformIndex(std::size_t size, Rng& rng);
//! A position drawn with probability weight / sum(weights), as REF's rand_weighted_choice.
//! Weights are finite and non-negative with a positive sum.
std::size_t weightedIndex(std::span<const double> weights, Rng& rng);

} // namespace jm::plugins::chooser
