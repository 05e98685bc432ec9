#include "tumbler_settings.hpp"

namespace jm::plugins::tumbler {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

const jm::sdk::ConfigSchema& TumblerSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        TumblerSettings d;
        jm::sdk::ConfigSchema schema;
        schema.required("taker", ConfigType::String, "taker instance (service taker/1) making each CoinJoin");
        schema.required("backend", ConfigType::String, "blockchain backend instance (the taker's)");
        schema.optional("wallet", ConfigType::String, "wallet", "the node's wallet (the taker's)");
        schema.optional("password_file", ConfigType::String, "",
                        "file with the wallet password, mode 0600 (refused otherwise); \"\" = ask at start");
        schema.bounded("mixdepthcount", ConfigType::Int, d.schedule.mixdepthcount, 1, 32,
                       "mixdepths the coins pass through (REF --mixdepthcount)");
        schema.bounded("makercount_mean", ConfigType::Double, d.schedule.makercount_mean, 1, 100,
                       "makers per CoinJoin ~ normal(mean, sd) (REF --makercountrange)");
        schema.bounded("makercount_sd", ConfigType::Double, d.schedule.makercount_sd, 0, 50, "see makercount_mean");
        schema.bounded("minmakercount", ConfigType::Int, d.schedule.minmakercount, 1, 100,
                       "fewer drawn makers are raised to this (REF --minmakercount)");
        schema.bounded("txcount_mean", ConfigType::Double, d.schedule.txcount_mean, 1, 100,
                       "CoinJoins per mixdepth ~ normal(mean, sd) (REF --txcountparams)");
        schema.bounded("txcount_sd", ConfigType::Double, d.schedule.txcount_sd, 0, 50, "see txcount_mean");
        schema.bounded("mintxcount", ConfigType::Int, d.schedule.mintxcount, 1, 100,
                       "fewer drawn CoinJoins per mixdepth are raised to this (REF --mintxcount)");
        schema.bounded("timelambda", ConfigType::Double, d.schedule.timelambda, 0, 100000,
                       "mean wait after a CoinJoin in minutes, exponentially distributed (REF --timelambda)");
        schema.bounded("stage1_timelambda_increase", ConfigType::Double, d.schedule.stage1_timelambda_increase, 0, 1000,
                       "the first sweeps wait this many times longer (REF --stage1-timelambda-increase)");
        schema.bounded("rounding_chance", ConfigType::Double, d.schedule.rounding_chance, 0, 1,
                       "chance a non-sweep amount is rounded (REF --rounding-chance)");
        ConfigField weights;
        weights.name = "rounding_sigfig_weights";
        weights.type = ConfigType::List;
        weights.element = ConfigType::Double;
        weights.default_value = boost::json::array{55, 15, 25, 65, 40};
        weights.description = "weights of rounding to 1..5 significant figures (REF --rounding-sigfig-weights)";
        schema.add(weights);
        schema.bounded("mincjamount", ConfigType::Int, d.mincjamount, 0, 2.1e15,
                       "a fractional amount below this many satoshis is raised to it (REF --mincjamount)");
        schema.bounded("max_attempts", ConfigType::Int, d.max_attempts, 1, 100,
                       "attempts per step (each with a fresh commitment and without the makers that failed the "
                       "step before; one a crash interrupted counts too) before the plan pauses; resuming a "
                       "paused plan allows as many again");
        schema.bounded("retry_wait", ConfigType::Duration, "60s", 0, 86'400'000,
                       "wait before retrying a failed step (REF --liquiditywait)");
        schema.bounded("wait_scale", ConfigType::Double, d.wait_scale, 0, 1000,
                       "multiplies every scheduled wait (1 = as drawn; 0 = no waits, for tests)");
        schema.bounded("birthday_height", ConfigType::Int, d.birthday_height, 0, 100'000'000,
                       "block height the wallet's history starts at (the taker's)");
        return schema;
    }();
    return s;
}

jm::sdk::Result<TumblerSettings> TumblerSettings::fromConfig(const boost::json::object& config) {
    TumblerSettings s;
    s.taker = jm::sdk::configString(config, "taker").value();
    s.backend = jm::sdk::configString(config, "backend").value();
    s.wallet = jm::sdk::configString(config, "wallet").value();
    s.password_file = jm::sdk::configString(config, "password_file").value();
    auto& o = s.schedule;
    o.mixdepthcount = static_cast<int>(jm::sdk::configInt(config, "mixdepthcount").value());
    o.makercount_mean = jm::sdk::configDouble(config, "makercount_mean").value();
    o.makercount_sd = jm::sdk::configDouble(config, "makercount_sd").value();
    o.minmakercount = static_cast<int>(jm::sdk::configInt(config, "minmakercount").value());
    o.txcount_mean = jm::sdk::configDouble(config, "txcount_mean").value();
    o.txcount_sd = jm::sdk::configDouble(config, "txcount_sd").value();
    o.mintxcount = static_cast<int>(jm::sdk::configInt(config, "mintxcount").value());
    o.timelambda = jm::sdk::configDouble(config, "timelambda").value();
    o.stage1_timelambda_increase = jm::sdk::configDouble(config, "stage1_timelambda_increase").value();
    o.rounding_chance = jm::sdk::configDouble(config, "rounding_chance").value();
    auto* weights = config.if_contains("rounding_sigfig_weights");
    if (weights) {
        if (!weights->is_array() || weights->as_array().size() != 5)
            return fail(errc::invalid_config, "rounding_sigfig_weights: give five weights");
        double total = 0;
        for (std::size_t i = 0; i < 5; ++i) {
            const auto& w = weights->as_array()[i];
            double x = w.is_double()   ? w.as_double()
                       : w.is_int64()  ? static_cast<double>(w.as_int64())
                       : w.is_uint64() ? static_cast<double>(w.as_uint64())
                                       : -1;
            if (x < 0 || x > 1e6) return fail(errc::invalid_config, "rounding_sigfig_weights: weights are 0..1000000");
            o.rounding_sigfig_weights[i] = x;
            total += x;
        }
        if (total <= 0) return fail(errc::invalid_config, "rounding_sigfig_weights: they add up to nothing");
    }
    s.mincjamount = jm::sdk::configInt(config, "mincjamount").value();
    s.max_attempts = static_cast<int>(jm::sdk::configInt(config, "max_attempts").value());
    s.retry_wait = jm::sdk::configDuration(config, "retry_wait").value();
    s.wait_scale = jm::sdk::configDouble(config, "wait_scale").value();
    s.birthday_height = static_cast<std::int32_t>(jm::sdk::configInt(config, "birthday_height").value());
    return s;
}

} // namespace jm::plugins::tumbler
