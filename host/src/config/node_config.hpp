#pragma once

#include <logging/logging.hpp>

#include <jm/sdk/config.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jm::host {

//! The database namespace of the node's default wallet, "wallet". Plugin instances get the
//! namespace of their name, so no instance may be called this or "wallet.<anything>" (instance
//! planning refuses both).
constexpr std::string_view WALLET_NAMESPACE = "wallet";

//! The database namespace of the wallet called `name`: WALLET_NAMESPACE for "wallet" (the
//! default), "wallet.<name>" for any other. A node may keep several wallets (e.g. one per maker
//! instance); a role names its wallet in its config ("wallet": "<name>").
//! Errors: errc::invalid_argument for a name that is not 1 to 32 of a-z, 0-9, '_' and '-'.
jm::sdk::Result<std::string> walletNamespace(std::string_view name);

//! One entry of "plugins": which plugin, which factory, the instance name and its config.
struct PluginEntry {
    std::string load; //!< plugin name (jm_plugin_info::name)
    std::optional<std::string> factory;
    std::optional<std::string> instance;
    boost::json::object config; //!< validated later against the factory's schema
    std::string path;           //!< JSON path of the entry, e.g. "$.plugins[2]"
};

//! The parsed node config. Paths are already resolved (~ expanded, relative to the config
//! file's directory).
struct NodeConfig {
    std::filesystem::path config_file;
    std::filesystem::path datadir;
    std::string network;
    int io_threads = 2;
    int blocking_threads = 2;
    std::vector<std::filesystem::path> plugin_dirs;
    std::chrono::milliseconds stop_timeout{10'000};
    LogSettings log;
    std::vector<PluginEntry> plugins;
};

//! Reads a config file: JSON with comments and trailing commas allowed.
//! Errors: errc::io_error (cannot read), errc::invalid_config with line and column.
jm::sdk::Result<boost::json::value> readConfigFile(const std::filesystem::path& file);
//! Parses config text the same way; `name` prefixes error messages.
jm::sdk::Result<boost::json::value> parseConfigText(std::string_view text, std::string_view name);

//! Checks the node-level sections ("node", "log", the shape of "plugins") and fills defaults;
//! appends each problem with its JSON path. Returns the config when there was none.
//! Plugin configs are checked later against their factories' schemas.
std::optional<NodeConfig> parseNodeConfig(boost::json::value& root, const std::filesystem::path& config_file,
                                          std::vector<jm::sdk::ConfigProblem>& problems);

//! The schema of the "node" section (for `jmnode help-plugin node` and docs).
const jm::sdk::ConfigSchema& nodeSectionSchema();
//! The schema of the "log" section.
const jm::sdk::ConfigSchema& logSectionSchema();

//! "~" and "~/x" expanded with $HOME; relative paths resolved against `base`.
std::filesystem::path resolvePath(const std::string& text, const std::filesystem::path& base);

} // namespace jm::host
