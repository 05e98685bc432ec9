#include "core_replies.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <algorithm>
#include <cmath>

namespace jm::plugins::backend_core {

namespace json = boost::json;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

std::int32_t int32(const json::value& v, std::string_view key) {
    auto n = jsonInt(v, key).value_or(0);
    return static_cast<std::int32_t>(std::clamp<std::int64_t>(n, INT32_MIN, INT32_MAX));
}

bool flag(const json::value& v, std::string_view key) {
    auto* f = jsonMember(v, key);
    return f && f->is_bool() && f->as_bool();
}

constexpr std::int64_t MAX_MONEY = 21'000'000LL * 100'000'000LL;

} // namespace

const json::value* jsonMember(const json::value& v, std::string_view key) {
    auto* o = v.if_object();
    return o ? o->if_contains(key) : nullptr;
}

std::string jsonText(const json::value& v, std::string_view key) {
    auto* f = jsonMember(v, key);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

std::optional<std::int64_t> jsonInt(const json::value& v, std::string_view key) {
    auto* f = jsonMember(v, key);
    if (!f) return std::nullopt;
    if (f->is_int64()) return f->as_int64();
    if (f->is_uint64() && f->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(f->as_uint64());
    return std::nullopt;
}

std::optional<std::int64_t> satoshis(const json::value& btc) {
    double value = 0;
    if (btc.is_int64())
        value = static_cast<double>(btc.as_int64());
    else if (btc.is_uint64())
        value = static_cast<double>(btc.as_uint64());
    else if (btc.is_double())
        value = btc.as_double();
    else
        return std::nullopt;
    if (!std::isfinite(value) || std::fabs(value) > 21'000'000.0) return std::nullopt;
    auto sats = std::llround(value * 1e8);
    if (sats > MAX_MONEY || sats < -MAX_MONEY) return std::nullopt;
    return sats;
}

bool chainMatches(std::string_view core_chain, std::string_view network) {
    if (network == "mainnet") return core_chain == "main";
    if (network == "testnet") return core_chain == "test" || core_chain == "testnet4";
    return core_chain == network; // signet, regtest
}

jm::sdk::Result<ChainState> readChainState(const json::value& reply) {
    ChainState s;
    s.chain = jsonText(reply, "chain");
    s.best_hash = jsonText(reply, "bestblockhash");
    if (s.chain.empty() || s.best_hash.empty() || !jsonInt(reply, "blocks"))
        return fail(errc::protocol_error, "getblockchaininfo answer without chain, blocks or bestblockhash");
    s.blocks = int32(reply, "blocks");
    s.initial_block_download = flag(reply, "initialblockdownload");
    if (auto* vp = jsonMember(reply, "verificationprogress"); vp && vp->is_number())
        s.verification_progress = vp->to_number<double>();
    s.pruned = flag(reply, "pruned");
    s.prune_height = int32(reply, "pruneheight");
    return s;
}

std::vector<jm::chain::ChainUtxo> readUnspent(const json::value& reply) {
    std::vector<jm::chain::ChainUtxo> out;
    auto* list = reply.if_array();
    if (!list) return out;
    for (const auto& u : *list) {
        auto txid = jm::bitcoin::fromHex(jsonText(u, "txid"));
        auto spk = jm::bitcoin::fromHex(jsonText(u, "scriptPubKey"));
        auto vout = jsonInt(u, "vout");
        auto* amount = jsonMember(u, "amount");
        std::int64_t value = amount ? satoshis(*amount).value_or(-1) : -1;
        if (!txid || txid->size() != 32 || !spk || !vout || *vout < 0 || *vout > UINT32_MAX || value < 0) continue;
        jm::chain::ChainUtxo utxo;
        std::reverse_copy(txid->begin(), txid->end(), utxo.outpoint.txid.begin());
        utxo.outpoint.vout = static_cast<std::uint32_t>(*vout);
        utxo.value = value;
        utxo.script_pubkey = std::move(*spk);
        utxo.confirmations = std::max(0, int32(u, "confirmations"));
        out.push_back(std::move(utxo));
    }
    return out;
}

namespace {

bool isTxid(std::string_view text) {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

//! The first txid of an array member ("" when absent or empty).
std::string firstTxid(const json::value& v, std::string_view key) {
    auto* list = jsonMember(v, key);
    if (!list || !list->is_array()) return {};
    for (const auto& t : list->as_array())
        if (t.is_string() && isTxid(t.as_string())) return std::string(t.as_string());
    return {};
}

std::vector<jm::bitcoin::OutPoint> readInputs(const json::value& tx) {
    std::vector<jm::bitcoin::OutPoint> inputs;
    auto* vin = jsonMember(tx, "vin");
    if (!vin || !vin->is_array()) return inputs;
    for (const auto& in : vin->as_array()) {
        auto prev = jm::bitcoin::fromHex(jsonText(in, "txid"));
        auto vout = jsonInt(in, "vout");
        if (!prev || prev->size() != 32 || !vout || *vout < 0 || *vout > UINT32_MAX) continue; // coinbase
        jm::bitcoin::OutPoint op;
        std::reverse_copy(prev->begin(), prev->end(), op.txid.begin());
        op.vout = static_cast<std::uint32_t>(*vout);
        inputs.push_back(op);
    }
    return inputs;
}

} // namespace

WalletActivity readWalletTransactions(const json::value& reply, jm::bitcoin::Network network) {
    WalletActivity out;
    auto* list = jsonMember(reply, "transactions");
    if (!list || !list->is_array()) return out;
    struct Totals {
        jm::chain::WalletTx tx;
        std::set<std::int64_t> sent_vouts, received_vouts;
        std::int64_t sent_outputs = 0;
        std::int64_t fee = 0; // Core's "fee": our inputs minus all outputs, negated
        bool debit = false;
        bool excluded = false;
    };
    std::map<std::string, Totals> txs;
    for (const auto& t : list->as_array()) {
        auto txid = jsonText(t, "txid");
        if (!isTxid(txid)) continue;
        auto& w = txs[txid];
        w.tx.txid = txid;
        auto* amount_field = jsonMember(t, "amount");
        auto amount = amount_field ? satoshis(*amount_field).value_or(0) : 0;
        auto vout = jsonInt(t, "vout").value_or(-1);
        auto category = jsonText(t, "category");
        auto confirmations = int32(t, "confirmations");
        // Conflicted, abandoned, replaced (its conflict holds the mempool) or an orphaned coinbase:
        // it cannot confirm as things stand, and Core's balances leave it out too.
        if (confirmations < 0 || flag(t, "abandoned") || category == "orphan" ||
            (confirmations == 0 && !firstTxid(t, "mempoolconflicts").empty()))
            w.excluded = true;
        if (category == "send") {
            if (w.sent_vouts.insert(vout).second) w.sent_outputs += -amount;
            if (auto* fee = jsonMember(t, "fee")) w.fee = satoshis(*fee).value_or(0);
            w.debit = true;
        } else if (category == "receive" || category == "generate" || category == "immature") {
            if (w.received_vouts.insert(vout).second) w.tx.received += amount;
            if (category == "immature") w.tx.immature = true;
            // Outputs of imported descriptors are not in Core's address book, so only these
            // entries tell which of the wallet's scripts were paid.
            if (auto script = jm::bitcoin::addressToScript(jsonText(t, "address"), network))
                out.receiving.insert(std::move(*script));
        }
        w.tx.confirmations = confirmations;
        w.tx.time = jsonInt(t, "time").value_or(0);
    }
    for (auto& [txid, w] : txs) {
        if (w.excluded) continue;
        // With include_change every output of a transaction spending the wallet's coins has a
        // "send" entry, and Core's fee is those coins minus every output: together what left.
        if (w.debit) w.tx.spent = std::max<std::int64_t>(0, w.sent_outputs - w.fee);
        out.history.push_back(std::move(w.tx));
    }
    std::stable_sort(out.history.begin(), out.history.end(),
                     [](const auto& a, const auto& b) { return a.time < b.time; });
    return out;
}

jm::chain::TxSighting readWalletTxSighting(const json::value& reply, bool& in_mempool_unknown,
                                           std::vector<jm::bitcoin::OutPoint>& inputs) {
    using Where = jm::chain::TxSighting::Where;
    jm::chain::TxSighting s;
    in_mempool_unknown = false;
    if (auto* decoded = jsonMember(reply, "decoded")) inputs = readInputs(*decoded);
    auto confirmations = int32(reply, "confirmations");
    if (confirmations > 0) {
        s.where = Where::Chain;
        s.confirmations = confirmations;
        s.height = int32(reply, "blockheight");
        s.block_hash = jsonText(reply, "blockhash");
    } else if (confirmations < 0) {
        // A conflicting transaction is that many blocks deep.
        s.where = Where::Conflicted;
        s.confirmations = -confirmations;
        s.conflicting_txid = firstTxid(reply, "walletconflicts");
    } else if (auto replacement = firstTxid(reply, "mempoolconflicts"); !replacement.empty()) {
        s.where = Where::Conflicted;
        s.conflicting_txid = replacement;
    } else {
        s.where = Where::Mempool;
        in_mempool_unknown = true;
    }
    return s;
}

jm::sdk::Result<jm::chain::TxSighting> readRawTxSighting(const json::value& reply, std::int32_t tip_height,
                                                         std::vector<jm::bitcoin::OutPoint>& inputs) {
    if (!isTxid(jsonText(reply, "txid"))) return fail(errc::protocol_error, "getrawtransaction answer without txid");
    jm::chain::TxSighting s;
    inputs = readInputs(reply);
    auto confirmations = int32(reply, "confirmations");
    auto* in_active_chain = jsonMember(reply, "in_active_chain");
    if (in_active_chain && in_active_chain->is_bool() && !in_active_chain->as_bool()) {
        s.where = jm::chain::TxSighting::Where::Nowhere; // in a block that left the best chain
    } else if (confirmations > 0) {
        s.where = jm::chain::TxSighting::Where::Chain;
        s.confirmations = confirmations;
        s.height = tip_height - confirmations + 1;
        s.block_hash = jsonText(reply, "blockhash");
    } else {
        s.where = jm::chain::TxSighting::Where::Mempool;
    }
    return s;
}

jm::sdk::Result<BlockSpends> readBlockSpends(const json::value& reply) {
    BlockSpends b;
    b.hash = jsonText(reply, "hash");
    auto height = jsonInt(reply, "height");
    if (!isTxid(b.hash) || !height || *height < 0 || *height > INT32_MAX)
        return fail(errc::protocol_error, "getblock answer without hash or height");
    b.height = static_cast<std::int32_t>(*height);
    b.previous = jsonText(reply, "previousblockhash");
    auto* txs = jsonMember(reply, "tx");
    if (!txs || !txs->is_array()) return fail(errc::protocol_error, "getblock answer without transactions");
    for (const auto& tx : txs->as_array()) {
        auto txid = jsonText(tx, "txid");
        if (!isTxid(txid)) continue;
        b.txs.push_back({std::move(txid), readInputs(tx)});
    }
    return b;
}

std::optional<std::pair<std::string, std::string>> readOtherSpender(const json::value& reply, const std::string& txid) {
    auto* list = reply.if_array();
    if (!list) return std::nullopt;
    for (const auto& o : *list) {
        auto spender = jsonText(o, "spendingtxid");
        if (isTxid(spender) && spender != txid) return std::make_pair(spender, jsonText(o, "blockhash"));
    }
    return std::nullopt;
}

jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> readTxOut(const json::value& reply) {
    if (reply.is_null()) return std::optional<jm::chain::TxOutInfo>{};
    const auto* value = jsonMember(reply, "value");
    const auto* spk = jsonMember(reply, "scriptPubKey");
    if (!value || !spk) return fail(errc::protocol_error, "malformed gettxout answer");
    auto script = jm::bitcoin::fromHex(jsonText(*spk, "hex"));
    jm::chain::TxOutInfo info;
    info.value = satoshis(*value).value_or(-1);
    if (info.value < 0 || !script) return fail(errc::protocol_error, "malformed gettxout answer");
    info.script_pubkey = std::move(*script);
    info.confirmations = std::max(0, int32(reply, "confirmations"));
    info.coinbase = flag(reply, "coinbase");
    return std::optional<jm::chain::TxOutInfo>(std::move(info));
}

std::map<std::string, DescriptorState> readDescriptors(const json::value& reply) {
    std::map<std::string, DescriptorState> have;
    auto* list = jsonMember(reply, "descriptors");
    if (!list || !list->is_array()) return have;
    for (const auto& d : list->as_array()) {
        auto desc = jsonText(d, "desc");
        desc = desc.substr(0, desc.find('#'));
        if (desc.empty()) continue;
        DescriptorState state;
        if (auto* range = jsonMember(d, "range");
            range && range->is_array() && range->as_array().size() == 2 && range->as_array()[1].is_int64())
            state.end = std::max<std::int64_t>(0, range->as_array()[1].as_int64()) + 1;
        state.next = std::max<std::int64_t>(0, jsonInt(d, "next_index").value_or(jsonInt(d, "next").value_or(0)));
        state.timestamp = std::max<std::int64_t>(0, jsonInt(d, "timestamp").value_or(0));
        auto& kept = have[desc];
        kept.end = std::max(kept.end, state.end);
        kept.next = std::max(kept.next, state.next);
        kept.timestamp = std::max(kept.timestamp, state.timestamp);
    }
    return have;
}

std::string importFailure(const json::value& reply) {
    auto* results = reply.if_array();
    if (!results) return "importdescriptors did not answer with a list";
    for (const auto& item : *results) {
        if (flag(item, "success")) continue;
        auto* e = jsonMember(item, "error");
        auto why = e ? jsonText(*e, "message") : std::string();
        return why.empty() ? "unknown reason" : why.substr(0, 500);
    }
    return {};
}

} // namespace jm::plugins::backend_core
