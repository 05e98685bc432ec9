#include <jm/bitcoin/hash.hpp>

#include <sodium.h>

#include <cstring>

namespace jm::bitcoin {

Hash256 sha256(ByteView data) {
    Hash256 out;
    crypto_hash_sha256(out.data(), data.data(), data.size());
    return out;
}

std::array<std::uint8_t, 64> sha512(ByteView data) {
    std::array<std::uint8_t, 64> out;
    crypto_hash_sha512(out.data(), data.data(), data.size());
    return out;
}

Hash256 sha256d(ByteView data) {
    auto first = sha256(data);
    return sha256(first);
}

Hash160 hash160(ByteView data) {
    auto first = sha256(data);
    return ripemd160(first);
}

Hash256 hmacSha256(ByteView key, ByteView data) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    crypto_auth_hmacsha256_update(&state, data.data(), data.size());
    Hash256 out;
    crypto_auth_hmacsha256_final(&state, out.data());
    sodium_memzero(&state, sizeof state);
    return out;
}

std::array<std::uint8_t, 64> hmacSha512(ByteView key, ByteView data) {
    crypto_auth_hmacsha512_state state;
    crypto_auth_hmacsha512_init(&state, key.data(), key.size());
    crypto_auth_hmacsha512_update(&state, data.data(), data.size());
    std::array<std::uint8_t, 64> out;
    crypto_auth_hmacsha512_final(&state, out.data());
    sodium_memzero(&state, sizeof state);
    return out;
}

// libsodium has no PBKDF2, so it is written here on top of its HMAC-SHA512 (RFC 8018 5.2).
SecretBytes pbkdf2HmacSha512(ByteView password, ByteView salt, std::uint32_t iterations, std::size_t out_len) {
    SecretBytes out(out_len);
    crypto_auth_hmacsha512_state keyed;
    crypto_auth_hmacsha512_init(&keyed, password.data(), password.size());
    std::array<std::uint8_t, 64> u, t;
    for (std::uint32_t block = 1, offset = 0; offset < out_len; ++block) {
        std::uint8_t counter[4] = {static_cast<std::uint8_t>(block >> 24), static_cast<std::uint8_t>(block >> 16),
                                   static_cast<std::uint8_t>(block >> 8), static_cast<std::uint8_t>(block)};
        auto state = keyed;
        crypto_auth_hmacsha512_update(&state, salt.data(), salt.size());
        crypto_auth_hmacsha512_update(&state, counter, 4);
        crypto_auth_hmacsha512_final(&state, u.data());
        t = u;
        for (std::uint32_t i = 1; i < iterations; ++i) {
            state = keyed;
            crypto_auth_hmacsha512_update(&state, u.data(), u.size());
            crypto_auth_hmacsha512_final(&state, u.data());
            for (std::size_t j = 0; j < t.size(); ++j)
                t[j] ^= u[j];
        }
        std::size_t n = std::min<std::size_t>(t.size(), out_len - offset);
        std::memcpy(out.data() + offset, t.data(), n);
        offset += static_cast<std::uint32_t>(n);
        sodium_memzero(&state, sizeof state);
    }
    sodium_memzero(&keyed, sizeof keyed);
    sodium_memzero(u.data(), u.size());
    sodium_memzero(t.data(), t.size());
    return out;
}

Hash256 signedMessageHash(ByteView message) {
    static constexpr std::string_view MAGIC = "\x18"
                                              "Bitcoin Signed Message:\n";
    Bytes buf(MAGIC.begin(), MAGIC.end());
    // Compact-size length prefix.
    std::uint64_t n = message.size();
    if (n < 0xfd) {
        buf.push_back(static_cast<std::uint8_t>(n));
    } else if (n <= 0xffff) {
        buf.push_back(0xfd);
        for (int i = 0; i < 2; ++i)
            buf.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    } else if (n <= 0xffffffff) {
        buf.push_back(0xfe);
        for (int i = 0; i < 4; ++i)
            buf.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    } else {
        buf.push_back(0xff);
        for (int i = 0; i < 8; ++i)
            buf.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    }
    buf.insert(buf.end(), message.begin(), message.end());
    return sha256d(buf);
}

} // namespace jm::bitcoin
