#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::bitcoin {

enum class Bech32Variant { Bech32, Bech32m };

//! A decoded bech32/bech32m string: lower-case HRP and 5-bit data values (checksum removed).
struct Bech32Decoded {
    Bech32Variant variant = Bech32Variant::Bech32;
    std::string hrp;
    Bytes data;
};

//! BIP173/BIP350 encoding of 5-bit values. Executor: any; pure.
JM_SDK_API std::string bech32Encode(Bech32Variant variant, std::string_view hrp, ByteView values);
//! Decodes and checks the checksum (either variant). Errors: errc::invalid_argument with the
//! reason (mixed case, bad character, bad checksum, length over 90, empty HRP...).
JM_SDK_API jm::sdk::Result<Bech32Decoded> bech32Decode(std::string_view text);

//! A segwit output: witness version and program.
struct WitnessProgram {
    int version = 0;
    Bytes program;
};

//! Segwit address encoding: v0 with bech32, v1+ with bech32m. Errors: invalid version/length.
JM_SDK_API jm::sdk::Result<std::string> encodeSegwitAddress(std::string_view hrp, const WitnessProgram& wp);
//! Decodes a segwit address, checking the HRP equals `hrp`, the variant matches the version
//! and the program length rules. Errors: errc::invalid_argument with the reason.
JM_SDK_API jm::sdk::Result<WitnessProgram> decodeSegwitAddress(std::string_view hrp, std::string_view address);

} // namespace jm::bitcoin
