#include <jm/protocol/utxo_string.hpp>

#include <jm/bitcoin/encoding.hpp>

#include <charconv>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
template <class T> bool parseNumber(std::string_view s, T& out) {
    if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}
} // namespace

jm::sdk::Result<UtxoString> parseUtxoString(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        auto pos = text.find(':', start);
        parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos || parts.size() > 4) break;
        start = pos + 1;
    }
    if (parts.size() != 2 && parts.size() != 4)
        return fail(errc::protocol_error, "a utxo is txid:vout or txid:vout:script:height");
    UtxoString out;
    auto txid = jm::bitcoin::hashFromDisplayHex(parts[0]);
    if (!txid) return fail(errc::protocol_error, "utxo txid is not 64 hex characters");
    out.outpoint.txid = *txid;
    if (!parseNumber(parts[1], out.outpoint.vout)) return fail(errc::protocol_error, "utxo vout is not a number");
    if (parts.size() == 4) {
        auto script = jm::bitcoin::fromHex(parts[2]);
        if (!script || script->empty() || script->size() > 10000)
            return fail(errc::protocol_error, "utxo scriptPubKey is not hex");
        std::int64_t height = 0;
        if (!parseNumber(parts[3], height)) return fail(errc::protocol_error, "utxo block height is not a number");
        out.script_pubkey = std::move(*script);
        out.height = height;
    }
    return out;
}

std::string formatUtxoString(const UtxoString& utxo, bool extended) {
    std::string out = utxo.outpoint.toString();
    if (extended && utxo.script_pubkey && utxo.height)
        out += ":" + jm::bitcoin::toHex(*utxo.script_pubkey) + ":" + std::to_string(*utxo.height);
    return out;
}

} // namespace jm::protocol
