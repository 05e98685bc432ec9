#include "secret.hpp"

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
    if (has_file) {
        std::filesystem::path path(std::string(file->as_string()));
        if (path.is_relative()) path = base / path;
        return readSecretFile(path);
    }
    if (has_env) {
        std::string var(env->as_string());
        const char* value = std::getenv(var.c_str());
        if (!value || !*value)
            return jm::sdk::fail(errc::invalid_config, "environment variable " + var + " (" + env_key + ") is not set");
        return std::string(value);
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
