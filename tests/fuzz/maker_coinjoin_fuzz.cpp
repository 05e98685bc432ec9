// The maker's check of a taker's unsigned CoinJoin (!tx) on arbitrary transactions: terms are
// taken from the transaction itself (its first inputs are "ours", its first outputs our
// addresses) so that the checks get past the first rules. It must never crash, and whatever it
// accepts must really satisfy the rules it promises.
#include <coinjoin_checks.hpp>

#include <jm/bitcoin/transaction.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    auto tx = jm::bitcoin::parseTransaction(jm::bitcoin::ByteView(data + 2, size - 2));
    if (!tx) return 0;
    jm::plugins::maker::CoinjoinTerms terms;
    std::size_t ours = data[0] % 3;
    for (std::size_t i = 0; i < ours && i < tx->inputs.size(); ++i)
        terms.inputs.push_back({tx->inputs[i].prevout, 1'000'000 * static_cast<std::int64_t>(i + 1)});
    if (!tx->outputs.empty()) {
        terms.cj_script = tx->outputs[0].script_pubkey;
        // The maker's own terms never exceed 21e6 BTC (its !fill parser bounds the amount).
        terms.amount = std::clamp<std::int64_t>(tx->outputs[0].value, 0, 2'100'000'000'000'000) - (data[1] & 1);
    }
    if (tx->outputs.size() > 1) terms.change_script = tx->outputs[1].script_pubkey;
    terms.real_cjfee = data[1];
    terms.txfee = data[1] >> 2;
    auto result = jm::plugins::maker::verifyCoinjoin(
        *tx, terms, [&](const jm::bitcoin::OutPoint& o) { return (o.vout + data[0]) % 5 == 0; });
    if (!result) return 0;
    // Accepted: every index is one of ours, each exactly once, and both addresses are paid.
    std::set<std::size_t> seen(result->begin(), result->end());
    if (seen.size() != terms.inputs.size()) __builtin_trap();
    std::int64_t cj = 0, change = 0;
    for (const auto& o : tx->outputs) {
        if (o.script_pubkey == terms.cj_script) cj += 1;
        if (o.script_pubkey == terms.change_script) change += 1;
    }
    if (cj != 1 || change != 1) __builtin_trap();
    return 0;
}
