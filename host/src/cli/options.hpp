#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace jm::host {

//! Parses a subcommand's arguments. Adds --help; prints usage and returns nullopt with
//! `exit_code` 0 for --help, 2 (after a clear message) for bad arguments.
std::optional<boost::program_options::variables_map>
parseOptions(const std::vector<std::string>& args, const std::string& usage,
             boost::program_options::options_description options,
             const boost::program_options::positional_options_description& positional, int& exit_code);

//! Adds the repeatable --plugin-dir option (extra plugin directories) to `options`.
void addPluginDirOption(boost::program_options::options_description& options);
//! The --plugin-dir values given.
std::vector<std::filesystem::path> pluginDirs(const boost::program_options::variables_map& vm);

//! Satoshis as BTC with 8 decimals ("-0.00050000"), for the commands' human output.
std::string btc(std::int64_t sats);

} // namespace jm::host
