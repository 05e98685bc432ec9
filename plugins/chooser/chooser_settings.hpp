#pragma once

#include <jm/sdk/config.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

namespace jm::plugins::chooser {

//! The [POLICY] settings of the reference that its fidelity_bond_weighted_order_choose reads
//! (same names and defaults), from an instance's config.
struct BondWeightSettings {
    //! A maker's weight is (bond value before the exponent)^bond_value_exponent.
    double bond_value_exponent = 1.3;
    //! The chance, at each pick, of choosing uniformly among every candidate, bonded or not.
    double bondless_makers_allowance = 0.125;

    static const jm::sdk::ConfigSchema& schema();
    //! Reads a config validated against schema(). Errors: errc::invalid_config naming the key.
    static jm::sdk::Result<BondWeightSettings> fromConfig(const boost::json::object& config);
};

//! The config of the choosers that take no setting (random, cheapest, weighted): none.
const jm::sdk::ConfigSchema& emptyChooserSchema();

} // namespace jm::plugins::chooser
