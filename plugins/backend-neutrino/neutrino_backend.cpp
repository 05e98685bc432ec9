#include "neutrino_backend.hpp"

#include <jm/bitcoin/block_filter.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/log.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Hash256;
using jm::bitcoin::OutPoint;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

template <class T> void reply(jm::sdk::Executor ex, jm::chain::Callback<T> done, jm::sdk::Result<T> result) {
    boost::asio::post(ex, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

std::string displayHex(const Hash256& h) {
    return jm::bitcoin::toHexReversed(jm::bitcoin::ByteView(h.data(), h.size()));
}

std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Block times may lag behind the wall clock by up to two hours (Core's TIMESTAMP_WINDOW).
constexpr std::int64_t TIMESTAMP_WINDOW = 2 * 60 * 60;
constexpr std::size_t HINT_CACHE_LIMIT = 10'000;

} // namespace

NeutrinoBackend::NeutrinoBackend(jm::sdk::PluginContext& ctx, LightChainSource& source, NeutrinoSettings settings) :
    m_ctx(ctx), m_source(source), m_settings(std::move(settings)) {}

NeutrinoBackend::~NeutrinoBackend() = default;

void NeutrinoBackend::start() {
    m_watchHeight = tipHeight();
    m_source.onChainChanged(guarded([this](const ChainChange& change) { chainChanged(change); }));
    m_source.onMempoolTransaction(
        guarded([this](const jm::bitcoin::Transaction& tx) { mempoolTransaction(tx, true); }));
}

void NeutrinoBackend::stop() { m_stopped = true; }

// ---------------------------------------------------------------------------------------------
// Jobs

void NeutrinoBackend::enqueue(Job job) {
    m_jobs.push_back(std::move(job));
    if (!m_busy) runNext();
}

void NeutrinoBackend::runNext() {
    if (m_jobs.empty()) {
        m_busy = false;
        return;
    }
    m_busy = true;
    auto job = std::move(m_jobs.front());
    m_jobs.pop_front();
    // Posted: a job finishing synchronously must not grow the stack with the next one.
    job(guarded([this] { boost::asio::post(m_ctx.executor(), guarded([this] { runNext(); })); }));
}

// ---------------------------------------------------------------------------------------------
// The chain

std::int32_t NeutrinoBackend::tipHeight() const {
    return static_cast<std::int32_t>(std::min<std::uint32_t>(m_source.verifiedHeight(), INT32_MAX));
}

Hash256 NeutrinoBackend::hashAt(std::int32_t height) const {
    if (height < 0) return Hash256{};
    auto header = m_source.headerAt(static_cast<std::uint32_t>(height));
    return header ? header->hash() : Hash256{};
}

std::int32_t NeutrinoBackend::heightAtTime(std::int64_t time) const {
    // Block times are not monotonic but within hours of it: a binary search, then the window.
    std::int64_t wanted = time - TIMESTAMP_WINDOW;
    std::int32_t lo = 0, hi = tipHeight() + 1;
    while (lo < hi) {
        auto mid = lo + (hi - lo) / 2;
        auto header = m_source.headerAt(static_cast<std::uint32_t>(mid));
        if (header && static_cast<std::int64_t>(header->time) >= wanted)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void NeutrinoBackend::chainChanged(const ChainChange& change) {
    if (m_stopped) return;
    if (!change.disconnected.empty()) {
        ++m_epoch;
        auto fork = static_cast<std::int32_t>(change.fork_height);
        auto fork_hash = hashAt(fork);
        JM_LOG(m_ctx.logger(), info) << "reorganisation: " << change.disconnected.size()
                                     << " blocks left the best chain above " << fork;
        for (auto& [id, wallet] : m_wallets) {
            wallet->disconnectAbove(fork, fork_hash);
            if (auto saved = wallet->save(m_ctx.store()); !saved)
                JM_LOG(m_ctx.logger(), error) << "cannot store wallet " << id << ": " << saved.error().message;
        }
        // Transactions outside the wallets go back to unconfirmed, as a node's mempool takes them.
        for (auto& [txid, seen] : m_seen)
            if (seen.height > fork) seen.height = -1;
        for (auto it = m_hinted.begin(); it != m_hinted.end();) {
            if (it->second.height > fork) {
                it = m_hinted.erase(it);
                continue;
            }
            it->second.checked_to = std::min(it->second.checked_to, fork);
            if (it->second.spent_height > fork) it->second.spent_height = -1;
            ++it;
        }
        m_watchHeight = std::min(m_watchHeight, fork);
    }
    m_ctx.bus().publish(
        jm::sdk::events::BlockConnected{static_cast<std::int32_t>(change.new_height), displayHex(change.new_tip)});
    if (!m_wallets.empty() || !m_watches.empty())
        queueFollow();
    else
        m_watchHeight = static_cast<std::int32_t>(change.new_height); // nothing to look for
    updateWatches();
}

void NeutrinoBackend::queueFollow() {
    if (m_followQueued) return;
    m_followQueued = true;
    enqueue([this](std::function<void()> next) {
        m_followQueued = false;
        follow(std::move(next));
    });
}

void NeutrinoBackend::follow(std::function<void()> next) {
    if (m_stopped) return next();
    std::vector<std::string> ids;
    for (const auto& [id, w] : m_wallets)
        ids.push_back(id);
    followWallets(std::move(ids), [this, next = std::move(next)]() mutable {
        followWatches([this, next = std::move(next)] {
            updateWatches();
            next();
        });
    });
}

void NeutrinoBackend::mempoolTransaction(const jm::bitcoin::Transaction& tx, bool from_peer) {
    if (m_stopped) return;
    auto time = now();
    bool watched = m_watches.count(tx.txidHex()) != 0;
    if (m_settings.mempool_limit > 0 || watched) rememberSeen(tx, -1, Hash256{}, time);
    for (auto& [id, wallet] : m_wallets) {
        if (!wallet->relevant(tx)) continue;
        // Peers relay unconfirmed transactions unchecked: a made-up witness would otherwise
        // "spend" a wallet's coin and hide it from the wallet.
        if (from_peer && !wallet->spendsAreSigned(tx)) {
            JM_LOG(m_ctx.logger(), warning) << "ignoring relayed transaction " << tx.txidHex()
                                            << ": it spends a coin of wallet " << id << " without a valid signature";
            continue;
        }
        WalletTxRecord r{tx, -1, Hash256{}, time, false};
        if (!wallet->apply(r)) continue;
        if (auto saved = wallet->save(m_ctx.store()); !saved)
            JM_LOG(m_ctx.logger(), error) << "cannot store wallet " << id << ": " << saved.error().message;
    }
    updateWatches();
}

void NeutrinoBackend::rememberSeen(const jm::bitcoin::Transaction& tx, std::int32_t height, const Hash256& block,
                                   std::int64_t time) {
    auto txid = tx.txid();
    auto [it, inserted] = m_seen.try_emplace(txid, SeenTx{tx, height, block, time, tipHeight()});
    if (!inserted) {
        if (height >= 0) {
            it->second.height = height;
            it->second.block = block;
        }
        return;
    }
    m_seenOrder.push_back(txid);
    // Bounded: the oldest unwatched ones go first.
    std::size_t guard = m_seenOrder.size();
    while (m_seen.size() > std::max<std::size_t>(m_settings.mempool_limit, 1) && guard-- > 0) {
        auto old = m_seenOrder.front();
        m_seenOrder.pop_front();
        auto o = m_seen.find(old);
        if (o == m_seen.end()) continue;
        if (m_watches.count(o->second.tx.txidHex())) {
            m_seenOrder.push_back(old);
            continue;
        }
        m_seen.erase(o);
    }
}

// ---------------------------------------------------------------------------------------------
// Watches

std::vector<jm::bitcoin::Bytes> NeutrinoBackend::watchScripts() const {
    std::set<jm::bitcoin::Bytes> scripts;
    for (const auto& [txid, watch] : m_watches) {
        auto hash = jm::bitcoin::hashFromDisplayHex(txid);
        if (!hash) continue;
        bool in_wallet = std::any_of(m_wallets.begin(), m_wallets.end(),
                                     [&](const auto& w) { return w.second->find(*hash) != nullptr; });
        if (in_wallet) continue;
        auto seen = m_seen.find(*hash);
        if (seen == m_seen.end()) continue;
        for (const auto& out : seen->second.tx.outputs)
            if (!out.script_pubkey.empty()) scripts.insert(out.script_pubkey);
    }
    return {scripts.begin(), scripts.end()};
}

void NeutrinoBackend::followWatches(std::function<void()> next) {
    auto tip = tipHeight();
    auto scripts = watchScripts();
    if (scripts.empty()) {
        m_watchHeight = tip;
        return next();
    }
    if (m_watchHeight >= tip) return next();
    auto visit = [this](const jm::bitcoin::Block& block, std::int32_t height) {
        for (const auto& tx : block.transactions)
            if (m_watches.count(tx.txidHex())) rememberSeen(tx, height, block.header.hash(), block.header.time);
    };
    scanRange(
        m_watchHeight + 1, tip, [scripts = std::move(scripts)] { return scripts; }, visit,
        [this](std::int32_t h) { m_watchHeight = h; }, nullptr,
        [this, next = std::move(next)](jm::sdk::Result<void> r) {
            if (!r && r.error().code != errc::cancelled)
                JM_LOG(m_ctx.logger(), warning) << "watched transactions: " << r.error().message;
            next();
        });
}

jm::chain::TxSighting NeutrinoBackend::sightingOf(const Hash256& txid) const {
    using Where = jm::chain::TxSighting::Where;
    auto tip = tipHeight();
    jm::chain::TxSighting s;
    auto located = [&](std::int32_t height, const Hash256& block) {
        if (height >= 0) {
            s.where = Where::Chain;
            s.height = height;
            s.confirmations = std::max(1, tip - height + 1);
            s.block_hash = displayHex(block);
        } else {
            s.where = Where::Mempool;
        }
        return s;
    };
    for (const auto& [id, wallet] : m_wallets)
        if (const auto* r = wallet->find(txid)) return located(r->height, r->block);
    for (const auto& [id, wallet] : m_wallets) {
        auto c = wallet->conflicts().find(txid);
        if (c == wallet->conflicts().end()) continue;
        s.where = Where::Conflicted;
        s.conflicting_txid = displayHex(c->second);
        const WalletTxRecord* winner = nullptr;
        for (const auto& [other_id, other] : m_wallets)
            if ((winner = other->find(c->second))) break;
        s.confirmations = winner && winner->height >= 0 ? std::max(1, tip - winner->height + 1) : 0;
        return s;
    }
    if (auto seen = m_seen.find(txid); seen != m_seen.end()) return located(seen->second.height, seen->second.block);
    return s;
}

void NeutrinoBackend::updateWatches() {
    for (auto it = m_watches.begin(); it != m_watches.end();) {
        auto hash = jm::bitcoin::hashFromDisplayHex(it->first);
        if (hash)
            if (auto event = it->second.observe(sightingOf(*hash))) m_ctx.bus().publish(std::move(*event));
        it = it->second.finished() ? m_watches.erase(it) : std::next(it);
    }
}

void NeutrinoBackend::watchTransaction(std::string txid, std::int32_t final_depth) {
    boost::asio::post(m_ctx.executor(), guarded([this, txid = std::move(txid), final_depth] {
                          if (auto it = m_watches.find(txid); it != m_watches.end()) {
                              it->second.setFinalDepth(final_depth);
                          } else {
                              m_watches.emplace(txid, jm::chain::TxWatch(txid, final_depth));
                              // Known unconfirmed since some block: it may be in one of the
                              // blocks since, which the watch scan has not looked at for it.
                              auto hash = jm::bitcoin::hashFromDisplayHex(txid);
                              auto seen = hash ? m_seen.find(*hash) : m_seen.end();
                              if (seen != m_seen.end() && seen->second.height < 0 &&
                                  seen->second.seen_at < m_watchHeight) {
                                  m_watchHeight = seen->second.seen_at;
                                  queueFollow(); // its first state once the blocks were searched
                                  return;
                              }
                          }
                          updateWatches();
                      }));
}

void NeutrinoBackend::unwatchTransaction(std::string txid) {
    boost::asio::post(m_ctx.executor(), guarded([this, txid = std::move(txid)] { m_watches.erase(txid); }));
}

// ---------------------------------------------------------------------------------------------
// Filters and blocks

void NeutrinoBackend::scanRange(std::int32_t from, std::int32_t to, Queries queries, Visit visit,
                                std::function<void(std::int32_t)> checkpoint, std::function<void(double)> progress,
                                std::function<void(jm::sdk::Result<void>)> done) {
    if (m_stopped) return done(fail(errc::cancelled, "stopping"));
    if (from > to) return done({});
    auto batch_end = static_cast<std::int32_t>(
        std::min<std::int64_t>(to, std::int64_t{from} + std::max<std::uint32_t>(m_settings.filter_batch, 1) - 1));
    auto epoch = m_epoch;
    m_source.getFilters(
        static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(batch_end),
        guarded([this, from, to, batch_end, epoch, queries = std::move(queries), visit = std::move(visit),
                 checkpoint = std::move(checkpoint), progress = std::move(progress),
                 done = std::move(done)](jm::sdk::Result<std::vector<VerifiedFilter>> filters) mutable {
            if (epoch != m_epoch) return done(fail(errc::cancelled, "the chain reorganised"));
            if (!filters) return done(filters.error());
            if (filters->size() != static_cast<std::size_t>(batch_end - from + 1))
                return done(fail(errc::protocol_error, "the light client returned " + std::to_string(filters->size()) +
                                                           " filters for " + std::to_string(batch_end - from + 1) +
                                                           " blocks"));
            auto batch = std::make_shared<std::vector<VerifiedFilter>>(std::move(*filters));
            scanFilters(batch, 0, epoch, queries, visit,
                        [this, from, to, batch_end, queries, visit, checkpoint = std::move(checkpoint),
                         progress = std::move(progress), done = std::move(done)](jm::sdk::Result<void> r) mutable {
                            if (!r) return done(r.error());
                            if (checkpoint) checkpoint(batch_end);
                            double share = static_cast<double>(batch_end - from + 1) / (to - from + 1);
                            if (progress) progress(share);
                            if (batch_end >= to) return done({});
                            // The next batch continues the same scan (its progress relative to `from`).
                            auto rebased = progress ? std::function<void(double)>([progress, share](double f) {
                                progress(share + f * (1 - share));
                            })
                                                    : std::function<void(double)>();
                            scanRange(batch_end + 1, to, std::move(queries), std::move(visit), std::move(checkpoint),
                                      std::move(rebased), std::move(done));
                        });
        }));
}

void NeutrinoBackend::scanFilters(std::shared_ptr<std::vector<VerifiedFilter>> filters, std::size_t i,
                                  std::uint64_t epoch, Queries queries, Visit visit,
                                  std::function<void(jm::sdk::Result<void>)> done) {
    auto current = queries();
    for (; i < filters->size(); ++i) {
        const auto& f = (*filters)[i];
        if (current.empty()) continue;
        auto gcs = jm::bitcoin::decodeBasicFilter(f.block_hash, f.filter);
        // A filter that does not decode (it matched its verified header, so the peers agree on
        // it) counts as matching: the block itself decides.
        if (!gcs || gcs->matchAny(current)) break;
    }
    if (i >= filters->size()) return done({});
    auto height = static_cast<std::int32_t>((*filters)[i].height);
    m_source.getBlock((*filters)[i].block_hash,
                      guarded([this, filters, i, epoch, height, queries = std::move(queries), visit = std::move(visit),
                               done = std::move(done)](jm::sdk::Result<jm::bitcoin::Block> block) mutable {
                          if (epoch != m_epoch || m_stopped)
                              return done(fail(errc::cancelled, "the chain reorganised"));
                          if (!block) return done(block.error());
                          if (block->header.hash() != (*filters)[i].block_hash)
                              return done(fail(errc::protocol_error, "the light client returned another block"));
                          visit(*block, height);
                          scanFilters(filters, i + 1, epoch, std::move(queries), std::move(visit), std::move(done));
                      }));
}

void NeutrinoBackend::applyBlock(WalletState& wallet, const jm::bitcoin::Block& block, std::int32_t height) {
    auto hash = block.header.hash();
    for (std::size_t i = 0; i < block.transactions.size(); ++i) {
        const auto& tx = block.transactions[i];
        if (!wallet.relevant(tx)) continue;
        wallet.apply({tx, height, hash, block.header.time, i == 0});
        rememberSeen(tx, height, hash, block.header.time);
    }
}

// ---------------------------------------------------------------------------------------------
// Simple queries

void NeutrinoBackend::tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) {
    boost::asio::post(
        m_ctx.executor(), guarded([this, ex, done = std::move(done)]() mutable {
            auto height = tipHeight();
            reply<jm::chain::ChainTip>(ex, std::move(done), jm::chain::ChainTip{height, displayHex(hashAt(height))});
        }));
}

jm::chain::BackendCapabilities NeutrinoBackend::capabilities() const {
    jm::chain::BackendCapabilities c;
    c.any_outpoint_lookup = false;
    return c;
}

void NeutrinoBackend::getTxOut(OutPoint outpoint, jm::sdk::Executor ex,
                               jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    getTxOutHinted(outpoint, std::nullopt, std::move(ex), std::move(done));
}

void NeutrinoBackend::getTxOutHinted(OutPoint outpoint, std::optional<jm::chain::OutPointHint> hint,
                                     jm::sdk::Executor ex,
                                     jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    using Out = std::optional<jm::chain::TxOutInfo>;
    boost::asio::post(
        m_ctx.executor(), guarded([this, outpoint, hint = std::move(hint), ex, done = std::move(done)]() mutable {
            for (const auto& [id, wallet] : m_wallets) {
                auto known = wallet->txOut(outpoint, tipHeight());
                if (known) return reply<Out>(ex, std::move(done), std::move(*known));
            }
            if (!hint)
                return reply<Out>(ex, std::move(done),
                                  fail(errc::unsupported,
                                       "a light client looks up a coin outside its wallets only with the "
                                       "block height and script of its creation (neutrino_compat)"));
            hintLookup(outpoint, std::move(*hint), [ex, done = std::move(done)](jm::sdk::Result<Out> r) mutable {
                reply<Out>(ex, std::move(done), std::move(r));
            });
        }));
}

void NeutrinoBackend::getTransaction(std::string txid, jm::sdk::Executor ex,
                                     jm::chain::Callback<jm::bitcoin::Bytes> done) {
    boost::asio::post(
        m_ctx.executor(), guarded([this, txid = std::move(txid), ex, done = std::move(done)]() mutable {
            using Bytes = jm::bitcoin::Bytes;
            auto hash = jm::bitcoin::hashFromDisplayHex(txid);
            if (!hash) return reply<Bytes>(ex, std::move(done), fail(errc::invalid_argument, "not a txid: " + txid));
            for (const auto& [id, wallet] : m_wallets)
                if (const auto* r = wallet->find(*hash)) return reply<Bytes>(ex, std::move(done), r->tx.serialize());
            if (auto seen = m_seen.find(*hash); seen != m_seen.end())
                return reply<Bytes>(ex, std::move(done), seen->second.tx.serialize());
            reply<Bytes>(
                ex, std::move(done),
                fail(errc::not_found, "transaction " + txid + " is neither the wallet's nor seen by the light client"));
        }));
}

void NeutrinoBackend::broadcast(jm::bitcoin::Bytes raw, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) {
    boost::asio::post(
        m_ctx.executor(), guarded([this, raw = std::move(raw), ex, done = std::move(done)]() mutable {
            auto tx = jm::bitcoin::parseTransaction(raw);
            if (!tx)
                return reply<std::string>(ex, std::move(done),
                                          fail(errc::rejected, "TX decode failed: " + tx.error().message));
            auto parsed = *tx;
            m_source.broadcast(std::move(*tx),
                               guarded([this, parsed, ex, done = std::move(done)](jm::sdk::Result<void> r) mutable {
                                   if (!r) return reply<std::string>(ex, std::move(done), r.error());
                                   // Our own transaction counts as unconfirmed at once.
                                   mempoolTransaction(parsed, false);
                                   reply<std::string>(ex, std::move(done), parsed.txidHex());
                               }));
        }));
}

void NeutrinoBackend::estimateFee(int, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) {
    reply<std::int64_t>(ex, std::move(done),
                        fail(errc::unsupported, "the light client has no fee estimates: configure a fee instance "
                                                "(fee/fixed, or fee/mempool)"));
}

// ---------------------------------------------------------------------------------------------
// Counterparties' coins

void NeutrinoBackend::hintLookup(OutPoint outpoint, jm::chain::OutPointHint hint,
                                 std::function<void(jm::sdk::Result<std::optional<jm::chain::TxOutInfo>>)> done) {
    using Out = std::optional<jm::chain::TxOutInfo>;
    if (m_stopped) return done(fail(errc::cancelled, "the backend is stopping"));
    auto tip = tipHeight();
    if (hint.height < 0 || hint.height > tip || hint.script_pubkey.empty()) return done(Out());
    if (auto cached = m_hinted.find(outpoint); cached != m_hinted.end()) {
        // The coin's block is known: the hint must name it.
        if (cached->second.height != hint.height || cached->second.script != hint.script_pubkey) return done(Out());
        return hintSpendCheck(outpoint, m_settings.hint_max_filters, m_settings.hint_max_blocks, std::move(done));
    }
    auto height = static_cast<std::uint32_t>(hint.height);
    auto epoch = m_epoch;
    m_source.getFilters(
        height, height,
        guarded([this, outpoint, hint, epoch,
                 done = std::move(done)](jm::sdk::Result<std::vector<VerifiedFilter>> filters) mutable {
            if (epoch != m_epoch) return hintLookup(outpoint, std::move(hint), std::move(done));
            if (!filters) return done(filters.error());
            if (filters->size() != 1) return done(fail(errc::protocol_error, "no filter for the block"));
            auto f = std::move(filters->front());
            auto gcs = jm::bitcoin::decodeBasicFilter(f.block_hash, f.filter);
            if (gcs && !gcs->match(hint.script_pubkey)) return done(Out()); // not created there
            m_source.getBlock(
                f.block_hash, guarded([this, outpoint, hint, epoch, hash = f.block_hash,
                                       done = std::move(done)](jm::sdk::Result<jm::bitcoin::Block> block) mutable {
                    if (epoch != m_epoch) return hintLookup(outpoint, std::move(hint), std::move(done));
                    if (!block) return done(block.error());
                    for (std::size_t i = 0; i < block->transactions.size(); ++i) {
                        const auto& tx = block->transactions[i];
                        if (tx.txid() != outpoint.txid) continue;
                        if (outpoint.vout >= tx.outputs.size() ||
                            tx.outputs[outpoint.vout].script_pubkey != hint.script_pubkey)
                            return done(Out());
                        HintedCoin coin{hint.script_pubkey, hint.height, hash, tx.outputs[outpoint.vout].value, i == 0,
                                        hint.height,        -1};
                        // Bounded: a full cache starts over (lookups are repeatable).
                        if (m_hinted.size() >= HINT_CACHE_LIMIT) m_hinted.clear();
                        m_hinted[outpoint] = coin;
                        // A block spending it there too (a chain of transactions).
                        for (std::size_t j = i + 1; j < block->transactions.size(); ++j)
                            for (const auto& in : block->transactions[j].inputs)
                                if (in.prevout == outpoint) m_hinted[outpoint].spent_height = hint.height;
                        return hintSpendCheck(outpoint, m_settings.hint_max_filters, m_settings.hint_max_blocks,
                                              std::move(done));
                    }
                    done(Out()); // not in the block the peer named
                }));
        }));
}

void NeutrinoBackend::hintSpendCheck(OutPoint outpoint, std::uint32_t filters_left, std::uint32_t blocks_left,
                                     std::function<void(jm::sdk::Result<std::optional<jm::chain::TxOutInfo>>)> done) {
    using Out = std::optional<jm::chain::TxOutInfo>;
    if (m_stopped) return done(fail(errc::cancelled, "the backend is stopping"));
    auto it = m_hinted.find(outpoint);
    if (it == m_hinted.end()) return done(Out()); // reorganised away meanwhile
    auto& coin = it->second;
    if (coin.spent_height >= 0) return done(Out());
    auto tip = tipHeight();
    if (coin.checked_to >= tip) {
        // The blocks say unspent; an unconfirmed spend counts too (as gettxout with the mempool).
        for (const auto& [txid, seen] : m_seen)
            if (seen.height < 0)
                for (const auto& in : seen.tx.inputs)
                    if (in.prevout == outpoint) return done(Out());
        return done(Out(jm::chain::TxOutInfo{coin.value, coin.script, tip - coin.height + 1, coin.coinbase}));
    }
    if (filters_left == 0)
        return done(fail(errc::unavailable, "checking that coin needs more block filters than one lookup may fetch ("
                                            "checked up to block " +
                                                std::to_string(coin.checked_to) + "); ask again to continue"));
    auto from = coin.checked_to + 1;
    auto to = static_cast<std::int32_t>(std::min<std::int64_t>(
        tip, std::int64_t{from} + std::min(filters_left, std::max<std::uint32_t>(m_settings.filter_batch, 1)) - 1));
    auto epoch = m_epoch;
    m_source.getFilters(
        static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to),
        guarded([this, outpoint, from, to, epoch, filters_left, blocks_left,
                 done = std::move(done)](jm::sdk::Result<std::vector<VerifiedFilter>> filters) mutable {
            if (epoch != m_epoch) return hintSpendCheck(outpoint, filters_left, blocks_left, std::move(done));
            if (!filters) return done(filters.error());
            auto it = m_hinted.find(outpoint);
            if (it == m_hinted.end()) return done(Out());
            std::size_t matching = 0;
            for (const auto& f : *filters) {
                auto gcs = jm::bitcoin::decodeBasicFilter(f.block_hash, f.filter);
                if (!gcs || gcs->match(it->second.script)) ++matching;
            }
            if (matching > blocks_left)
                return done(fail(errc::unavailable, "that coin's script is in more blocks than one lookup may fetch; "
                                                    "ask again to continue"));
            auto left = blocks_left - static_cast<std::uint32_t>(matching);
            auto visit = [this, outpoint](const jm::bitcoin::Block& block, std::int32_t height) {
                auto it = m_hinted.find(outpoint);
                if (it == m_hinted.end()) return;
                for (const auto& tx : block.transactions)
                    for (const auto& in : tx.inputs)
                        if (in.prevout == outpoint && it->second.spent_height < 0) it->second.spent_height = height;
            };
            auto batch = std::make_shared<std::vector<VerifiedFilter>>(std::move(*filters));
            std::vector<jm::bitcoin::Bytes> script{it->second.script};
            scanFilters(
                batch, 0, epoch, [script] { return script; }, visit,
                guarded([this, outpoint, to, filters_left, left, count = to - from + 1,
                         done = std::move(done)](jm::sdk::Result<void> r) mutable {
                    if (!r && r.error().code == errc::cancelled)
                        return hintSpendCheck(outpoint, filters_left, left, std::move(done));
                    if (!r) return done(r.error());
                    auto it = m_hinted.find(outpoint);
                    if (it == m_hinted.end()) return done(Out());
                    it->second.checked_to = std::max(it->second.checked_to, to);
                    hintSpendCheck(outpoint, filters_left - static_cast<std::uint32_t>(count), left, std::move(done));
                }));
        }));
}

} // namespace jm::plugins::backend_neutrino
