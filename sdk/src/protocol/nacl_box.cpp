#include <jm/protocol/nacl_box.hpp>

#include <jm/bitcoin/encoding.hpp>

#include <sodium.h>

#include <cstring>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

BoxKeyPair BoxKeyPair::generate() {
    BoxKeyPair kp;
    kp.m_secret = jm::bitcoin::SecretBytes(crypto_box_SECRETKEYBYTES);
    crypto_box_keypair(kp.m_public.data(), kp.m_secret.data());
    return kp;
}

jm::sdk::Result<BoxKeyPair> BoxKeyPair::fromSecret(jm::bitcoin::ByteView secret32) {
    if (secret32.size() != crypto_box_SECRETKEYBYTES)
        return fail(errc::invalid_argument, "a box secret key is 32 bytes");
    BoxKeyPair kp;
    kp.m_secret = jm::bitcoin::SecretBytes(secret32);
    crypto_scalarmult_base(kp.m_public.data(), kp.m_secret.data());
    return kp;
}

std::string BoxKeyPair::publicKeyHex() const { return jm::bitcoin::toHex(m_public); }

jm::sdk::Result<std::array<std::uint8_t, 32>> parseBoxPublicKey(std::string_view hex) {
    if (hex.size() != 64) return fail(errc::protocol_error, "an encryption public key is 64 hex characters");
    auto bytes = jm::bitcoin::fromHex(hex);
    if (!bytes) return fail(errc::protocol_error, "encryption public key is not hex");
    std::array<std::uint8_t, 32> out;
    std::memcpy(out.data(), bytes->data(), 32);
    return out;
}

BoxSession::BoxSession(const BoxKeyPair& ours, const std::array<std::uint8_t, 32>& their_public) :
    m_shared(crypto_box_BEFORENMBYTES) {
    // A low-order public key makes beforenm fail and leaves the key as it was: all zero, which
    // anyone could use. A random key instead makes every decryption fail authentication and
    // what we encrypt unreadable, which is the safe outcome.
    if (crypto_box_beforenm(m_shared.data(), their_public.data(), ours.secretKey().data()) != 0)
        randombytes_buf(m_shared.data(), m_shared.size());
}

BoxSession::~BoxSession() = default;

jm::bitcoin::Bytes BoxSession::encryptWithNonce(std::string_view plaintext, jm::bitcoin::ByteView nonce24) const {
    jm::bitcoin::Bytes box(crypto_box_NONCEBYTES + crypto_box_MACBYTES + plaintext.size());
    std::memcpy(box.data(), nonce24.data(), crypto_box_NONCEBYTES);
    crypto_box_easy_afternm(box.data() + crypto_box_NONCEBYTES,
                            reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), box.data(),
                            m_shared.data());
    return box;
}

std::string BoxSession::encrypt(std::string_view plaintext) const {
    std::uint8_t nonce[crypto_box_NONCEBYTES];
    randombytes_buf(nonce, sizeof nonce);
    return jm::bitcoin::toBase64(encryptWithNonce(plaintext, jm::bitcoin::ByteView(nonce, sizeof nonce)));
}

jm::sdk::Result<std::string> BoxSession::decryptBox(jm::bitcoin::ByteView box) {
    if (box.size() < crypto_box_NONCEBYTES + crypto_box_MACBYTES)
        return fail(errc::protocol_error, "encrypted message too short");
    std::array<std::uint8_t, crypto_box_NONCEBYTES> nonce;
    std::memcpy(nonce.data(), box.data(), nonce.size());
    if (m_seenNonces.count(nonce)) return fail(errc::protocol_error, "encrypted message replayed (nonce seen before)");
    if (m_seenNonces.size() >= MAX_MESSAGES)
        return fail(errc::protocol_error, "too many encrypted messages in one session");
    std::string plain(box.size() - crypto_box_NONCEBYTES - crypto_box_MACBYTES, '\0');
    if (crypto_box_open_easy_afternm(reinterpret_cast<unsigned char*>(plain.data()), box.data() + crypto_box_NONCEBYTES,
                                     box.size() - crypto_box_NONCEBYTES, box.data(), m_shared.data()) != 0)
        return fail(errc::protocol_error, "encrypted message failed authentication (tampered or wrong key)");
    m_seenNonces.insert(nonce); // only authenticated boxes count, so forgeries cannot fill it
    return plain;
}

jm::sdk::Result<std::string> BoxSession::decrypt(std::string_view wire_base64) {
    auto box = jm::bitcoin::fromBase64(wire_base64);
    if (!box) return fail(errc::protocol_error, "encrypted message is not base64");
    return decryptBox(*box);
}

} // namespace jm::protocol
