#pragma once

#include <jm/protocol/commands.hpp>
#include <jm/sdk/config.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

namespace jm::plugins::yieldgen {

//! The [YIELDGENERATOR] settings of the reference (same names and defaults), read from an
//! instance's config. The basic yield generator ignores the three *_factor keys.
struct YieldGenSettings {
    //! sw0reloffer or sw0absoffer ("reloffer"/"absoffer" in the config: the native segwit prefix
    //! is added as REF does for its p2wpkh wallets).
    jm::protocol::OfferType ordertype = jm::protocol::OfferType::Sw0Rel;
    std::int64_t cjfee_a = 500;          //!< absolute fee, satoshis
    std::string cjfee_r = "0.00002";     //!< relative fee, exact decimal text
    double cjfee_factor = 0.1;           //!< privacy_enhanced: cjfee varies by ± this fraction
    std::int64_t txfee_contribution = 0; //!< satoshis added to the mining fee
    double txfee_contribution_factor = 0.3;
    std::int64_t minsize = 100'000; //!< smallest CoinJoin amount offered
    double size_factor = 0.1;       //!< privacy_enhanced: sizes vary by ± this fraction
    //! Not a config key: REF's maker dust threshold (tests of REF's vectors change it).
    std::int64_t dust_threshold = jm::protocol::DUST_THRESHOLD;

    //! The config keys, shared by both factories.
    static const jm::sdk::ConfigSchema& schema();
    //! Reads a validated config. Errors: errc::invalid_config (a cjfee_r that is not a decimal
    //! in (0, 1) for a reloffer).
    static jm::sdk::Result<YieldGenSettings> fromConfig(const boost::json::object& config);
};

} // namespace jm::plugins::yieldgen
