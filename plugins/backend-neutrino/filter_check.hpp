#pragma once

#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/bytes.hpp>

#include <optional>
#include <string>

namespace jm::plugins::backend_neutrino {

//! What a light client can check of a peer's BIP158 basic filter for `block` (whose merkle root
//! was checked): it decodes (keyed by `block_hash`); every output script of the block (not empty,
//! not OP_RETURN) matches; its element count N is at least the number of distinct output scripts
//! and at most that plus the number of non-coinbase inputs (each spends one script); and, for a
//! block of only a coinbase (no spent scripts), it equals the filter built here. A filter that
//! only misstates the scripts the inputs spend passes: those are not in the block.
//! Returns nullopt when the filter passes, otherwise why it does not.
//! Executor: any; pure. `filter` is untrusted network input of any content.
std::optional<std::string> checkFilterAgainstBlock(const jm::bitcoin::Block& block,
                                                   const jm::bitcoin::Hash256& block_hash,
                                                   jm::bitcoin::ByteView filter);

} // namespace jm::plugins::backend_neutrino
