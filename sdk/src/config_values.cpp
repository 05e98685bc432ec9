// Readers and normalisers for config values: durations, amounts, typed getters, typo hints.
#include <jm/sdk/config.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace jm::sdk {
namespace {

constexpr std::int64_t SATS_PER_BTC = 100'000'000;

bool parseUnsigned(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

// "0.5" -> 50'000'000 with exact decimal arithmetic (no floating point for money).
bool parseBtcDecimal(std::string_view s, std::int64_t& sats) {
    auto dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    if (whole.empty() && frac.empty()) return false;
    if (frac.size() > 8) return false;
    std::int64_t w = 0, f = 0;
    if (!whole.empty() && !parseUnsigned(whole, w)) return false;
    if (!frac.empty() && !parseUnsigned(frac, f)) return false;
    for (std::size_t i = frac.size(); i < 8; ++i)
        f *= 10;
    if (w > 21'000'000) return false;
    sats = w * SATS_PER_BTC + f;
    return true;
}

} // namespace

Result<std::chrono::milliseconds> parseDuration(const boost::json::value& v) {
    using std::chrono::milliseconds;
    if (v.is_int64() || v.is_uint64()) {
        auto n = v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
        if (n < 0 || n > std::numeric_limits<std::int64_t>::max() / 1000)
            return fail(errc::invalid_config, "duration out of range");
        return milliseconds(n * 1000);
    }
    if (v.is_double()) {
        double d = v.as_double();
        if (!(d >= 0) || d > 1e12) return fail(errc::invalid_config, "duration out of range");
        return milliseconds(static_cast<std::int64_t>(std::llround(d * 1000)));
    }
    if (!v.is_string()) return fail(errc::invalid_config, "a duration is a number of seconds or a string like \"30s\"");
    std::string_view s = v.as_string();
    // "ms" comes before "s" and "m" so that "5ms" is read as milliseconds.
    static constexpr std::pair<std::string_view, std::int64_t> UNITS[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
    for (auto [suffix, factor] : UNITS) {
        if (s.size() > suffix.size() && s.ends_with(suffix)) {
            std::int64_t n = 0;
            auto digits = s.substr(0, s.size() - suffix.size());
            if (parseUnsigned(digits, n) && n <= std::numeric_limits<std::int64_t>::max() / factor)
                return milliseconds(n * factor);
        }
    }
    return fail(errc::invalid_config, "'" + std::string(s) + "' is not a duration (use e.g. 250ms, 30s, 5m, 2h, 1d)");
}

Result<std::int64_t> parseAmount(const boost::json::value& v) {
    if (v.is_int64() && v.as_int64() >= 0) return v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= 21'000'000ULL * SATS_PER_BTC) return static_cast<std::int64_t>(v.as_uint64());
    if (v.is_string()) {
        std::string_view s = v.as_string();
        std::int64_t sats = 0;
        if (s.ends_with("sat") && parseUnsigned(s.substr(0, s.size() - 3), sats)) return sats;
        if (s.ends_with("sats") && parseUnsigned(s.substr(0, s.size() - 4), sats)) return sats;
        if (s.ends_with("btc") && parseBtcDecimal(s.substr(0, s.size() - 3), sats)) return sats;
        if (parseUnsigned(s, sats)) return sats;
    }
    return fail(errc::invalid_config, "an amount is a non-negative integer of satoshis, \"1000sat\" or \"0.5btc\"");
}

std::optional<std::string> closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
    auto distance = [](std::string_view a, std::string_view b) {
        std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j)
            prev[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j)
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            std::swap(prev, cur);
        }
        return prev[b.size()];
    };
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        auto d = distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

namespace {
Result<const boost::json::value*> lookup(const boost::json::object& config, std::string_view key) {
    auto* v = config.if_contains(key);
    if (!v || v->is_null()) return fail(errc::invalid_config, "missing config key '" + std::string(key) + "'");
    return v;
}
Error wrongType(std::string_view key, std::string_view type) {
    return Error(errc::invalid_config, "config key '" + std::string(key) + "' must be " + std::string(type));
}
} // namespace

Result<std::string> configString(const boost::json::object& config, std::string_view key) {
    auto v = lookup(config, key);
    if (!v) return v.error();
    if (!(*v)->is_string()) return wrongType(key, "a string");
    return std::string((*v)->as_string());
}

Result<std::int64_t> configInt(const boost::json::object& config, std::string_view key) {
    auto v = lookup(config, key);
    if (!v) return v.error();
    if ((*v)->is_int64()) return (*v)->as_int64();
    if ((*v)->is_uint64() && (*v)->as_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>((*v)->as_uint64());
    return wrongType(key, "an integer");
}

Result<bool> configBool(const boost::json::object& config, std::string_view key) {
    auto v = lookup(config, key);
    if (!v) return v.error();
    if (!(*v)->is_bool()) return wrongType(key, "true or false");
    return (*v)->as_bool();
}

Result<double> configDouble(const boost::json::object& config, std::string_view key) {
    auto v = lookup(config, key);
    if (!v) return v.error();
    if ((*v)->is_double()) return (*v)->as_double();
    if ((*v)->is_int64()) return static_cast<double>((*v)->as_int64());
    if ((*v)->is_uint64()) return static_cast<double>((*v)->as_uint64());
    return wrongType(key, "a number");
}

Result<std::chrono::milliseconds> configDuration(const boost::json::object& config, std::string_view key) {
    auto v = lookup(config, key);
    if (!v) return v.error();
    // A validated config holds durations as integer milliseconds (ConfigSchema normalises them).
    if ((*v)->is_int64() && (*v)->as_int64() >= 0) return std::chrono::milliseconds((*v)->as_int64());
    auto d = parseDuration(**v);
    if (!d) return d.error().withContext("config key '" + std::string(key) + "'");
    return *d;
}

Result<std::vector<std::string>> configStringList(const boost::json::object& config, std::string_view key) {
    auto v = lookup(config, key);
    if (!v) return v.error();
    if (!(*v)->is_array()) return wrongType(key, "a list of strings");
    std::vector<std::string> out;
    for (const auto& e : (*v)->as_array()) {
        if (!e.is_string()) return wrongType(key, "a list of strings");
        out.emplace_back(e.as_string());
    }
    return out;
}

} // namespace jm::sdk
