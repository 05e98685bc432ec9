#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/script.hpp>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<std::vector<ScriptOp>> parseScript(ByteView script) {
    std::vector<ScriptOp> ops;
    std::size_t i = 0;
    while (i < script.size()) {
        ScriptOp op;
        op.opcode = script[i++];
        std::size_t len = 0;
        if (op.opcode < OP_PUSHDATA1) {
            len = op.opcode;
        } else if (op.opcode <= OP_PUSHDATA4) {
            std::size_t width = op.opcode == OP_PUSHDATA1 ? 1 : op.opcode == OP_PUSHDATA2 ? 2 : 4;
            if (script.size() - i < width)
                return fail(errc::invalid_argument, "truncated push length at byte " + std::to_string(i));
            for (std::size_t b = 0; b < width; ++b)
                len |= std::size_t(script[i + b]) << (8 * b);
            i += width;
        } else {
            ops.push_back(std::move(op));
            continue;
        }
        if (script.size() - i < len)
            return fail(errc::invalid_argument,
                        "push of " + std::to_string(len) + " bytes runs past the end of the script");
        op.data.assign(script.begin() + static_cast<std::ptrdiff_t>(i),
                       script.begin() + static_cast<std::ptrdiff_t>(i + len));
        i += len;
        ops.push_back(std::move(op));
    }
    return ops;
}

void pushData(Script& script, ByteView data) {
    if (data.size() < OP_PUSHDATA1) {
        script.push_back(static_cast<std::uint8_t>(data.size()));
    } else if (data.size() <= 0xff) {
        script.push_back(OP_PUSHDATA1);
        script.push_back(static_cast<std::uint8_t>(data.size()));
    } else if (data.size() <= 0xffff) {
        script.push_back(OP_PUSHDATA2);
        script.push_back(static_cast<std::uint8_t>(data.size()));
        script.push_back(static_cast<std::uint8_t>(data.size() >> 8));
    } else {
        script.push_back(OP_PUSHDATA4);
        for (int b = 0; b < 4; ++b)
            script.push_back(static_cast<std::uint8_t>(data.size() >> (8 * b)));
    }
    script.insert(script.end(), data.begin(), data.end());
}

Bytes scriptNum(std::int64_t value) {
    Bytes out;
    if (value == 0) return out;
    bool negative = value < 0;
    std::uint64_t abs = negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    while (abs) {
        out.push_back(static_cast<std::uint8_t>(abs & 0xff));
        abs >>= 8;
    }
    // The top bit is the sign: add a byte when the magnitude already uses it.
    if (out.back() & 0x80)
        out.push_back(negative ? 0x80 : 0x00);
    else if (negative)
        out.back() |= 0x80;
    return out;
}

void pushNumber(Script& script, std::int64_t value) {
    if (value == 0)
        script.push_back(OP_0);
    else if (value == -1)
        script.push_back(OP_1NEGATE);
    else if (value >= 1 && value <= 16)
        script.push_back(static_cast<std::uint8_t>(OP_1 + value - 1));
    else
        pushData(script, scriptNum(value));
}

Script p2pkhScript(const Hash160& key_hash) {
    Script s{OP_DUP, OP_HASH160, 20};
    s.insert(s.end(), key_hash.begin(), key_hash.end());
    s.push_back(OP_EQUALVERIFY);
    s.push_back(OP_CHECKSIG);
    return s;
}

Script p2shScript(const Hash160& script_hash) {
    Script s{OP_HASH160, 20};
    s.insert(s.end(), script_hash.begin(), script_hash.end());
    s.push_back(OP_EQUAL);
    return s;
}

Script p2wpkhScript(const Hash160& key_hash) {
    Script s{OP_0, 20};
    s.insert(s.end(), key_hash.begin(), key_hash.end());
    return s;
}

Script p2wshScript(const Hash256& script_sha256) {
    Script s{OP_0, 32};
    s.insert(s.end(), script_sha256.begin(), script_sha256.end());
    return s;
}

