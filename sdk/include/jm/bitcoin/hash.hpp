#pragma once

#include <jm/bitcoin/bytes.hpp>

namespace jm::bitcoin {

//! Hash functions. SHA-2 and HMAC come from libsodium; RIPEMD-160 is our own (libsodium has
//! none). Executor: any; pure. Errors: none.
JM_SDK_API Hash256 sha256(ByteView data);
JM_SDK_API std::array<std::uint8_t, 64> sha512(ByteView data);
//! SHA-256 of SHA-256: txids, block hashes, base58check checksums, signed-message hashes.
JM_SDK_API Hash256 sha256d(ByteView data);
JM_SDK_API Hash160 ripemd160(ByteView data);
//! RIPEMD-160 of SHA-256: P2PKH/P2WPKH key hashes, P2SH script hashes.
JM_SDK_API Hash160 hash160(ByteView data);
JM_SDK_API Hash256 hmacSha256(ByteView key, ByteView data);
JM_SDK_API std::array<std::uint8_t, 64> hmacSha512(ByteView key, ByteView data);
//! PBKDF2 with HMAC-SHA512 (BIP39 seeds). Writes `out_len` bytes.
JM_SDK_API SecretBytes pbkdf2HmacSha512(ByteView password, ByteView salt, std::uint32_t iterations,
                                        std::size_t out_len);
//! The hash a Bitcoin "signmessage" signature signs:
//! sha256d(0x18 "Bitcoin Signed Message:\n" || varint(len) || message).
JM_SDK_API Hash256 signedMessageHash(ByteView message);

} // namespace jm::bitcoin
