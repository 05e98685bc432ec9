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

} // namespace

TestChain::TestChain(EventBus* bus) : m_bus(bus) {}

std::string TestChain::hashAt(std::int32_t height) const {
    auto h = jm::bitcoin::sha256d(jm::bitcoin::asBytes("testchain block " + std::to_string(height)));
    return jm::bitcoin::toHex(jm::bitcoin::ByteView(h.data(), h.size()));
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
    return {tx.txid(), 0};
}

jm::sdk::Result<std::string> TestChain::submit(const jm::bitcoin::Bytes& raw) {
    auto tx = jm::bitcoin::parseTransaction(raw);
    if (!tx) return fail(errc::rejected, "TX decode failed: " + tx.error().message);
    std::lock_guard lock(m_mutex);
    return submitLocked(*tx, false);
}

jm::sdk::Result<std::string> TestChain::submitLocked(const jm::bitcoin::Transaction& tx, bool funding) {
    auto txid = tx.txidHex();
    if (m_txs.count(txid)) return fail(errc::rejected, "txn-already-known");
    if (tx.inputs.empty() || tx.outputs.empty()) return fail(errc::rejected, "bad-txns-vin-empty or vout-empty");
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
            auto coin = m_utxos.find(prevout);
            if (coin == m_utxos.end()) return fail(errc::rejected, "bad-txns-inputs-missingorspent");
            const auto& spk = coin->second.out.script_pubkey;
            auto type = jm::bitcoin::classifyScript(spk);
            bool ok = false;
            if (type == jm::bitcoin::ScriptType::P2WPKH)
                ok = jm::bitcoin::verifyP2wpkhInput(tx, i, spk, coin->second.out.value);
            else if (type == jm::bitcoin::ScriptType::P2WSH)
                ok = jm::bitcoin::verifyP2wshSingleKeyInput(tx, i, spk, coin->second.out.value);
            if (!ok)
                return fail(errc::rejected, "mandatory-script-verify-flag-failed (input " + std::to_string(i) + ")");
            in_total += coin->second.out.value;
        }
        for (const auto& o : tx.outputs) {
            if (o.value < 0) return fail(errc::rejected, "bad-txns-vout-negative");
            out_total += o.value;
        }
        if (in_total - out_total <= 0) return fail(errc::rejected, "min relay fee not met (fee must be positive)");
        for (const auto& in : tx.inputs)
            m_utxos.erase(in.prevout);
    }
    auto hash = tx.txid();
    for (std::uint32_t v = 0; v < tx.outputs.size(); ++v)
        m_utxos[{hash, v}] = Coin{tx.outputs[v], -1, funding};
    m_txs[txid] = Entry{tx, -1, 1'700'000'000 + m_height * 600};
    if (m_bus && m_watched.count(txid)) m_bus->publish(jm::sdk::events::TxSeen{txid});
    return txid;
}

void TestChain::mine(int blocks) {
    std::vector<std::function<void()>> events;
    {
        std::lock_guard lock(m_mutex);
        for (int b = 0; b < blocks; ++b) {
            ++m_height;
            for (auto& [txid, entry] : m_txs)
                if (entry.height < 0) {
                    entry.height = m_height;
                    entry.time = 1'700'000'000 + m_height * 600;
                }
            for (auto& [op, coin] : m_utxos)
                if (coin.height < 0) coin.height = m_height;
            if (m_bus) {
                m_bus->publish(jm::sdk::events::BlockConnected{m_height, hashAt(m_height)});
                for (const auto& txid : m_watched)
                    if (auto it = m_txs.find(txid); it != m_txs.end() && it->second.height > 0)
                        m_bus->publish(
                            jm::sdk::events::TxConfirmed{txid, m_height - it->second.height + 1, it->second.height});
            }
        }
    }
}

void TestChain::reorg(int blocks) {
    std::lock_guard lock(m_mutex);
    auto fork = std::max(0, m_height - blocks);
    for (auto& [txid, entry] : m_txs)
        if (entry.height > fork) {
            entry.height = -1;
            if (m_bus && m_watched.count(txid)) m_bus->publish(jm::sdk::events::TxReorged{txid});
        }
    for (auto& [op, coin] : m_utxos)
        if (coin.height > fork) coin.height = -1;
    m_height = fork;
}

std::int32_t TestChain::height() const {
    std::lock_guard lock(m_mutex);
    return m_height;
}

void TestChain::setFeeRate(std::int64_t sat_per_kvb) {
    std::lock_guard lock(m_mutex);
    m_feeRate = sat_per_kvb;
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
    std::set<jm::bitcoin::Script> watched(request.scripts.begin(), request.scripts.end());
    for (const auto& range : request.ranges) {
        auto xpub = jm::bitcoin::ExtendedKey::parse(range.xpub);
        if (!xpub) return complete<jm::chain::WalletScan>(ex, std::move(done), xpub.error());
        auto branch = xpub->derive(range.branch);
        if (!branch) return complete<jm::chain::WalletScan>(ex, std::move(done), branch.error());
        for (std::uint32_t i = 0; i < range.end; ++i)
            watched.insert(jm::bitcoin::p2wpkhScript(branch->derive(i).value().publicKey()));
    }
    if (progress) progress(0.5, "scanning the test chain");
    std::lock_guard lock(m_mutex);
    jm::chain::WalletScan scan;
    scan.tip = {m_height, hashAt(m_height)};
    std::set<jm::bitcoin::Script> used;
    for (const auto& [txid, entry] : m_txs) {
        jm::chain::WalletTx wtx;
        for (const auto& o : entry.tx.outputs)
            if (watched.count(o.script_pubkey)) {
                used.insert(o.script_pubkey);
                wtx.received += o.value;
            }
        for (const auto& in : entry.tx.inputs) {
            auto prev = m_txs.find(jm::bitcoin::OutPoint{in.prevout}.toString().substr(0, 64));
            if (prev == m_txs.end() || in.prevout.vout >= prev->second.tx.outputs.size()) continue;
            const auto& spent = prev->second.tx.outputs[in.prevout.vout];
            if (watched.count(spent.script_pubkey)) wtx.spent += spent.value;
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
    scan.used_scripts.assign(used.begin(), used.end());
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

void TestChain::watchTransaction(std::string txid) {
    std::lock_guard lock(m_mutex);
    m_watched.insert(std::move(txid));
}

} // namespace jm::sdk::testing
