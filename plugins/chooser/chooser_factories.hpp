#pragma once

#include <jm/sdk/plugin.hpp>

#include <span>

namespace jm::plugins::chooser {

//! The chooser plugin's factories (kind "chooser"): random, cheapest, weighted and
//! fidelity_bond_weighted. Each instance provides its chooser as the "chooser/1" service under
//! its instance name. Ownership: static storage. Executor: see PluginFactory.
std::span<jm::sdk::PluginFactory* const> chooserFactories();

} // namespace jm::plugins::chooser
