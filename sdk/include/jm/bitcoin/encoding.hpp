#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::bitcoin {

//! Lower-case hex. Executor: any; pure.
JM_SDK_API std::string toHex(ByteView data);
//! Hex of `data` reversed: how txids and block hashes are displayed.
JM_SDK_API std::string toHexReversed(ByteView data);
//! Parses hex (either case). Errors: errc::invalid_argument (odd length, non-hex character).
JM_SDK_API jm::sdk::Result<Bytes> fromHex(std::string_view hex);
//! Parses exactly 32 bytes of display-order hex (a txid) into internal order.
JM_SDK_API jm::sdk::Result<Hash256> hashFromDisplayHex(std::string_view hex);

//! Standard base64 with padding (RFC 4648 section 4), as Python's base64 module writes it.
JM_SDK_API std::string toBase64(ByteView data);
//! Strict standard base64 with padding. Errors: errc::invalid_argument.
JM_SDK_API jm::sdk::Result<Bytes> fromBase64(std::string_view text);

//! Base58 (Bitcoin alphabet) and Base58Check (4-byte sha256d checksum appended).
JM_SDK_API std::string toBase58(ByteView data);
JM_SDK_API jm::sdk::Result<Bytes> fromBase58(std::string_view text);
JM_SDK_API std::string toBase58Check(ByteView payload);
//! Errors: errc::invalid_argument (bad character, too short, bad checksum); inputs longer than
//! 200 characters are refused before decoding.
JM_SDK_API jm::sdk::Result<Bytes> fromBase58Check(std::string_view text);

} // namespace jm::bitcoin
