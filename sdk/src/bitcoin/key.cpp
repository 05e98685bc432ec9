#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/key.hpp>

#include "secp256k1_context.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

namespace detail {
const secp256k1_context* secpContext() {
    static secp256k1_context* ctx = [] {
        auto* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
        unsigned char seed[32];
        randombytes_buf(seed, sizeof seed);
        // Side-channel blinding for signing; it cannot fail for a context made here, and signing
        // stays correct without it.
        [[maybe_unused]] int blinded = secp256k1_context_randomize(c, seed);
        sodium_memzero(seed, sizeof seed);
        return c;
    }();
    return ctx;
}
} // namespace detail

using detail::secpContext;

namespace {

secp256k1_pubkey toLib(const std::array<std::uint8_t, 64>& raw) {
    secp256k1_pubkey pk;
    std::memcpy(pk.data, raw.data(), 64);
    return pk;
}

std::array<std::uint8_t, 64> fromLib(const secp256k1_pubkey& pk) {
    std::array<std::uint8_t, 64> raw;
    std::memcpy(raw.data(), pk.data, 64);
    return raw;
}

Bytes serialize(const std::array<std::uint8_t, 64>& raw, bool compressed) {
    auto pk = toLib(raw);
    Bytes out(compressed ? 33 : 65);
    std::size_t len = out.size();
    secp256k1_ec_pubkey_serialize(secpContext(), out.data(), &len, &pk,
                                  compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
    return out;
}

} // namespace

jm::sdk::Result<PublicKey> PublicKey::parse(ByteView sec) {
    if (sec.size() != 33 && sec.size() != 65)
        return fail(errc::invalid_argument, "a public key is 33 or 65 bytes, got " + std::to_string(sec.size()));
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_parse(secpContext(), &pk, sec.data(), sec.size()))
        return fail(errc::invalid_argument, "not a valid secp256k1 public key");
    return PublicKey(fromLib(pk));
}

Bytes PublicKey::compressed() const { return serialize(m_data, true); }
Bytes PublicKey::uncompressed() const { return serialize(m_data, false); }
Hash160 PublicKey::hash160() const { return jm::bitcoin::hash160(compressed()); }

jm::sdk::Result<PublicKey> PublicKey::add(const PublicKey& other) const {
    secp256k1_pubkey a = toLib(m_data), b = toLib(other.m_data), sum;
    const secp256k1_pubkey* both[2] = {&a, &b};
    if (!secp256k1_ec_pubkey_combine(secpContext(), &sum, both, 2))
        return fail(errc::invalid_argument, "point addition gave the point at infinity");
    return PublicKey(fromLib(sum));
}

jm::sdk::Result<PublicKey> PublicKey::multiply(ByteView scalar32) const {
    if (scalar32.size() != 32) return fail(errc::invalid_argument, "a scalar is 32 bytes");
    auto pk = toLib(m_data);
    if (!secp256k1_ec_pubkey_tweak_mul(secpContext(), &pk, scalar32.data()))
        return fail(errc::invalid_argument, "scalar is zero or not below the group order");
    return PublicKey(fromLib(pk));
}

jm::sdk::Result<PublicKey> PublicKey::addTweak(ByteView scalar32) const {
    if (scalar32.size() != 32) return fail(errc::invalid_argument, "a scalar is 32 bytes");
    auto pk = toLib(m_data);
    if (!secp256k1_ec_pubkey_tweak_add(secpContext(), &pk, scalar32.data()))
        return fail(errc::invalid_argument, "tweak out of range or result at infinity");
    return PublicKey(fromLib(pk));
}

PublicKey PublicKey::negate() const {
    auto pk = toLib(m_data);
    if (!secp256k1_ec_pubkey_negate(secpContext(), &pk)) // only for a malformed point
        throw std::logic_error("PublicKey::negate: invalid point");
    return PublicKey(fromLib(pk));
}

bool PublicKey::verifyDer(const Hash256& hash, ByteView der, bool require_low_s) const {
    if (!isStrictDer(der)) return false;
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ecdsa_signature_parse_der(secpContext(), &sig, der.data(), der.size())) return false;
    // libsecp256k1 verifies low-S only; normalise unless the caller insists on low-S.
    bool was_high = secp256k1_ecdsa_signature_normalize(secpContext(), &sig, &sig) == 1;
    if (was_high && require_low_s) return false;
    auto pk = toLib(m_data);
    return secp256k1_ecdsa_verify(secpContext(), &sig, hash.data(), &pk) == 1;
}

bool PublicKey::verifyCompact(const Hash256& hash, ByteView compact64) const {
    if (compact64.size() != 64) return false;
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ecdsa_signature_parse_compact(secpContext(), &sig, compact64.data())) return false;
    secp256k1_ecdsa_signature_normalize(secpContext(), &sig, &sig);
    auto pk = toLib(m_data);
    return secp256k1_ecdsa_verify(secpContext(), &sig, hash.data(), &pk) == 1;
}

jm::sdk::Result<PrivateKey> PrivateKey::fromBytes(ByteView key32) {
    if (key32.size() != 32) return fail(errc::invalid_argument, "a private key is 32 bytes");
    if (!secp256k1_ec_seckey_verify(secpContext(), key32.data()))
        return fail(errc::invalid_argument, "private key out of range");
    return PrivateKey(SecretBytes(key32));
}

PrivateKey PrivateKey::generate() {
    SecretBytes key(32);
    do {
        randombytes_buf(key.data(), key.size());
    } while (!secp256k1_ec_seckey_verify(secpContext(), key.data()));
    return PrivateKey(std::move(key));
}

