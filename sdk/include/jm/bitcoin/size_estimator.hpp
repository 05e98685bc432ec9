#pragma once

#include <jm/bitcoin/script.hpp>
#include <jm/sdk/export.hpp>

#include <cstddef>
#include <vector>

namespace jm::bitcoin {

//! The kinds of input whose spending size is known in advance.
enum class InputType { P2WPKH, P2WSHTimelock, P2PKH, P2SH_P2WPKH, P2TRKeyPath };

//! Weight units one input of `type` adds (outpoint, scriptSig, sequence, witness), assuming a
//! 72-byte DER signature so the estimate never falls short. Executor: any; pure.
JM_SDK_API std::size_t inputWeight(InputType type) noexcept;
//! Weight units one output with a script of `type` adds (value, script length and script).
JM_SDK_API std::size_t outputWeight(ScriptType type) noexcept;
//! Estimated virtual size (vbytes, rounded up) of a transaction with these inputs and outputs,
//! for fee calculation. Includes the segwit marker when any input is segwit.
JM_SDK_API std::size_t estimateVsize(const std::vector<InputType>& inputs,
                                     const std::vector<ScriptType>& outputs) noexcept;

} // namespace jm::bitcoin
