#include <jm/maker/offer_rules.hpp>

#include <jm/protocol/fees.hpp>

#include <set>

namespace jm::maker {

using jm::protocol::Offer;
using jm::protocol::OfferType;
using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<std::int64_t> fillRequirement(const Offer& offer, std::int64_t amount, std::int64_t dust_threshold) {
    if (amount <= 0) return fail(errc::invalid_argument, "the CoinJoin amount must be positive");
    auto fee = jm::protocol::realCjfee(offer, amount);
    if (!fee) return fee.error();
    return amount + offer.txfee + dust_threshold + 1 - *fee;
}

jm::sdk::Result<void> checkOffers(const std::vector<Offer>& offers, const WalletView& wallet,
                                  std::int64_t dust_threshold) {
    std::set<std::int64_t> oids;
    std::int64_t largest = 0;
    if (auto m = wallet.largestMixdepth()) largest = wallet.available(*m);
    for (const auto& o : offers) {
        auto bad = [&](const std::string& why) {
            return fail(errc::invalid_argument, "offer " + std::to_string(o.oid) + ": " + why);
        };
        if (o.oid < 0) return bad("the oid is negative");
        if (!oids.insert(o.oid).second) return bad("the oid is used twice");
        if (o.type != OfferType::Sw0Rel && o.type != OfferType::Sw0Abs)
            return bad(std::string(jm::protocol::toString(o.type)) +
                       " does not match the wallet (native segwit: sw0reloffer or sw0absoffer)");
        if (o.minsize < 0 || o.minsize > o.maxsize) return bad("minsize must be in [0, maxsize]");
        if (o.maxsize > jm::protocol::MAX_MONEY) return bad("maxsize is above 21 million BTC");
        if (o.txfee < 0) return bad("txfee is negative");
        if (o.maxsize > largest - dust_threshold)
            return bad("maxsize " + std::to_string(o.maxsize) + " is more than the wallet can fill (" +
                       std::to_string(std::max<std::int64_t>(0, largest - dust_threshold)) + ")");
        // The cjfee must survive the takers' parser (same rules as on receipt).
        auto reparsed = jm::protocol::parseOffer(jm::protocol::formatOffer(o));
        if (!reparsed) return bad("takers would refuse it: " + reparsed.error().message);
        // Earnings grow with the amount, so the smallest amount decides (REF refuses to sign a
        // CoinJoin that earns less than the txfee contribution).
        auto fee = jm::protocol::realCjfee(o, std::max<std::int64_t>(o.minsize, 1));
        if (!fee) return bad(fee.error().message);
        if (*fee < o.txfee)
            return bad("at minsize it earns " + std::to_string(*fee) + " sat, less than its txfee of " +
                       std::to_string(o.txfee));
    }
    return {};
}

} // namespace jm::maker
