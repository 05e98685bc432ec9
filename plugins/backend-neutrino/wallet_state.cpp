#include "wallet_state.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/bitcoin/sighash.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Hash256;
using jm::bitcoin::OutPoint;
using jm::bitcoin::Script;
using jm::sdk::errc;
using jm::sdk::fail;
namespace json = boost::json;

namespace {

// A coinbase output can be spent once it is 100 blocks deep in a later block: Core's wallet
// counts it immature while its depth is below COINBASE_MATURITY + 1.
constexpr std::int32_t COINBASE_MATURITY = 100;

std::string hex(const Hash256& h) { return jm::bitcoin::toHex(jm::bitcoin::ByteView(h.data(), h.size())); }

std::optional<Hash256> unhex(std::string_view text) {
    auto bytes = jm::bitcoin::fromHex(text);
    if (!bytes || bytes->size() != 32) return std::nullopt;
    Hash256 h;
    std::copy(bytes->begin(), bytes->end(), h.begin());
    return h;
}

// Wallet ids are hex-encoded in keys so that one id can never be a key prefix of another's.
std::string stateKey(const std::string& wallet_id) {
    return "w/" + jm::bitcoin::toHex(jm::bitcoin::asBytes(wallet_id));
}
std::string txPrefix(const std::string& wallet_id) {
    return "t/" + jm::bitcoin::toHex(jm::bitcoin::asBytes(wallet_id)) + "/";
}

// The input of a coinbase (and of coins made out of nothing in test chains) spends no output.
bool spendsNothing(const OutPoint& prevout) { return prevout.vout == 0xffffffff && prevout.txid == Hash256{}; }

std::int64_t intOf(const json::object& o, std::string_view key, std::int64_t fallback) {
    auto* v = o.if_contains(key);
    if (!v) return fallback;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    return fallback;
}
std::string textOf(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

} // namespace

WalletState::WalletState(std::string wallet_id, std::int32_t from_height, std::uint32_t gap) :
    m_walletId(std::move(wallet_id)), m_from(from_height), m_scanned(from_height - 1), m_gap(gap) {}

void WalletState::setScanned(std::int32_t height, const Hash256& hash) {
    m_scanned = height;
    m_scannedHash = hash;
}

jm::sdk::Result<std::optional<WalletState>> WalletState::load(jm::sdk::KvStore& store, const std::string& wallet_id,
                                                              std::uint32_t gap) {
    auto text = store.get(stateKey(wallet_id));
    if (!text) return text.error();
    if (!text->has_value()) return std::optional<WalletState>();
    boost::system::error_code ec;
    auto v = json::parse(**text, ec);
    if (ec || !v.is_object()) return std::optional<WalletState>();
    const auto& o = v.as_object();
    WalletState state(wallet_id, static_cast<std::int32_t>(intOf(o, "from", 0)), gap);
    auto scanned_hash = unhex(textOf(o, "hash"));
    state.m_scanned = static_cast<std::int32_t>(intOf(o, "scanned", state.m_from - 1));
    if (scanned_hash) state.m_scannedHash = *scanned_hash;
    if (state.m_scanned >= state.m_from && !scanned_hash) return std::optional<WalletState>();
    if (auto* ranges = o.if_contains("ranges"); ranges && ranges->is_array())
        for (const auto& r : ranges->as_array()) {
            if (!r.is_object()) return std::optional<WalletState>();
            auto xpub = jm::bitcoin::ExtendedKey::parse(textOf(r.as_object(), "xpub"));
            auto branch = intOf(r.as_object(), "branch", -1);
            auto covered = intOf(r.as_object(), "covered", -1);
            auto derived = intOf(r.as_object(), "derived", -1);
            if (!xpub || branch < 0 || branch > INT32_MAX || covered < 0 || derived < covered || derived > UINT32_MAX)
                return std::optional<WalletState>();
            auto key = xpub->derive(static_cast<std::uint32_t>(branch));
            if (!key) return std::optional<WalletState>();
            state.m_ranges.push_back({textOf(r.as_object(), "xpub"), static_cast<std::uint32_t>(branch),
                                      std::move(*key), 0, static_cast<std::uint32_t>(covered), 0});
            auto i = state.m_ranges.size() - 1;
            // Scripts [covered, derived) were being matched when the scan stopped: scanned again.
            if (!state.deriveTo(i, static_cast<std::uint32_t>(derived))) return std::optional<WalletState>();
        }
    if (auto* singles = o.if_contains("singles"); singles && singles->is_array())
        for (const auto& s : singles->as_array()) {
            auto script = s.is_string() ? jm::bitcoin::fromHex(s.as_string())
                                        : jm::sdk::Result<jm::bitcoin::Bytes>(fail(errc::invalid_argument, ""));
            if (!script) return std::optional<WalletState>();
            state.m_singles.insert(*script);
            state.m_coveredSingles.insert(*script);
        }
    bool broken = false;
    auto listed = store.iterate(txPrefix(wallet_id), [&](std::string_view, std::string_view value) {
        boost::system::error_code pec;
        auto t = json::parse(value, pec);
        auto* to = t.if_object();
        auto raw = to ? jm::bitcoin::fromHex(textOf(*to, "hex"))
                      : jm::sdk::Result<jm::bitcoin::Bytes>(fail(errc::invalid_argument, ""));
        auto tx = raw ? jm::bitcoin::parseTransaction(*raw) : jm::sdk::Result<jm::bitcoin::Transaction>(raw.error());
        if (pec || !tx) {
            broken = true;
            return false;
        }
        WalletTxRecord r;
        r.tx = std::move(*tx);
        r.height = static_cast<std::int32_t>(intOf(*to, "height", -1));
        if (auto block = unhex(textOf(*to, "block"))) r.block = *block;
        r.time = intOf(*to, "time", 0);
        r.coinbase = intOf(*to, "coinbase", 0) != 0;
        auto txid = r.tx.txid();
        state.noteUses(r.tx);
        state.insert(txid, std::move(r));
        return true;
    });
    if (!listed) return listed.error();
    // An unreadable transaction: the whole wallet is scanned again rather than reported wrong.
    if (broken) return std::optional<WalletState>();
    return std::optional<WalletState>(std::move(state));
}

jm::sdk::Result<void> WalletState::save(jm::sdk::KvStore& store) {
    json::array ranges, singles;
    for (const auto& r : m_ranges)
        ranges.push_back(
            json::object{{"xpub", r.xpub}, {"branch", r.branch}, {"covered", r.covered}, {"derived", r.derived}});
    // Only matched singles are kept: one not matched yet is asked for again by the next request.
    for (const auto& s : m_coveredSingles)
        singles.push_back(json::value(jm::bitcoin::toHex(s)));
    json::object state{{"v", 1},           {"from", m_from},    {"scanned", m_scanned}, {"hash", hex(m_scannedHash)},
                       {"ranges", ranges}, {"singles", singles}};
    jm::sdk::WriteBatch batch;
    batch.put(stateKey(m_walletId), json::serialize(state));
    auto prefix = txPrefix(m_walletId);
    for (const auto& txid : m_erased)
        batch.erase(prefix + hex(txid));
    for (const auto& txid : m_dirty) {
        auto it = m_txs.find(txid);
        if (it == m_txs.end()) continue;
        const auto& r = it->second;
        json::object t{{"hex", jm::bitcoin::toHex(r.tx.serialize())},
                       {"height", r.height},
                       {"block", hex(r.block)},
                       {"time", r.time},
                       {"coinbase", r.coinbase ? 1 : 0}};
        batch.put(prefix + hex(txid), json::serialize(t));
    }
    if (auto w = store.write(batch); !w) return w.error();
    m_dirty.clear();
    m_erased.clear();
    return {};
}

jm::sdk::Result<void> WalletState::erase(jm::sdk::KvStore& store, const std::string& wallet_id) {
    jm::sdk::WriteBatch batch;
    batch.erase(stateKey(wallet_id));
    auto listed = store.iterate(txPrefix(wallet_id), [&](std::string_view key, std::string_view) {
        batch.erase(key);
        return true;
    });
    if (!listed) return listed.error();
    return store.write(batch);
}

jm::sdk::Result<void> WalletState::deriveTo(std::size_t range, std::uint32_t end) {
    auto& r = m_ranges[range];
    // Non-hardened child indices stop at 2^31.
    end = std::min<std::uint32_t>(end, 0x80000000u);
    for (; r.derived < end; ++r.derived) {
        auto child = r.key->derive(r.derived);
        if (!child) return child.error();
        m_positions.emplace(jm::bitcoin::p2wpkhScript(child->publicKey()), std::make_pair(range, r.derived));
    }
    return {};
}

jm::sdk::Result<void> WalletState::track(const jm::chain::WatchRequest& request) {
    for (const auto& wanted : request.ranges) {
        auto it = std::find_if(m_ranges.begin(), m_ranges.end(),
                               [&](const Range& r) { return r.xpub == wanted.xpub && r.branch == wanted.branch; });
        if (it == m_ranges.end()) {
            auto xpub = jm::bitcoin::ExtendedKey::parse(wanted.xpub);
            if (!xpub)
                return fail(errc::invalid_argument, "unusable xpub in the watch request: " + xpub.error().message);
            auto key = xpub->derive(wanted.branch);
            if (!key)
                return fail(errc::invalid_argument,
                            "cannot derive branch " + std::to_string(wanted.branch) + ": " + key.error().message);
            m_ranges.push_back({wanted.xpub, wanted.branch, std::move(*key), 0, 0, 0});
            it = m_ranges.end() - 1;
        }
        auto index = static_cast<std::size_t>(it - m_ranges.begin());
        auto end = std::max<std::uint64_t>(wanted.end, std::uint64_t{it->used_end} + m_gap);
        if (auto d = deriveTo(index, static_cast<std::uint32_t>(std::min<std::uint64_t>(end, UINT32_MAX))); !d)
            return d.error();
    }
    for (const auto& s : request.scripts)
        m_singles.insert(s);
    return {};
}

std::vector<jm::bitcoin::Bytes> WalletState::coveredScripts() const {
    std::vector<jm::bitcoin::Bytes> out;
    for (const auto& [script, pos] : m_positions)
        if (pos.second < m_ranges[pos.first].covered) out.push_back(script);
    out.insert(out.end(), m_coveredSingles.begin(), m_coveredSingles.end());
    return out;
}

std::vector<jm::bitcoin::Bytes> WalletState::allScripts() const {
    std::vector<jm::bitcoin::Bytes> out;
    for (const auto& [script, pos] : m_positions)
        out.push_back(script);
    out.insert(out.end(), m_singles.begin(), m_singles.end());
    return out;
}

WalletState::Uncovered WalletState::uncovered() const {
    Uncovered u;
    for (const auto& [script, pos] : m_positions)
        if (pos.second >= m_ranges[pos.first].covered) u.scripts.push_back(script);
    for (const auto& r : m_ranges)
        u.range_ends.push_back(r.derived);
    for (const auto& s : m_singles)
        if (!m_coveredSingles.count(s)) {
            u.scripts.push_back(s);
            u.singles.insert(s);
        }
    return u;
}

void WalletState::markCovered(const Uncovered& mark) {
    for (std::size_t i = 0; i < mark.range_ends.size() && i < m_ranges.size(); ++i)
        m_ranges[i].covered = std::max(m_ranges[i].covered, mark.range_ends[i]);
    m_coveredSingles.insert(mark.singles.begin(), mark.singles.end());
}

void WalletState::coverAll() { markCovered(uncovered()); }

bool WalletState::hasUncovered() const {
    for (const auto& r : m_ranges)
        if (r.covered < r.derived) return true;
    return m_coveredSingles.size() < m_singles.size();
}

bool WalletState::watched(const Script& script) const {
    return m_positions.count(script) != 0 || m_singles.count(script) != 0;
}

bool WalletState::owns(const OutPoint& outpoint) const {
    auto it = m_txs.find(outpoint.txid);
    return it != m_txs.end() && outpoint.vout < it->second.tx.outputs.size() &&
           watched(it->second.tx.outputs[outpoint.vout].script_pubkey);
}

bool WalletState::relevant(const jm::bitcoin::Transaction& tx) const {
    for (const auto& out : tx.outputs)
        if (watched(out.script_pubkey)) return true;
    for (const auto& in : tx.inputs)
        if (owns(in.prevout)) return true;
    return false;
}

bool WalletState::spendsAreSigned(const jm::bitcoin::Transaction& tx) const {
    for (std::size_t i = 0; i < tx.inputs.size(); ++i) {
        const auto& prevout = tx.inputs[i].prevout;
        if (!owns(prevout)) continue;
        const auto& out = m_txs.at(prevout.txid).tx.outputs[prevout.vout];
        const auto& script = out.script_pubkey;
        if (script.size() == 22 && script[0] == 0x00 && script[1] == 0x14) {
            if (!jm::bitcoin::verifyP2wpkhInput(tx, i, script, out.value)) return false;
        } else if (script.size() == 34 && script[0] == 0x00 && script[1] == 0x20) {
            if (!jm::bitcoin::verifyP2wshSingleKeyInput(tx, i, script, out.value)) return false;
        }
    }
    return true;
}

void WalletState::noteUse(const Script& script) {
    auto pos = m_positions.find(script);
    if (pos == m_positions.end()) return;
    auto& r = m_ranges[pos->second.first];
    r.used_end = std::max(r.used_end, pos->second.second + 1);
    // The gap limit: keep `gap` unused scripts watched past the highest used one. As Bitcoin
    // Core tops up its keypool during a rescan, scripts added this way are matched from the
    // block that used the last one on, not in the blocks before it (nobody pays an address the
    // wallet has not handed out, and it hands them out in order). They count as covered unless
    // scripts before them still wait for their pass.
    bool in_step = r.covered == r.derived;
    (void)deriveTo(pos->second.first,
                   static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{r.used_end} + m_gap, UINT32_MAX)));
    if (in_step) r.covered = r.derived;
}

