#pragma once

#include <jm/bitcoin/script.hpp>
#include <jm/sdk/config.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace jm::plugins::backend_sim {

//! Coins the simulated chain creates at start.
struct PremineCoin {
    std::string address;
    jm::bitcoin::Script script;
    std::int64_t sats = 0;
};

//! A backend-sim instance's config.
struct SimSettings {
    //! A block every interval; 0 = a block right after each accepted transaction.
    std::chrono::milliseconds block_interval{0};
    std::vector<PremineCoin> premine;
    //! Blocks mined at start on top of the premine: its coins start that deep.
    std::int32_t initial_blocks = 10;
    std::int64_t fee_rate = 2000; //!< sat/kvB, what estimateFee answers
    //! Keep the chain across restarts: every accepted transaction and mined block is journaled
    //! (synced) in the instance's store and replayed at start, so a node killed and started again
    //! finds the chain it left (crash tests across processes).
    bool persist = false;

    static const jm::sdk::ConfigSchema& schema();
    //! Reads a config validated against schema() for the node's `network`.
    //! Errors: errc::invalid_config when the network is not regtest (a simulated chain must never
    //! be mistaken for a real one), or naming the premine entry whose address is not a regtest
    //! address or whose amounts add up to more than 21 million BTC.
    static jm::sdk::Result<SimSettings> fromConfig(const boost::json::object& config, std::string_view network);
};

} // namespace jm::plugins::backend_sim
