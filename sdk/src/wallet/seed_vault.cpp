#include <jm/wallet/seed_vault.hpp>

#include <sodium.h>

#include <cstring>

namespace jm::wallet {

using jm::bitcoin::Bytes;
using jm::bitcoin::SecretBytes;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {
// Blob layout: "JMV1" | opslimit (u64 LE) | memlimit (u64 LE) | salt | nonce | secretbox.
// Plaintext: entropy length (1) | entropy | passphrase.
constexpr char MAGIC[4] = {'J', 'M', 'V', '1'};
constexpr std::size_t HEADER = 4 + 8 + 8 + crypto_pwhash_SALTBYTES + crypto_secretbox_NONCEBYTES;

void putU64(Bytes& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t getU64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= std::uint64_t(p[i]) << (8 * i);
    return v;
}

bool deriveKey(SecretBytes& key, std::string_view password, const std::uint8_t* salt, std::uint64_t ops,
               std::uint64_t mem) {
    key = SecretBytes(crypto_secretbox_KEYBYTES);
    return crypto_pwhash(key.data(), key.size(), password.data(), password.size(), salt, ops,
                         static_cast<std::size_t>(mem), crypto_pwhash_ALG_ARGON2ID13) == 0;
}
} // namespace

void WalletSecrets::wipe() {
    entropy = SecretBytes();
    if (!passphrase.empty()) sodium_memzero(passphrase.data(), passphrase.size());
    passphrase.clear();
}

Bytes sealSecrets(const WalletSecrets& secrets, std::string_view password, KdfStrength strength) {
    std::uint64_t ops =
        strength == KdfStrength::Moderate ? crypto_pwhash_OPSLIMIT_MODERATE : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    std::uint64_t mem =
        strength == KdfStrength::Moderate ? crypto_pwhash_MEMLIMIT_MODERATE : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    Bytes blob(MAGIC, MAGIC + 4);
    putU64(blob, ops);
    putU64(blob, mem);
    std::uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
    randombytes_buf(salt, sizeof salt);
    randombytes_buf(nonce, sizeof nonce);
    blob.insert(blob.end(), salt, salt + sizeof salt);
    blob.insert(blob.end(), nonce, nonce + sizeof nonce);

    SecretBytes plain(1 + secrets.entropy.size() + secrets.passphrase.size());
    plain.data()[0] = static_cast<std::uint8_t>(secrets.entropy.size());
    std::memcpy(plain.data() + 1, secrets.entropy.data(), secrets.entropy.size());
    std::memcpy(plain.data() + 1 + secrets.entropy.size(), secrets.passphrase.data(), secrets.passphrase.size());
    SecretBytes key;
    if (!deriveKey(key, password, salt, ops, mem)) return {}; // out of memory: the caller sees an empty blob
    std::size_t at = blob.size();
    blob.resize(at + crypto_secretbox_MACBYTES + plain.size());
    crypto_secretbox_easy(blob.data() + at, plain.data(), plain.size(), nonce, key.data());
    return blob;
}

jm::sdk::Result<KdfStrength> sealedStrength(jm::bitcoin::ByteView blob) {
    if (blob.size() < HEADER + crypto_secretbox_MACBYTES + 1 || std::memcmp(blob.data(), "JMV", 3) != 0)
        return fail(errc::corrupt_data, "the stored wallet seed is not in a known format");
    if (blob[3] != '1') return fail(errc::unsupported, "the stored wallet seed uses a newer format; upgrade jmnode");
    std::uint64_t ops = getU64(blob.data() + 4), mem = getU64(blob.data() + 12);
    if (ops == crypto_pwhash_OPSLIMIT_MODERATE && mem == crypto_pwhash_MEMLIMIT_MODERATE) return KdfStrength::Moderate;
    if (ops == crypto_pwhash_OPSLIMIT_INTERACTIVE && mem == crypto_pwhash_MEMLIMIT_INTERACTIVE)
        return KdfStrength::Interactive;
    return fail(errc::corrupt_data, "the stored wallet seed has key-derivation limits jmnode never writes");
}

jm::sdk::Result<WalletSecrets> openSecrets(jm::bitcoin::ByteView blob, std::string_view password) {
    if (blob.size() < HEADER + crypto_secretbox_MACBYTES + 1 || std::memcmp(blob.data(), "JMV", 3) != 0)
        return fail(errc::corrupt_data, "the stored wallet seed is not in a known format");
    if (blob[3] != '1') return fail(errc::unsupported, "the stored wallet seed uses a newer format; upgrade jmnode");
    std::uint64_t ops = getU64(blob.data() + 4), mem = getU64(blob.data() + 12);
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
        return fail(errc::corrupt_data, "the stored wallet seed has implausible key-derivation limits");
    const std::uint8_t* salt = blob.data() + 20;
    const std::uint8_t* nonce = salt + crypto_pwhash_SALTBYTES;
    const std::uint8_t* box = nonce + crypto_secretbox_NONCEBYTES;
    std::size_t box_len = blob.size() - HEADER;
    SecretBytes key;
    if (!deriveKey(key, password, salt, ops, mem))
        return fail(errc::io_error, "not enough memory for the wallet's key derivation");
    SecretBytes plain(box_len - crypto_secretbox_MACBYTES);
    if (crypto_secretbox_open_easy(plain.data(), box, box_len, nonce, key.data()) != 0)
        return fail(errc::wrong_password, "wrong wallet password");
    std::size_t entropy_len = plain.data()[0];
    if (entropy_len + 1 > plain.size() || entropy_len < 16 || entropy_len > 32)
        return fail(errc::corrupt_data, "the decrypted wallet seed is malformed");
    WalletSecrets out;
    out.entropy = SecretBytes(jm::bitcoin::ByteView(plain.data() + 1, entropy_len));
    out.passphrase.assign(reinterpret_cast<const char*>(plain.data() + 1 + entropy_len),
                          plain.size() - 1 - entropy_len);
    return out;
}

} // namespace jm::wallet
