#pragma once

#include <config/node_config.hpp>
#include <plugins/plugin_loader.hpp>

#include <jm/sdk/config.hpp>

#include <string>
#include <vector>

namespace jm::host {

//! One plugin instance to create: resolved plugin and factory, validated config.
struct InstancePlan {
    std::string name;
    const PluginRecord* plugin = nullptr;
    jm::sdk::PluginFactory* factory = nullptr;
    boost::json::object config; //!< validated, defaults filled
    std::string path;           //!< JSON path of the config entry
};

//! Resolves every "plugins" entry against the loaded plugins and validates each instance's
//! config against its factory's schema, before anything is created. Appends one problem per
//! error (unknown plugin or factory with the closest valid name, duplicate, invalid or reserved
//! (WALLET_NAMESPACE) instance name, schema errors, then the factory's checkConfig problems for a
//! config the schema accepted, a dependency no instance provides, a dependency cycle).
//! Returns the instances in start order (providers before consumers; then backends, fee and
//! choosers, roles, notifiers; then config order). Executor: main thread.
std::vector<InstancePlan> planInstances(const NodeConfig& config, const PluginLoader& loader,
                                        std::vector<jm::sdk::ConfigProblem>& problems);

//! True for names usable as instance, log channel and storage namespace: [A-Za-z0-9_.-]+.
bool validInstanceName(std::string_view name);

} // namespace jm::host
