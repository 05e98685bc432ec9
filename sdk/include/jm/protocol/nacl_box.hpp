#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/sdk/result.hpp>

#include <array>
#include <set>
#include <string>
#include <string_view>

namespace jm::protocol {

//! A Curve25519 key pair for the CoinJoin encryption of !auth, !ioauth, !tx and !sig.
//! Public keys travel as 64 lower-case hex characters.
class JM_SDK_API BoxKeyPair {
public:
    //! A fresh random key pair (one per CoinJoin session).
    static BoxKeyPair generate();
    //! From a 32-byte secret key. Errors: wrong length.
    static jm::sdk::Result<BoxKeyPair> fromSecret(jm::bitcoin::ByteView secret32);
    const std::array<std::uint8_t, 32>& publicKey() const { return m_public; }
    std::string publicKeyHex() const;
    const jm::bitcoin::SecretBytes& secretKey() const { return m_secret; }

private:
    jm::bitcoin::SecretBytes m_secret;
    std::array<std::uint8_t, 32> m_public{};
};

//! Parses a counterparty's 64-hex public key. Errors: errc::protocol_error.
JM_SDK_API jm::sdk::Result<std::array<std::uint8_t, 32>> parseBoxPublicKey(std::string_view hex);

//! An encrypted channel with one counterparty (libsodium crypto_box: X25519 +
//! XSalsa20-Poly1305), laid out as REF's libnacl: nonce(24) || MAC(16) || ciphertext, base64.
//! The shared key is precomputed once. Executor: not thread-safe.
class JM_SDK_API BoxSession {
public:
    BoxSession(const BoxKeyPair& ours, const std::array<std::uint8_t, 32>& their_public);
    ~BoxSession();

    //! Encrypts with a fresh random nonce; returns the base64 wire text.
    std::string encrypt(std::string_view plaintext) const;
    //! Encrypts with a caller-chosen nonce (tests and vectors only). Returns the raw box.
    jm::bitcoin::Bytes encryptWithNonce(std::string_view plaintext, jm::bitcoin::ByteView nonce24) const;
    //! Decrypts base64 wire text. Errors: errc::protocol_error for bad base64, a short box, a
    //! failed authentication (tampered or from someone else), or a replay: a box whose nonce
    //! this session already accepted (a session accepts at most MAX_MESSAGES boxes).
    jm::sdk::Result<std::string> decrypt(std::string_view wire_base64);
    //! Decrypts a raw box (nonce || MAC || ciphertext), with the same checks.
    jm::sdk::Result<std::string> decryptBox(jm::bitcoin::ByteView box);

    //! Far above the messages of one CoinJoin (a !sig per maker input); bounds memory.
    static constexpr std::size_t MAX_MESSAGES = 4096;
    //! The precomputed shared key (crypto_box_beforenm). Never log it.
    const jm::bitcoin::SecretBytes& sharedKey() const { return m_shared; }

private:
    jm::bitcoin::SecretBytes m_shared;
    std::set<std::array<std::uint8_t, 24>> m_seenNonces;
};

} // namespace jm::protocol
