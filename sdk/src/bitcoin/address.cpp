#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bech32.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <algorithm>
#include <cctype>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<Script> addressToScript(std::string_view address, Network network) {
    const auto& p = params(network);
    std::string lower(address);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    // Bech32: the HRP followed by '1'. Base58 never contains '0', 'O', 'I', 'l', but may contain '1'.
    if (lower.starts_with(std::string(p.bech32_hrp) + "1")) {
        auto wp = decodeSegwitAddress(p.bech32_hrp, address);
        if (!wp) return wp.error().withContext("address " + std::string(address));
        Script s;
        s.push_back(wp->version == 0 ? std::uint8_t{OP_0} : static_cast<std::uint8_t>(OP_1 + wp->version - 1));
        s.push_back(static_cast<std::uint8_t>(wp->program.size()));
        s.insert(s.end(), wp->program.begin(), wp->program.end());
        return s;
    }
    for (auto other : {Network::Mainnet, Network::Testnet, Network::Regtest})
        if (params(other).bech32_hrp != p.bech32_hrp && lower.starts_with(std::string(params(other).bech32_hrp) + "1"))
            return fail(errc::invalid_argument, "address " + std::string(address) + " is for " +
                                                    std::string(params(other).name) + ", not " + std::string(p.name));
    auto data = fromBase58Check(address);
    if (!data) return data.error().withContext("address " + std::string(address));
    if (data->size() != 21)
        return fail(errc::invalid_argument, "address " + std::string(address) + " has the wrong length");
    Hash160 h;
    std::copy(data->begin() + 1, data->end(), h.begin());
    if ((*data)[0] == p.p2pkh_prefix) return p2pkhScript(h);
    if ((*data)[0] == p.p2sh_prefix) return p2shScript(h);
    return fail(errc::invalid_argument,
                "address " + std::string(address) + " is not a " + std::string(p.name) + " address");
}

jm::sdk::Result<std::string> scriptToAddress(ByteView script, Network network) {
    const auto& p = params(network);
    auto type = classifyScript(script);
    switch (type) {
    case ScriptType::P2PKH:
    case ScriptType::P2SH: {
        Bytes payload{type == ScriptType::P2PKH ? p.p2pkh_prefix : p.p2sh_prefix};
        auto hash = type == ScriptType::P2PKH ? script.subspan(3, 20) : script.subspan(2, 20);
        payload.insert(payload.end(), hash.begin(), hash.end());
        return toBase58Check(payload);
    }
    case ScriptType::P2WPKH:
    case ScriptType::P2WSH:
    case ScriptType::P2TR:
    case ScriptType::WitnessUnknown: {
        WitnessProgram wp;
        wp.version = script[0] == OP_0 ? 0 : script[0] - OP_1 + 1;
        wp.program.assign(script.begin() + 2, script.end());
        return encodeSegwitAddress(p.bech32_hrp, wp);
    }
    case ScriptType::NonStandard:
        break;
    }
    return fail(errc::invalid_argument, "script has no address form");
}

} // namespace jm::bitcoin
