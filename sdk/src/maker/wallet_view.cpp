#include <jm/maker/wallet_view.hpp>
#include <jm/maker/yield_generator.hpp>

namespace jm::maker {

// Key function of the yield-generator interface (see sdk/src/interfaces.cpp for why).
YieldGenerator::~YieldGenerator() = default;

std::int64_t WalletView::available(int m) const {
    if (m < 0 || m >= mixdepthCount()) return 0;
    return mixdepths[static_cast<std::size_t>(m)].available;
}

std::optional<int> WalletView::largestMixdepth() const {
    std::optional<int> best;
    for (const auto& md : mixdepths)
        if (md.available > 0 && (!best || md.available > available(*best))) best = md.mixdepth;
    return best;
}

std::vector<std::int64_t> WalletView::balances() const {
    std::vector<std::int64_t> out;
    out.reserve(mixdepths.size());
    for (const auto& md : mixdepths)
        out.push_back(md.available);
    return out;
}

} // namespace jm::maker
