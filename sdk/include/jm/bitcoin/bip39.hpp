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
//! Entropy of a mnemonic; words separated by single or multiple spaces, lower case.
//! Errors: errc::invalid_argument naming the problem: word count (12/15/18/21/24), the
//! unknown word (and its position), or a checksum mismatch.
JM_SDK_API jm::sdk::Result<SecretBytes> mnemonicToEntropy(std::string_view mnemonic);
//! The 64-byte BIP39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" + passphrase, 2048).
//! English ASCII mnemonics need no NFKD step; a non-ASCII passphrase is used as given (UTF-8),
//! which equals NFKD for text already in that form.
JM_SDK_API SecretBytes mnemonicToSeed(std::string_view mnemonic, std::string_view passphrase);

} // namespace jm::bitcoin
