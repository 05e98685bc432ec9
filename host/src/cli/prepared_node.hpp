#pragma once

#include <config/node_config.hpp>
#include <plugins/instance_plan.hpp>
#include <plugins/plugin_loader.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace jm::host {

//! A config read, plugins loaded and every instance planned and validated: what `run` and
//! `config check` share.
struct PreparedNode {
    NodeConfig config;
    std::unique_ptr<PluginLoader> loader;
    std::vector<InstancePlan> plans;
};

//! Reads and validates `config_file`, loads the plugin directories (the config's, then
//! `extra_dirs`, then the defaults) and plans the instances. On failure prints every problem
//! as "<json path>: <message>" to stderr and returns nullopt.
std::optional<PreparedNode> prepareNode(const std::filesystem::path& config_file,
                                        const std::vector<std::filesystem::path>& extra_dirs);

//! The plugin directories searched: `extra_dirs` first, then the defaults.
std::vector<std::filesystem::path> pluginSearchPath(const std::vector<std::filesystem::path>& config_dirs,
                                                    const std::vector<std::filesystem::path>& extra_dirs);

} // namespace jm::host
