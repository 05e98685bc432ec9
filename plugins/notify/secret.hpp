#pragma once

#include <jm/sdk/config.hpp>
#include <jm/sdk/result.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace jm::plugins::notify {

//! Reads a secret (a token, a password) from a file that only its owner can read or write
//! (mode 0600 or stricter, no group or other bits). Trailing newlines are removed.
//! Errors: errc::invalid_config naming the file and the problem (missing, wrong mode, empty),
//! never its content.
jm::sdk::Result<std::string> readSecretFile(const std::filesystem::path& path);

//! Reads the secret `<name>` of a notifier config from `<name>_file` (see readSecretFile) or
//! from the environment variable named by `<name>_env`; exactly one of them must be set (unless
//! `optional`, when neither gives ""). Relative file paths are resolved against `base`.
//! Errors: errc::invalid_config (both or neither set, unreadable file, unset variable).
jm::sdk::Result<std::string> readSecret(const boost::json::object& config, std::string_view name,
                                        const std::filesystem::path& base, bool optional = false);

//! Adds the `<name>_file` and `<name>_env` keys for readSecret to `schema`.
void addSecretFields(jm::sdk::ConfigSchema& schema, std::string_view name, std::string_view what);

} // namespace jm::plugins::notify
