#include <jm/sdk/testing/test_chain.hpp>

#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/sdk/events.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>

namespace jm::sdk::testing {

using jm::bitcoin::OutPoint;

namespace {

template <class T> void complete(Executor ex, jm::chain::Callback<T> done, Result<T> result) {
    boost::asio::post(ex, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

std::string txidOf(const OutPoint& op) { return op.toString().substr(0, 64); }

} // namespace

TestChain::TestChain(EventBus* bus) : m_bus(bus) {
    auto genesis = jm::bitcoin::sha256d(jm::bitcoin::asBytes("testchain genesis"));
    m_blockHashes.push_back(jm::bitcoin::toHex(jm::bitcoin::ByteView(genesis.data(), genesis.size())));
}

std::string TestChain::hashAt(std::int32_t height) const {
    return height >= 0 && static_cast<std::size_t>(height) < m_blockHashes.size() ? m_blockHashes[height] : "";
}

OutPoint TestChain::fund(const jm::bitcoin::Script& script, std::int64_t value) {
    std::lock_guard lock(m_mutex);
    jm::bitcoin::Transaction tx;
    jm::bitcoin::TxIn in; // coinbase-like: a null prevout with a unique script_sig
    in.prevout.vout = 0xffffffff;
    jm::bitcoin::pushNumber(in.script_sig, static_cast<std::int64_t>(++m_fundingCounter));
    tx.inputs.push_back(in);
    tx.outputs.push_back({value, script});
    auto txid = submitLocked(tx, true).value();
    updateWatches();
    return {tx.txid(), 0};
}

jm::sdk::Result<std::string> TestChain::submit(const jm::bitcoin::Bytes& raw) {
    auto tx = jm::bitcoin::parseTransaction(raw);
    if (!tx) return fail(errc::rejected, "TX decode failed: " + tx.error().message);
    std::lock_guard lock(m_mutex);
    auto txid = submitLocked(*tx, false);
    if (txid) updateWatches();
    return txid;
}

const jm::bitcoin::TxOut* TestChain::prevOut(const OutPoint& op) const {
    auto prev = m_txs.find(txidOf(op));
    if (prev == m_txs.end() || op.vout >= prev->second.tx.outputs.size()) return nullptr;
    return &prev->second.tx.outputs[op.vout];
}

std::int64_t TestChain::feeOf(const Entry& e) const {
    if (e.funding) return 0;
    std::int64_t fee = 0;
    for (const auto& in : e.tx.inputs)
        if (const auto* out = prevOut(in.prevout)) fee += out->value;
    for (const auto& o : e.tx.outputs)
        fee -= o.value;
    return fee;
}

std::set<std::string> TestChain::withDescendants(std::set<std::string> txids) const {
    std::vector<std::string> todo(txids.begin(), txids.end());
    while (!todo.empty()) {
        auto txid = todo.back();
        todo.pop_back();
        auto it = m_txs.find(txid);
        if (it == m_txs.end()) continue;
        for (std::uint32_t v = 0; v < it->second.tx.outputs.size(); ++v)
            if (auto spender = m_spentBy.find({it->second.tx.txid(), v}); spender != m_spentBy.end())
                if (txids.insert(spender->second).second) todo.push_back(spender->second);
    }
    return txids;
}

void TestChain::evict(const std::set<std::string>& txids, const std::string& replaced_by) {
    for (const auto& txid : txids) {
        auto it = m_txs.find(txid);
        if (it == m_txs.end()) continue;
        auto hash = it->second.tx.txid();
        for (std::uint32_t v = 0; v < it->second.tx.outputs.size(); ++v)
            m_utxos.erase({hash, v});
        if (!replaced_by.empty()) m_replacedBy[txid] = replaced_by;
    }
    // Inputs spent by the evicted ones and not by another evicted one are unspent again.
    for (const auto& txid : txids) {
        auto it = m_txs.find(txid);
        if (it == m_txs.end() || it->second.funding) continue;
        for (const auto& in : it->second.tx.inputs) {
            m_spentBy.erase(in.prevout);
            auto parent = m_txs.find(txidOf(in.prevout));
            if (parent == m_txs.end() || txids.count(parent->first)) continue;
            m_utxos[in.prevout] =
                Coin{parent->second.tx.outputs[in.prevout.vout], parent->second.height, parent->second.funding};
        }
    }
    for (const auto& txid : txids)
        m_txs.erase(txid);
}

jm::sdk::Result<std::string> TestChain::submitLocked(const jm::bitcoin::Transaction& tx, bool funding) {
    auto txid = tx.txidHex();
    if (m_txs.count(txid)) return fail(errc::rejected, "txn-already-known");
    if (tx.inputs.empty() || tx.outputs.empty()) return fail(errc::rejected, "bad-txns-vin-empty or vout-empty");
    std::set<std::string> conflicts;
    std::int64_t fee = 0;
    if (!funding) {
        // Finality as Core's IsFinalTx for the next block: a height locktime must be below
        // tip + 1, a time locktime below the median time past, unless every sequence is final.
        if (tx.locktime != 0) {
            std::int64_t cutoff = tx.locktime < 500'000'000u
                                      ? std::int64_t{m_height} + 1
                                      : 1'700'000'000 + std::int64_t{std::max(0, m_height - 5)} * 600;
            bool all_final = std::all_of(tx.inputs.begin(), tx.inputs.end(),
                                         [](const jm::bitcoin::TxIn& in) { return in.sequence == 0xffffffff; });
            if (std::int64_t{tx.locktime} >= cutoff && !all_final) return fail(errc::rejected, "non-final");
        }
        std::int64_t in_total = 0, out_total = 0;
        std::set<OutPoint> seen;
        for (std::size_t i = 0; i < tx.inputs.size(); ++i) {
            const auto& prevout = tx.inputs[i].prevout;
            if (!seen.insert(prevout).second) return fail(errc::rejected, "bad-txns-inputs-duplicate");
            const jm::bitcoin::TxOut* spent = nullptr;
            if (auto coin = m_utxos.find(prevout); coin != m_utxos.end()) {
                spent = &coin->second.out;
            } else if (auto spender = m_spentBy.find(prevout);
                       spender != m_spentBy.end() && m_txs.at(spender->second).height < 0) {
                conflicts.insert(spender->second); // spent by an unconfirmed one: a replacement
                spent = prevOut(prevout);
            }
            if (!spent) return fail(errc::rejected, "bad-txns-inputs-missingorspent");
            auto type = jm::bitcoin::classifyScript(spent->script_pubkey);
            bool ok = false;
            if (type == jm::bitcoin::ScriptType::P2WPKH)
                ok = jm::bitcoin::verifyP2wpkhInput(tx, i, spent->script_pubkey, spent->value);
            else if (type == jm::bitcoin::ScriptType::P2WSH)
                ok = jm::bitcoin::verifyP2wshSingleKeyInput(tx, i, spent->script_pubkey, spent->value);
            if (!ok)
                return fail(errc::rejected, "mandatory-script-verify-flag-failed (input " + std::to_string(i) + ")");
            in_total += spent->value;
        }
        for (const auto& o : tx.outputs) {
            if (o.value < 0) return fail(errc::rejected, "bad-txns-vout-negative");
            out_total += o.value;
        }
        fee = in_total - out_total;
        if (fee <= 0) return fail(errc::rejected, "min relay fee not met (fee must be positive)");
    }
    if (!conflicts.empty()) {
        auto replaced = withDescendants(conflicts);
        for (const auto& in : tx.inputs)
            if (replaced.count(txidOf(in.prevout))) return fail(errc::rejected, "bad-txns-spends-conflicting-tx");
        std::int64_t replaced_fees = 0;
        for (const auto& r : replaced)
            replaced_fees += feeOf(m_txs.at(r));
        if (fee <= replaced_fees)
            return fail(errc::rejected, "insufficient fee, rejecting replacement " + txid +
                                            "; new fee not higher than the replaced transactions'");
        evict(replaced, txid);
    }
    auto hash = tx.txid();
    if (!funding)
        for (const auto& in : tx.inputs) {
            m_utxos.erase(in.prevout);
            m_spentBy[in.prevout] = txid;
        }
    for (std::uint32_t v = 0; v < tx.outputs.size(); ++v) {
        m_utxos[{hash, v}] = Coin{tx.outputs[v], -1, funding};
        m_paid.insert(tx.outputs[v].script_pubkey);
    }
    m_txs[txid] = Entry{tx, -1, 1'700'000'000 + m_height * 600, funding};
    m_replacedBy.erase(txid);
    return txid;
}

jm::sdk::Result<void> TestChain::drop(const std::string& txid) {
    std::lock_guard lock(m_mutex);
    auto it = m_txs.find(txid);
    if (it == m_txs.end() || it->second.height >= 0) return fail(errc::not_found, txid + " is not in the mempool");
    evict(withDescendants({txid}), "");
    updateWatches();
    return {};
}

void TestChain::mine(int blocks) {
    std::lock_guard lock(m_mutex);
    for (int b = 0; b < blocks; ++b) {
        ++m_height;
        auto h = jm::bitcoin::sha256d(jm::bitcoin::asBytes("testchain block " + std::to_string(++m_blocksMined)));
        m_blockHashes.resize(static_cast<std::size_t>(m_height));
        m_blockHashes.push_back(jm::bitcoin::toHex(jm::bitcoin::ByteView(h.data(), h.size())));
        for (auto& [txid, entry] : m_txs)
            if (entry.height < 0) {
                entry.height = m_height;
                entry.time = 1'700'000'000 + m_height * 600;
            }
        for (auto& [op, coin] : m_utxos)
            if (coin.height < 0) coin.height = m_height;
        if (m_bus) m_bus->publish(jm::sdk::events::BlockConnected{m_height, hashAt(m_height)});
        updateWatches();
    }
}

void TestChain::reorg(int blocks) {
    std::lock_guard lock(m_mutex);
    auto fork = std::max(0, m_height - blocks);
    for (auto& [txid, entry] : m_txs)
        if (entry.height > fork) entry.height = -1;
    for (auto& [op, coin] : m_utxos)
        if (coin.height > fork) coin.height = -1;
    m_height = fork;
    m_blockHashes.resize(static_cast<std::size_t>(fork) + 1);
    updateWatches();
}

jm::chain::TxSighting TestChain::sightingOf(const std::string& txid) const {
    using Where = jm::chain::TxSighting::Where;
    jm::chain::TxSighting s;
    if (auto it = m_txs.find(txid); it != m_txs.end()) {
        if (it->second.height < 0) {
            s.where = Where::Mempool;
        } else {
            s.where = Where::Chain;
            s.height = it->second.height;
            s.confirmations = m_height - it->second.height + 1;
            s.block_hash = hashAt(it->second.height);
        }
        return s;
    }
    // Replaced: the conflict is the latest replacement still accepted.
    auto id = txid;
    for (int hops = 0; hops < 100; ++hops) {
        auto r = m_replacedBy.find(id);
        if (r == m_replacedBy.end()) break;
        id = r->second;
        if (auto it = m_txs.find(id); it != m_txs.end()) {
            s.where = Where::Conflicted;
            s.conflicting_txid = id;
            s.confirmations = it->second.height < 0 ? 0 : m_height - it->second.height + 1;
            return s;
        }
    }
    return s; // Nowhere
}

void TestChain::updateWatches() {
    for (auto it = m_watches.begin(); it != m_watches.end();) {
        auto event = it->second.observe(sightingOf(it->first));
        if (event && m_bus) m_bus->publish(std::move(*event));
        it = it->second.finished() ? m_watches.erase(it) : std::next(it);
    }
}

std::int32_t TestChain::height() const {
    std::lock_guard lock(m_mutex);
    return m_height;
}

void TestChain::setFeeRate(std::int64_t sat_per_kvb) {
    std::lock_guard lock(m_mutex);
    m_feeRate = sat_per_kvb;
}

void TestChain::setWatchAhead(std::uint32_t ahead) {
    std::lock_guard lock(m_mutex);
    m_watchAhead = ahead;
}

jm::chain::WatchRequest TestChain::lastRequest() const {
    std::lock_guard lock(m_mutex);
    return m_lastRequest;
}

std::size_t TestChain::mempoolSize() const {
    std::lock_guard lock(m_mutex);
    std::size_t n = 0;
    for (const auto& [txid, e] : m_txs)
        n += e.height < 0 ? 1 : 0;
    return n;
}

void TestChain::tip(Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) {
    std::lock_guard lock(m_mutex);
    complete<jm::chain::ChainTip>(ex, std::move(done), jm::chain::ChainTip{m_height, hashAt(m_height)});
}

void TestChain::scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, Executor ex,
                           jm::chain::Callback<jm::chain::WalletScan> done) {
    std::uint32_t ahead = 0;
    {
        std::lock_guard lock(m_mutex);
        m_lastRequest = request;
        ahead = m_watchAhead;
    }
    std::set<jm::bitcoin::Script> watched(request.scripts.begin(), request.scripts.end());
    std::map<jm::bitcoin::Script, std::pair<std::size_t, std::uint32_t>> position; // range, index
    for (std::size_t r = 0; r < request.ranges.size(); ++r) {
        const auto& range = request.ranges[r];
        auto xpub = jm::bitcoin::ExtendedKey::parse(range.xpub);
        if (!xpub) return complete<jm::chain::WalletScan>(ex, std::move(done), xpub.error());
        auto branch = xpub->derive(range.branch);
        if (!branch) return complete<jm::chain::WalletScan>(ex, std::move(done), branch.error());
        for (std::uint32_t i = 0; i < range.end + ahead; ++i) {
            auto script = jm::bitcoin::p2wpkhScript(branch->derive(i).value().publicKey());
            watched.insert(script);
            position.emplace(script, std::make_pair(r, i));
        }
    }
    if (progress) progress(0.5, "scanning the test chain");
    std::lock_guard lock(m_mutex);
    jm::chain::WalletScan scan;
    scan.tip = {m_height, hashAt(m_height)};
    for (const auto& [txid, entry] : m_txs) {
        jm::chain::WalletTx wtx;
        for (const auto& o : entry.tx.outputs)
            if (watched.count(o.script_pubkey)) wtx.received += o.value;
        if (!entry.funding)
            for (const auto& in : entry.tx.inputs) {
                const auto* spent = prevOut(in.prevout);
                if (spent && watched.count(spent->script_pubkey)) wtx.spent += spent->value;
            }
        if (wtx.received == 0 && wtx.spent == 0) continue;
        wtx.txid = txid;
        wtx.confirmations = entry.height < 0 ? 0 : m_height - entry.height + 1;
        wtx.time = entry.time;
        scan.history.push_back(wtx);
    }
    for (const auto& [op, coin] : m_utxos)
        if (watched.count(coin.out.script_pubkey))
            scan.utxos.push_back(
                {op, coin.out.value, coin.out.script_pubkey, coin.height < 0 ? 0 : m_height - coin.height + 1});
    std::vector<std::uint32_t> used_end(request.ranges.size(), 0);
    for (const auto& script : m_paid) {
        if (!watched.count(script)) continue;
        scan.used_scripts.push_back(script);
        if (auto p = position.find(script); p != position.end())
            used_end[p->second.first] = std::max(used_end[p->second.first], p->second.second + 1);
    }
    for (std::size_t r = 0; r < request.ranges.size(); ++r)
        scan.ranges.push_back({request.ranges[r].xpub, request.ranges[r].branch, used_end[r]});
    complete<jm::chain::WalletScan>(ex, std::move(done), std::move(scan));
}

void TestChain::getTxOut(OutPoint outpoint, Executor ex,
                         jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    std::lock_guard lock(m_mutex);
    std::optional<jm::chain::TxOutInfo> info;
    if (auto it = m_utxos.find(outpoint); it != m_utxos.end())
        info = jm::chain::TxOutInfo{it->second.out.value, it->second.out.script_pubkey,
                                    it->second.height < 0 ? 0 : m_height - it->second.height + 1, it->second.coinbase};
    complete<std::optional<jm::chain::TxOutInfo>>(ex, std::move(done), std::move(info));
}

void TestChain::getTransaction(std::string txid, Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) {
    std::lock_guard lock(m_mutex);
    auto it = m_txs.find(txid);
    if (it == m_txs.end())
        return complete<jm::bitcoin::Bytes>(ex, std::move(done), fail(errc::not_found, "no such transaction " + txid));
    complete<jm::bitcoin::Bytes>(ex, std::move(done), it->second.tx.serialize());
}

void TestChain::broadcast(jm::bitcoin::Bytes tx, Executor ex, jm::chain::Callback<std::string> done) {
    complete<std::string>(ex, std::move(done), submit(tx));
}

void TestChain::estimateFee(int, Executor ex, jm::chain::Callback<std::int64_t> done) {
    std::lock_guard lock(m_mutex);
    complete<std::int64_t>(ex, std::move(done), m_feeRate);
}

void TestChain::watchTransaction(std::string txid, std::int32_t final_depth) {
    std::lock_guard lock(m_mutex);
    if (auto it = m_watches.find(txid); it != m_watches.end())
        it->second.setFinalDepth(final_depth);
    else
        m_watches.emplace(txid, jm::chain::TxWatch(txid, final_depth));
    updateWatches();
}

void TestChain::unwatchTransaction(std::string txid) {
    std::lock_guard lock(m_mutex);
    m_watches.erase(txid);
}

} // namespace jm::sdk::testing
