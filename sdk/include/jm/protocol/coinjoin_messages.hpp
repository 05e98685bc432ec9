#pragma once

#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/protocol/utxo_string.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <vector>

namespace jm::protocol {

//! The decrypted !ioauth payload (protocol.md 8.6):
//! "<utxo,utxo,...> <auth_pub_hex> <cj_addr> <change_addr> <btc_sig_b64>".
struct IoauthMessage {
    std::vector<UtxoString> utxos;
    std::string auth_pub_hex;
    std::string cj_address;
    std::string change_address;
    std::string btc_sig;
};

//! Errors: errc::protocol_error (field count, a utxo, the pubkey, an empty list, more than
//! `max_utxos` inputs, duplicate outpoints).
JM_SDK_API jm::sdk::Result<IoauthMessage> parseIoauth(std::string_view plaintext, std::size_t max_utxos = 100);
//! `extended_utxos`: write NG's extended utxo form (only to neutrino_compat takers).
JM_SDK_API std::string formatIoauth(const IoauthMessage& msg, bool extended_utxos = false);

//! The maker's btc_sig: a Bitcoin-message signature by the auth key over the ASCII hex of the
//! maker's own NaCl public key (binds the encryption channel to a real input).
JM_SDK_API std::string signIoauth(const jm::bitcoin::PrivateKey& auth_key, std::string_view maker_encpk_hex);
//! Errors: errc::protocol_error when btc_sig does not verify for auth_pub over the encpk text.
JM_SDK_API jm::sdk::Result<void> verifyIoauth(std::string_view auth_pub_hex, std::string_view maker_encpk_hex,
                                              std::string_view btc_sig_b64);

//! !tx payload: the unsigned transaction, base64 (then encrypted). Errors: not base64, not a
//! transaction.
JM_SDK_API jm::sdk::Result<jm::bitcoin::Transaction> parseTxPayload(std::string_view base64);
JM_SDK_API std::string formatTxPayload(const jm::bitcoin::Transaction& tx);

//! !sig payload: base64 of a script-serialised stack, 2 items (P2WPKH: sig, pubkey) or 3
//! (P2SH-P2WPKH adds the redeem script). Errors: not base64, not pushes, wrong item count, an
//! empty item.
JM_SDK_API jm::sdk::Result<std::vector<jm::bitcoin::Bytes>> parseSigPayload(std::string_view base64);
JM_SDK_API std::string formatSigPayload(const std::vector<jm::bitcoin::Bytes>& items);

} // namespace jm::protocol