void WalletState::forget(const Hash256& txid, const Hash256* replaced_by) {
    std::vector<Hash256> todo{txid};
    while (!todo.empty()) {
        auto id = todo.back();
        todo.pop_back();
        auto it = m_txs.find(id);
        if (it == m_txs.end()) continue;
        for (std::uint32_t v = 0; v < it->second.tx.outputs.size(); ++v)
            if (auto spenders = m_spenders.find({id, v}); spenders != m_spenders.end())
                for (const auto& other : spenders->second)
                    if (other != id && m_txs.at(other).height < 0) todo.push_back(other);
        if (replaced_by) m_conflicts[id] = *replaced_by;
        if (!it->second.coinbase)
            for (const auto& in : it->second.tx.inputs)
                if (auto spenders = m_spenders.find(in.prevout); spenders != m_spenders.end()) {
                    spenders->second.erase(id);
                    if (spenders->second.empty()) m_spenders.erase(spenders);
                }
        m_txs.erase(it);
        m_dirty.erase(id);
        m_erased.insert(id);
    }
}

bool WalletState::apply(const WalletTxRecord& record) {
    auto txid = record.tx.txid();
    bool confirmed = record.height >= 0;
    // Other transactions spending the same outputs.
    std::set<Hash256> rivals;
    if (!record.coinbase)
        for (const auto& in : record.tx.inputs)
            if (auto spenders = m_spenders.find(in.prevout); spenders != m_spenders.end())
                for (const auto& other : spenders->second)
                    if (other != txid) rivals.insert(other);
    for (const auto& other : rivals) {
        const auto& r = m_txs.at(other);
        if (!confirmed && r.height >= 0) {
            m_conflicts[txid] = other; // cannot confirm: its inputs are spent in a block
            return false;
        }
    }
    for (const auto& other : rivals)
        if (m_txs.count(other)) forget(other, &txid);
    m_conflicts.erase(txid);
    noteUses(record.tx);
    auto it = m_txs.find(txid);
    if (it == m_txs.end()) {
        insert(txid, record);
    } else {
        auto& r = it->second;
        // Seen again unconfirmed after it confirmed (a late relay): its block is what counts.
        if (!confirmed && r.height >= 0) return false;
        if (r.height == record.height && r.block == record.block) return false;
        std::int64_t first_seen = r.time;
        r = record;
        if (!confirmed) r.time = first_seen;
    }
    m_dirty.insert(txid);
    return true;
}

