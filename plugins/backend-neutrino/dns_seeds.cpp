#include "dns_seeds.hpp"

#include <jm/net/peer_address.hpp>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Network;

std::uint16_t defaultP2pPort(Network network) {
    switch (network) {
    case Network::Mainnet:
        return 8333;
    case Network::Testnet:
        return 18333;
    case Network::Signet:
        return 38333;
    case Network::Regtest:
        return 18444;
    }
    return 8333;
}

std::vector<SeedHost> builtinDnsSeeds(Network network) {
    // The host names are the seeds Bitcoin Core v31 ships (kernel/chainparams.cpp).
    std::vector<std::string_view> names;
    switch (network) {
    case Network::Mainnet:
        names = {"seed.bitcoin.sipa.be",   "dnsseed.bluematt.me",        "seed.bitcoin.jonasschnelli.ch",
                 "seed.btc.petertodd.net", "seed.bitcoin.sprovoost.nl",  "dnsseed.emzy.de",
                 "seed.bitcoin.wiz.biz",   "seed.mainnet.achownodes.xyz"};
        break;
    case Network::Testnet:
        names = {"testnet-seed.bitcoin.jonasschnelli.ch", "seed.tbtc.petertodd.net",
                 "seed.testnet.bitcoin.sprovoost.nl", "testnet-seed.bluematt.me", "seed.testnet.achownodes.xyz"};
        break;
    case Network::Signet:
        names = {"seed.signet.bitcoin.sprovoost.nl", "seed.signet.achownodes.xyz"};
        break;
    case Network::Regtest:
        break;
    }
    std::vector<SeedHost> out;
    for (auto name : names)
        out.push_back({std::string(name), defaultP2pPort(network), true});
    return out;
}

jm::sdk::Result<SeedHost> parseSeedHost(std::string_view text, std::uint16_t default_port) {
    // Without a port the name is checked as "name:<default port>" would be.
    bool has_port = text.starts_with("[") || text.find(':') != std::string_view::npos;
    auto parsed = has_port ? jm::net::parsePeerAddress(text)
                           : jm::net::parsePeerAddress(std::string(text) + ":" + std::to_string(default_port));
    if (!parsed) {
        if (has_port) return parsed.error();
        return jm::sdk::fail(jm::sdk::errc::invalid_config, "'" + std::string(text) + "' has a bad host name");
    }
    return SeedHost{std::move(parsed->host), parsed->port, false};
}

} // namespace jm::plugins::backend_neutrino
