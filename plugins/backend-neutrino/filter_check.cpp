#include "filter_check.hpp"

#include <jm/bitcoin/block_filter.hpp>

#include <set>

namespace jm::plugins::backend_neutrino {

std::optional<std::string> checkFilterAgainstBlock(const jm::bitcoin::Block& block,
                                                   const jm::bitcoin::Hash256& block_hash,
                                                   jm::bitcoin::ByteView filter) {
    auto decoded = jm::bitcoin::decodeBasicFilter(block_hash, filter);
    if (!decoded) return "a filter that does not decode: " + decoded.error().message;
    std::set<jm::bitcoin::Bytes> outputs;
    std::size_t inputs = 0;
    for (std::size_t i = 0; i < block.transactions.size(); ++i) {
        const auto& tx = block.transactions[i];
        if (i > 0) inputs += tx.inputs.size();
        for (const auto& out : tx.outputs)
            if (!out.script_pubkey.empty() && out.script_pubkey[0] != 0x6a) outputs.insert(out.script_pubkey);
    }
    for (const auto& script : outputs)
        if (!decoded->match(script)) return "a filter without an output script of the block";
    if (decoded->size() < outputs.size() || decoded->size() > outputs.size() + inputs)
        return "a filter with " + std::to_string(decoded->size()) + " elements for a block that gives " +
               std::to_string(outputs.size()) + " to " + std::to_string(outputs.size() + inputs);
    if (inputs == 0) { // only a coinbase: no spent scripts, so the filter is fully determined
        auto ours = jm::bitcoin::buildBasicFilter(block, {});
        if (!std::equal(ours.encoded().begin(), ours.encoded().end(), filter.begin(), filter.end()))
            return "a filter that differs from the block's";
    }
    return std::nullopt;
}

} // namespace jm::plugins::backend_neutrino
