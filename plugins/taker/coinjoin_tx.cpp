#include "coinjoin_tx.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/bitcoin/sighash.hpp>

#include <sodium.h>

#include <algorithm>
#include <map>

namespace jm::plugins::taker {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

template <class T> void shuffle(std::vector<T>& v) {
    // Fisher–Yates with libsodium's generator (the order must not leak who owns what).
    for (std::size_t i = v.size(); i > 1; --i) {
        auto j = randombytes_uniform(static_cast<std::uint32_t>(i));
        std::swap(v[i - 1], v[j]);
    }
}

} // namespace

std::int64_t MakerPart::inputsTotal() const {
    std::int64_t total = 0;
    for (const auto& c : inputs)
        total += c.value;
    return total;
}

std::int64_t CoinjoinTerms::takerInputsTotal() const {
    std::int64_t total = 0;
    for (const auto& c : taker_inputs)
        total += c.value;
    return total;
}

std::int64_t CoinjoinTerms::makerFees() const {
    std::int64_t total = 0;
    for (const auto& m : makers)
        total += m.cjfee - m.txfee;
    return total;
}

jm::sdk::Result<std::pair<jm::bitcoin::Script, jm::bitcoin::Script>>
checkIoauth(const jm::protocol::IoauthMessage& msg, std::string_view maker_encpk_hex, jm::bitcoin::Network network,
            std::size_t max_utxos, const std::set<jm::bitcoin::OutPoint>& taken_outpoints,
            const std::set<jm::bitcoin::Script>& taken_scripts) {
    if (auto ok = jm::protocol::verifyIoauth(msg.auth_pub_hex, maker_encpk_hex, msg.btc_sig); !ok)
        return fail(errc::protocol_error, "btc_sig does not verify");
    if (msg.utxos.empty()) return fail(errc::protocol_error, "no inputs");
    if (msg.utxos.size() > max_utxos)
        return fail(errc::protocol_error,
                    std::to_string(msg.utxos.size()) + " inputs, more than " + std::to_string(max_utxos));
    std::set<jm::bitcoin::OutPoint> seen;
    for (const auto& u : msg.utxos) {
        if (!seen.insert(u.outpoint).second)
            return fail(errc::protocol_error, "input " + u.outpoint.toString() + " declared twice");
        if (taken_outpoints.count(u.outpoint))
            return fail(errc::protocol_error, "input " + u.outpoint.toString() + " belongs to another party");
    }
    auto cj = jm::bitcoin::addressToScript(msg.cj_address, network);
    if (!cj) return fail(errc::protocol_error, "bad CoinJoin address: " + cj.error().message);
    auto change = jm::bitcoin::addressToScript(msg.change_address, network);
    if (!change) return fail(errc::protocol_error, "bad change address: " + change.error().message);
    if (*cj == *change) return fail(errc::protocol_error, "the CoinJoin and change addresses are the same");
    if (taken_scripts.count(*cj) || taken_scripts.count(*change))
        return fail(errc::protocol_error, "an address of another party");
    return std::make_pair(std::move(*cj), std::move(*change));
}

jm::sdk::Result<MakerPart> checkMakerCoins(const std::string& nick, const jm::protocol::IoauthMessage& msg,
                                           const std::vector<std::optional<jm::chain::TxOutInfo>>& coins,
                                           const jm::bitcoin::Script& cj_script,
                                           const jm::bitcoin::Script& change_script, std::int64_t cj_amount,
                                           std::int64_t cjfee, std::int64_t txfee) {
    if (coins.size() != msg.utxos.size()) return fail(errc::protocol_error, "coin count mismatch");
    auto pub_bytes = jm::bitcoin::fromHex(msg.auth_pub_hex);
    auto pub = pub_bytes ? jm::bitcoin::PublicKey::parse(*pub_bytes)
                         : jm::sdk::Result<jm::bitcoin::PublicKey>(pub_bytes.error());
    if (!pub) return fail(errc::protocol_error, "auth_pub is not a key");
    auto auth_script = jm::bitcoin::p2wpkhScript(*pub);
    MakerPart part;
    part.nick = nick;
    part.cj_script = cj_script;
    part.change_script = change_script;
    part.cjfee = cjfee;
    part.txfee = txfee;
    bool owned = false;
    for (std::size_t i = 0; i < coins.size(); ++i) {
        const auto& u = msg.utxos[i];
        if (!coins[i]) return fail(errc::protocol_error, "input " + u.outpoint.toString() + " is spent or unknown");
        if (coins[i]->confirmations < 1)
            return fail(errc::protocol_error, "input " + u.outpoint.toString() + " is unconfirmed");
        if (coins[i]->value <= 0) return fail(errc::protocol_error, "input " + u.outpoint.toString() + " is empty");
        // NG's extended form carries a script: it must be the one the chain knows.
        if (u.script_pubkey && *u.script_pubkey != coins[i]->script_pubkey)
            return fail(errc::protocol_error, "input " + u.outpoint.toString() + " declared with another script");
        owned = owned || coins[i]->script_pubkey == auth_script;
        part.inputs.push_back({u.outpoint, coins[i]->value, coins[i]->script_pubkey});
    }
    if (!owned) return fail(errc::protocol_error, "auth_pub owns none of the declared inputs");
    auto change = part.change(cj_amount);
    if (change < jm::protocol::DUST_THRESHOLD)
        return fail(errc::protocol_error, "the inputs (" + std::to_string(part.inputsTotal()) +
                                              " sat) leave a change of " + std::to_string(change) + " sat, below dust");
    return part;
}

