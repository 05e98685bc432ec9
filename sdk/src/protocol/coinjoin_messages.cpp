#include <jm/protocol/coinjoin_messages.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/script.hpp>

#include <set>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<IoauthMessage> parseIoauth(std::string_view plaintext, std::size_t max_utxos) {
    std::vector<std::string_view> f;
    std::size_t start = 0;
    for (;;) {
        auto pos = plaintext.find(' ', start);
        f.push_back(plaintext.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos || f.size() > 5) break;
        start = pos + 1;
    }
    if (f.size() != 5)
        return fail(errc::protocol_error, "!ioauth has 5 fields: utxos auth_pub cj_addr change_addr btc_sig");
    IoauthMessage msg;
    std::set<jm::bitcoin::OutPoint> seen;
    start = 0;
    auto list = f[0];
    while (start <= list.size()) {
        auto comma = list.find(',', start);
        auto item = list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        auto utxo = parseUtxoString(item);
        if (!utxo) return utxo.error().withContext("!ioauth utxo");
        if (!seen.insert(utxo->outpoint).second) return fail(errc::protocol_error, "!ioauth lists a utxo twice");
        msg.utxos.push_back(std::move(*utxo));
        if (msg.utxos.size() > max_utxos) return fail(errc::protocol_error, "!ioauth lists too many utxos");
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    auto pub = jm::bitcoin::fromHex(f[1]);
    if (!pub || pub->size() != 33 || !jm::bitcoin::PublicKey::parse(*pub))
        return fail(errc::protocol_error, "!ioauth auth_pub is not a compressed public key");
    if (f[2].empty() || f[3].empty() || f[4].empty()) return fail(errc::protocol_error, "!ioauth has an empty field");
    msg.auth_pub_hex = f[1];
    msg.cj_address = f[2];
    msg.change_address = f[3];
    msg.btc_sig = f[4];
    return msg;
}

std::string formatIoauth(const IoauthMessage& msg, bool extended_utxos) {
    std::string utxos;
    for (const auto& u : msg.utxos)
        utxos += (utxos.empty() ? "" : ",") + formatUtxoString(u, extended_utxos);
    return utxos + " " + msg.auth_pub_hex + " " + msg.cj_address + " " + msg.change_address + " " + msg.btc_sig;
}

std::string signIoauth(const jm::bitcoin::PrivateKey& auth_key, std::string_view maker_encpk_hex) {
    auto hash = jm::bitcoin::signedMessageHash(jm::bitcoin::asBytes(maker_encpk_hex));
    return jm::bitcoin::toBase64(auth_key.signDer(hash));
}

jm::sdk::Result<void> verifyIoauth(std::string_view auth_pub_hex, std::string_view maker_encpk_hex,
                                   std::string_view btc_sig_b64) {
    auto pub_bytes = jm::bitcoin::fromHex(auth_pub_hex);
    auto pub = pub_bytes ? jm::bitcoin::PublicKey::parse(*pub_bytes)
                         : jm::sdk::Result<jm::bitcoin::PublicKey>(fail(errc::protocol_error, ""));
    if (!pub) return fail(errc::protocol_error, "!ioauth auth_pub is not a public key");
    auto sig = jm::bitcoin::fromBase64(btc_sig_b64);
    if (!sig) return fail(errc::protocol_error, "!ioauth btc_sig is not base64");
    if (!pub->verifyDer(jm::bitcoin::signedMessageHash(jm::bitcoin::asBytes(maker_encpk_hex)), *sig))
        return fail(errc::protocol_error, "!ioauth btc_sig does not verify");
    return {};
}

jm::sdk::Result<jm::bitcoin::Transaction> parseTxPayload(std::string_view base64) {
    auto raw = jm::bitcoin::fromBase64(base64);
    if (!raw) return fail(errc::protocol_error, "!tx payload is not base64");
    auto tx = jm::bitcoin::parseTransaction(*raw);
    if (!tx) return fail(errc::protocol_error, "!tx payload is not a transaction: " + tx.error().message);
    return tx;
}

std::string formatTxPayload(const jm::bitcoin::Transaction& tx) { return jm::bitcoin::toBase64(tx.serialize()); }

jm::sdk::Result<std::vector<jm::bitcoin::Bytes>> parseSigPayload(std::string_view base64) {
    auto raw = jm::bitcoin::fromBase64(base64);
    if (!raw) return fail(errc::protocol_error, "!sig payload is not base64");
    auto ops = jm::bitcoin::parseScript(*raw);
    if (!ops) return fail(errc::protocol_error, "!sig payload is not a script");
    std::vector<jm::bitcoin::Bytes> items;
    for (auto& op : *ops) {
        if (!op.isPush() || op.data.empty())
            return fail(errc::protocol_error, "!sig payload item is not a non-empty push");
        items.push_back(std::move(op.data));
    }
    if (items.size() != 2 && items.size() != 3)
        return fail(errc::protocol_error, "!sig payload must have 2 or 3 items");
    return items;
}

std::string formatSigPayload(const std::vector<jm::bitcoin::Bytes>& items) {
    jm::bitcoin::Script script;
    for (const auto& item : items)
        jm::bitcoin::pushData(script, item);
    return jm::bitcoin::toBase64(script);
}

} // namespace jm::protocol
