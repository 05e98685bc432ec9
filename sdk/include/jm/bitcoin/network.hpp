#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <string_view>

namespace jm::bitcoin {

enum class Network { Mainnet, Testnet, Signet, Regtest };

//! Everything that differs between networks for keys and addresses.
struct NetworkParams {
    Network network;
    std::string_view name;     //!< "mainnet", "testnet", "signet", "regtest"
    std::uint8_t p2pkh_prefix; //!< base58 version byte
    std::uint8_t p2sh_prefix;
    std::uint8_t wif_prefix;
    std::uint32_t xpub_version; //!< BIP32 serialisation versions
    std::uint32_t xprv_version;
    std::string_view bech32_hrp; //!< "bc", "tb", "bcrt"
    std::uint32_t bip44_coin;    //!< 0 on mainnet, 1 on the test networks
};

//! Parameters of a network. Executor: any; static storage.
JM_SDK_API const NetworkParams& params(Network network) noexcept;
//! Parses "mainnet"/"main"/"bitcoin", "testnet"/"test", "signet", "regtest".
//! Errors: errc::invalid_argument.
JM_SDK_API jm::sdk::Result<Network> parseNetwork(std::string_view name);

} // namespace jm::bitcoin
