#pragma once

#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/sdk/result.hpp>

#include <optional>
#include <string>
#include <vector>

namespace jm::bitcoin {

//! Child indices at or above this are hardened (written 84' or 84h).
constexpr std::uint32_t HARDENED = 0x80000000u;

//! Parses "m/84'/1'/0'/0/5" (also "h" for hardened; "m" alone is the root).
//! Errors: errc::invalid_argument (missing "m", bad number, index too large).
JM_SDK_API jm::sdk::Result<std::vector<std::uint32_t>> parseDerivationPath(std::string_view path);
//! Formats a path with ' for hardened steps.
JM_SDK_API std::string formatDerivationPath(const std::vector<std::uint32_t>& path);

//! A BIP32 extended key, private (with its public key) or public only.
//! Value type; private material is wiped on destruction. Executor: any.
class JM_SDK_API ExtendedKey {
public:
    //! The master key of a seed (16..64 bytes). Errors: the (astronomically unlikely) invalid key.
    static jm::sdk::Result<ExtendedKey> fromSeed(ByteView seed);
    //! Parses an xprv/xpub/tprv/tpub string, validating everything BIP32 requires (vector 5).
    //! `network_out` receives mainnet or testnet (the test networks share versions).
    //! Errors: errc::invalid_argument with the reason.
    static jm::sdk::Result<ExtendedKey> parse(std::string_view text, Network* network_out = nullptr);

    //! Base58Check serialisation with `network`'s versions; `include_private` false gives the
    //! xpub of a private key.
    std::string toString(Network network, bool include_private) const;

    //! Child `index` (hardened when >= HARDENED). Errors: hardened child of a public key; the
    //! invalid-child case (probability < 2^-127).
    jm::sdk::Result<ExtendedKey> derive(std::uint32_t index) const;
    jm::sdk::Result<ExtendedKey> derivePath(const std::vector<std::uint32_t>& path) const;
    //! The public-only version of this key.
    ExtendedKey neuter() const;

    bool isPrivate() const { return m_priv.has_value(); }
    const PublicKey& publicKey() const { return m_pub; }
    //! The private key. Precondition: isPrivate().
    const PrivateKey& privateKey() const { return *m_priv; }
    std::uint8_t depth() const { return m_depth; }
    std::uint32_t childNumber() const { return m_child; }
    std::array<std::uint8_t, 4> parentFingerprint() const { return m_parentFingerprint; }
    //! First 4 bytes of hash160 of the public key.
    std::array<std::uint8_t, 4> fingerprint() const;
    const SecretBytes& chainCode() const { return m_chainCode; }

private:
    ExtendedKey(PublicKey pub, std::optional<PrivateKey> priv, SecretBytes chain_code, std::uint8_t depth,
                std::array<std::uint8_t, 4> parent_fp, std::uint32_t child);

    PublicKey m_pub;
    std::optional<PrivateKey> m_priv;
    SecretBytes m_chainCode;
    std::uint8_t m_depth = 0;
    std::array<std::uint8_t, 4> m_parentFingerprint{};
    std::uint32_t m_child = 0;
};

} // namespace jm::bitcoin
