#include "yieldgen_settings.hpp"

namespace jm::plugins::yieldgen {

using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

const jm::sdk::ConfigSchema& YieldGenSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        jm::sdk::ConfigField type;
        type.name = "ordertype";
        type.type = ConfigType::String;
        type.default_value = "reloffer";
        type.allowed = {"reloffer", "absoffer", "sw0reloffer", "sw0absoffer"};
        type.description = "relative (reloffer) or absolute (absoffer) CoinJoin fee; announced as sw0reloffer / "
                           "sw0absoffer (native segwit)";
        schema.add(type);
        schema.optional("cjfee_a", ConfigType::Amount, 500, "absolute fee asked per CoinJoin (absoffer)");
        schema.optional("cjfee_r", ConfigType::String, "0.00002",
                        "relative fee asked, a fraction of the CoinJoin amount written as a string (reloffer)");
        schema.bounded("cjfee_factor", ConfigType::Double, 0.1, 0, 1,
                       "privacy_enhanced: the fee varies randomly by +/- this fraction at each announcement");
        schema.optional("txfee_contribution", ConfigType::Amount, 0,
                        "satoshis added to the CoinJoin's mining fee (REF advises 0)");
        schema.bounded("txfee_contribution_factor", ConfigType::Double, 0.3, 0, 1,
                       "privacy_enhanced: the txfee contribution varies by +/- this fraction");
        schema.optional("minsize", ConfigType::Amount, 100000, "smallest CoinJoin amount offered");
        schema.bounded("size_factor", ConfigType::Double, 0.1, 0, 1,
                       "privacy_enhanced: minsize and maxsize vary by this fraction");
        return schema;
    }();
    return s;
}

jm::sdk::Result<YieldGenSettings> YieldGenSettings::fromConfig(const boost::json::object& config) {
    YieldGenSettings s;
    auto type = jm::sdk::configString(config, "ordertype");
    if (!type) return type.error();
    s.ordertype = (*type == "absoffer" || *type == "sw0absoffer") ? jm::protocol::OfferType::Sw0Abs
                                                                  : jm::protocol::OfferType::Sw0Rel;
    s.cjfee_a = jm::sdk::configInt(config, "cjfee_a").value();
    s.cjfee_r = jm::sdk::configString(config, "cjfee_r").value();
    s.cjfee_factor = jm::sdk::configDouble(config, "cjfee_factor").value();
    s.txfee_contribution = jm::sdk::configInt(config, "txfee_contribution").value();
    s.txfee_contribution_factor = jm::sdk::configDouble(config, "txfee_contribution_factor").value();
    s.minsize = jm::sdk::configInt(config, "minsize").value();
    s.size_factor = jm::sdk::configDouble(config, "size_factor").value();

    auto fee = jm::protocol::parseDecimal(s.cjfee_r);
    if (!fee) return fail(errc::invalid_config, "cjfee_r: " + fee.error().message);
    // Relative fees are fractions: takers refuse anything from 1 up.
    auto text = fee->toString();
    if (fee->digits != "0" && static_cast<int>(fee->digits.size()) + fee->exponent > 0)
        return fail(errc::invalid_config, "cjfee_r must be a fraction below 1 (e.g. \"0.00002\"), not " + s.cjfee_r);
    s.cjfee_r = text; // fixed-point, as takers expect it
    // REF divides by cjfee_r to size the minimum (and crashes on zero).
    if (s.ordertype == jm::protocol::OfferType::Sw0Rel && fee->digits == "0")
        return fail(errc::invalid_config, "cjfee_r must be above 0 for a reloffer");
    return s;
}

} // namespace jm::plugins::yieldgen
