#include <jm/protocol/nick.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr std::size_t NICK_HASH_LENGTH = 10;
constexpr std::size_t NICK_MAX_ENCODED = 14;

std::string nickFromHexText(std::string_view pubkey_hex) {
    auto h = jm::bitcoin::sha256(jm::bitcoin::asBytes(pubkey_hex));
    auto encoded = jm::bitcoin::toBase58(jm::bitcoin::ByteView(h.data(), NICK_HASH_LENGTH));
    encoded.resize(NICK_MAX_ENCODED, 'O');
    return "J5" + encoded;
}
} // namespace

bool isWellFormedNick(std::string_view nick) noexcept {
    if (nick.empty() || nick.size() > MAX_NICK_LENGTH) return false;
    for (char c : nick)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    return true;
}

std::string nickFromPubkey(const jm::bitcoin::PublicKey& key) {
    return nickFromHexText(jm::bitcoin::toHex(key.compressed()));
}

bool nickMatchesPubkeyHex(std::string_view nick, std::string_view pubkey_hex) {
    return nick.size() == NICK_LENGTH && nickFromHexText(pubkey_hex) == nick;
}

MessageSignature signPrivmsg(const jm::bitcoin::PrivateKey& key, std::string_view text, std::string_view hostid) {
    std::string signed_string(text);
    signed_string.append(hostid);
    auto hash = jm::bitcoin::signedMessageHash(jm::bitcoin::asBytes(signed_string));
    return {jm::bitcoin::toHex(key.publicKey().compressed()), jm::bitcoin::toBase64(key.signDer(hash))};
}

jm::sdk::Result<void> verifyPrivmsg(std::string_view text, std::string_view pubkey_hex,
                                    std::string_view signature_base64, std::string_view hostid) {
    auto pub_bytes = jm::bitcoin::fromHex(pubkey_hex);
    if (!pub_bytes) return fail(errc::protocol_error, "message pubkey is not hex");
    auto pub = jm::bitcoin::PublicKey::parse(*pub_bytes);
    if (!pub) return fail(errc::protocol_error, "message pubkey is not a valid key");
    auto sig = jm::bitcoin::fromBase64(signature_base64);
    if (!sig) return fail(errc::protocol_error, "message signature is not base64");
    std::string signed_string(text);
    signed_string.append(hostid);
    auto hash = jm::bitcoin::signedMessageHash(jm::bitcoin::asBytes(signed_string));
    if (!pub->verifyDer(hash, *sig)) return fail(errc::protocol_error, "message signature does not verify");
    return {};
}

NickIdentity::NickIdentity() : NickIdentity(jm::bitcoin::PrivateKey::generate()) {}

NickIdentity::NickIdentity(jm::bitcoin::PrivateKey key) :
    m_key(std::move(key)), m_pub(m_key.publicKey()), m_nick(nickFromPubkey(m_pub)) {}

std::string NickIdentity::signedText(std::string_view text, std::string_view hostid) const {
    auto sig = signPrivmsg(m_key, text, hostid);
    return std::string(text) + " " + sig.pubkey_hex + " " + sig.signature_base64;
}

} // namespace jm::protocol
