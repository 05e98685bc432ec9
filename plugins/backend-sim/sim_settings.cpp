#include "sim_settings.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/protocol/commands.hpp>

#include <memory>

namespace jm::plugins::backend_sim {

using jm::sdk::ConfigType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

std::shared_ptr<const jm::sdk::ConfigSchema> coinSchema() {
    auto schema = std::make_shared<jm::sdk::ConfigSchema>();
    schema->required("address", ConfigType::String, "a regtest address (bcrt1...) the coin pays");
    jm::sdk::ConfigField sats;
    sats.name = "sats";
    sats.type = ConfigType::Amount;
    sats.required = true;
    sats.min = 1;
    sats.max = static_cast<double>(jm::protocol::MAX_MONEY);
    sats.description = "the coin's value (satoshis, or \"0.5btc\")";
    schema->add(sats);
    return schema;
}

} // namespace

const jm::sdk::ConfigSchema& SimSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        schema.bounded("block_interval", ConfigType::Duration, 0, 0, 24.0 * 3600 * 1000,
                       "mine a block every interval (e.g. \"10s\"); 0 = mine a block right after each accepted "
                       "transaction");
        jm::sdk::ConfigField premine;
        premine.name = "premine";
        premine.type = ConfigType::List;
        premine.element = ConfigType::Object;
        premine.nested = coinSchema();
        premine.default_value = boost::json::array();
        premine.description = "coins created at start, confirmed: a list of {\"address\": \"bcrt1...\", \"sats\": N}; "
                              "several wallets of one node can share the chain this way";
        schema.add(premine);
        schema.bounded("initial_blocks", ConfigType::Int, 10, 1, 10000,
                       "blocks mined at start on top of the premine, so its coins start this deep (makers ask "
                       "takers for commitment coins 5 deep by default)");
        schema.bounded("fee_rate", ConfigType::Int, 2000, 1, 10'000'000,
                       "the fee rate the chain estimates, satoshis per 1000 virtual bytes");
        schema.optional("persist", ConfigType::Bool, false,
                        "keep the chain in the node's database across restarts (journaled, replayed at start); "
                        "the premine and initial_blocks must then stay as they were");
        return schema;
    }();
    return s;
}

jm::sdk::Result<SimSettings> SimSettings::fromConfig(const boost::json::object& config, std::string_view network) {
    if (network != "regtest")
        return fail(errc::invalid_config, "backend-sim simulates a chain and runs on regtest only; node.network is '" +
                                              std::string(network) + "' (use backend-core for a real chain)");
    SimSettings s;
    auto interval = jm::sdk::configDuration(config, "block_interval");
    if (!interval) return interval.error();
    if (interval->count() < 0) return fail(errc::invalid_config, "block_interval must not be negative");
    s.block_interval = *interval;
    auto blocks = jm::sdk::configInt(config, "initial_blocks");
    if (!blocks) return blocks.error();
    if (*blocks < 1 || *blocks > 10000) return fail(errc::invalid_config, "initial_blocks must be from 1 to 10000");
    s.initial_blocks = static_cast<std::int32_t>(*blocks);
    auto rate = jm::sdk::configInt(config, "fee_rate");
    if (!rate) return rate.error();
    if (*rate < 1 || *rate > 10'000'000)
        return fail(errc::invalid_config, "fee_rate must be from 1 to 10000000 sat/kvB");
    s.fee_rate = *rate;
    auto persist = jm::sdk::configBool(config, "persist");
    if (!persist) return persist.error();
    s.persist = *persist;

    std::int64_t total = 0;
    if (const auto* list = config.if_contains("premine"); list && !list->is_null()) {
        if (!list->is_array()) return fail(errc::invalid_config, "premine must be a list of {address, sats}");
        const auto& coins = list->as_array();
        for (std::size_t i = 0; i < coins.size(); ++i) {
            auto where = "premine[" + std::to_string(i) + "]";
            const auto* coin = coins[i].if_object();
            const auto* address = coin ? coin->if_contains("address") : nullptr;
            const auto* sats = coin ? coin->if_contains("sats") : nullptr;
            if (!address || !address->is_string() || !sats || !sats->is_int64())
                return fail(errc::invalid_config, where + " must be {\"address\": \"bcrt1...\", \"sats\": N}");
            auto script = jm::bitcoin::addressToScript(address->as_string(), jm::bitcoin::Network::Regtest);
            if (!script)
                return fail(errc::invalid_config, where + ".address '" + std::string(address->as_string()) +
                                                      "' is not a regtest address: " + script.error().message);
            auto value = sats->as_int64();
            if (value < 1 || value > jm::protocol::MAX_MONEY - total)
                return fail(errc::invalid_config, where + ".sats: the premine must be positive amounts adding up to "
                                                          "at most 21 million BTC");
            total += value;
            s.premine.push_back({std::string(address->as_string()), std::move(*script), value});
        }
    }
    return s;
}

} // namespace jm::plugins::backend_sim
