#include "coinjoin_checks.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace jm::plugins::maker {

using jm::bitcoin::OutPoint;
using jm::sdk::errc;
using jm::sdk::fail;

std::int64_t CoinjoinTerms::inputsTotal() const {
    std::int64_t total = 0;
    for (const auto& i : inputs)
        total += i.value;
    return total;
}

std::int64_t CoinjoinTerms::expectedChange() const { return inputsTotal() - amount - txfee + real_cjfee; }

jm::sdk::Result<std::vector<std::size_t>> verifyCoinjoin(const jm::bitcoin::Transaction& tx, const CoinjoinTerms& terms,
                                                         const std::function<bool(const OutPoint&)>& is_wallet_coin) {
    auto reject = [](std::string why) { return fail(errc::rejected, std::move(why)); };
    if (tx.version < 1 || tx.version > 3) return reject("version " + std::to_string(tx.version) + " is not 1, 2 or 3");
    if (tx.inputs.empty() || tx.outputs.empty()) return reject("no inputs or no outputs");

    std::map<OutPoint, std::size_t> position;
    for (std::size_t i = 0; i < tx.inputs.size(); ++i)
        if (!position.emplace(tx.inputs[i].prevout, i).second)
            return reject("input " + tx.inputs[i].prevout.toString() + " is listed twice");
    std::set<OutPoint> ours;
    std::vector<std::size_t> indices;
    for (const auto& in : terms.inputs) {
        auto it = position.find(in.outpoint);
        if (it == position.end()) return reject("our input " + in.outpoint.toString() + " is missing");
        ours.insert(in.outpoint);
        indices.push_back(it->second);
    }
    for (const auto& in : tx.inputs)
        if (!ours.count(in.prevout) && is_wallet_coin && is_wallet_coin(in.prevout))
            return reject("input " + in.prevout.toString() + " is a coin of ours not offered in this session");

    auto earned = terms.real_cjfee - terms.txfee;
    if (earned < 0) return reject("a negative earning: " + std::to_string(earned) + " sat");
    auto expected_change = terms.expectedChange();

    int cj_outputs = 0, change_outputs = 0;
    for (const auto& out : tx.outputs) {
        if (out.value < 0) return reject("a negative output value");
        if (out.script_pubkey == terms.cj_script) {
            ++cj_outputs;
            if (out.value < terms.amount)
                return reject("the CoinJoin output pays " + std::to_string(out.value) + " sat, not " +
                              std::to_string(terms.amount));
        }
        if (out.script_pubkey == terms.change_script) {
            ++change_outputs;
            if (out.value < expected_change)
                return reject("the change output pays " + std::to_string(out.value) + " sat, less than " +
                              std::to_string(expected_change));
        }
    }
    if (cj_outputs != 1 || change_outputs != 1)
        return reject("the CoinJoin address appears " + std::to_string(cj_outputs) + " times and the change address " +
                      std::to_string(change_outputs) + " times (each must appear once)");
    std::sort(indices.begin(), indices.end());
    return indices;
}

} // namespace jm::plugins::maker
