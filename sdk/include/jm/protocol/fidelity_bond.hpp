#pragma once

#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <string>

namespace jm::protocol {

//! The fidelity-bond proof a maker sends with !tbond (protocol.md 10.3): 252 bytes,
//! little-endian <72s72s33sH33s32sII>, base64 on the wire.
struct BondProof {
    jm::bitcoin::Bytes nick_sig;         //!< DER, by cert_pub over "<taker_nick>|<maker_nick>"
    jm::bitcoin::Bytes cert_sig;         //!< DER, by utxo_pub over the certificate message
    jm::bitcoin::Bytes cert_pub;         //!< 33 bytes
    std::uint16_t cert_expiry = 0;       //!< in 2016-block periods
    jm::bitcoin::Bytes utxo_pub;         //!< 33 bytes, the key in the bond script
    jm::bitcoin::Hash256 txid_display{}; //!< txid bytes in RPC display order
    std::uint32_t vout = 0;
    std::uint32_t locktime = 0;
};

constexpr std::size_t BOND_PROOF_SIZE = 252;

//! Decodes a proof. Errors: errc::protocol_error (not base64, not 252 bytes, a signature
//! field without DER header).
JM_SDK_API jm::sdk::Result<BondProof> parseBondProof(std::string_view base64);
//! Encodes a proof (signatures left-padded with 0xff). Errors: a signature over 72 bytes or a
//! key not 33 bytes.
JM_SDK_API jm::sdk::Result<std::string> serializeBondProof(const BondProof& proof);

//! The certificate message signed by the bond key: "fidelity-bond-cert|" cert_pub "|" expiry,
//! with cert_pub as 33 raw bytes (binary form) or 66 hex characters (ascii form).
JM_SDK_API jm::bitcoin::Bytes bondCertificateMessage(jm::bitcoin::ByteView cert_pub, std::uint16_t cert_expiry,
                                                     bool ascii_form);

//! Creates a proof bound to `taker_nick` (REF hot-wallet style: a certificate key signed by the
//! bond key, then the nick message signed by the certificate key).
JM_SDK_API BondProof createBondProof(const jm::bitcoin::PrivateKey& utxo_key, const jm::bitcoin::PrivateKey& cert_key,
                                     std::uint16_t cert_expiry, std::string_view taker_nick,
                                     std::string_view maker_nick, const jm::bitcoin::Hash256& txid_display,
                                     std::uint32_t vout, std::uint32_t locktime);
//! Verifies both signatures (the certificate in either form). The caller then checks the
//! utxo (exists, confirmed, scriptPubKey == bondScriptPubKey, height <= cert_expiry*2016).
//! Errors: errc::protocol_error "nick sig does not verify" / "cert sig does not verify".
JM_SDK_API jm::sdk::Result<void> verifyBondProof(const BondProof& proof, std::string_view taker_nick,
                                                 std::string_view maker_nick);
//! The P2WSH scriptPubKey the bond utxo must have. Errors: utxo_pub is not a key.
JM_SDK_API jm::sdk::Result<jm::bitcoin::Script> bondScriptPubKey(const BondProof& proof);

//! Bond value (protocol.md 10.4): (value × a)^exponent with
//! a = max(0, min(1, e^(r·T) − 1) − min(1, e^(r·max(0, t − L)) − 1)), T = (locktime −
//! confirmation_time)/YEAR, L = locktime/YEAR, t = current_time/YEAR. A float, as in REF; only
//! used to weigh makers.
JM_SDK_API double bondValue(std::int64_t utxo_value, std::int64_t confirmation_time, std::int64_t locktime,
                            std::int64_t current_time, double interest_rate = 0.015, double exponent = 1.3);

} // namespace jm::protocol
