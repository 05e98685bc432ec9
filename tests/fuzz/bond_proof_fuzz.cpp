// !tbond proofs from hostile makers: parse, re-serialise, verify; never crash.
#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/utxo_string.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Raw bytes as the decoded blob, and the input as text (base64 and utxo strings).
    auto as_b64 = jm::bitcoin::toBase64(jm::bitcoin::ByteView(data, size));
    for (const auto& text : {as_b64, std::string(reinterpret_cast<const char*>(data), size)}) {
        if (auto proof = jm::protocol::parseBondProof(text)) {
            (void)jm::protocol::verifyBondProof(*proof, "J5taker", "J5maker");
            (void)jm::protocol::bondScriptPubKey(*proof);
            if (auto again = jm::protocol::serializeBondProof(*proof)) {
                auto reparsed = jm::protocol::parseBondProof(*again);
                if (!reparsed || reparsed->locktime != proof->locktime || reparsed->nick_sig != proof->nick_sig)
                    __builtin_trap();
            }
        }
        if (auto utxo = jm::protocol::parseUtxoString(text)) {
            auto again = jm::protocol::parseUtxoString(jm::protocol::formatUtxoString(*utxo, true));
            if (!again || !(again->outpoint == utxo->outpoint)) __builtin_trap();
        }
    }
    return 0;
}
