#include "fee_policy.hpp"

#include <algorithm>
#include <cmath>

namespace jm::plugins::fee {

std::int64_t FeePolicy::apply(std::int64_t estimate, const std::function<double()>& uniform) const {
    double factor = 1.0 + std::max(0.0, randomization) * uniform();
    auto rate = static_cast<std::int64_t>(std::llround(static_cast<double>(estimate) * factor));
    return std::clamp(rate, floor, std::max(floor, cap));
}

} // namespace jm::plugins::fee
