#pragma once

#include "chooser_settings.hpp"
#include "ranked_chooser.hpp"

namespace jm::plugins::chooser {

//! chooser/random: REF random_under_max_order_choose. Every candidate equally likely (the taker
//! already dropped those above its fee limits).
class RandomChooser final : public RankedChooser {
    std::size_t pick(std::span<const RankedOffer> ranked, std::size_t count, Rng& rng) const override;
};

//! chooser/cheapest: REF cheapest_order_choose. The lowest fees, always; the seed is unused.
class CheapestChooser final : public RankedChooser {
    std::size_t pick(std::span<const RankedOffer> ranked, std::size_t count, Rng& rng) const override;
};

//! chooser/weighted: REF weighted_order_choose. P(fee) ∝ exp(-(fee - fee_min) / phi) where
//! phi = fee[3n] - fee_min when more than 3n candidates remain, else fee_last - fee_min (n = the
//! makers asked for; all equally likely when phi is 0). Recomputed over the remaining makers at
//! every pick, as REF does.
class WeightedChooser final : public RankedChooser {
    std::size_t pick(std::span<const RankedOffer> ranked, std::size_t count, Rng& rng) const override;
};

//! chooser/fidelity_bond_weighted: REF fidelity_bond_weighted_order_choose (REF's default). At
//! each pick: with probability bondless_makers_allowance, uniform among all remaining makers;
//! otherwise among those with a bond, with probability ∝ bond_value^bond_value_exponent (uniform
//! among all when none has a bond).
class FidelityBondWeightedChooser final : public RankedChooser {
public:
    explicit FidelityBondWeightedChooser(BondWeightSettings settings) : m_settings(settings) {}

private:
    std::size_t pick(std::span<const RankedOffer> ranked, std::size_t count, Rng& rng) const override;
    BondWeightSettings m_settings;
};

} // namespace jm::plugins::chooser
