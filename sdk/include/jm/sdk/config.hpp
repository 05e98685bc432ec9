#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jm::sdk {

//! The value types a config field can have.
//! After validation the host normalises two of them so plugins read plain numbers:
//! Amount becomes an integer of satoshis ("0.5btc", "1000sat" or 1000 are accepted),
//! Duration becomes an integer of milliseconds ("250ms", "30s", "5m", "2h", "1d" or a number of
//! seconds are accepted).
enum class ConfigType { String, Int, Bool, Double, Amount, Duration, List, Object };

JM_SDK_API std::string_view toString(ConfigType t) noexcept;

class ConfigSchema;

//! One key of a plugin's config object.
struct JM_SDK_API ConfigField {
    std::string name;
    ConfigType type = ConfigType::String;
    //! Filled in when the key is absent. Null means "no default" (absent stays absent).
    boost::json::value default_value;
    bool required = false;
    std::string description;
    //! For Int/Double/Amount/Duration (after normalisation): inclusive bounds.
    std::optional<double> min;
    std::optional<double> max;
    //! For String: the only accepted values, when not empty.
    std::vector<std::string> allowed;
    //! For List: the type of each element (List of List is not supported).
    ConfigType element = ConfigType::String;
    //! For Object, or List of Object: the nested schema. Null = any object accepted as is.
    std::shared_ptr<const ConfigSchema> nested;
};

//! A problem found while validating a config, with the JSON path of the offending value,
//! e.g. "$.plugins[2].config.rpc_url".
struct JM_SDK_API ConfigProblem {
    std::string path;
    std::string message;
};

//! A declarative table of the keys a plugin factory accepts. Unknown keys are rejected (with the
//! closest valid name as a hint), types are checked, defaults filled, amounts and durations
//! normalised. Immutable after construction; safe to share between threads.
class JM_SDK_API ConfigSchema {
public:
    ConfigSchema();
    ~ConfigSchema();
    ConfigSchema(const ConfigSchema&);
    ConfigSchema& operator=(const ConfigSchema&);

    //! Adds a field; returns *this for chaining. Executor: construction time only.
    ConfigSchema& add(ConfigField field);
    //! Shorthands for the common cases.
    ConfigSchema& optional(std::string name, ConfigType type, boost::json::value default_value,
                           std::string description);
    ConfigSchema& required(std::string name, ConfigType type, std::string description);
    //! An optional number (Int, Double, Amount, Duration) with inclusive bounds; for Duration the
    //! bounds are milliseconds.
    ConfigSchema& bounded(std::string name, ConfigType type, boost::json::value default_value, double min, double max,
                          std::string description);

    //! Fields in declaration order. Ownership: borrowed from *this.
    const std::vector<ConfigField>& fields() const noexcept { return m_fields; }
    //! The field called `name`, or null. Ownership: borrowed from *this.
    const ConfigField* find(std::string_view name) const noexcept;

    //! Checks `config` in place: fills defaults, normalises amounts/durations, and appends one
    //! ConfigProblem per error to `problems` (paths start with `path`). Returns true when no
    //! problem was found. Executor: any. Errors: reported through `problems`, never thrown.
    bool validate(boost::json::object& config, std::string_view path, std::vector<ConfigProblem>& problems) const;

    //! Human-readable description of every field: type, default, required, bounds, text.
    //! Used by `jmnode help-plugin`. Executor: any.
    std::string describe(std::string_view indent = "  ") const;

private:
    std::vector<ConfigField> m_fields;
};

//! Parses a Duration value ("250ms", "30s", "5m", "2h", "1d", or a number of seconds).
JM_SDK_API Result<std::chrono::milliseconds> parseDuration(const boost::json::value& v);
//! Parses an Amount value (integer satoshis, "1000sat", "0.5btc"); exact decimal arithmetic.
JM_SDK_API Result<std::int64_t> parseAmount(const boost::json::value& v);
//! The closest of `candidates` to `word` by edit distance, when close enough to be a typo.
JM_SDK_API std::optional<std::string> closestMatch(std::string_view word, const std::vector<std::string>& candidates);

//! Typed readers for a validated config object. They return the value or the (filled) default;
//! a missing key without default is an error. configDuration reads the normalised form (integer
//! milliseconds) and also accepts duration strings. Executor: any.
JM_SDK_API Result<std::string> configString(const boost::json::object& config, std::string_view key);
JM_SDK_API Result<std::int64_t> configInt(const boost::json::object& config, std::string_view key);
JM_SDK_API Result<bool> configBool(const boost::json::object& config, std::string_view key);
JM_SDK_API Result<double> configDouble(const boost::json::object& config, std::string_view key);
JM_SDK_API Result<std::chrono::milliseconds> configDuration(const boost::json::object& config, std::string_view key);
JM_SDK_API Result<std::vector<std::string>> configStringList(const boost::json::object& config, std::string_view key);

} // namespace jm::sdk
