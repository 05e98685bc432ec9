#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/hash.hpp>

#include <sodium.h>

#include <algorithm>
#include <vector>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<std::string> entropyToMnemonic(ByteView entropy) {
    if (entropy.size() < 16 || entropy.size() > 32 || entropy.size() % 4)
        return fail(errc::invalid_argument, "entropy must be 16, 20, 24, 28 or 32 bytes");
    auto check = sha256(entropy);
    std::size_t bits = entropy.size() * 8, check_bits = bits / 32, words = (bits + check_bits) / 11;
    auto bit = [&](std::size_t i) -> int {
        return i < bits ? (entropy[i / 8] >> (7 - i % 8)) & 1 : (check[(i - bits) / 8] >> (7 - (i - bits) % 8)) & 1;
    };
    std::string out;
    for (std::size_t w = 0; w < words; ++w) {
        int index = 0;
        for (int b = 0; b < 11; ++b)
            index = index << 1 | bit(w * 11 + b);
        if (w) out.push_back(' ');
        out.append(bip39EnglishWords()[index]);
    }
    return out;
}

jm::sdk::Result<SecretBytes> mnemonicToEntropy(std::string_view mnemonic) {
    std::vector<int> indices;
    std::size_t position = 0;
    while (true) {
        auto start = mnemonic.find_first_not_of(' ', position);
        if (start == std::string_view::npos) break;
        auto end = mnemonic.find(' ', start);
        auto word = mnemonic.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        const auto& list = bip39EnglishWords();
        auto it = std::lower_bound(list.begin(), list.end(), word);
        if (it == list.end() || *it != word) {
            indices.assign(indices.size(), 0);
            return fail(errc::invalid_argument,
                        "word " + std::to_string(indices.size() + 1) + " is not in the BIP39 English list");
        }
        indices.push_back(static_cast<int>(it - list.begin()));
        if (indices.size() > 24) break;
        if (end == std::string_view::npos) break;
        position = end;
    }
    std::size_t n = indices.size();
    if (n < 12 || n > 24 || n % 3)
        return fail(errc::invalid_argument, "a mnemonic has 12, 15, 18, 21 or 24 words, got " + std::to_string(n));
    std::size_t total_bits = n * 11, check_bits = total_bits / 33, entropy_bits = total_bits - check_bits;
    SecretBytes bits((total_bits + 7) / 8);
    for (std::size_t i = 0; i < total_bits; ++i)
        if ((indices[i / 11] >> (10 - i % 11)) & 1) bits.data()[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
    sodium_memzero(indices.data(), indices.size() * sizeof(int));
    SecretBytes entropy(ByteView(bits.data(), entropy_bits / 8));
    auto check = sha256(entropy.view());
    for (std::size_t i = 0; i < check_bits; ++i) {
        int expected = (check[i / 8] >> (7 - i % 8)) & 1;
        std::size_t at = entropy_bits + i;
        int got = (bits.data()[at / 8] >> (7 - at % 8)) & 1;
        if (expected != got)
            return fail(errc::invalid_argument, "mnemonic checksum mismatch (a word is wrong or out of order)");
    }
    return entropy;
}

SecretBytes mnemonicToSeed(std::string_view mnemonic, std::string_view passphrase) {
    std::string salt = "mnemonic";
    salt.append(passphrase);
    auto seed = pbkdf2HmacSha512(asBytes(mnemonic), asBytes(salt), 2048, 64);
    sodium_memzero(salt.data(), salt.size());
    return seed;
}

} // namespace jm::bitcoin
