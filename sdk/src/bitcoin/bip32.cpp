#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

#include <sodium.h>

#include <charconv>
#include <cstring>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<std::vector<std::uint32_t>> parseDerivationPath(std::string_view path) {
    if (path.empty() || path[0] != 'm') return fail(errc::invalid_argument, "a derivation path starts with 'm'");
    std::vector<std::uint32_t> out;
    std::string_view rest = path.substr(1);
    while (!rest.empty()) {
        if (rest[0] != '/')
            return fail(errc::invalid_argument, "expected '/' in derivation path '" + std::string(path) + "'");
        rest.remove_prefix(1);
        auto end = rest.find('/');
        auto step = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
        bool hardened = !step.empty() && (step.back() == '\'' || step.back() == 'h' || step.back() == 'H');
        if (hardened) step.remove_suffix(1);
        std::uint32_t index = 0;
        auto [p, ec] = std::from_chars(step.data(), step.data() + step.size(), index);
        if (step.empty() || ec != std::errc() || p != step.data() + step.size() || index >= HARDENED)
            return fail(errc::invalid_argument, "invalid step '" + std::string(step) + "' in derivation path");
        out.push_back(hardened ? index | HARDENED : index);
    }
    return out;
}

std::string formatDerivationPath(const std::vector<std::uint32_t>& path) {
    std::string out = "m";
    for (auto i : path)
        out += "/" + std::to_string(i & ~HARDENED) + ((i & HARDENED) ? "'" : "");
    return out;
}

ExtendedKey::ExtendedKey(PublicKey pub, std::optional<PrivateKey> priv, SecretBytes chain_code, std::uint8_t depth,
                         std::array<std::uint8_t, 4> parent_fp, std::uint32_t child) :
    m_pub(std::move(pub)),
    m_priv(std::move(priv)), m_chainCode(std::move(chain_code)), m_depth(depth), m_parentFingerprint(parent_fp),
    m_child(child) {}

jm::sdk::Result<ExtendedKey> ExtendedKey::fromSeed(ByteView seed) {
    if (seed.size() < 16 || seed.size() > 64) return fail(errc::invalid_argument, "a BIP32 seed is 16 to 64 bytes");
    auto i = hmacSha512(asBytes("Bitcoin seed"), seed);
    auto key = PrivateKey::fromBytes(ByteView(i.data(), 32));
    SecretBytes chain(ByteView(i.data() + 32, 32));
    sodium_memzero(i.data(), i.size());
    if (!key) return fail(errc::invalid_argument, "seed gives an invalid master key");
    auto pub = key->publicKey();
    return ExtendedKey(pub, std::move(*key), std::move(chain), 0, {}, 0);
}

std::array<std::uint8_t, 4> ExtendedKey::fingerprint() const {
    auto h = m_pub.hash160();
    return {h[0], h[1], h[2], h[3]};
}

ExtendedKey ExtendedKey::neuter() const {
    return ExtendedKey(m_pub, std::nullopt, m_chainCode, m_depth, m_parentFingerprint, m_child);
}

jm::sdk::Result<ExtendedKey> ExtendedKey::derive(std::uint32_t index) const {
    bool hardened = index >= HARDENED;
    if (hardened && !m_priv) return fail(errc::invalid_argument, "cannot derive a hardened child from a public key");
    SecretBytes data(37);
    if (hardened) {
        data.data()[0] = 0;
        std::memcpy(data.data() + 1, m_priv->bytes().data(), 32);
    } else {
        auto pub = m_pub.compressed();
        std::memcpy(data.data(), pub.data(), 33);
    }
    for (int b = 0; b < 4; ++b)
        data.data()[33 + b] = static_cast<std::uint8_t>(index >> (24 - 8 * b));
    auto i = hmacSha512(m_chainCode.view(), data.view());
    ByteView il(i.data(), 32);
    SecretBytes chain(ByteView(i.data() + 32, 32));
    auto result = [&]() -> jm::sdk::Result<ExtendedKey> {
        if (m_priv) {
            auto child = m_priv->addTweak(il);
            if (!child) return fail(errc::invalid_argument, "invalid child key at index " + std::to_string(index));
            auto pub = child->publicKey();
            return ExtendedKey(pub, std::move(*child), chain, static_cast<std::uint8_t>(m_depth + 1), fingerprint(),
                               index);
        }
        auto child = m_pub.addTweak(il);
        if (!child) return fail(errc::invalid_argument, "invalid child key at index " + std::to_string(index));
        return ExtendedKey(*child, std::nullopt, chain, static_cast<std::uint8_t>(m_depth + 1), fingerprint(), index);
    }();
    sodium_memzero(i.data(), i.size());
    return result;
}

