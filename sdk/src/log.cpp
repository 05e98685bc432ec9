#include <jm/sdk/log.hpp>

#include <array>

namespace jm::sdk {
namespace {
constexpr std::array<std::string_view, 6> NAMES{"trace", "debug", "info", "warning", "error", "fatal"};
}

std::string_view toString(Severity s) noexcept {
    auto i = static_cast<std::size_t>(s);
    return i < NAMES.size() ? NAMES[i] : std::string_view("unknown");
}

std::optional<Severity> parseSeverity(std::string_view s) noexcept {
    for (std::size_t i = 0; i < NAMES.size(); ++i)
        if (NAMES[i] == s) return static_cast<Severity>(i);
    if (s == "warn") return Severity::warning;
    return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, Severity s) { return os << toString(s); }

Logger makeLogger(std::string channel) { return Logger(boost::log::keywords::channel = std::move(channel)); }

} // namespace jm::sdk
