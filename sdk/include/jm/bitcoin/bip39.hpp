#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/sdk/result.hpp>

#include <array>
#include <string>
#include <string_view>

namespace jm::bitcoin {

//! The 2048 English BIP39 words, sorted. Executor: any; static storage.
JM_SDK_API const std::array<std::string_view, 2048>& bip39EnglishWords() noexcept;

//! Mnemonic for 16, 20, 24, 28 or 32 bytes of entropy (with its checksum word bits).
//! Errors: errc::invalid_argument for other lengths. The result holds a secret: wipe it.
JM_SDK_API jm::sdk::Result<std::string> entropyToMnemonic(ByteView entropy);
//! Entropy of a mnemonic (UTF-8), read after Unicode NFKD normalisation as BIP39 hashes it (so
//! fullwidth letters or ideographic spaces are the plain words); words separated by one or more
//! spaces, tabs or line breaks, lower case. Executor: any. Errors: errc::invalid_argument naming the problem: not
//! UTF-8, word count (12/15/18/21/24), the unknown word (and its position), or a checksum mismatch.
JM_SDK_API jm::sdk::Result<SecretBytes> mnemonicToEntropy(std::string_view mnemonic);
//! The 64-byte BIP39 seed: PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" + NFKD(passphrase),
//! 2048). Both are UTF-8 and NFKD-normalised (ICU) here, so precomposed and decomposed spellings
//! of a passphrase give the same seed, as in every BIP39 implementation. Executor: any; the
//! caller owns the seed. Errors: errc::invalid_argument when either is not valid UTF-8.
JM_SDK_API jm::sdk::Result<SecretBytes> mnemonicToSeed(std::string_view mnemonic, std::string_view passphrase);

} // namespace jm::bitcoin
