#include <jm/sdk/config.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace jm::sdk {

std::string_view toString(ConfigType t) noexcept {
    switch (t) {
    case ConfigType::String:
        return "string";
    case ConfigType::Int:
        return "int";
    case ConfigType::Bool:
        return "bool";
    case ConfigType::Double:
        return "number";
    case ConfigType::Amount:
        return "amount";
    case ConfigType::Duration:
        return "duration";
    case ConfigType::List:
        return "list";
    case ConfigType::Object:
        return "object";
    }
    return "unknown";
}

ConfigSchema::ConfigSchema() = default;
ConfigSchema::~ConfigSchema() = default;
ConfigSchema::ConfigSchema(const ConfigSchema&) = default;
ConfigSchema& ConfigSchema::operator=(const ConfigSchema&) = default;

ConfigSchema& ConfigSchema::add(ConfigField field) {
    m_fields.push_back(std::move(field));
    return *this;
}

ConfigSchema& ConfigSchema::optional(std::string name, ConfigType type, boost::json::value default_value,
                                     std::string description) {
    ConfigField f;
    f.name = std::move(name);
    f.type = type;
    f.default_value = std::move(default_value);
    f.description = std::move(description);
    return add(std::move(f));
}

ConfigSchema& ConfigSchema::required(std::string name, ConfigType type, std::string description) {
    ConfigField f;
    f.name = std::move(name);
    f.type = type;
    f.required = true;
    f.description = std::move(description);
    return add(std::move(f));
}

ConfigSchema& ConfigSchema::bounded(std::string name, ConfigType type, boost::json::value default_value, double min,
                                    double max, std::string description) {
    ConfigField f;
    f.name = std::move(name);
    f.type = type;
    f.default_value = std::move(default_value);
    f.min = min;
    f.max = max;
    f.description = std::move(description);
    return add(std::move(f));
}

const ConfigField* ConfigSchema::find(std::string_view name) const noexcept {
    for (const auto& f : m_fields)
        if (f.name == name) return &f;
    return nullptr;
}

namespace {

std::string describeJson(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null:
        return "null";
    case boost::json::kind::bool_:
        return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
        return "an integer";
    case boost::json::kind::double_:
        return "a number";
    case boost::json::kind::string:
        return "a string";
    case boost::json::kind::array:
        return "a list";
    case boost::json::kind::object:
        return "an object";
    }
    return "a value";
}

std::string expected(const ConfigField& f, ConfigType type) {
    switch (type) {
    case ConfigType::String:
        return "a string";
    case ConfigType::Int:
        return "an integer";
    case ConfigType::Bool:
        return "true or false";
    case ConfigType::Double:
        return "a number";
    case ConfigType::Amount:
        return "an amount (satoshis, \"1000sat\" or \"0.5btc\")";
    case ConfigType::Duration:
        return "a duration (seconds, or \"250ms\", \"30s\", \"5m\", \"2h\")";
    case ConfigType::List:
        return "a list of " + std::string(toString(f.element));
    case ConfigType::Object:
        return "an object";
    }
    return "?";
}

// Shortest text that reads back as `d`, without an exponent for the magnitudes configs use
// ("1.3", "0.125", "86400000" rather than "1.3E0" or "8.64e+07").
std::string formatNumber(double d) {
    if (std::isfinite(d) && std::abs(d) < 1e15 && d == std::floor(d)) return std::to_string(static_cast<long long>(d));
    char buf[128];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    if (ec == std::errc()) return std::string(buf, end);
    auto [g_end, g_ec] = std::to_chars(buf, buf + sizeof buf, d); // tiny or huge: exponent form
    return g_ec == std::errc() ? std::string(buf, g_end) : std::to_string(d);
}

