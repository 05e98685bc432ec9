#include <jm/bitcoin/bech32.hpp>

#include <algorithm>
#include <cctype>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::uint32_t BECH32_CONST = 1;
constexpr std::uint32_t BECH32M_CONST = 0x2bc830a3;
constexpr std::size_t MAX_LENGTH = 90;

std::uint32_t polymod(const Bytes& values) {
    constexpr std::uint32_t GEN[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    std::uint32_t chk = 1;
    for (auto v : values) {
        std::uint32_t top = chk >> 25;
        chk = (chk & 0x1ffffff) << 5 ^ v;
        for (int i = 0; i < 5; ++i)
            if ((top >> i) & 1) chk ^= GEN[i];
    }
    return chk;
}

Bytes hrpExpand(std::string_view hrp) {
    Bytes out;
    for (char c : hrp)
        out.push_back(static_cast<std::uint8_t>(c) >> 5);
    out.push_back(0);
    for (char c : hrp)
        out.push_back(static_cast<std::uint8_t>(c) & 31);
    return out;
}

// Regroups bits: 8→5 (pad) or 5→8 (no padding allowed, as BIP173 requires).
bool convertBits(Bytes& out, ByteView in, int from, int to, bool pad) {
    std::uint32_t acc = 0;
    int bits = 0;
    const std::uint32_t maxv = (1u << to) - 1;
    for (auto value : in) {
        if (value >> from) return false;
        acc = (acc << from) | value;
        bits += from;
        while (bits >= to) {
            bits -= to;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & maxv));
        }
    }
    if (pad) {
        if (bits) out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & maxv));
    } else if (bits >= from || ((acc << (to - bits)) & maxv)) {
        return false;
    }
    return true;
}

} // namespace

std::string bech32Encode(Bech32Variant variant, std::string_view hrp, ByteView values) {
    Bytes enc = hrpExpand(hrp);
    enc.insert(enc.end(), values.begin(), values.end());
    enc.insert(enc.end(), 6, 0);
    std::uint32_t mod = polymod(enc) ^ (variant == Bech32Variant::Bech32 ? BECH32_CONST : BECH32M_CONST);
    std::string out(hrp);
    out.push_back('1');
    for (auto v : values)
        out.push_back(CHARSET[v]);
    for (int i = 0; i < 6; ++i)
        out.push_back(CHARSET[(mod >> (5 * (5 - i))) & 31]);
    return out;
}

jm::sdk::Result<Bech32Decoded> bech32Decode(std::string_view text) {
    if (text.size() > MAX_LENGTH) return fail(errc::invalid_argument, "bech32 string longer than 90 characters");
    bool lower = false, upper = false;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126) return fail(errc::invalid_argument, "character out of range");
        lower |= std::islower(u) != 0;
        upper |= std::isupper(u) != 0;
    }
    if (lower && upper) return fail(errc::invalid_argument, "mixed case");
    auto sep = text.rfind('1');
    if (sep == std::string_view::npos) return fail(errc::invalid_argument, "no separator");
    if (sep == 0) return fail(errc::invalid_argument, "empty human-readable part");
    if (text.size() - sep - 1 < 6) return fail(errc::invalid_argument, "checksum too short");
    Bech32Decoded out;
    for (char c : text.substr(0, sep))
        out.hrp.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    for (char c : text.substr(sep + 1)) {
        const char* p =
            std::find(CHARSET, CHARSET + 32, static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (p == CHARSET + 32) return fail(errc::invalid_argument, "invalid data character");
        out.data.push_back(static_cast<std::uint8_t>(p - CHARSET));
    }
    Bytes check = hrpExpand(out.hrp);
    check.insert(check.end(), out.data.begin(), out.data.end());
    auto mod = polymod(check);
    if (mod == BECH32_CONST)
        out.variant = Bech32Variant::Bech32;
    else if (mod == BECH32M_CONST)
        out.variant = Bech32Variant::Bech32m;
    else
        return fail(errc::invalid_argument, "invalid checksum");
    out.data.resize(out.data.size() - 6);
    return out;
}

jm::sdk::Result<std::string> encodeSegwitAddress(std::string_view hrp, const WitnessProgram& wp) {
    if (wp.version < 0 || wp.version > 16) return fail(errc::invalid_argument, "invalid witness version");
    if (wp.program.size() < 2 || wp.program.size() > 40)
        return fail(errc::invalid_argument, "invalid witness program length");
    if (wp.version == 0 && wp.program.size() != 20 && wp.program.size() != 32)
        return fail(errc::invalid_argument, "invalid v0 witness program length");
    Bytes values{static_cast<std::uint8_t>(wp.version)};
    convertBits(values, wp.program, 8, 5, true);
    return bech32Encode(wp.version == 0 ? Bech32Variant::Bech32 : Bech32Variant::Bech32m, hrp, values);
}

jm::sdk::Result<WitnessProgram> decodeSegwitAddress(std::string_view hrp, std::string_view address) {
    auto decoded = bech32Decode(address);
    if (!decoded) return decoded.error();
    if (decoded->hrp != hrp)
        return fail(errc::invalid_argument,
                    "invalid human-readable part '" + decoded->hrp + "' (expected '" + std::string(hrp) + "')");
    if (decoded->data.empty()) return fail(errc::invalid_argument, "empty data section");
    WitnessProgram wp;
    wp.version = decoded->data[0];
    if (wp.version > 16) return fail(errc::invalid_argument, "invalid witness version");
    if (!convertBits(wp.program, ByteView(decoded->data).subspan(1), 5, 8, false))
        return fail(errc::invalid_argument, "invalid padding");
    if (wp.program.size() < 2 || wp.program.size() > 40) return fail(errc::invalid_argument, "invalid program length");
    if (wp.version == 0 && wp.program.size() != 20 && wp.program.size() != 32)
        return fail(errc::invalid_argument, "invalid program length for witness version 0");
    auto expected = wp.version == 0 ? Bech32Variant::Bech32 : Bech32Variant::Bech32m;
    if (decoded->variant != expected)
        return fail(errc::invalid_argument, wp.version == 0 ? "witness version 0 needs a bech32 checksum"
                                                            : "witness version 1+ needs a bech32m checksum");
    return wp;
}

} // namespace jm::bitcoin
