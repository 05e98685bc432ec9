#include <jm/bitcoin/size_estimator.hpp>

namespace jm::bitcoin {

namespace {
constexpr std::size_t OUTPOINT_AND_SEQUENCE = 32 + 4 + 4;
constexpr std::size_t SIGNATURE = 72 + 1; // DER (at most 72 with low-S) + sighash byte
constexpr std::size_t COMPRESSED_KEY = 33;
// <5-byte locktime push> CLTV DROP <33-byte key push> CHECKSIG
constexpr std::size_t TIMELOCK_SCRIPT = 6 + 1 + 1 + 34 + 1;
} // namespace

std::size_t inputWeight(InputType type) noexcept {
    switch (type) {
    case InputType::P2WPKH: // empty scriptSig; witness: count, sig, key
        return (OUTPOINT_AND_SEQUENCE + 1) * 4 + 1 + (1 + SIGNATURE) + (1 + COMPRESSED_KEY);
    case InputType::P2WSHTimelock: // witness: count, sig, script
        return (OUTPOINT_AND_SEQUENCE + 1) * 4 + 1 + (1 + SIGNATURE) + (1 + TIMELOCK_SCRIPT);
    case InputType::P2PKH: // scriptSig: <sig> <key>
        return (OUTPOINT_AND_SEQUENCE + 1 + (1 + SIGNATURE) + (1 + COMPRESSED_KEY)) * 4;
    case InputType::P2SH_P2WPKH: // scriptSig: push of the 22-byte redeem script
        return (OUTPOINT_AND_SEQUENCE + 1 + 23) * 4 + 1 + (1 + SIGNATURE) + (1 + COMPRESSED_KEY);
    case InputType::P2TRKeyPath: // witness: count, 64-byte Schnorr signature
        return (OUTPOINT_AND_SEQUENCE + 1) * 4 + 1 + (1 + 64);
    }
    return 0;
}

std::size_t outputWeight(ScriptType type) noexcept {
    std::size_t script = 0;
    switch (type) {
    case ScriptType::P2PKH:
        script = 25;
        break;
    case ScriptType::P2SH:
        script = 23;
        break;
    case ScriptType::P2WPKH:
        script = 22;
        break;
    case ScriptType::P2WSH:
    case ScriptType::P2TR:
        script = 34;
        break;
    case ScriptType::WitnessUnknown:
        script = 42;
        break;
    case ScriptType::NonStandard:
        script = 83;
        break;
    }
    return (8 + 1 + script) * 4;
}

std::size_t estimateVsize(const std::vector<InputType>& inputs, const std::vector<ScriptType>& outputs) noexcept {
    auto compactSize = [](std::size_t n) -> std::size_t { return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5; };
    std::size_t weight = (4 + compactSize(inputs.size()) + compactSize(outputs.size()) + 4) * 4;
    bool segwit = false;
    for (auto in : inputs) {
        weight += inputWeight(in);
        segwit |= in != InputType::P2PKH;
    }
    if (segwit) weight += 2; // marker and flag
    for (auto out : outputs)
        weight += outputWeight(out);
    return (weight + 3) / 4;
}

} // namespace jm::bitcoin
