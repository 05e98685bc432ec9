#pragma once

#include <jm/bitcoin/network.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::bitcoin {

//! The scriptPubKey an address pays to: base58 P2PKH/P2SH or bech32/bech32m segwit, for
//! `network`. Errors: errc::invalid_argument naming the problem (checksum, wrong network,
//! unknown version byte, segwit rules). Executor: any; pure.
JM_SDK_API jm::sdk::Result<Script> addressToScript(std::string_view address, Network network);
//! The address of a standard output script on `network`. Errors: a script without an address
//! form (non-standard, bare multisig...).
JM_SDK_API jm::sdk::Result<std::string> scriptToAddress(ByteView script, Network network);

} // namespace jm::bitcoin
