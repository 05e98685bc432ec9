#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/key.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace jm::bitcoin {

//! The opcodes jmnode builds or recognises.
enum Opcode : std::uint8_t {
    OP_0 = 0x00,
    OP_PUSHDATA1 = 0x4c,
    OP_PUSHDATA2 = 0x4d,
    OP_PUSHDATA4 = 0x4e,
    OP_1NEGATE = 0x4f,
    OP_1 = 0x51,
    OP_16 = 0x60,
    OP_DUP = 0x76,
    OP_EQUAL = 0x87,
    OP_EQUALVERIFY = 0x88,
    OP_HASH160 = 0xa9,
    OP_CODESEPARATOR = 0xab,
    OP_CHECKSIG = 0xac,
    OP_CHECKLOCKTIMEVERIFY = 0xb1,
    OP_DROP = 0x75,
};

//! A script: plain bytes. Value type.
using Script = Bytes;

//! One parsed script element: an opcode, with its pushed data for push opcodes.
struct ScriptOp {
    std::uint8_t opcode = 0;
    Bytes data; //!< for pushes (including OP_0 as an empty push)
    bool isPush() const { return opcode <= OP_PUSHDATA4; }
};

//! Splits a script into operations. Errors: errc::invalid_argument for a push running past
//! the end. Executor: any; pure.
JM_SDK_API jm::sdk::Result<std::vector<ScriptOp>> parseScript(ByteView script);
//! Appends a minimal push of `data`.
JM_SDK_API void pushData(Script& script, ByteView data);
//! Minimal CScriptNum encoding of `value` (little-endian, sign bit), as pushed by scripts.
JM_SDK_API Bytes scriptNum(std::int64_t value);
//! Appends a minimal push of a number (OP_0, OP_1..OP_16, OP_1NEGATE or a scriptNum push).
JM_SDK_API void pushNumber(Script& script, std::int64_t value);

//! Standard output scripts.
JM_SDK_API Script p2pkhScript(const Hash160& key_hash);
JM_SDK_API Script p2shScript(const Hash160& script_hash);
JM_SDK_API Script p2wpkhScript(const Hash160& key_hash);
JM_SDK_API Script p2wshScript(const Hash256& script_sha256);
JM_SDK_API Script p2trScript(const std::array<std::uint8_t, 32>& output_key);
//! P2WPKH of a public key (the JoinMarket wallet's address type).
JM_SDK_API Script p2wpkhScript(const PublicKey& key);
//! P2SH-P2WPKH output for a key, and its redeem script (0014<hash160>).
JM_SDK_API Script p2shP2wpkhScript(const PublicKey& key);
JM_SDK_API Script p2wpkhRedeemScript(const PublicKey& key);
//! P2WSH of a witness script.
JM_SDK_API Script p2wshScript(ByteView witness_script);

//! The fidelity-bond witness script: <locktime> OP_CHECKLOCKTIMEVERIFY OP_DROP <pubkey> OP_CHECKSIG.
JM_SDK_API Script timelockScript(std::int64_t locktime, const PublicKey& key);
//! Recognises a timelock script; returns (locktime, pubkey). Errors: not that template.
struct TimelockScript {
    std::int64_t locktime = 0;
    Bytes pubkey;
};
JM_SDK_API jm::sdk::Result<TimelockScript> parseTimelockScript(ByteView script);

//! What kind of output a script is.
enum class ScriptType { P2PKH, P2SH, P2WPKH, P2WSH, P2TR, WitnessUnknown, NonStandard };
JM_SDK_API ScriptType classifyScript(ByteView script);
JM_SDK_API std::string_view toString(ScriptType type) noexcept;

} // namespace jm::bitcoin
