#include <jm/bitcoin/network.hpp>

#include <string>

namespace jm::bitcoin {

const NetworkParams& params(Network network) noexcept {
    static const NetworkParams MAINNET{Network::Mainnet, "mainnet", 0x00, 0x05, 0x80, 0x0488B21E, 0x0488ADE4, "bc", 0};
    static const NetworkParams TESTNET{Network::Testnet, "testnet", 0x6f, 0xc4, 0xef, 0x043587CF, 0x04358394, "tb", 1};
    static const NetworkParams SIGNET{Network::Signet, "signet", 0x6f, 0xc4, 0xef, 0x043587CF, 0x04358394, "tb", 1};
    static const NetworkParams REGTEST{Network::Regtest, "regtest",  0x6f,   0xc4, 0xef,
                                       0x043587CF,       0x04358394, "bcrt", 1};
    switch (network) {
    case Network::Mainnet:
        return MAINNET;
    case Network::Testnet:
        return TESTNET;
    case Network::Signet:
        return SIGNET;
    case Network::Regtest:
        return REGTEST;
    }
    return MAINNET;
}

jm::sdk::Result<Network> parseNetwork(std::string_view name) {
    if (name == "mainnet" || name == "main" || name == "bitcoin") return Network::Mainnet;
    if (name == "testnet" || name == "test" || name == "testnet3") return Network::Testnet;
    if (name == "signet") return Network::Signet;
    if (name == "regtest") return Network::Regtest;
    return jm::sdk::fail(jm::sdk::errc::invalid_argument,
                         "unknown network '" + std::string(name) + "' (mainnet, testnet, signet, regtest)");
}

} // namespace jm::bitcoin