bool isRelayableMakerSig(const jm::bitcoin::Transaction& tx, std::size_t index, const Coin& coin) {
    if (index >= tx.inputs.size()) return false;
    const auto& w = tx.inputs[index].witness;
    if (w.size() != 2 || w[0].empty() || w[0].back() != jm::bitcoin::SIGHASH_ALL) return false;
    auto pk = jm::bitcoin::PublicKey::parse(w[1]);
    if (!pk) return false;
    auto hash =
        jm::bitcoin::segwitSighash(tx, index, jm::bitcoin::p2wpkhScriptCode(*pk), coin.value, jm::bitcoin::SIGHASH_ALL);
    return hash && pk->verifyDer(*hash, jm::bitcoin::ByteView(w[0]).first(w[0].size() - 1), true);
}

jm::sdk::Result<jm::bitcoin::Transaction> buildCoinjoinTx(const CoinjoinTerms& terms, std::uint32_t locktime) {
    if (terms.cj_amount <= 0) return fail(errc::invalid_argument, "the CoinJoin amount is not positive");
    jm::bitcoin::Transaction tx;
    tx.version = 2;
    tx.locktime = locktime;
    std::uint32_t sequence = locktime != 0 ? 0xfffffffe : 0xffffffff;
    auto addInput = [&](const Coin& c) { tx.inputs.push_back({c.outpoint, {}, sequence, {}}); };
    for (const auto& c : terms.taker_inputs)
        addInput(c);
    tx.outputs.push_back({terms.cj_amount, terms.destination});
    if (terms.taker_change) {
        if (terms.taker_change_value <= 0) return fail(errc::invalid_argument, "our change is not positive");
        tx.outputs.push_back({terms.taker_change_value, *terms.taker_change});
    }
    for (const auto& m : terms.makers) {
        for (const auto& c : m.inputs)
            addInput(c);
        tx.outputs.push_back({terms.cj_amount, m.cj_script});
        auto change = m.change(terms.cj_amount);
        if (change <= 0) return fail(errc::invalid_argument, "a maker's change is not positive");
        tx.outputs.push_back({change, m.change_script});
    }
    shuffle(tx.inputs);
    shuffle(tx.outputs);
    return tx;
}

jm::sdk::Result<void> checkCoinjoinTx(const jm::bitcoin::Transaction& tx, const CoinjoinTerms& terms,
                                      std::int64_t absurd_fee_per_kb) {
    auto broken = [](const std::string& rule) { return fail(errc::internal, "refusing the CoinJoin: " + rule); };
    // Inputs: exactly ours and the makers', each once.
    std::map<jm::bitcoin::OutPoint, std::int64_t> expected_inputs;
    auto expectInput = [&](const Coin& c) { return expected_inputs.emplace(c.outpoint, c.value).second; };
    for (const auto& c : terms.taker_inputs)
        if (!expectInput(c)) return broken("an input is listed twice");
    for (const auto& m : terms.makers)
        for (const auto& c : m.inputs)
            if (!expectInput(c)) return broken("an input is listed twice");
    if (tx.inputs.size() != expected_inputs.size()) return broken("the input count is wrong");
    std::set<jm::bitcoin::OutPoint> seen;
    std::int64_t in_total = 0;
    for (const auto& in : tx.inputs) {
        auto it = expected_inputs.find(in.prevout);
        if (it == expected_inputs.end()) return broken("input " + in.prevout.toString() + " is not agreed");
        if (!seen.insert(in.prevout).second) return broken("input " + in.prevout.toString() + " is spent twice");
        in_total += it->second;
    }
    // Outputs: each expected (script, value) exactly once, nothing else.
    std::multiset<std::pair<jm::bitcoin::Script, std::int64_t>> expected_outputs;
    expected_outputs.insert({terms.destination, terms.cj_amount});
    if (terms.taker_change) expected_outputs.insert({*terms.taker_change, terms.taker_change_value});
    for (const auto& m : terms.makers) {
        expected_outputs.insert({m.cj_script, terms.cj_amount});
        expected_outputs.insert({m.change_script, m.change(terms.cj_amount)});
    }
    if (tx.outputs.size() != expected_outputs.size()) return broken("the output count is wrong");
    std::int64_t out_total = 0, to_destination = 0;
    for (const auto& out : tx.outputs) {
        auto it = expected_outputs.find({out.script_pubkey, out.value});
        if (it == expected_outputs.end()) return broken("an output pays what was not agreed");
        expected_outputs.erase(it);
        if (out.script_pubkey == terms.destination) to_destination += out.value;
        out_total += out.value;
    }
    if (to_destination != terms.cj_amount) return broken("the destination is not paid exactly the amount");
    if (!terms.taker_change) {
        // A sweep: nothing of ours may come back except through the destination.
    }
    if (terms.makerFees() > terms.max_maker_fees) return broken("the makers' fees exceed the limits");
    auto fee = in_total - out_total;
    if (fee <= 0) return broken("the mining fee is not positive");
    auto vsize = static_cast<std::int64_t>(tx.vsize());
    // Unsigned: count ~108 weight units of witness per input.
    auto signed_vsize = vsize + static_cast<std::int64_t>(tx.inputs.size()) * 27;
    if (fee * 1000 > absurd_fee_per_kb * signed_vsize) return broken("the mining fee is absurd");
    return {};
}

} // namespace jm::plugins::taker
