#pragma once

#include <jm/sdk/config.hpp>
#include <jm/sdk/files.hpp>
#include <jm/sdk/result.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace jm::plugins::notify {

using jm::sdk::readSecretFile;

//! Reads the secret `<name>` of a notifier config from `<name>_file` (see readSecretFile) or
//! from the environment variable named by `<name>_env`; exactly one of them must be set (unless
//! `optional`, when neither gives ""). Relative file paths are resolved against `base`.
//! Errors: errc::invalid_config (both or neither set, unreadable file, unset variable).
jm::sdk::Result<std::string> readSecret(const boost::json::object& config, std::string_view name,
                                        const std::filesystem::path& base, bool optional = false);

//! Adds the `<name>_file` and `<name>_env` keys for readSecret to `schema`.
void addSecretFields(jm::sdk::ConfigSchema& schema, std::string_view name, std::string_view what);

} // namespace jm::plugins::notify
