#include "secret.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace jm::plugins::notify {

using jm::sdk::errc;

jm::sdk::Result<std::string> readSecret(const boost::json::object& config, std::string_view name,
                                        const std::filesystem::path& base, bool optional) {
    std::string file_key = std::string(name) + "_file";
    std::string env_key = std::string(name) + "_env";
    const auto* file = config.if_contains(file_key);
    const auto* env = config.if_contains(env_key);
    bool has_file = file && file->is_string() && !file->as_string().empty();
    bool has_env = env && env->is_string() && !env->as_string().empty();
    if (has_file && has_env)
        return jm::sdk::fail(errc::invalid_config, "set either " + file_key + " or " + env_key + ", not both");
    // Secrets travel in HTTP headers, URLs and SMTP lines: a control character (a newline from
    // the environment) would split the request.
    auto printable = [](const std::string& s) {
        return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    };
    if (has_file) {
        std::filesystem::path path(std::string(file->as_string()));
        if (path.is_relative()) path = base / path;
        auto secret = readSecretFile(path);
        if (secret && !printable(*secret))
            return jm::sdk::fail(errc::invalid_config,
                                 "secret file " + path.string() + " (" + file_key + ") holds control characters");
        return secret;
    }
    if (has_env) {
        std::string var(env->as_string());
        // A common slip is the secret itself in <name>_env: never repeat such a value.
        bool is_name = !std::isdigit(static_cast<unsigned char>(var[0])) &&
                       std::all_of(var.begin(), var.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
        if (!is_name)
            return jm::sdk::fail(errc::invalid_config,
                                 env_key + " must name an environment variable (letters, digits and _), not hold the " +
                                     std::string(name) + " itself; keep secrets out of the config");
        const char* value = std::getenv(var.c_str());
        if (!value || !*value)
            return jm::sdk::fail(errc::invalid_config, "environment variable " + var + " (" + env_key + ") is not set");
        std::string secret(value);
        if (!printable(secret))
            return jm::sdk::fail(errc::invalid_config, "environment variable " + var + " (" + env_key +
                                                           ") holds control characters (a newline?)");
        return secret;
    }
    if (optional) return std::string();
    return jm::sdk::fail(errc::invalid_config, "the " + std::string(name) + " is needed: set " + file_key +
                                                   " (a file with mode 0600) or " + env_key +
                                                   " (an environment variable); secrets never go in the config");
}

void addSecretFields(jm::sdk::ConfigSchema& schema, std::string_view name, std::string_view what) {
    schema.optional(std::string(name) + "_file", jm::sdk::ConfigType::String, nullptr,
                    "file holding the " + std::string(what) +
                        " (mode 0600, refused otherwise; relative to the node's data directory)");
    schema.optional(std::string(name) + "_env", jm::sdk::ConfigType::String, nullptr,
                    "environment variable holding the " + std::string(what) + " (instead of " + std::string(name) +
                        "_file)");
}

} // namespace jm::plugins::notify