Script p2trScript(const std::array<std::uint8_t, 32>& output_key) {
    Script s{OP_1, 32};
    s.insert(s.end(), output_key.begin(), output_key.end());
    return s;
}

Script p2wpkhScript(const PublicKey& key) { return p2wpkhScript(key.hash160()); }
Script p2wpkhRedeemScript(const PublicKey& key) { return p2wpkhScript(key.hash160()); }
Script p2shP2wpkhScript(const PublicKey& key) { return p2shScript(hash160(p2wpkhRedeemScript(key))); }
Script p2wshScript(ByteView witness_script) { return p2wshScript(sha256(witness_script)); }

Script timelockScript(std::int64_t locktime, const PublicKey& key) {
    Script s;
    pushNumber(s, locktime);
    s.push_back(OP_CHECKLOCKTIMEVERIFY);
    s.push_back(OP_DROP);
    pushData(s, key.compressed());
    s.push_back(OP_CHECKSIG);
    return s;
}

jm::sdk::Result<TimelockScript> parseTimelockScript(ByteView script) {
    auto ops = parseScript(script);
    if (!ops) return ops.error();
    auto& o = *ops;
    // Direct pushes only (opcode = length): the template is built with minimal pushes.
    if (o.size() != 5 || o[0].opcode != o[0].data.size() || o[0].data.empty() ||
        o[1].opcode != OP_CHECKLOCKTIMEVERIFY || o[2].opcode != OP_DROP || o[3].opcode != 33 ||
        o[4].opcode != OP_CHECKSIG)
        return fail(errc::invalid_argument, "not a fidelity-bond timelock script");
    const auto& num = o[0].data;
    if (num.empty() || num.size() > 5 || (num.back() & 0x80))
        return fail(errc::invalid_argument, "timelock is not a positive number of at most 5 bytes");
    if (num.size() > 1 && num.back() == 0 && !(num[num.size() - 2] & 0x80))
        return fail(errc::invalid_argument, "timelock is not minimally encoded");
    TimelockScript out;
    for (std::size_t i = 0; i < num.size(); ++i)
        out.locktime |= std::int64_t(num[i]) << (8 * i);
    // 0..16 are written OP_0..OP_16 (timelockScript does): as a direct push they are not minimal.
    if (out.locktime <= 16) return fail(errc::invalid_argument, "timelock is not minimally encoded");
    out.pubkey = o[3].data;
    return out;
}

ScriptType classifyScript(ByteView s) {
    if (s.size() == 25 && s[0] == OP_DUP && s[1] == OP_HASH160 && s[2] == 20 && s[23] == OP_EQUALVERIFY &&
        s[24] == OP_CHECKSIG)
        return ScriptType::P2PKH;
    if (s.size() == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL) return ScriptType::P2SH;
    if (s.size() == 22 && s[0] == OP_0 && s[1] == 20) return ScriptType::P2WPKH;
    if (s.size() == 34 && s[0] == OP_0 && s[1] == 32) return ScriptType::P2WSH;
    if (s.size() == 34 && s[0] == OP_1 && s[1] == 32) return ScriptType::P2TR;
    if (s.size() >= 4 && s.size() <= 42 && (s[0] == OP_0 || (s[0] >= OP_1 && s[0] <= OP_16)) && s[1] + 2u == s.size())
        return ScriptType::WitnessUnknown;
    return ScriptType::NonStandard;
}

std::string_view toString(ScriptType type) noexcept {
    switch (type) {
    case ScriptType::P2PKH:
        return "p2pkh";
    case ScriptType::P2SH:
        return "p2sh";
    case ScriptType::P2WPKH:
        return "p2wpkh";
    case ScriptType::P2WSH:
        return "p2wsh";
    case ScriptType::P2TR:
        return "p2tr";
    case ScriptType::WitnessUnknown:
        return "witness_unknown";
    case ScriptType::NonStandard:
        return "nonstandard";
    }
    return "unknown";
}

} // namespace jm::bitcoin
