#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jm::protocol {

//! A utxo as written in messages: legacy "txid:vout", or NG's extended
//! "txid:vout:scriptpubkey_hex:blockheight" (only for peers advertising neutrino_compat).
struct UtxoString {
    jm::bitcoin::OutPoint outpoint; //!< txid in internal order
    std::optional<jm::bitcoin::Script> script_pubkey;
    std::optional<std::int64_t> height;
    bool extended() const { return script_pubkey.has_value(); }
};

//! The !error text a light-client (neutrino) maker answers a legacy `txid:vout` !auth with:
//! NG makers' exact wording, so that NG takers recognise it. Executor: n/a.
inline constexpr std::string_view NEUTRINO_INCOMPATIBLE_ERROR =
    "Neutrino backend requires extended UTXO metadata (neutrino_compat) for verification";

//! Errors: errc::protocol_error (txid not 64 hex, vout not a decimal uint32, extended fields
//! malformed, wrong number of fields).
JM_SDK_API jm::sdk::Result<UtxoString> parseUtxoString(std::string_view text);
//! "txid:vout" (display-order txid), or the extended form when `extended` and it has the data.
JM_SDK_API std::string formatUtxoString(const UtxoString& utxo, bool extended = false);

} // namespace jm::protocol
