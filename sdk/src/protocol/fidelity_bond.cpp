#include <jm/protocol/fidelity_bond.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace jm::protocol {

using jm::bitcoin::Bytes;
using jm::bitcoin::ByteView;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr std::size_t SIG_FIELD = 72;
constexpr double YEAR_SECONDS = 31556952.0; // 365.2425 days

// A padded signature field starts at its first 0x30 byte (the DER header).
jm::sdk::Result<Bytes> unpadSignature(ByteView field) {
    auto it = std::find(field.begin(), field.end(), 0x30);
    if (it == field.end()) return fail(errc::protocol_error, "der signature header not found");
    return Bytes(it, field.end());
}

void putLe(Bytes& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t getLe(const std::uint8_t* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t(p[i]) << (8 * i);
    return v;
}

bool verifyMessage(ByteView pubkey, ByteView message, ByteView der) {
    auto key = jm::bitcoin::PublicKey::parse(pubkey);
    return key && key->verifyDer(jm::bitcoin::signedMessageHash(message), der);
}

} // namespace

jm::sdk::Result<BondProof> parseBondProof(std::string_view base64) {
    auto data = jm::bitcoin::fromBase64(base64);
    if (!data) return fail(errc::protocol_error, "decode error");
    if (data->size() != BOND_PROOF_SIZE) return fail(errc::protocol_error, "invalid length");
    const std::uint8_t* d = data->data();
    BondProof p;
    auto nick_sig = unpadSignature(ByteView(d, SIG_FIELD));
    if (!nick_sig) return nick_sig.error();
    auto cert_sig = unpadSignature(ByteView(d + 72, SIG_FIELD));
    if (!cert_sig) return cert_sig.error();
    p.nick_sig = std::move(*nick_sig);
    p.cert_sig = std::move(*cert_sig);
    p.cert_pub.assign(d + 144, d + 177);
    p.cert_expiry = static_cast<std::uint16_t>(getLe(d + 177, 2));
    p.utxo_pub.assign(d + 179, d + 212);
    std::memcpy(p.txid_display.data(), d + 212, 32);
    p.vout = static_cast<std::uint32_t>(getLe(d + 244, 4));
    p.locktime = static_cast<std::uint32_t>(getLe(d + 248, 4));
    return p;
}

jm::sdk::Result<std::string> serializeBondProof(const BondProof& p) {
    if (p.nick_sig.size() > SIG_FIELD || p.cert_sig.size() > SIG_FIELD)
        return fail(errc::invalid_argument, "a signature is longer than 72 bytes");
    if (p.cert_pub.size() != 33 || p.utxo_pub.size() != 33)
        return fail(errc::invalid_argument, "bond keys must be 33 bytes");
    Bytes out;
    for (const auto* sig : {&p.nick_sig, &p.cert_sig}) {
        out.insert(out.end(), SIG_FIELD - sig->size(), 0xff);
        out.insert(out.end(), sig->begin(), sig->end());
    }
    out.insert(out.end(), p.cert_pub.begin(), p.cert_pub.end());
    putLe(out, p.cert_expiry, 2);
    out.insert(out.end(), p.utxo_pub.begin(), p.utxo_pub.end());
    out.insert(out.end(), p.txid_display.begin(), p.txid_display.end());
    putLe(out, p.vout, 4);
    putLe(out, p.locktime, 4);
    return jm::bitcoin::toBase64(out);
}

Bytes bondCertificateMessage(ByteView cert_pub, std::uint16_t cert_expiry, bool ascii_form) {
    std::string text = "fidelity-bond-cert|";
    if (ascii_form)
        text += jm::bitcoin::toHex(cert_pub);
    else
        text.append(reinterpret_cast<const char*>(cert_pub.data()), cert_pub.size());
    text += "|" + std::to_string(cert_expiry);
    return Bytes(text.begin(), text.end());
}

BondProof createBondProof(const jm::bitcoin::PrivateKey& utxo_key, const jm::bitcoin::PrivateKey& cert_key,
                          std::uint16_t cert_expiry, std::string_view taker_nick, std::string_view maker_nick,
                          const jm::bitcoin::Hash256& txid_display, std::uint32_t vout, std::uint32_t locktime) {
    BondProof p;
    p.cert_pub = cert_key.publicKey().compressed();
    p.utxo_pub = utxo_key.publicKey().compressed();
    p.cert_expiry = cert_expiry;
    p.txid_display = txid_display;
    p.vout = vout;
    p.locktime = locktime;
    std::string nick_msg = std::string(taker_nick) + "|" + std::string(maker_nick);
    p.nick_sig = cert_key.signDer(jm::bitcoin::signedMessageHash(jm::bitcoin::asBytes(nick_msg)));
    p.cert_sig =
        utxo_key.signDer(jm::bitcoin::signedMessageHash(bondCertificateMessage(p.cert_pub, cert_expiry, false)));
    return p;
}

jm::sdk::Result<void> verifyBondProof(const BondProof& p, std::string_view taker_nick, std::string_view maker_nick) {
    std::string nick_msg = std::string(taker_nick) + "|" + std::string(maker_nick);
    if (!verifyMessage(p.cert_pub, jm::bitcoin::asBytes(nick_msg), p.nick_sig))
        return fail(errc::protocol_error, "nick sig does not verify");
    if (!verifyMessage(p.utxo_pub, bondCertificateMessage(p.cert_pub, p.cert_expiry, false), p.cert_sig) &&
        !verifyMessage(p.utxo_pub, bondCertificateMessage(p.cert_pub, p.cert_expiry, true), p.cert_sig))
        return fail(errc::protocol_error, "cert sig does not verify");
    return {};
}

jm::sdk::Result<jm::bitcoin::Script> bondScriptPubKey(const BondProof& p) {
    auto key = jm::bitcoin::PublicKey::parse(p.utxo_pub);
    if (!key) return fail(errc::protocol_error, "bond utxo pubkey is not a valid key");
    auto ws = jm::bitcoin::timelockScript(p.locktime, *key);
    return jm::bitcoin::p2wshScript(ByteView(ws));
}

double bondValue(std::int64_t utxo_value, std::int64_t confirmation_time, std::int64_t locktime,
                 std::int64_t current_time, double interest_rate, double exponent) {
    double T = static_cast<double>(locktime - confirmation_time) / YEAR_SECONDS;
    double L = static_cast<double>(locktime) / YEAR_SECONDS;
    double t = static_cast<double>(current_time) / YEAR_SECONDS;
    double a = std::max(0.0, std::min(1.0, std::exp(interest_rate * T) - 1.0) -
                                 std::min(1.0, std::exp(interest_rate * std::max(0.0, t - L)) - 1.0));
    return std::pow(static_cast<double>(utxo_value) * a, exponent);
}

} // namespace jm::protocol
