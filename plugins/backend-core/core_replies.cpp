#include "core_replies.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>

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

WalletActivity readTransactions(const json::value& reply, jm::bitcoin::Network network) {
    WalletActivity out;
    auto* list = reply.if_array();
    if (!list) return out;
    std::map<std::string, std::size_t> index;
    for (const auto& t : *list) {
        auto txid = jsonText(t, "txid");
        if (txid.size() != 64) continue;
        auto [it, inserted] = index.try_emplace(txid, out.history.size());
        if (inserted) out.history.push_back({txid, 0, 0, 0, 0});
        auto& w = out.history[it->second];
        auto* amount_field = jsonMember(t, "amount");
        auto amount = amount_field ? satoshis(*amount_field).value_or(0) : 0;
        auto category = jsonText(t, "category");
        if (category == "send") {
            w.spent += -amount;
        } else if (category == "receive" || category == "generate" || category == "immature") {
            w.received += amount;
            // Addresses of inactive descriptors are not in Core's address book, so
            // listreceivedbyaddress misses them: the receive entries tell.
            if (auto script = jm::bitcoin::addressToScript(jsonText(t, "address"), network))
                out.receiving.insert(std::move(*script));
        }
        w.confirmations = int32(t, "confirmations");
        w.time = jsonInt(t, "time").value_or(0);
    }
    return out;
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

std::map<std::string, std::int64_t> readDescriptors(const json::value& reply) {
    std::map<std::string, std::int64_t> have;
    auto* list = jsonMember(reply, "descriptors");
    if (!list || !list->is_array()) return have;
    for (const auto& d : list->as_array()) {
        auto desc = jsonText(d, "desc");
        desc = desc.substr(0, desc.find('#'));
        if (desc.empty()) continue;
        std::int64_t end = 1;
        if (auto* range = jsonMember(d, "range");
            range && range->is_array() && range->as_array().size() == 2 && range->as_array()[1].is_int64())
            end = std::max<std::int64_t>(0, range->as_array()[1].as_int64()) + 1;
        have[desc] = std::max(have[desc], end);
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