jm::sdk::Result<PrivateKey> PrivateKey::fromWif(std::string_view wif, Network network, bool* compressed) {
    auto data = fromBase58Check(wif);
    if (!data) return data.error().withContext("WIF");
    SecretBytes bytes(*data);
    sodium_memzero(data->data(), data->size());
    if (bytes.size() != 33 && !(bytes.size() == 34 && bytes.data()[33] == 0x01))
        return fail(errc::invalid_argument, "WIF has the wrong length");
    if (bytes.data()[0] != params(network).wif_prefix)
        return fail(errc::invalid_argument, "WIF is not for " + std::string(params(network).name));
    if (compressed) *compressed = bytes.size() == 34;
    return fromBytes(ByteView(bytes.data() + 1, 32));
}

std::string PrivateKey::toWif(Network network, bool compressed) const {
    SecretBytes payload(compressed ? 34 : 33);
    payload.data()[0] = params(network).wif_prefix;
    std::memcpy(payload.data() + 1, m_key.data(), 32);
    if (compressed) payload.data()[33] = 0x01;
    return toBase58Check(payload.view());
}

PublicKey PrivateKey::publicKey() const {
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(secpContext(), &pk, m_key.data())) // validated at construction
        throw std::logic_error("PrivateKey::publicKey: invalid key");
    return PublicKey(fromLib(pk));
}

Bytes PrivateKey::signDer(const Hash256& hash) const {
    secp256k1_ecdsa_signature sig;
    // Null nonce function = RFC 6979; libsecp256k1 always produces low-S.
    secp256k1_ecdsa_sign(secpContext(), &sig, hash.data(), m_key.data(), nullptr, nullptr);
    Bytes der(72);
    std::size_t len = der.size();
    secp256k1_ecdsa_signature_serialize_der(secpContext(), der.data(), &len, &sig);
    der.resize(len);
    return der;
}

std::array<std::uint8_t, 64> PrivateKey::signCompact(const Hash256& hash) const {
    secp256k1_ecdsa_signature sig;
    secp256k1_ecdsa_sign(secpContext(), &sig, hash.data(), m_key.data(), nullptr, nullptr);
    std::array<std::uint8_t, 64> out;
    secp256k1_ecdsa_signature_serialize_compact(secpContext(), out.data(), &sig);
    return out;
}

jm::sdk::Result<PrivateKey> PrivateKey::addTweak(ByteView scalar32) const {
    if (scalar32.size() != 32) return fail(errc::invalid_argument, "a scalar is 32 bytes");
    SecretBytes key = m_key;
    if (!secp256k1_ec_seckey_tweak_add(secpContext(), key.data(), scalar32.data()))
        return fail(errc::invalid_argument, "tweak out of range or result zero");
    return PrivateKey(std::move(key));
}

jm::sdk::Result<PrivateKey> PrivateKey::multiplyTweak(ByteView scalar32) const {
    if (scalar32.size() != 32) return fail(errc::invalid_argument, "a scalar is 32 bytes");
    SecretBytes key = m_key;
    if (!secp256k1_ec_seckey_tweak_mul(secpContext(), key.data(), scalar32.data()))
        return fail(errc::invalid_argument, "tweak out of range");
    return PrivateKey(std::move(key));
}

PrivateKey PrivateKey::negate() const {
    SecretBytes key = m_key;
    if (!secp256k1_ec_seckey_negate(secpContext(), key.data())) // validated at construction
        throw std::logic_error("PrivateKey::negate: invalid key");
    return PrivateKey(std::move(key));
}

bool isStrictDer(ByteView sig) {
    // BIP66 rules, for a signature without the sighash byte.
    if (sig.size() < 8 || sig.size() > 72) return false;
    if (sig[0] != 0x30 || sig[1] != sig.size() - 2) return false;
    std::size_t len_r = sig[3];
    if (5 + len_r >= sig.size()) return false;
    std::size_t len_s = sig[5 + len_r];
    if (len_r + len_s + 6 != sig.size()) return false;
    if (sig[2] != 0x02 || len_r == 0 || (sig[4] & 0x80)) return false;
    if (len_r > 1 && sig[4] == 0x00 && !(sig[5] & 0x80)) return false;
    if (sig[len_r + 4] != 0x02 || len_s == 0 || (sig[len_r + 6] & 0x80)) return false;
    if (len_s > 1 && sig[len_r + 6] == 0x00 && !(sig[len_r + 7] & 0x80)) return false;
    return true;
}

jm::sdk::Result<std::array<std::uint8_t, 64>> derToCompact(ByteView der) {
    secp256k1_ecdsa_signature sig;
    if (!isStrictDer(der) || !secp256k1_ecdsa_signature_parse_der(secpContext(), &sig, der.data(), der.size()))
        return fail(errc::invalid_argument, "malformed DER signature");
    secp256k1_ecdsa_signature_normalize(secpContext(), &sig, &sig);
    std::array<std::uint8_t, 64> out;
    secp256k1_ecdsa_signature_serialize_compact(secpContext(), out.data(), &sig);
    return out;
}

Bytes compactToDer(const std::array<std::uint8_t, 64>& compact) {
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ecdsa_signature_parse_compact(secpContext(), &sig, compact.data())) return {};
    Bytes der(72);
    std::size_t len = der.size();
    secp256k1_ecdsa_signature_serialize_der(secpContext(), der.data(), &len, &sig);
    der.resize(len);
    return der;
}

} // namespace jm::bitcoin
