#include <jm/net/reconnect_policy.hpp>

#include <sodium.h>

#include <algorithm>
#include <cmath>

namespace jm::net {

std::chrono::milliseconds ReconnectPolicy::delay(unsigned attempt) const {
    double base = static_cast<double>(initial.count()) * std::pow(factor, std::min(attempt, 64u));
    base = std::min(base, static_cast<double>(max.count()));
    auto span = jitter_max.count() - jitter_min.count();
    auto jitter = jitter_min.count();
    if (span > 0)
        jitter += static_cast<long long>(
            randombytes_uniform(static_cast<std::uint32_t>(std::min<long long>(span, 0xFFFFFFFF)) + 1));
    return std::chrono::milliseconds(std::max<long long>(0, static_cast<long long>(base) + jitter));
}

} // namespace jm::net
