#include <jm/wallet/payment.hpp>

#include <jm/bitcoin/sighash.hpp>
#include <jm/bitcoin/size_estimator.hpp>

#include <algorithm>

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

// Bitcoin Core's default dust relay fee, satoshis per 1000 vbytes (policy/policy.h).
constexpr std::int64_t DUST_RELAY_FEE = 3000;
// Largest block height a locktime can name (at 500'000'000 it becomes a unix time).
constexpr std::int32_t LOCKTIME_THRESHOLD = 500'000'000;

} // namespace

std::int64_t dustLimit(const jm::bitcoin::Script& script) {
    // As Core's GetDustThreshold: the output's serialised size plus the input that would spend
    // it (a witness input counts its signature and key at a quarter).
    auto size = static_cast<std::int64_t>(8 +
                                          (script.size() < 253       ? 1
                                           : script.size() <= 0xffff ? 3
                                                                     : 5) +
                                          script.size());
    auto type = jm::bitcoin::classifyScript(script);
    bool witness = type == ScriptType::P2WPKH || type == ScriptType::P2WSH || type == ScriptType::P2TR ||
                   type == ScriptType::WitnessUnknown;
    size += witness ? 32 + 4 + 1 + 107 / 4 + 4 : 32 + 4 + 1 + 107 + 4;
    return size * DUST_RELAY_FEE / 1000;
}

jm::sdk::Result<void> checkPaymentAmount(const jm::bitcoin::Script& destination, std::int64_t amount) {
    if (amount <= 0) return fail(errc::invalid_argument, "amount must be positive");
    if (amount > jm::bitcoin::MAX_MONEY) return fail(errc::invalid_argument, "amount is more than 21 million BTC");
    if (auto dust = dustLimit(destination); amount < dust)
        return fail(errc::invalid_argument, "amount " + std::to_string(amount) +
                                                " sat is dust: Bitcoin Core relays no "
                                                "output below " +
                                                std::to_string(dust) + " sat to this destination");
    return {};
}

jm::sdk::Result<Payment> buildPayment(const Wallet& wallet, const UtxoSet& utxos, const PaymentRequest& request) {
    // Everything about the request is checked before a coin is chosen or a key touched.
    if (request.mixdepth < 0 || request.mixdepth >= wallet.mixdepths())
        return fail(errc::invalid_argument, "mixdepth must be 0.." + std::to_string(wallet.mixdepths() - 1));
    if (request.destination.empty()) return fail(errc::invalid_argument, "no destination");
    if (request.fee_rate <= 0) return fail(errc::invalid_argument, "fee rate must be positive");
    if (request.fee_rate > MAX_FEE_RATE)
        return fail(errc::invalid_argument, "fee rate " + std::to_string(request.fee_rate) +
                                                " sat/kvB is above the highest accepted (" +
                                                std::to_string(MAX_FEE_RATE) + ")");
    if (request.tip_height < 0 || request.tip_height >= LOCKTIME_THRESHOLD)
        return fail(errc::invalid_argument,
                    "tip height " + std::to_string(request.tip_height) + " is not a block height");
    if (request.amount)
        if (auto ok = checkPaymentAmount(request.destination, *request.amount); !ok) return ok.error();
    Payment p;
    if (!request.amount) {
        p.inputs = utxos.spendable(request.mixdepth);
        if (p.inputs.empty())
            return fail(errc::insufficient_funds,
                        "mixdepth " + std::to_string(request.mixdepth) + " has nothing to sweep");
        p.fee = feeFor(p.inputs.size(), request.destination, false, request.fee_rate);
        p.amount = sum(p.inputs) - p.fee;
        if (p.amount < std::max(CHANGE_DUST, dustLimit(request.destination)))
            return fail(errc::insufficient_funds, "the sweep would not even pay its fee");
    } else {
        // The fee depends on the number of inputs: select, recompute, reselect until it covers.
        // No overflow: the amount is at most 21e6 BTC and the fee rate is bounded.
        std::int64_t target = *request.amount + feeFor(1, request.destination, true, request.fee_rate);
        for (int attempt = 0; attempt < 20; ++attempt) {
            auto chosen = utxos.selectCoins(request.mixdepth, target);
            if (!chosen) return chosen.error();
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
    p.tx.locktime = static_cast<std::uint32_t>(request.tip_height);
    for (const auto& c : p.inputs) {
        // Only keys this function can sign for: P2WPKH on the external or internal branch.
        if (c.branch != BRANCH_EXTERNAL && c.branch != BRANCH_INTERNAL)
            return fail(errc::internal, "coin selection offered a fidelity bond to a payment");
        jm::bitcoin::TxIn in;
        in.prevout = c.outpoint;
        in.sequence = 0xfffffffd; // opt-in RBF and locktime enforced, as Bitcoin Core's wallet does
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
