#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/hash.hpp>

#include <sodium.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <vector>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

// An ICU sink for secret text: when it grows it wipes the buffer it leaves behind, so no copy of
// a passphrase stays in freed memory. The owner wipes the final string.
class WipingSink final : public icu::ByteSink {
public:
    explicit WipingSink(std::string& out) : m_out(out) {}
    void Append(const char* bytes, int32_t n) override {
        auto size = m_out.size() + static_cast<std::size_t>(n);
        if (size > m_out.capacity()) {
            std::string bigger;
            bigger.reserve(2 * size);
            bigger.assign(m_out);
            sodium_memzero(m_out.data(), m_out.size());
            m_out.swap(bigger);
        }
        m_out.append(bytes, static_cast<std::size_t>(n));
    }

private:
    std::string& m_out;
};

// BIP39 normalises mnemonic and passphrase to Unicode NFKD before hashing; ICU (Debian's
// libicu) does the normalisation. Ill-formed UTF-8 is refused rather than passed through, as
// there is no text to normalise (and other implementations could not reproduce the seed).
jm::sdk::Result<std::string> nfkd(std::string_view text, const char* what) {
    for (std::int32_t i = 0, n = static_cast<std::int32_t>(text.size()); i < n;) {
        UChar32 c;
        U8_NEXT(text.data(), i, n, c);
        if (c < 0) return fail(errc::invalid_argument, std::string("the ") + what + " is not valid UTF-8 text");
    }
    if (text.size() > 1'000'000) return fail(errc::invalid_argument, std::string("the ") + what + " is too long");
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* normalizer = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status))
        return fail(errc::internal, std::string("Unicode normalisation unavailable: ") + u_errorName(status));
    std::string out;
    out.reserve(text.size() * 2 + 16);
    WipingSink sink(out);
    normalizer->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())), sink, nullptr,
                              status);
    if (U_FAILURE(status)) {
        sodium_memzero(out.data(), out.size());
        return fail(errc::invalid_argument,
                    std::string("the ") + what + " cannot be normalised: " + u_errorName(status));
    }
    return out;
}

} // namespace

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

jm::sdk::Result<SecretBytes> mnemonicToEntropy(std::string_view typed) {
    // Words typed with compatibility characters (fullwidth letters, ideographic spaces) are the
    // same words under NFKD, as BIP39 hashes them.
    auto normalized = nfkd(typed, "mnemonic");
    if (!normalized) return normalized.error();
    struct Wipe {
        std::string& s;
        ~Wipe() { sodium_memzero(s.data(), s.size()); }
    } wipe{*normalized};
    std::string_view mnemonic = *normalized;
    // Words pasted with tabs or line breaks between them are the same words (NFKD already made
    // ideographic and no-break spaces plain spaces).
    constexpr std::string_view SEPARATORS = " \t\n\r\v\f";
    std::vector<int> indices;
    std::size_t position = 0;
    while (true) {
        auto start = mnemonic.find_first_not_of(SEPARATORS, position);
        if (start == std::string_view::npos) break;
        auto end = mnemonic.find_first_of(SEPARATORS, start);
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

jm::sdk::Result<SecretBytes> mnemonicToSeed(std::string_view mnemonic, std::string_view passphrase) {
    auto words = nfkd(mnemonic, "mnemonic");
    if (!words) return words.error();
    auto normalized = nfkd(passphrase, "passphrase");
    if (!normalized) {
        sodium_memzero(words->data(), words->size());
        return normalized.error();
    }
    std::string salt;
    salt.reserve(8 + normalized->size()); // one allocation: no stray copy of the passphrase
    salt.append("mnemonic").append(*normalized);
    sodium_memzero(normalized->data(), normalized->size());
    auto seed = pbkdf2HmacSha512(asBytes(*words), asBytes(salt), 2048, 64);
    sodium_memzero(words->data(), words->size());
    sodium_memzero(salt.data(), salt.size());
    return seed;
}

} // namespace jm::bitcoin
