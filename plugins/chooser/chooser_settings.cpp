#include "chooser_settings.hpp"

#include <cmath>

namespace jm::plugins::chooser {

using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

const jm::sdk::ConfigSchema& BondWeightSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        // Below 1, splitting one bond over several makers would gain weight (the Sybil attack
        // bonds exist to make expensive); REF documents x > 1. Above 10 nothing meaningful is left.
        schema.bounded("bond_value_exponent", ConfigType::Double, 1.3, 1, 10,
                       "a maker's weight is its bond's value raised to this power; above 1 makes splitting a "
                       "bond over several makers cost weight (REF [POLICY] bond_value_exponent)");
        schema.bounded("bondless_makers_allowance", ConfigType::Double, 0.125, 0, 1,
                       "chance, at each pick, of choosing uniformly among all candidates, makers without a "
                       "bond included (REF [POLICY] bondless_makers_allowance; 0.125 = 1 maker in 8)");
        return schema;
    }();
    return s;
}

jm::sdk::Result<BondWeightSettings> BondWeightSettings::fromConfig(const boost::json::object& config) {
    BondWeightSettings s;
    auto exponent = jm::sdk::configDouble(config, "bond_value_exponent");
    if (!exponent) return exponent.error();
    auto allowance = jm::sdk::configDouble(config, "bondless_makers_allowance");
    if (!allowance) return allowance.error();
    // The host validated the bounds; a caller that skipped validation still gets no NaN through.
    if (!std::isfinite(*exponent) || *exponent < 1 || *exponent > 10)
        return fail(errc::invalid_config, "bond_value_exponent must be a number from 1 to 10 (REF default 1.3)");
    if (!std::isfinite(*allowance) || *allowance < 0 || *allowance > 1)
        return fail(errc::invalid_config,
                    "bondless_makers_allowance must be a fraction from 0 to 1 (REF default 0.125)");
    s.bond_value_exponent = *exponent;
    s.bondless_makers_allowance = *allowance;
    return s;
}

const jm::sdk::ConfigSchema& emptyChooserSchema() {
    static const jm::sdk::ConfigSchema s;
    return s;
}

} // namespace jm::plugins::chooser