void WalletState::insert(const Hash256& txid, WalletTxRecord record) {
    if (!record.coinbase)
        for (const auto& in : record.tx.inputs)
            if (!spendsNothing(in.prevout)) m_spenders[in.prevout].insert(txid);
    m_txs.emplace(txid, std::move(record));
}

void WalletState::noteUses(const jm::bitcoin::Transaction& tx) {
    // Outputs in any order: a use can widen the window to another output of the same
    // transaction, so repeat until nothing moves.
    for (std::size_t round = 0; round <= tx.outputs.size(); ++round) {
        std::vector<std::uint32_t> before;
        for (const auto& r : m_ranges)
            before.push_back(r.used_end);
        for (const auto& out : tx.outputs)
            noteUse(out.script_pubkey);
        bool moved = false;
        for (std::size_t i = 0; i < m_ranges.size(); ++i)
            moved |= m_ranges[i].used_end != before[i];
        if (!moved) break;
    }
}

void WalletState::disconnectAbove(std::int32_t fork_height, const Hash256& fork_hash) {
    std::vector<Hash256> gone;
    for (const auto& [txid, r] : m_txs)
        if (r.height > fork_height) gone.push_back(txid);
    for (const auto& txid : gone)
        forget(txid);
    if (m_scanned > fork_height) setScanned(std::max(fork_height, m_from - 1), fork_hash);
}