// A bound as the user writes it: durations are held in milliseconds but a bare number in a config
// means seconds, so "max 3600000" would mislead; they read "1h", "500ms".
std::string formatBound(const ConfigField& f, double bound) {
    if (f.type != ConfigType::Duration || !std::isfinite(bound) || bound < 0 || bound != std::floor(bound))
        return formatNumber(bound);
    auto ms = static_cast<long long>(bound);
    static constexpr std::pair<long long, const char*> UNITS[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
    if (ms == 0) return "\"0s\"";
    for (auto [factor, unit] : UNITS)
        if (ms % factor == 0) return "\"" + std::to_string(ms / factor) + unit + "\"";
    return "\"" + std::to_string(ms) + "ms\"";
}

// Checks one value of `type`; may replace it with its normalised form. Returns false on error.
bool checkValue(const ConfigField& f, ConfigType type, boost::json::value& v, const std::string& path,
                std::vector<ConfigProblem>& problems) {
    auto bad = [&](std::string message) {
        problems.push_back({path, std::move(message)});
        return false;
    };
    auto wrong = [&] { return bad("expected " + expected(f, type) + ", got " + describeJson(v)); };
    std::optional<double> number;
    switch (type) {
    case ConfigType::String:
        if (!v.is_string()) return wrong();
        if (!f.allowed.empty() && std::find(f.allowed.begin(), f.allowed.end(), v.as_string()) == f.allowed.end()) {
            std::string list;
            for (const auto& a : f.allowed)
                list += (list.empty() ? "" : ", ") + a;
            return bad("'" + std::string(v.as_string()) + "' is not one of: " + list);
        }
        return true;
    case ConfigType::Int:
        if (v.is_int64())
            number = static_cast<double>(v.as_int64());
        else if (v.is_uint64())
            number = static_cast<double>(v.as_uint64());
        else
            return wrong();
        break;
    case ConfigType::Bool:
        return v.is_bool() ? true : wrong();
    case ConfigType::Double:
        if (!v.is_number()) return wrong();
        number = v.to_number<double>();
        break;
    case ConfigType::Amount: {
        auto a = parseAmount(v);
        if (!a) return bad(a.error().message);
        v = *a;
        number = static_cast<double>(*a);
        break;
    }
    case ConfigType::Duration: {
        auto d = parseDuration(v);
        if (!d) return bad(d.error().message);
        v = static_cast<std::int64_t>(d->count());
        number = static_cast<double>(d->count());
        break;
    }
    case ConfigType::List: {
        if (!v.is_array()) return wrong();
        bool ok = true;
        auto& arr = v.as_array();
        for (std::size_t i = 0; i < arr.size(); ++i)
            ok &= checkValue(f, f.element, arr[i], path + "[" + std::to_string(i) + "]", problems);
        return ok;
    }
    case ConfigType::Object:
        if (!v.is_object()) return wrong();
        if (f.nested) return f.nested->validate(v.as_object(), path, problems);
        return true;
    }
    if (number) {
        if (f.min && *number < *f.min) return bad("must be at least " + formatBound(f, *f.min));
        if (f.max && *number > *f.max) return bad("must be at most " + formatBound(f, *f.max));
    }
    return true;
}

} // namespace

bool ConfigSchema::validate(boost::json::object& config, std::string_view path,
                            std::vector<ConfigProblem>& problems) const {
    std::size_t before = problems.size();
    std::vector<std::string> names;
    for (const auto& f : m_fields)
        names.push_back(f.name);
    for (auto& [key, value] : config) {
        std::string key_path = std::string(path) + "." + std::string(key);
        const ConfigField* f = find(key);
        if (!f) {
            std::string message = "unknown key '" + std::string(key) + "'";
            if (auto hint = closestMatch(key, names))
                message += "; did you mean '" + *hint + "'?";
            else if (!names.empty()) {
                std::string list;
                for (const auto& n : names)
                    list += (list.empty() ? "" : ", ") + n;
                message += " (valid keys: " + list + ")";
            } else
                message += " (this plugin takes no configuration)";
            problems.push_back({key_path, message});
            continue;
        }
        if (value.is_null() && !f->required) continue;
        checkValue(*f, f->type, value, key_path, problems);
    }
    for (const auto& f : m_fields) {
        if (config.contains(f.name) && !config.at(f.name).is_null()) continue;
        if (f.required) {
            problems.push_back(
                {std::string(path) + "." + f.name,
                 "missing required key '" + f.name + "' (" + expected(f, f.type) + ": " + f.description + ")"});
        } else if (!f.default_value.is_null()) {
            boost::json::value v = f.default_value;
            // Defaults go through the same normalisation as user values.
            checkValue(f, f.type, v, std::string(path) + "." + f.name, problems);
            config[f.name] = std::move(v);
        }
    }
    return problems.size() == before;
}

std::string ConfigSchema::describe(std::string_view indent) const {
    std::ostringstream out;
    if (m_fields.empty()) out << indent << "(no configuration keys)\n";
    for (const auto& f : m_fields) {
        out << indent << f.name << " (" << toString(f.type);
        if (f.type == ConfigType::List) out << " of " << toString(f.element);
        out << (f.required ? ", required" : "");
        if (f.default_value.is_double())
            out << ", default " << formatNumber(f.default_value.as_double());
        else if (!f.default_value.is_null())
            out << ", default " << boost::json::serialize(f.default_value);
        if (f.min) out << ", min " << formatBound(f, *f.min);
        if (f.max) out << ", max " << formatBound(f, *f.max);
        out << ")\n";
        if (!f.description.empty()) out << indent << "    " << f.description << "\n";
        if (!f.allowed.empty()) {
            out << indent << "    one of:";
            for (const auto& a : f.allowed)
                out << " " << a;
            out << "\n";
        }
        if (f.nested) out << f.nested->describe(std::string(indent) + "    ");
    }
    return out.str();
}

} // namespace jm::sdk
