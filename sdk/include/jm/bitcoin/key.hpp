#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/sdk/result.hpp>

#include <optional>
#include <string>

namespace jm::bitcoin {

//! A secp256k1 public key (parsed and validated). Plain value type.
class JM_SDK_API PublicKey {
public:
    //! Parses a 33-byte compressed or 65-byte uncompressed SEC1 key.
    //! Errors: errc::invalid_argument when it is not a point on the curve.
    static jm::sdk::Result<PublicKey> parse(ByteView sec);
    //! 33-byte compressed form (the only form JoinMarket uses on the wire).
    Bytes compressed() const;
    Bytes uncompressed() const;
    //! hash160 of the compressed form.
    Hash160 hash160() const;
    bool operator==(const PublicKey& other) const { return m_data == other.m_data; }

    //! this + other (point addition). Errors: the sum is the point at infinity.
    jm::sdk::Result<PublicKey> add(const PublicKey& other) const;
    //! scalar * this. Errors: scalar is zero or not below the group order.
    jm::sdk::Result<PublicKey> multiply(ByteView scalar32) const;
    //! this + scalar*G. Errors: as multiply, or the result is infinity.
    jm::sdk::Result<PublicKey> addTweak(ByteView scalar32) const;
    //! -this.
    PublicKey negate() const;

    //! Verifies a DER signature (lax DER is refused; high-S is accepted unless `require_low_s`).
    bool verifyDer(const Hash256& hash, ByteView der, bool require_low_s = false) const;
    //! Verifies a 64-byte compact (r||s) signature.
    bool verifyCompact(const Hash256& hash, ByteView compact64) const;

    //! The internal 64-byte libsecp256k1 representation. Do not persist it.
    const std::array<std::uint8_t, 64>& raw() const { return m_data; }
    explicit PublicKey(const std::array<std::uint8_t, 64>& raw) : m_data(raw) {}

private:
    std::array<std::uint8_t, 64> m_data{};
};

//! A secp256k1 private key, wiped from memory on destruction. Never logged.
class JM_SDK_API PrivateKey {
public:
    //! Errors: errc::invalid_argument when not 32 bytes or not in [1, n-1].
    static jm::sdk::Result<PrivateKey> fromBytes(ByteView key32);
    //! A fresh random key (libsodium randombytes).
    static PrivateKey generate();
    //! Parses WIF; returns the key and whether it was marked compressed. Errors: checksum,
    //! length, version byte not of `network`.
    static jm::sdk::Result<PrivateKey> fromWif(std::string_view wif, Network network, bool* compressed = nullptr);

    std::string toWif(Network network, bool compressed = true) const;
    PublicKey publicKey() const;
    const SecretBytes& bytes() const { return m_key; }

    //! ECDSA sign (RFC 6979 nonce, low-S). Returns strict DER.
    Bytes signDer(const Hash256& hash) const;
    //! 64-byte compact r||s (low-S).
    std::array<std::uint8_t, 64> signCompact(const Hash256& hash) const;
    //! (this + tweak) mod n. Errors: tweak out of range or result zero.
    jm::sdk::Result<PrivateKey> addTweak(ByteView scalar32) const;
    //! (this * tweak) mod n.
    jm::sdk::Result<PrivateKey> multiplyTweak(ByteView scalar32) const;
    //! n - this.
    PrivateKey negate() const;

private:
    explicit PrivateKey(SecretBytes key) : m_key(std::move(key)) {}
    SecretBytes m_key;
};

//! Converts a DER signature to compact 64 bytes and back; normalises to low-S.
//! Errors: errc::invalid_argument for malformed DER.
JM_SDK_API jm::sdk::Result<std::array<std::uint8_t, 64>> derToCompact(ByteView der);
JM_SDK_API Bytes compactToDer(const std::array<std::uint8_t, 64>& compact);
//! True when `der` is strict DER as BIP66 defines it (no trailing hashtype byte).
JM_SDK_API bool isStrictDer(ByteView der);

} // namespace jm::bitcoin
