#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr char HEX[] = "0123456789abcdef";
constexpr char BASE58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
// Longest base58 string accepted: far above any key or address, small enough that the
// quadratic decoder stays cheap on hostile input.
constexpr std::size_t MAX_BASE58_LENGTH = 200;

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

std::string toHex(ByteView data) {
    std::string out;
    out.reserve(data.size() * 2);
    for (auto b : data) {
        out.push_back(HEX[b >> 4]);
        out.push_back(HEX[b & 15]);
    }
    return out;
}

std::string toHexReversed(ByteView data) {
    Bytes copy(data.rbegin(), data.rend());
    return toHex(copy);
}

jm::sdk::Result<Bytes> fromHex(std::string_view hex) {
    if (hex.size() % 2) return fail(errc::invalid_argument, "hex string has odd length " + std::to_string(hex.size()));
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hexValue(hex[2 * i]), lo = hexValue(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return fail(errc::invalid_argument,
                        "invalid hex character at position " + std::to_string(2 * i + (hi < 0 ? 0 : 1)));
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

jm::sdk::Result<Hash256> hashFromDisplayHex(std::string_view hex) {
    if (hex.size() != 64)
        return fail(errc::invalid_argument,
                    "a txid or block hash is 64 hex characters, got " + std::to_string(hex.size()));
    auto bytes = fromHex(hex);
    if (!bytes) return bytes.error();
    Hash256 out;
    std::reverse_copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

std::string toBase64(ByteView data) {
    std::string out(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1); // drop the terminating NUL
    return out;
}

jm::sdk::Result<Bytes> fromBase64(std::string_view text) {
    if (text.size() % 4) return fail(errc::invalid_argument, "base64 length is not a multiple of 4");
    if (text.empty()) return Bytes{}; // libsodium must not get a null output buffer
    Bytes out(text.size() / 4 * 3);
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.data() + text.size())
        return fail(errc::invalid_argument, "invalid base64");
    out.resize(len);
    return out;
}

std::string toBase58(ByteView data) {
    std::size_t zeros = 0;
    while (zeros < data.size() && data[zeros] == 0)
        ++zeros;
    // Repeated division of the big-endian number by 58 (digits little-endian in `b58`).
    std::vector<std::uint8_t> b58((data.size() - zeros) * 138 / 100 + 1, 0);
    std::size_t length = 0;
    for (std::size_t i = zeros; i < data.size(); ++i) {
        int carry = data[i];
        std::size_t j = 0;
        for (auto it = b58.rbegin(); (carry != 0 || j < length) && it != b58.rend(); ++it, ++j) {
            carry += 256 * (*it);
            *it = static_cast<std::uint8_t>(carry % 58);
            carry /= 58;
        }
        length = j;
    }
    auto it = b58.begin() + static_cast<std::ptrdiff_t>(b58.size() - length);
    while (it != b58.end() && *it == 0)
        ++it;
    std::string out(zeros, '1');
    for (; it != b58.end(); ++it)
        out.push_back(BASE58[*it]);
    return out;
}

jm::sdk::Result<Bytes> fromBase58(std::string_view text) {
    if (text.size() > MAX_BASE58_LENGTH) return fail(errc::invalid_argument, "base58 string too long");
    std::size_t zeros = 0;
    while (zeros < text.size() && text[zeros] == '1')
        ++zeros;
    std::vector<std::uint8_t> b256(text.size() * 733 / 1000 + 1, 0);
    std::size_t length = 0;
    for (std::size_t i = zeros; i < text.size(); ++i) {
        const char* p = std::strchr(BASE58, text[i]);
        if (!p || text[i] == '\0')
            return fail(errc::invalid_argument, "invalid base58 character at position " + std::to_string(i));
        int carry = static_cast<int>(p - BASE58);
        std::size_t j = 0;
        for (auto it = b256.rbegin(); (carry != 0 || j < length) && it != b256.rend(); ++it, ++j) {
            carry += 58 * (*it);
            *it = static_cast<std::uint8_t>(carry % 256);
            carry /= 256;
        }
        length = j;
    }
    auto it = b256.begin() + static_cast<std::ptrdiff_t>(b256.size() - length);
    Bytes out(zeros, 0);
    out.insert(out.end(), it, b256.end());
    return out;
}

std::string toBase58Check(ByteView payload) {
    Bytes data(payload.begin(), payload.end());
    auto check = sha256d(payload);
    data.insert(data.end(), check.begin(), check.begin() + 4);
    return toBase58(data);
}

jm::sdk::Result<Bytes> fromBase58Check(std::string_view text) {
    auto data = fromBase58(text);
    if (!data) return data.error();
    if (data->size() < 4) return fail(errc::invalid_argument, "base58check string too short");
    auto body = ByteView(*data).first(data->size() - 4);
    auto check = sha256d(body);
    if (!std::equal(check.begin(), check.begin() + 4, data->end() - 4))
        return fail(errc::invalid_argument, "base58check checksum mismatch");
    data->resize(data->size() - 4);
    return data;
}

} // namespace jm::bitcoin
