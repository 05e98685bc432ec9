#pragma once

#include <jm/sdk/plugin.hpp>

namespace jm::plugins::backend_sim {

//! The factory backend/sim: validates the config for the node's network (regtest only), builds
//! a SimBackend and provides it as "backend/1" under the instance name.
//! Ownership: static storage. Executor: see PluginFactory.
jm::sdk::PluginFactory& simFactory();

} // namespace jm::plugins::backend_sim
