#pragma once

#include <jm/bitcoin/network.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jm::plugins::backend_neutrino {

//! A DNS name whose A/AAAA records are peers of the network, all on `port`.
struct SeedHost {
    std::string host;
    std::uint16_t port = 0;
    //! A public seed that answers "x<bits>.<name>" with nodes announcing those service bits:
    //! asked for compact-filter nodes first (see PeerManager).
    bool filters_by_service = false;
    std::string text() const { return host + ":" + std::to_string(port); }
};

//! The P2P port of `network` (Bitcoin Core's default: 8333, 18333, 38333, 18444).
//! Executor: any; pure.
std::uint16_t defaultP2pPort(jm::bitcoin::Network network);

//! The DNS seeds Bitcoin Core's chainparams list for `network` (testnet is testnet3), on the
//! network's default port; none for regtest. Executor: any; pure.
std::vector<SeedHost> builtinDnsSeeds(jm::bitcoin::Network network);

//! Parses a `dns_seed_hosts` entry: "name" (on `default_port`), "name:port" or
//! "[IPv6 address]:port". Executor: any; pure. Errors: errc::invalid_config quoting the entry.
jm::sdk::Result<SeedHost> parseSeedHost(std::string_view text, std::uint16_t default_port);

} // namespace jm::plugins::backend_neutrino
