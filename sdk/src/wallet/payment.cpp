#include <jm/wallet/payment.hpp>

#include <jm/bitcoin/sighash.hpp>
#include <jm/bitcoin/size_estimator.hpp>

namespace jm::wallet {

using jm::bitcoin::InputType;
using jm::bitcoin::ScriptType;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

std::int64_t feeFor(std::size_t inputs, const jm::bitcoin::Script& destination, bool with_change, std::int64_t rate) {
    std::vector<InputType> in(inputs, InputType::P2WPKH);
    std::vector<ScriptType> out{jm::bitcoin::classifyScript(destination)};
    if (with_change) out.push_back(ScriptType::P2WPKH);
    auto vsize = static_cast<std::int64_t>(jm::bitcoin::estimateVsize(in, out));
    return (vsize * rate + 999) / 1000; // round up: never pay below the rate asked
}

std::int64_t sum(const std::vector<WalletUtxo>& coins) {
    std::int64_t total = 0;
    for (const auto& c : coins)
        total += c.value;
    return total;
}

} // namespace

jm::sdk::Result<Payment> buildPayment(const Wallet& wallet, const UtxoSet& utxos, const PaymentRequest& request) {
    if (request.destination.empty()) return fail(errc::invalid_argument, "no destination");
    if (request.fee_rate <= 0) return fail(errc::invalid_argument, "fee rate must be positive");
    if (request.amount && *request.amount <= 0) return fail(errc::invalid_argument, "amount must be positive");
    Payment p;
    if (!request.amount) {
        for (auto& c : utxos.spendable(request.mixdepth))
            if (c.branch != BRANCH_FIDELITY_BOND) p.inputs.push_back(c);
        if (p.inputs.empty())
            return fail(errc::insufficient_funds,
                        "mixdepth " + std::to_string(request.mixdepth) + " has nothing to sweep");
        p.fee = feeFor(p.inputs.size(), request.destination, false, request.fee_rate);
        p.amount = sum(p.inputs) - p.fee;
        if (p.amount < CHANGE_DUST) return fail(errc::insufficient_funds, "the sweep would not even pay its fee");
    } else {
        // The fee depends on the number of inputs: select, recompute, reselect until it covers.
        std::int64_t target = *request.amount + feeFor(1, request.destination, true, request.fee_rate);
        for (int attempt = 0; attempt < 20; ++attempt) {
            auto chosen = utxos.selectCoins(request.mixdepth, target);
            if (!chosen) return chosen.error();
            std::erase_if(*chosen, [](const WalletUtxo& c) { return c.branch == BRANCH_FIDELITY_BOND; });
            auto total = sum(*chosen);
            auto fee_change = feeFor(chosen->size(), request.destination, true, request.fee_rate);
            auto fee_plain = feeFor(chosen->size(), request.destination, false, request.fee_rate);
            if (total - *request.amount - fee_change >= CHANGE_DUST) {
                p.inputs = std::move(*chosen);
                p.fee = fee_change;
                p.change_value = total - *request.amount - fee_change;
                break;
            }
            if (total - *request.amount >= fee_plain) { // no change: the remainder is the fee
                p.inputs = std::move(*chosen);
                p.fee = total - *request.amount;
                break;
            }
            target = *request.amount + fee_change + CHANGE_DUST;
        }
        if (p.inputs.empty()) return fail(errc::insufficient_funds, "cannot cover the amount and its fee");
        p.amount = *request.amount;
    }

    p.tx.version = 2;
    for (const auto& c : p.inputs) {
        jm::bitcoin::TxIn in;
        in.prevout = c.outpoint;
        in.sequence = 0xfffffffd; // opt-in RBF, as Bitcoin Core's wallet does
        p.tx.inputs.push_back(std::move(in));
    }
    p.tx.outputs.push_back({p.amount, request.destination});
    if (p.change_value > 0) {
        auto next = wallet.nextIndex(request.mixdepth, BRANCH_INTERNAL);
        if (!next) return next.error();
        auto change = wallet.addressAt(request.mixdepth, BRANCH_INTERNAL, *next);
        if (!change) return change.error();
        p.tx.outputs.push_back({p.change_value, change->script_pubkey});
        p.change = std::move(*change);
    }
    for (std::size_t i = 0; i < p.inputs.size(); ++i) {
        const auto& c = p.inputs[i];
        auto key = wallet.privateKey(c.mixdepth, c.branch, c.index);
        if (!key) return key.error();
        auto signed_input = jm::bitcoin::signP2wpkhInput(p.tx, i, *key, c.value);
        if (!signed_input) return signed_input.error();
    }
    // Money safety: what we built pays exactly what was asked, and inputs = outputs + fee.
    std::int64_t out_total = 0;
    for (const auto& o : p.tx.outputs)
        out_total += o.value;
    if (p.tx.outputs.front().script_pubkey != request.destination || p.tx.outputs.front().value != p.amount ||
        sum(p.inputs) != out_total + p.fee || p.fee <= 0)
        return fail(errc::internal, "payment does not balance");
    return p;
}

jm::sdk::Result<void> commitChange(Wallet& wallet, const Payment& payment) {
    if (!payment.change) return {};
    auto next = wallet.nextAddress(payment.change->mixdepth, BRANCH_INTERNAL);
    if (!next) return next.error();
    if (next->script_pubkey != payment.change->script_pubkey)
        return fail(errc::already_exists, "the change address was handed out meanwhile; build the payment again");
    return {};
}

} // namespace jm::wallet
