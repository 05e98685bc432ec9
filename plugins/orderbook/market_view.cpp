#include "market_view.hpp"

#include <jm/protocol/fees.hpp>

#include <boost/json/array.hpp>

#include <algorithm>
#include <charconv>

namespace jm::plugins::orderbook {

std::int64_t OfferView::feeAt(std::int64_t amount) const {
    auto fee = jm::protocol::realCjfee(offer, amount);
    return fee ? *fee : 0;
}

double OfferView::feeRate(std::int64_t amount) const {
    if (amount <= 0) return 0;
    if (jm::protocol::isRelative(offer.type)) {
        // The relative fee as sent, without the integer rounding of feeAt().
        double rate = 0;
        auto [p, ec] = std::from_chars(offer.cjfee.data(), offer.cjfee.data() + offer.cjfee.size(), rate);
        return ec == std::errc() ? rate : 0;
    }
    return static_cast<double>(feeAt(amount)) / static_cast<double>(amount);
}

bool shownFeature(std::string_view feature) {
    if (feature.empty() || feature.size() > 64) return false;
    return std::all_of(feature.begin(), feature.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

std::vector<std::string> shownFeatures(const std::vector<std::string>& list) {
    std::vector<std::string> out;
    for (const auto& f : list)
        if (shownFeature(f)) out.push_back(f);
    return out;
}

std::size_t MarketView::makerCount() const {
    std::set<std::string> makers;
    for (const auto& o : offers)
        makers.insert(o.counterparty);
    return makers.size();
}

namespace {

boost::json::array strings(const std::vector<std::string>& list) {
    boost::json::array out;
    for (const auto& s : list)
        out.emplace_back(s);
    return out;
}

boost::json::object bondJson(const BondView& b) {
    // REF's fidelitybonds entries, in its field names.
    return {{"counterparty", b.counterparty},
            {"utxo", {{"txid", b.txid}, {"vout", b.vout}}},
            {"bond_value", b.value},
            {"locktime", b.locktime},
            {"amount", b.amount},
            {"script", b.script},
            {"utxo_confirmations", b.confirmations},
            {"utxo_confirmation_timestamp", b.confirmation_time},
            {"utxo_pub", b.utxo_pub},
            {"cert_expiry", b.cert_expiry}};
}

} // namespace

boost::json::object orderbookJson(const MarketView& view) {
    boost::json::array offers;
    for (const auto& o : view.offers) {
        boost::json::object j;
        j["counterparty"] = o.counterparty;
        j["oid"] = o.offer.oid;
        j["ordertype"] = jm::protocol::toString(o.offer.type);
        j["minsize"] = o.offer.minsize;
        j["maxsize"] = o.offer.maxsize;
        j["txfee"] = o.offer.txfee;
        if (jm::protocol::isRelative(o.offer.type))
            j["cjfee"] = o.offer.cjfee;
        else
            j["cjfee"] = o.feeAt(0); // parseOffer checked it is an integer in range
        j["fidelity_bond_value"] = o.bond_value;
        j["directories"] = strings(o.directories);
        j["features"] = strings(shownFeatures(o.features));
        offers.push_back(std::move(j));
    }
    boost::json::array bonds;
    for (const auto& b : view.bonds)
        if (b.verified) bonds.push_back(bondJson(b));
    return {{"offers", std::move(offers)}, {"fidelitybonds", std::move(bonds)}};
}

boost::json::object bondsJson(const MarketView& view) {
    boost::json::array bonds;
    for (const auto& b : view.bonds) {
        auto j = bondJson(b);
        j["verified"] = b.verified;
        if (!b.refusal.empty()) j["refusal"] = b.refusal;
        bonds.push_back(std::move(j));
    }
    return {{"fidelitybonds", std::move(bonds)}, {"tip_height", view.tip_height}};
}

boost::json::object healthJson(const MarketView& view) {
    return {{"status", view.directories_ready > 0 ? "ok" : "connecting"},
            {"network", view.network},
            {"directories", view.directories.size()},
            {"directories_ready", view.directories_ready},
            {"makers", view.makerCount()},
            {"offers", view.offers.size()},
            {"bonds", view.bonds.size()},
            {"updated", view.updated}};
}

} // namespace jm::plugins::orderbook