jm::sdk::Result<ExtendedKey> ExtendedKey::derivePath(const std::vector<std::uint32_t>& path) const {
    ExtendedKey key = *this;
    for (auto index : path) {
        auto next = key.derive(index);
        if (!next) return next.error();
        key = std::move(*next);
    }
    return key;
}

std::string ExtendedKey::toString(Network network, bool include_private) const {
    bool priv = include_private && m_priv;
    const auto& p = params(network);
    SecretBytes data(78);
    std::uint32_t version = priv ? p.xprv_version : p.xpub_version;
    for (int b = 0; b < 4; ++b)
        data.data()[b] = static_cast<std::uint8_t>(version >> (24 - 8 * b));
    data.data()[4] = m_depth;
    std::memcpy(data.data() + 5, m_parentFingerprint.data(), 4);
    for (int b = 0; b < 4; ++b)
        data.data()[9 + b] = static_cast<std::uint8_t>(m_child >> (24 - 8 * b));
    std::memcpy(data.data() + 13, m_chainCode.data(), 32);
    if (priv) {
        data.data()[45] = 0;
        std::memcpy(data.data() + 46, m_priv->bytes().data(), 32);
    } else {
        auto pub = m_pub.compressed();
        std::memcpy(data.data() + 45, pub.data(), 33);
    }
    return toBase58Check(data.view());
}

jm::sdk::Result<ExtendedKey> ExtendedKey::parse(std::string_view text, Network* network_out) {
    auto decoded = fromBase58Check(text);
    if (!decoded) return decoded.error().withContext("extended key");
    SecretBytes data(*decoded);
    sodium_memzero(decoded->data(), decoded->size());
    if (data.size() != 78)
        return fail(errc::invalid_argument, "an extended key is 78 bytes, got " + std::to_string(data.size()));
    const std::uint8_t* d = data.data();
    std::uint32_t version = std::uint32_t(d[0]) << 24 | std::uint32_t(d[1]) << 16 | std::uint32_t(d[2]) << 8 | d[3];
    bool is_private = false;
    Network network = Network::Mainnet;
    if (version == params(Network::Mainnet).xpub_version || version == params(Network::Mainnet).xprv_version) {
        is_private = version == params(Network::Mainnet).xprv_version;
    } else if (version == params(Network::Testnet).xpub_version || version == params(Network::Testnet).xprv_version) {
        is_private = version == params(Network::Testnet).xprv_version;
        network = Network::Testnet;
    } else {
        return fail(errc::invalid_argument, "unknown extended key version");
    }
    std::uint8_t depth = d[4];
    std::array<std::uint8_t, 4> parent_fp{d[5], d[6], d[7], d[8]};
    std::uint32_t child = std::uint32_t(d[9]) << 24 | std::uint32_t(d[10]) << 16 | std::uint32_t(d[11]) << 8 | d[12];
    if (depth == 0 && parent_fp != std::array<std::uint8_t, 4>{})
        return fail(errc::invalid_argument, "zero depth with non-zero parent fingerprint");
    if (depth == 0 && child != 0) return fail(errc::invalid_argument, "zero depth with non-zero index");
    SecretBytes chain(ByteView(d + 13, 32));
    std::uint8_t prefix = d[45];
    if (is_private) {
        if (prefix != 0x00)
            return fail(errc::invalid_argument, prefix == 0x02 || prefix == 0x03 ? "private version with a public key"
                                                                                 : "invalid private key prefix");
        auto key = PrivateKey::fromBytes(ByteView(d + 46, 32));
        if (!key) return fail(errc::invalid_argument, "private key not in 1..n-1");
        auto pub = key->publicKey();
        if (network_out) *network_out = network;
        return ExtendedKey(pub, std::move(*key), std::move(chain), depth, parent_fp, child);
    }
    if (prefix != 0x02 && prefix != 0x03)
        return fail(errc::invalid_argument,
                    prefix == 0x00 ? "public version with a private key" : "invalid public key prefix");
    auto pub = PublicKey::parse(ByteView(d + 45, 33));
    if (!pub) return fail(errc::invalid_argument, "invalid public key");
    if (network_out) *network_out = network;
    return ExtendedKey(*pub, std::nullopt, std::move(chain), depth, parent_fp, child);
}

} // namespace jm::bitcoin
