#pragma once

#include <jm/sdk/config.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>

namespace jm::plugins::backend_neutrino {

//! The backend-neutrino/neutrino config: the wallet-tracking and lookup limits the backend uses.
//! The P2P keys of the same object (peers, dns_seeds, ...) are checked in one place,
//! checkP2pConfig (the factory's checkConfig hook, and p2pSettingsFromConfig when the plugin is
//! created), and read by makeP2pChainSource; fromConfig leaves them alone.
struct NeutrinoSettings {
    //! Scripts watched past the highest used one on each branch (Core keeps 1000; filters are
    //! matched against all of them at once, so more costs little).
    std::uint32_t watch_ahead = 200;
    //! Filters fetched per request to the source (BIP157 allows at most 1000).
    std::uint32_t filter_batch = 1000;
    //! One getTxOutHinted lookup checks at most this many filters after the coin's block; the
    //! progress is kept, so asking again continues.
    std::uint32_t hint_max_filters = 50'000;
    //! One lookup fetches at most this many blocks (blocks whose filter holds the script).
    std::uint32_t hint_max_blocks = 50;
    //! Unconfirmed transactions relayed by peers kept for lookups and watches.
    std::uint32_t mempool_limit = 20'000;
    //! A wallet scan asked before the light client has synced waits this long for it (polling),
    //! then fails with errc::unavailable.
    std::chrono::milliseconds sync_wait{60'000};

    static const jm::sdk::ConfigSchema& schema();
    //! Reads the backend's keys of a schema-validated config (not the P2P ones). Errors:
    //! errc::invalid_config.
    static jm::sdk::Result<NeutrinoSettings> fromConfig(const boost::json::object& config);
};

} // namespace jm::plugins::backend_neutrino