const WalletTxRecord* WalletState::find(const Hash256& txid) const {
    auto it = m_txs.find(txid);
    return it == m_txs.end() ? nullptr : &it->second;
}

std::int32_t WalletState::confirmations(const WalletTxRecord& r, std::int32_t tip_height) const {
    return r.height < 0 ? 0 : std::max(0, tip_height - r.height + 1);
}

jm::chain::WalletScan WalletState::result(const jm::chain::ChainTip& tip,
                                          const jm::chain::WatchRequest& request) const {
    jm::chain::WalletScan scan;
    scan.tip = tip;
    std::set<Script> used;
    for (const auto& [txid, r] : m_txs) {
        auto depth = confirmations(r, tip.height);
        // As Core's wallet: immature coinbase outputs are not spendable coins yet.
        bool immature = r.coinbase && depth < COINBASE_MATURITY + 1;
        jm::chain::WalletTx wtx;
        wtx.txid = r.tx.txidHex();
        for (std::uint32_t v = 0; v < r.tx.outputs.size(); ++v) {
            const auto& out = r.tx.outputs[v];
            if (!watched(out.script_pubkey)) continue;
            wtx.received += out.value;
            used.insert(out.script_pubkey);
            if (!m_spenders.count({txid, v}) && !immature)
                scan.utxos.push_back({{txid, v}, out.value, out.script_pubkey, depth});
        }
        if (!r.coinbase)
            for (const auto& in : r.tx.inputs)
                if (owns(in.prevout)) wtx.spent += m_txs.at(in.prevout.txid).tx.outputs[in.prevout.vout].value;
        if (wtx.received == 0 && wtx.spent == 0) continue;
        wtx.confirmations = depth;
        wtx.time = r.time;
        wtx.immature = immature;
        scan.history.push_back(std::move(wtx));
    }
    std::stable_sort(scan.history.begin(), scan.history.end(),
                     [](const auto& a, const auto& b) { return a.time < b.time; });
    scan.used_scripts.assign(used.begin(), used.end());
    for (const auto& wanted : request.ranges)
        for (const auto& r : m_ranges)
            if (r.xpub == wanted.xpub && r.branch == wanted.branch)
                scan.ranges.push_back({r.xpub, r.branch, r.used_end});
    return scan;
}

jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> WalletState::txOut(const OutPoint& outpoint,
                                                                        std::int32_t tip_height) const {
    if (!owns(outpoint)) return fail(errc::not_found, "not a wallet output");
    if (m_spenders.count(outpoint)) return std::optional<jm::chain::TxOutInfo>();
    const auto& r = m_txs.at(outpoint.txid);
    const auto& out = r.tx.outputs[outpoint.vout];
    return std::optional<jm::chain::TxOutInfo>(
        jm::chain::TxOutInfo{out.value, out.script_pubkey, confirmations(r, tip_height), r.coinbase});
}

} // namespace jm::plugins::backend_neutrino
