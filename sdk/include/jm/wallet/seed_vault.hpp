#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::wallet {

//! How hard the password key derivation is (libsodium Argon2id limits).
enum class KdfStrength {
    Interactive, //!< ~0.1 s, 64 MiB: tests and low-power devices
    Moderate,    //!< ~0.7 s, 256 MiB: the default for wallets
};

//! The wallet secrets kept at rest: BIP39 entropy and the optional BIP39 passphrase.
struct WalletSecrets {
    jm::bitcoin::SecretBytes entropy;
    std::string passphrase; //!< wiped by the owner (see wipe())
    void wipe();
};

//! Encrypts `secrets` under `password`: Argon2id(password, random salt) → key,
//! XSalsa20-Poly1305 (crypto_secretbox) with a random nonce. The returned blob carries the
//! format version, KDF limits, salt and nonce. Executor: any; blocking (the KDF takes time).
JM_SDK_API jm::bitcoin::Bytes sealSecrets(const WalletSecrets& secrets, std::string_view password,
                                          KdfStrength strength);
//! Which strength a sealed blob's KDF limits are (read from its header, no password needed).
//! Executor: any. Errors: errc::corrupt_data for broken framing or limits sealSecrets never
//! writes, errc::unsupported for an unknown format version.
JM_SDK_API jm::sdk::Result<KdfStrength> sealedStrength(jm::bitcoin::ByteView blob);
//! Decrypts a sealed blob. Errors: errc::wrong_password when authentication fails (a wrong
//! password; never reported as corruption), errc::corrupt_data when the blob's framing is
//! broken, errc::unsupported for an unknown format version.
JM_SDK_API jm::sdk::Result<WalletSecrets> openSecrets(jm::bitcoin::ByteView blob, std::string_view password);

} // namespace jm::wallet
