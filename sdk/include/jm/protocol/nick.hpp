#pragma once

#include <jm/bitcoin/key.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::protocol {

//! The replay-protection id mixed into every private-message signature on onion channels.
constexpr std::string_view ONION_HOSTID = "onion-network";
//! Nicks are "J" + protocol version + 14 characters.
constexpr std::size_t NICK_LENGTH = 16;

//! The longest nick a directory or client accepts from the network.
constexpr std::size_t MAX_NICK_LENGTH = 32;
//! Whether `nick` may appear on the wire: 1..MAX_NICK_LENGTH ASCII letters and digits. Nicks are
//! fields of the line grammar ('!'), of peerlists (';', ',') and of log lines, so nothing else is
//! allowed. Ownership of the nick is not checked (that needs a signature).
JM_SDK_API bool isWellFormedNick(std::string_view nick) noexcept;

//! The nick of a nick key: "J5" + Base58(SHA256(lower-case pubkey hex)[:10]) padded with 'O'
//! to 16 characters. Executor: any; pure.
JM_SDK_API std::string nickFromPubkey(const jm::bitcoin::PublicKey& key);
//! Whether `nick` belongs to the pubkey hex text exactly as received (the hash covers the
//! text, so upper-case hex does not match). Checks the whole nick including "J5".
JM_SDK_API bool nickMatchesPubkeyHex(std::string_view nick, std::string_view pubkey_hex);

//! A signed private message's trailing fields.
struct MessageSignature {
    std::string pubkey_hex;       //!< 66 lower-case hex characters
    std::string signature_base64; //!< DER, base64
};

//! Signs `text` (everything after "<command> ") as REF does: ECDSA over the Bitcoin message
//! hash of text + hostid.
JM_SDK_API MessageSignature signPrivmsg(const jm::bitcoin::PrivateKey& key, std::string_view text,
                                        std::string_view hostid = ONION_HOSTID);
//! Verifies a private message's signature. Errors: errc::protocol_error naming the failure
//! (pubkey not hex or not a point, signature not base64/DER, signature invalid).
JM_SDK_API jm::sdk::Result<void> verifyPrivmsg(std::string_view text, std::string_view pubkey_hex,
                                               std::string_view signature_base64,
                                               std::string_view hostid = ONION_HOSTID);

//! A bot's identity for one process: a fresh nick key and its nick.
class JM_SDK_API NickIdentity {
public:
    //! A random identity.
    NickIdentity();
    explicit NickIdentity(jm::bitcoin::PrivateKey key);
    const std::string& nick() const { return m_nick; }
    const jm::bitcoin::PublicKey& publicKey() const { return m_pub; }
    //! "<text> <pubkey_hex> <sig_b64>": the signed tail of a private message.
    std::string signedText(std::string_view text, std::string_view hostid = ONION_HOSTID) const;

private:
    jm::bitcoin::PrivateKey m_key;
    jm::bitcoin::PublicKey m_pub;
    std::string m_nick;
};

} // namespace jm::protocol
