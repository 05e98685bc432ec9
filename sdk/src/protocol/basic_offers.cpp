#include <jm/protocol/basic_offers.hpp>

#include <algorithm>
#include <cstdlib>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<std::vector<Offer>> basicOffers(const std::vector<std::int64_t>& mixdepth_balances,
                                                const BasicOfferParams& p) {
    std::int64_t largest =
        mixdepth_balances.empty() ? 0 : *std::max_element(mixdepth_balances.begin(), mixdepth_balances.end());
    Offer offer;
    offer.type = p.type;
    offer.oid = 0;
    offer.txfee = p.txfee_contribution;
    offer.maxsize = largest - std::max(p.dust_threshold, p.txfee_contribution);
    if (isRelative(p.type)) {
        auto d = parseDecimal(p.cjfee_r);
        if (!d) return d.error();
        // REF: int(1.5 * txfee / float(cjfee_r)); strtod gives the same double as Python's float().
        double cjfee = std::strtod(p.cjfee_r.c_str(), nullptr);
        if (!(cjfee > 0)) return fail(errc::invalid_config, "a relative offer needs a positive cjfee_r");
        offer.minsize =
            std::max(static_cast<std::int64_t>(1.5 * static_cast<double>(p.txfee_contribution) / cjfee), p.minsize);
        offer.cjfee = p.cjfee_r;
    } else {
        offer.minsize = p.minsize;
        offer.cjfee = std::to_string(p.txfee_contribution + p.cjfee_a);
    }
    if (offer.minsize > offer.maxsize) return std::vector<Offer>{};
    return std::vector<Offer>{offer};
}

} // namespace jm::protocol
