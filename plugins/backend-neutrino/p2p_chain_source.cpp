#include "p2p_chain_source.hpp"
#include "filter_check.hpp"

#include <jm/bitcoin/block_filter.hpp>
#include <jm/bitcoin/hash.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <ctime>
#include <set>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Block;
using jm::bitcoin::Hash256;
using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {
constexpr std::uint8_t BASIC = 0;
constexpr std::uint32_t CHECKPOINT_INTERVAL = 1000;
constexpr std::uint32_t MAX_CFHEADERS = 2000;
constexpr int JUNK_SCORE = 50; //!< two unrequested answers and the peer is banned
//! "<lowest height>" then "\n<host:port>" per supplier: filter headers not cross-checked yet.
constexpr std::string_view UNCHECKED_KEY = "fhunchecked";

std::string hashKey(const Hash256& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }
} // namespace

template <class F> void P2pChainSource::post(F&& f) { boost::asio::post(m_strand, std::forward<F>(f)); }

Result<std::unique_ptr<P2pChainSource>> P2pChainSource::open(jm::sdk::Executor strand, P2pChainSourceSettings settings,
                                                             jm::sdk::KvStore& store) {
    if (settings.peers.connection.network != settings.params.network)
        return fail(errc::invalid_config, "the peers' network differs from the chain's");
    auto headers = HeaderChain::open(settings.params, store);
    if (!headers) return headers.error();
    auto filter_headers = FilterHeaderChain::open(store, *headers);
    if (!filter_headers) return filter_headers.error();
    return std::unique_ptr<P2pChainSource>(new P2pChainSource(std::move(strand), std::move(settings), store,
                                                              std::move(*headers), std::move(*filter_headers)));
}

P2pChainSource::P2pChainSource(jm::sdk::Executor strand, P2pChainSourceSettings settings, jm::sdk::KvStore& store,
                               HeaderChain headers, FilterHeaderChain filter_headers) :
    m_strand(strand),
    m_settings(std::move(settings)), m_store(&store), m_headers(std::move(headers)),
    m_filterHeaders(std::move(filter_headers)), m_log(jm::sdk::makeLogger(m_settings.peers.connection.log_channel)),
    m_ticker(strand) {
    m_reportedHeight = verifiedHeight();
    if (auto stored = m_store->get(UNCHECKED_KEY); stored && *stored) {
        // Unreadable: unchecked from genesis by nobody known (any peer may cross-check).
        std::uint32_t from = 0;
        std::size_t pos = 0;
        const auto& text = **stored;
        auto line_end = std::min(text.find('\n'), text.size());
        try {
            from = static_cast<std::uint32_t>(std::stoul(text.substr(0, line_end)));
            for (pos = line_end + 1; pos < text.size();) {
                auto end = std::min(text.find('\n', pos), text.size());
                m_uncheckedBy.insert(text.substr(pos, end - pos));
                pos = end + 1;
            }
        } catch (const std::exception&) {
            from = 0;
            m_uncheckedBy.clear();
        }
        if (from < m_filterHeaders.count()) m_uncheckedFrom = from;
    }
    std::weak_ptr<int> alive = m_alive;
    PeerManager::Listener listener;
    listener.ready = [this, alive](const PeerConnectionPtr& p) {
        if (!alive.expired()) onPeerReady(p);
    };
    listener.message = [this, alive](const PeerConnectionPtr& p, const Message& m) {
        if (!alive.expired()) onPeerMessage(p, m);
    };
    listener.closed = [this, alive](const PeerConnectionPtr& p) {
        if (!alive.expired()) onPeerClosed(p);
    };
    m_peers = std::make_unique<PeerManager>(m_strand, m_settings.peers, std::move(listener), m_store);
}

P2pChainSource::~P2pChainSource() { stop(); }

void P2pChainSource::start() {
    if (m_running) return;
    m_running = true;
    m_startedAt = Clock::now();
    JM_LOG(m_log, info) << "light client starting from its store: headers to height " << m_headers.height()
                        << ", filter headers to height " << verifiedHeight();
    m_peers->setOurHeight(static_cast<std::int32_t>(m_headers.height()));
    m_peers->start();
    scheduleTick();
}

void P2pChainSource::stop() {
    m_running = false;
    m_ticker.cancel();
    m_peers->stop();
    m_states.clear();
    m_round.reset();
    m_recheck.reset();
    m_checkpointRound.reset();
    m_dispute.reset();
    m_filterBatch.reset();
    auto cancelled = fail(errc::cancelled, "the light client stopped");
    for (auto& job : m_filterJobs)
        if (job.done) post([done = std::move(job.done), cancelled] { done(cancelled); });
    m_filterJobs.clear();
    for (auto& [hash, job] : m_blockJobs)
        for (auto& w : job.waiters)
            post([w = std::move(w), cancelled] { w(cancelled); });
    m_blockJobs.clear();
    for (auto& [txid, b] : m_broadcasts)
        if (b.done) post([done = std::move(b.done), cancelled] { done(cancelled); });
    m_broadcasts.clear();
    m_txInflight = 0;
}

// ---------------------------------------------------------------------------------------------
// LightChainSource

std::uint32_t P2pChainSource::verifiedHeight() const {
    auto count = m_filterHeaders.count();
    return count == 0 ? 0 : std::min(count - 1, m_headers.height());
}

bool P2pChainSource::synced() const { return m_headersSynced && m_filterHeaders.count() == m_headers.height() + 1; }

std::string P2pChainSource::unavailableReason() const {
    return m_peers && m_peers->readyPeers().empty() ? m_peers->noPeerReason() : std::string{};
}

std::optional<jm::bitcoin::BlockHeader> P2pChainSource::headerAt(std::uint32_t height) const {
    if (height > verifiedHeight()) return std::nullopt;
    const auto* e = m_headers.atHeight(height);
    if (!e) return std::nullopt;
    return e->header;
}

std::optional<std::uint32_t> P2pChainSource::heightOf(const Hash256& block_hash) const {
    const auto* e = m_headers.find(block_hash);
    if (!e || !m_headers.inBestChain(block_hash) || e->height > verifiedHeight()) return std::nullopt;
    return e->height;
}

void P2pChainSource::getFilters(std::uint32_t from, std::uint32_t to,
                                std::function<void(Result<std::vector<VerifiedFilter>>)> done) {
    if (from > to || to > verifiedHeight() || m_filterHeaders.count() == 0) {
        post([done = std::move(done), from, to] {
            done(fail(errc::invalid_argument, "filters " + std::to_string(from) + ".." + std::to_string(to) +
                                                  " are beyond the verified chain"));
        });
        return;
    }
    if (!m_running) {
        post([done = std::move(done)] { done(fail(errc::cancelled, "the light client is stopped")); });
        return;
    }
    m_filterJobs.push_back(FilterJob{from, to, {}, std::move(done), Clock::now()});
    processFilters();
}

void P2pChainSource::getBlock(const Hash256& block_hash, std::function<void(Result<Block>)> done) {
    if (!heightOf(block_hash)) {
        post([done = std::move(done)] { done(fail(errc::not_found, "the block is not in the verified best chain")); });
        return;
    }
    fetchBlock(block_hash, [this, block_hash, done = std::move(done)](Result<Block> r) {
        if (r && !m_headers.inBestChain(block_hash))
            return done(fail(errc::not_found, "the block left the best chain"));
        done(std::move(r));
    });
}

void P2pChainSource::broadcast(jm::bitcoin::Transaction tx, std::function<void(Result<void>)> done) {
    auto peers = m_peers->readyPeers();
    if (peers.empty()) {
        auto why = m_peers->noPeerReason().empty() ? "no peer to broadcast to" : m_peers->noPeerReason();
        post([done = std::move(done), why] { done(fail(errc::unavailable, why)); });
        return;
    }
    auto txid = tx.txid();
    auto now = Clock::now();
    auto& b = m_broadcasts[txid];
    if (b.done) // the same transaction again: the earlier caller learns the outcome too
        b.done = [first = std::move(b.done), second = std::move(done)](Result<void> r) {
            first(r);
            second(r);
        };
    else
        b.done = std::move(done);
    b.wtxid = tx.wtxid();
    b.tx = std::move(tx);
    b.deadline = now + m_settings.broadcast_timeout;
    b.serveUntil = now + std::max(m_settings.broadcast_serve, m_settings.broadcast_timeout);
    for (const auto& p : peers)
        p->send(InvMessage{{InvItem{MSG_TX, txid}}});
}

void P2pChainSource::onChainChanged(std::function<void(const ChainChange&)> handler) {
    m_chainHandler = std::move(handler);
}

void P2pChainSource::onMempoolTransaction(std::function<void(const jm::bitcoin::Transaction&)> handler) {
    m_mempoolHandler = std::move(handler);
}

// ---------------------------------------------------------------------------------------------
// Peers

P2pChainSource::PeerState* P2pChainSource::stateOf(const PeerConnectionPtr& peer) {
    auto it = m_states.find(peer);
    return it == m_states.end() ? nullptr : &it->second;
}

void P2pChainSource::onPeerReady(const PeerConnectionPtr& peer) {
    m_states[peer];
    // Headers from one peer at a time; the others are asked once it is done.
    bool busy = std::any_of(m_states.begin(), m_states.end(),
                            [](const auto& kv) { return kv.second.headersDeadline.has_value(); });
    if (!busy) askHeaders(peer);
    for (const auto& [txid, b] : m_broadcasts)
        if (b.done) peer->send(InvMessage{{InvItem{MSG_TX, txid}}});
    advanceFilterHeaders();
    processFilters();
    processBlocks();
}

void P2pChainSource::onPeerClosed(const PeerConnectionPtr& peer) {
    auto it = m_states.find(peer);
    if (it == m_states.end()) return;
    m_txInflight -= std::min(m_txInflight, it->second.txs.size());
    for (const auto& [txid, deadline] : it->second.txs)
        m_seenTxs.erase(hashKey(txid)); // another peer's announcement fetches it
    bool was_header_peer = it->second.headersDeadline.has_value();
    m_states.erase(it);
    if (was_header_peer)
        for (const auto& [p, s] : m_states)
            if (!s.headersDeadline) {
                askHeaders(p);
                break;
            }
    if (m_round) {
        m_round->waiting.erase(peer);
        m_round->answers.erase(peer);
        if (m_round->waiting.empty()) concludeRound();
    }
    if (m_recheck && m_recheck->peer == peer) m_recheck.reset();
    if (m_checkpointRound) {
        m_checkpointRound->waiting.erase(peer);
        m_checkpointRound->answers.erase(peer);
        if (m_checkpointRound->waiting.empty()) concludeCheckpoints();
    }
    if (m_dispute) {
        m_dispute->claims.erase(peer);
        m_dispute->filters.erase(peer);
        resolveDispute();
    }
    if (m_filterBatch && m_filterBatch->peer == peer) m_filterBatch.reset();
    for (auto& [hash, job] : m_blockJobs)
        if (job.peer == peer) job.peer.reset();
    advanceFilterHeaders();
    processFilters();
    processBlocks();
}

void P2pChainSource::junk(const PeerConnectionPtr& peer, const std::string& what) {
    peer->misbehaving(JUNK_SCORE, "unrequested " + what);
}

void P2pChainSource::ban(const PeerConnectionPtr& peer, const std::string& reason) {
    JM_LOG(m_log, warning) << "peer " << peer->name() << " misbehaved: " << reason;
    m_peers->ban(peer, reason);
}

PeerConnectionPtr P2pChainSource::pickPeer(const std::set<PeerConnectionPtr>& avoid) {
    std::vector<PeerConnectionPtr> candidates;
    for (const auto& [p, s] : m_states)
        if (p->isReady() && !avoid.count(p)) candidates.push_back(p);
    if (candidates.empty()) return nullptr;
    return candidates[m_roundRobin++ % candidates.size()];
}

void P2pChainSource::onPeerMessage(const PeerConnectionPtr& peer, const Message& message) {
    if (!stateOf(peer)) return;
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, HeadersMessage>)
                onHeaders(peer, m);
            else if constexpr (std::is_same_v<T, CFHeadersMessage>)
                onCfHeaders(peer, m);
            else if constexpr (std::is_same_v<T, CFCheckptMessage>)
                onCfCheckpt(peer, m);
            else if constexpr (std::is_same_v<T, CFilterMessage>)
                onCFilter(peer, m);
            else if constexpr (std::is_same_v<T, BlockMessage>)
                onBlock(peer, m);
            else if constexpr (std::is_same_v<T, InvMessage>)
                onInv(peer, m);
            else if constexpr (std::is_same_v<T, GetDataMessage>)
                onGetData(peer, m);
            else if constexpr (std::is_same_v<T, TxMessage>)
                onTx(peer, m);
            else if constexpr (std::is_same_v<T, NotFoundMessage>)
                onNotFound(peer, m);
            // getcfilters and the like: we serve nothing; version-stage messages never get here.
        },
        message);
}

// ---------------------------------------------------------------------------------------------
// Headers

void P2pChainSource::askHeaders(const PeerConnectionPtr& peer) {
    auto* s = stateOf(peer);
    if (!s) return;
    s->headersAsked = true;
    s->headersDeadline = Clock::now() + m_settings.request_timeout;
    peer->send(GetHeadersMessage{static_cast<std::uint32_t>(PROTOCOL_VERSION), m_headers.locator(), Hash256{}});
}

void P2pChainSource::onHeaders(const PeerConnectionPtr& peer, const HeadersMessage& m) {
    auto* s = stateOf(peer);
    bool asked = s->headersDeadline.has_value();
    if (!m.headers.empty()) {
        auto accepted = m_headers.acceptHeaders(m.headers, std::time(nullptr));
        if (!accepted) {
            if (accepted.error().code == make_error_code(errc::not_found)) {
                // An announcement that does not connect (we missed blocks): ask for the gap.
                peer->misbehaving(10, "headers that do not connect");
                if (!peer->isClosed()) askHeaders(peer);
                return;
            }
            if (accepted.error().code == make_error_code(errc::protocol_error))
                return ban(peer, accepted.error().message);
            if (accepted.error().code == make_error_code(errc::rejected)) {
                // Valid but useless (a low-work branch): score it and ask the next peer.
                peer->misbehaving(20, accepted.error().message);
                if (asked && !peer->isClosed()) {
                    s->headersDeadline.reset();
                    for (const auto& [p, st] : m_states)
                        if (!st.headersAsked && p->isReady()) {
                            askHeaders(p);
                            break;
                        }
                }
                return;
            }
            JM_LOG(m_log, error) << "storing headers failed: " << accepted.error().message;
            return;
        }
        m_peers->setOurHeight(static_cast<std::int32_t>(m_headers.height()));
        if (!accepted->disconnected.empty()) onReorg(*accepted);
        if (m.headers.size() == MAX_HEADERS_ITEMS && accepted->added == 0) {
            // A full message of headers we all have: an honest peer starts after our locator.
            // Asking again would loop; its chain ends here for us.
            peer->misbehaving(20, "2000 headers we already have");
            if (peer->isClosed()) return;
        } else if (m.headers.size() == MAX_HEADERS_ITEMS) {
            askHeaders(peer);
            advanceFilterHeaders();
            return;
        }
        if (!asked && accepted->added > 0 && m_headersSynced) {
            // An announcement: nothing more to ask.
        }
    }
    if (asked) {
        s->headersDeadline.reset();
        m_headersSynced = true;
        // Ask the peers not asked yet, one after the other: they may know a better chain.
        for (const auto& [p, st] : m_states)
            if (!st.headersAsked && p->isReady()) {
                askHeaders(p);
                break;
            }
    }
    advanceFilterHeaders();
}

void P2pChainSource::onReorg(const HeadersAccepted& accepted) {
    auto fork = accepted.fork_height;
    JM_LOG(m_log, info) << "reorganisation: " << accepted.disconnected.size() << " blocks above height " << fork
                        << " replaced";
    auto old_tip = fork + static_cast<std::uint32_t>(accepted.disconnected.size());
    for (std::size_t i = 0; i < accepted.disconnected.size(); ++i) {
        auto height = old_tip - static_cast<std::uint32_t>(i);
        if (height <= m_reportedHeight) m_pendingDisconnected.push_back(accepted.disconnected[i]);
    }
    // Earlier pending ones are higher (a reorg lowers m_reportedHeight): highest first holds.
    m_reportedHeight = std::min(m_reportedHeight, fork);
    if (m_filterHeaders.count() > fork + 1)
        if (auto r = m_filterHeaders.truncate(fork + 1); !r)
            JM_LOG(m_log, error) << "dropping filter headers failed: " << r.error().message;
    forgetUncheckedAbove(m_filterHeaders.count());
    if (m_round && m_round->stop > fork) m_round.reset();
    if (m_recheck && m_recheck->stop > fork) m_recheck.reset();
    if (m_dispute && m_dispute->height > fork) m_dispute.reset();
    m_checkpointRound.reset();
    m_checkpoints.clear();
    m_checkpointsFor = Hash256{};
    if (m_filterBatch && m_filterBatch->next > fork) m_filterBatch.reset();
    for (auto& job : m_filterJobs)
        if (job.from + job.got.size() > fork + 1) job.got.resize(job.from > fork + 1 ? 0 : fork + 1 - job.from);
}

// ---------------------------------------------------------------------------------------------
// Filter headers

void P2pChainSource::advanceFilterHeaders() {
    if (!m_running || m_round || m_dispute || m_checkpointRound || m_recheck) return;
    auto count = m_filterHeaders.count();
    auto height = m_headers.height();
    std::vector<PeerConnectionPtr> peers;
    for (const auto& [p, s] : m_states)
        if (p->isReady()) peers.push_back(p);
    // What one peer alone gave is cross-checked first, as soon as another peer is there.
    if (startRecheck(peers)) return;
    if (count > height) {
        notifyChain();
        return;
    }
    if (peers.empty()) return;
    auto now = Clock::now();
    auto wanted = std::min(m_settings.cross_check_peers, m_settings.peers.peers.size());
    if (peers.size() < wanted && now - m_startedAt < m_settings.cross_check_wait) return; // tick() retries
    const auto& tip = m_headers.tip();
    // Checkpoints once per tip while far behind.
    if (height - count >= CHECKPOINT_INTERVAL && m_checkpointsFor != tip.hash) {
        m_checkpointsFor = tip.hash;
        m_checkpoints.clear();
        CheckpointRound round;
        round.stopHash = tip.hash;
        round.height = height;
        round.deadline = now + m_settings.request_timeout;
        for (const auto& p : peers) {
            round.waiting.insert(p);
            m_states[p].cfcheckpts.insert(tip.hash);
            p->send(GetCFCheckptMessage{BASIC, tip.hash});
        }
        m_checkpointRound = std::move(round);
        return;
    }
    CfRound round;
    round.start = count;
    round.stop = std::min(height, count + MAX_CFHEADERS - 1);
    auto next_checkpoint = m_checkpoints.lower_bound(count);
    if (next_checkpoint != m_checkpoints.end() && next_checkpoint->first <= round.stop) {
        round.stop = next_checkpoint->first;
        round.checkpointed = true;
    }
    round.stopHash = m_headers.atHeight(round.stop)->hash;
    round.deadline = now + m_settings.request_timeout;
    if (round.checkpointed) peers = {pickPeer()};
    for (const auto& p : peers) {
        round.waiting.insert(p);
        m_states[p].cfheaders.insert(round.stopHash);
        p->send(GetCFHeadersMessage{BASIC, round.start, round.stopHash});
    }
    m_round = std::move(round);
}

void P2pChainSource::onCfCheckpt(const PeerConnectionPtr& peer, const CFCheckptMessage& m) {
    auto& s = m_states[peer];
    auto it = s.cfcheckpts.find(m.stop_hash);
    if (it == s.cfcheckpts.end()) return junk(peer, "cfcheckpt");
    s.cfcheckpts.erase(it);
    if (!m_checkpointRound || m_checkpointRound->stopHash != m.stop_hash || !m_checkpointRound->waiting.count(peer))
        return; // an answer to a request a reorg made obsolete
    if (m.filter_type != BASIC || m.filter_headers.size() != m_checkpointRound->height / CHECKPOINT_INTERVAL)
        return ban(peer, "cfcheckpt of the wrong type or length");
    for (std::size_t i = 0; i < m.filter_headers.size(); ++i) {
        const auto* ours = m_filterHeaders.at(static_cast<std::uint32_t>((i + 1) * CHECKPOINT_INTERVAL));
        if (ours && *ours != m.filter_headers[i]) return ban(peer, "cfcheckpt contradicts verified filter headers");
    }
    m_checkpointRound->waiting.erase(peer);
    m_checkpointRound->answers[peer] = m.filter_headers;
    if (m_checkpointRound->waiting.empty()) concludeCheckpoints();
}

void P2pChainSource::concludeCheckpoints() {
    auto round = std::move(*m_checkpointRound);
    m_checkpointRound.reset();
    m_checkpoints.clear();
    if (!round.answers.empty()) {
        const auto& first = round.answers.begin()->second;
        bool agree =
            std::all_of(round.answers.begin(), round.answers.end(), [&](const auto& kv) { return kv.second == first; });
        if (agree) m_checkpointPeers = round.answers.size();
        if (agree)
            for (std::size_t i = 0; i < first.size(); ++i)
                m_checkpoints[static_cast<std::uint32_t>((i + 1) * CHECKPOINT_INTERVAL)] = first[i];
        else
            JM_LOG(m_log, warning) << "peers disagree on filter checkpoints: cross-checking every range";
    }
    post([this, alive = std::weak_ptr<int>(m_alive)] {
        if (!alive.expired()) advanceFilterHeaders();
    });
}

void P2pChainSource::onCfHeaders(const PeerConnectionPtr& peer, const CFHeadersMessage& m) {
    auto& s = m_states[peer];
    auto it = s.cfheaders.find(m.stop_hash);
    if (it == s.cfheaders.end()) return junk(peer, "cfheaders");
    s.cfheaders.erase(it);
    if (m_recheck && m_recheck->peer == peer && m_recheck->stopHash == m.stop_hash) return onRecheck(peer, m);
    if (!m_round || m_round->stopHash != m.stop_hash || !m_round->waiting.count(peer)) return;
    if (m.filter_type != BASIC) return ban(peer, "cfheaders of another filter type");
    if (m.filter_hashes.size() != m_round->stop - m_round->start + 1) return ban(peer, "cfheaders of the wrong length");
    if (m.prev_filter_header != *m_filterHeaders.previous(m_round->start))
        return ban(peer, "cfheaders on a previous header that contradicts the verified ones");
    if (m_round->checkpointed) {
        Hash256 h = m.prev_filter_header;
        for (const auto& fh : m.filter_hashes)
            h = jm::bitcoin::blockFilterHeader(fh, h);
        if (h != m_checkpoints[m_round->stop]) {
            m_round.reset();
            ban(peer, "cfheaders that miss the agreed checkpoint");
            advanceFilterHeaders();
            return;
        }
    }
    m_round->waiting.erase(peer);
    m_round->answers[peer] = m.filter_hashes;
    if (m_round->waiting.empty()) concludeRound();
}

void P2pChainSource::concludeRound() {
    auto round = std::move(*m_round);
    m_round.reset();
    auto again = [this] {
        post([this, alive = std::weak_ptr<int>(m_alive)] {
            if (!alive.expired()) advanceFilterHeaders();
        });
    };
    if (round.answers.empty()) return again();
    const auto& first = round.answers.begin()->second;
    std::size_t diff = first.size();
    for (const auto& [p, hashes] : round.answers)
        for (std::size_t i = 0; i < std::min(diff, hashes.size()); ++i)
            if (hashes[i] != first[i]) {
                diff = i;
                break;
            }
    if (diff == first.size()) {
        if (auto r = m_filterHeaders.append(first, m_headers); !r) {
            JM_LOG(m_log, error) << "storing filter headers failed: " << r.error().message;
            return;
        }
        // A checkpointed range is asked from one peer but must end at what all peers agreed on.
        auto witnesses = round.checkpointed ? m_checkpointPeers : round.answers.size();
        if (witnesses < 2) {
            std::vector<PeerConnectionPtr> suppliers;
            for (const auto& [p, hashes] : round.answers)
                suppliers.push_back(p);
            // Said once per unchecked span: a first sync on one peer takes a thousand rounds.
            bool first_unchecked = !m_uncheckedFrom;
            markSinglePeer(round.start, suppliers);
            if (first_unchecked)
                JM_LOG(m_log, warning) << "filter headers from " << round.start << " on come from "
                                       << round.answers.begin()->first->name()
                                       << " alone and are not cross-checked until another peer connects: a lying "
                                          "peer could hide transactions; configure at least two independent peers";
            else
                JM_LOG(m_log, debug) << "filter headers " << round.start << " to " << round.stop
                                     << " from one peer, not cross-checked";
        }
        JM_LOG(m_log, debug) << "filter headers verified to height " << round.stop;
        notifyChain();
        return again();
    }
    // Every answer starts on our previous header (checked) and agrees below `diff`.
    Hash256 prev = *m_filterHeaders.previous(round.start);
    for (std::size_t i = 0; i < diff; ++i)
        prev = jm::bitcoin::blockFilterHeader(first[i], prev);
    std::map<PeerConnectionPtr, Hash256> claims;
    for (const auto& [p, hashes] : round.answers)
        claims[p] = jm::bitcoin::blockFilterHeader(hashes[diff], prev);
    startDispute(round.start + static_cast<std::uint32_t>(diff), prev, std::move(claims));
}

void P2pChainSource::startDispute(std::uint32_t height, const Hash256& prev_header,
                                  std::map<PeerConnectionPtr, Hash256> claims, std::optional<Hash256> stored) {
    JM_LOG(m_log, warning) << "peers disagree on the filter of block " << height << ": checking the block";
    Dispute d;
    d.height = height;
    d.blockHash = m_headers.atHeight(height)->hash;
    d.prevHeader = prev_header;
    d.claims = std::move(claims);
    d.stored = stored;
    d.deadline = Clock::now() + m_settings.request_timeout;
    for (const auto& [p, claim] : d.claims) {
        m_states[p].cfilters.insert(d.blockHash);
        p->send(GetCFiltersMessage{BASIC, height, d.blockHash});
    }
    auto hash = d.blockHash;
    m_dispute = std::move(d);
    fetchBlock(hash, [this, hash](Result<Block> r) {
        if (!m_dispute || m_dispute->blockHash != hash) return;
        if (r)
            m_dispute->block = std::move(*r);
        else
            m_dispute->blockFailed = true;
        resolveDispute();
    });
}

void P2pChainSource::resolveDispute() {
    if (!m_dispute) return;
    auto& d = *m_dispute;
    bool all_filters =
        std::all_of(d.claims.begin(), d.claims.end(), [&](const auto& kv) { return d.filters.count(kv.first) > 0; });
    bool timed_out = Clock::now() >= d.deadline;
    if (d.blockFailed) {
        m_dispute.reset();
        return advanceFilterHeaders();
    }
    if (!d.block || (!all_filters && !timed_out)) return;
    auto dispute = std::move(d);
    m_dispute.reset();
    std::map<Hash256, std::vector<PeerConnectionPtr>> survivors;
    for (const auto& [p, claim] : dispute.claims) {
        auto f = dispute.filters.find(p);
        if (f == dispute.filters.end()) {
            m_peers->disconnect(p, "no filter sent in a dispute");
            continue;
        }
        if (jm::bitcoin::blockFilterHeader(jm::bitcoin::blockFilterHash(f->second), dispute.prevHeader) != claim) {
            ban(p, "a filter that is not the one its filter headers commit to");
            continue;
        }
        if (auto why = checkFilterAgainstBlock(*dispute.block, dispute.blockHash, f->second)) {
            ban(p, *why + " (block " + std::to_string(dispute.height) + ")");
            continue;
        }
        survivors[claim].push_back(p);
    }
    std::optional<Hash256> winner;
    if (survivors.size() == 1) winner = survivors.begin()->first;
    if (survivors.size() > 1) {
        // Both sides look right as far as the block shows (the difference is in the spent
        // scripts): the larger side wins, the others are dropped without a ban.
        std::size_t best = 0, best_count = 0;
        for (const auto& [claim, peers] : survivors)
            best = std::max(best, peers.size());
        for (const auto& [claim, peers] : survivors)
            best_count += peers.size() == best ? 1 : 0;
        for (const auto& [claim, peers] : survivors) {
            if (peers.size() == best && best_count == 1) winner = claim;
            if (peers.size() < best || best_count > 1)
                for (const auto& p : peers)
                    m_peers->disconnect(p, "outvoted on the filter of block " + std::to_string(dispute.height));
        }
    }
    // A recheck the stored filter headers lost (their supplier convicted or outvoted, or gone
    // while the other side's filter passed the block's checks): they go, and what the wallets
    // learned from them with them.
    if (dispute.stored && winner && *winner != *dispute.stored && m_filterHeaders.count() > dispute.height &&
        *m_filterHeaders.at(dispute.height) == *dispute.stored)
        dropFilterHeadersFrom(dispute.height);
    advanceFilterHeaders();
}

// ---------------------------------------------------------------------------------------------
// Filter headers one peer alone gave: cross-checked once another peer is there

void P2pChainSource::markSinglePeer(std::uint32_t from, const std::vector<PeerConnectionPtr>& suppliers) {
    m_uncheckedFrom = std::min(m_uncheckedFrom.value_or(from), from);
    for (const auto& p : suppliers)
        m_uncheckedBy.insert(p->name());
    saveUnchecked();
}

void P2pChainSource::saveUnchecked() {
    auto r = [&] {
        if (!m_uncheckedFrom) return m_store->erase(UNCHECKED_KEY);
        auto text = std::to_string(*m_uncheckedFrom);
        for (const auto& name : m_uncheckedBy)
            text += "\n" + name;
        return m_store->put(UNCHECKED_KEY, text);
    }();
    if (!r) JM_LOG(m_log, error) << "storing which filter headers are not cross-checked failed: " << r.error().message;
}

void P2pChainSource::forgetUncheckedAbove(std::uint32_t count) {
    if (!m_uncheckedFrom || *m_uncheckedFrom < count) return;
    m_uncheckedFrom.reset();
    m_uncheckedBy.clear();
    saveUnchecked();
}

bool P2pChainSource::startRecheck(const std::vector<PeerConnectionPtr>& peers) {
    auto count = m_filterHeaders.count();
    if (!m_uncheckedFrom || *m_uncheckedFrom >= count) return false;
    // Another address than the suppliers': a supplier reconnecting proves nothing.
    auto other =
        std::find_if(peers.begin(), peers.end(), [&](const auto& p) { return !m_uncheckedBy.count(p->name()); });
    if (other == peers.end()) return false;
    Recheck r;
    r.peer = *other;
    r.start = *m_uncheckedFrom;
    r.stop = std::min(count - 1, r.start + MAX_CFHEADERS - 1);
    r.stopHash = m_headers.atHeight(r.stop)->hash;
    r.deadline = Clock::now() + m_settings.request_timeout;
    JM_LOG(m_log, info) << "cross-checking filter headers " << r.start << " to " << r.stop << " (one peer's word) with "
                        << r.peer->name();
    m_states[r.peer].cfheaders.insert(r.stopHash);
    r.peer->send(GetCFHeadersMessage{BASIC, r.start, r.stopHash});
    m_recheck = std::move(r);
    return true;
}

void P2pChainSource::onRecheck(const PeerConnectionPtr& peer, const CFHeadersMessage& m) {
    auto r = std::move(*m_recheck);
    m_recheck.reset();
    if (m.filter_type != BASIC) return ban(peer, "cfheaders of another filter type");
    if (m.filter_hashes.size() != r.stop - r.start + 1) return ban(peer, "cfheaders of the wrong length");
    // Below the range everything was cross-checked (or is genesis' zero).
    if (m.prev_filter_header != *m_filterHeaders.previous(r.start))
        return ban(peer, "cfheaders on a previous header that contradicts the verified ones");
    Hash256 prev = m.prev_filter_header;
    for (std::size_t i = 0; i < m.filter_hashes.size(); ++i) {
        auto height = r.start + static_cast<std::uint32_t>(i);
        auto theirs = jm::bitcoin::blockFilterHeader(m.filter_hashes[i], prev);
        const auto* ours = m_filterHeaders.at(height);
        if (!ours) break; // dropped meanwhile: asked again from advanceFilterHeaders
        if (theirs != *ours) {
            JM_LOG(m_log, warning) << "peer " << peer->name() << " contradicts the filter header of block " << height
                                   << " that one peer alone gave";
            if (m_uncheckedFrom && *m_uncheckedFrom == r.start && height > r.start) { // agreed below
                m_uncheckedFrom = height;
                saveUnchecked();
            }
            std::map<PeerConnectionPtr, Hash256> claims{{peer, theirs}};
            for (const auto& [p, st] : m_states)
                if (p != peer && p->isReady() && m_uncheckedBy.count(p->name())) claims[p] = *ours;
            startDispute(height, prev, std::move(claims), *ours);
            return;
        }
        prev = theirs;
    }
    JM_LOG(m_log, info) << "filter headers " << r.start << " to " << r.stop << " confirmed by " << peer->name();
    if (m_uncheckedFrom && *m_uncheckedFrom == r.start) {
        m_uncheckedFrom = r.stop + 1;
        if (*m_uncheckedFrom >= m_filterHeaders.count()) m_uncheckedFrom.reset();
        if (!m_uncheckedFrom) m_uncheckedBy.clear();
        saveUnchecked();
    }
    advanceFilterHeaders();
}

void P2pChainSource::dropFilterHeadersFrom(std::uint32_t height) {
    JM_LOG(m_log, warning) << "the stored filter headers from block " << height
                           << " were wrong: dropped, fetched again, and the blocks above rescanned";
    // The wallets matched these blocks against filters we no longer trust: reported as
    // disconnected (highest first), they rescan them once the filter headers are back.
    for (auto h = m_reportedHeight; h >= height && h > 0; --h)
        m_pendingDisconnected.push_back(m_headers.atHeight(h)->hash);
    auto fork = height == 0 ? 0 : height - 1;
    m_reportedHeight = std::min(m_reportedHeight, fork);
    if (auto r = m_filterHeaders.truncate(height); !r)
        JM_LOG(m_log, error) << "dropping filter headers failed: " << r.error().message;
    forgetUncheckedAbove(m_filterHeaders.count());
    m_checkpointsFor = Hash256{}; // ask the checkpoints again (they may have come from the liar)
    m_checkpoints.clear();
    if (m_filterBatch && m_filterBatch->stop >= height) m_filterBatch.reset();
    for (auto& job : m_filterJobs)
        if (job.from + job.got.size() > height) job.got.resize(job.from > height ? 0 : height - job.from);
}

// ---------------------------------------------------------------------------------------------
// Filters

void P2pChainSource::onCFilter(const PeerConnectionPtr& peer, const CFilterMessage& m) {
    auto& s = m_states[peer];
    auto it = s.cfilters.find(m.block_hash);
    if (it == s.cfilters.end()) return junk(peer, "cfilter");
    s.cfilters.erase(it);
    if (m.filter_type != BASIC) return ban(peer, "cfilter of another filter type");
    if (m_dispute && m_dispute->blockHash == m.block_hash && m_dispute->claims.count(peer)) {
        m_dispute->filters[peer] = m.filter;
        resolveDispute();
        return;
    }
    if (!m_filterBatch || m_filterBatch->peer != peer) return; // obsolete batch
    auto& batch = *m_filterBatch;
    const auto* entry = m_headers.atHeight(batch.next);
    if (!entry || entry->hash != m.block_hash) return ban(peer, "cfilter out of order");
    const auto* expected = m_filterHeaders.at(batch.next);
    const auto* prev = m_filterHeaders.previous(batch.next);
    if (!expected || !prev) {
        m_filterBatch.reset();
        return;
    }
    if (jm::bitcoin::blockFilterHeader(jm::bitcoin::blockFilterHash(m.filter), *prev) != *expected) {
        m_filterBatch.reset();
        ban(peer, "a filter that does not match the verified filter header of block " + std::to_string(entry->height));
        processFilters();
        return;
    }
    auto& job = m_filterJobs.front();
    job.got.push_back(VerifiedFilter{batch.next, m.block_hash, m.filter});
    job.idleSince = Clock::now();
    batch.deadline = Clock::now() + m_settings.request_timeout;
    ++batch.next;
    if (batch.next > batch.stop) m_filterBatch.reset();
    processFilters();
}

void P2pChainSource::processFilters() {
    while (!m_filterJobs.empty() && !m_filterBatch) {
        auto& job = m_filterJobs.front();
        auto next = job.from + static_cast<std::uint32_t>(job.got.size());
        if (next > job.to) {
            auto done = std::move(job.done);
            auto got = std::move(job.got);
            m_filterJobs.pop_front();
            post([done = std::move(done), got = std::move(got)]() mutable { done(std::move(got)); });
            continue;
        }
        if (next >= m_filterHeaders.count()) return; // a reorg: wait for the filter headers
        auto peer = pickPeer();
        if (!peer) return;
        auto stop = std::min({job.to, next + m_settings.filter_batch - 1, m_filterHeaders.count() - 1});
        auto& s = m_states[peer];
        for (auto h = next; h <= stop; ++h)
            s.cfilters.insert(m_headers.atHeight(h)->hash);
        peer->send(GetCFiltersMessage{BASIC, next, m_headers.atHeight(stop)->hash});
        m_filterBatch = FilterBatch{peer, next, stop, Clock::now() + m_settings.request_timeout};
    }
}

// ---------------------------------------------------------------------------------------------
// Blocks

void P2pChainSource::fetchBlock(const Hash256& hash, BlockCallback done) {
    auto& job = m_blockJobs[hash];
    if (job.waiters.empty()) job.idleSince = Clock::now();
    job.waiters.push_back(std::move(done));
    processBlocks();
}

void P2pChainSource::processBlocks() {
    for (auto& [hash, job] : m_blockJobs) {
        if (job.peer) continue;
        auto peer = pickPeer(job.tried);
        if (!peer && !job.tried.empty()) {
            job.tried.clear(); // every peer failed once: try them again
            peer = pickPeer();
        }
        if (!peer) continue;
        job.peer = peer;
        job.tried.insert(peer);
        job.deadline = Clock::now() + m_settings.request_timeout;
        m_states[peer].blocks.insert(hash);
        peer->send(GetDataMessage{{InvItem{MSG_WITNESS_BLOCK, hash}}});
    }
}

void P2pChainSource::onBlock(const PeerConnectionPtr& peer, const BlockMessage& m) {
    auto hash = m.block.header.hash();
    auto& s = m_states[peer];
    auto it = s.blocks.find(hash);
    if (it == s.blocks.end()) return junk(peer, "block");
    s.blocks.erase(it);
    auto job = m_blockJobs.find(hash);
    if (job == m_blockJobs.end() || job->second.peer != peer) return;
    if (m.block.computeMerkleRoot() != m.block.header.merkle_root) {
        job->second.peer.reset();
        ban(peer, "a block whose transactions do not match its merkle root");
        processBlocks();
        return;
    }
    auto waiters = std::move(job->second.waiters);
    m_blockJobs.erase(job);
    for (auto& w : waiters)
        post([w = std::move(w), block = m.block]() mutable { w(std::move(block)); });
}

void P2pChainSource::onNotFound(const PeerConnectionPtr& peer, const NotFoundMessage& m) {
    auto& s = m_states[peer];
    for (const auto& item : m.items) {
        if ((item.type & ~MSG_WITNESS_FLAG) == MSG_BLOCK) {
            auto it = s.blocks.find(item.hash);
            if (it == s.blocks.end()) continue;
            s.blocks.erase(it);
            auto job = m_blockJobs.find(item.hash);
            if (job != m_blockJobs.end() && job->second.peer == peer) job->second.peer.reset();
        } else if (s.txs.erase(item.hash)) {
            m_txInflight -= std::min<std::size_t>(m_txInflight, 1);
            m_seenTxs.erase(hashKey(item.hash));
        }
    }
    processBlocks();
}

// ---------------------------------------------------------------------------------------------
// Transactions

void P2pChainSource::onInv(const PeerConnectionPtr& peer, const InvMessage& m) {
    auto& s = m_states[peer];
    std::vector<InvItem> wanted;
    bool new_block = false;
    for (const auto& item : m.items) {
        auto type = item.type & ~MSG_WITNESS_FLAG;
        if (type == MSG_BLOCK) {
            if (!m_headers.find(item.hash)) new_block = true;
            continue;
        }
        if (type != MSG_TX && type != MSG_WTX) continue;
        if (!m_mempoolHandler || m_broadcasts.count(item.hash)) continue;
        if (m_txInflight >= m_settings.max_mempool_inflight || s.txs.size() >= m_settings.max_peer_tx_inflight) break;
        auto key = hashKey(item.hash);
        if (!m_seenTxs.insert(key).second) continue;
        m_seenOrder.push_back(key);
        if (m_seenOrder.size() > m_settings.max_seen_txs) {
            m_seenTxs.erase(m_seenOrder.front());
            m_seenOrder.pop_front();
        }
        s.txs.emplace(item.hash, Clock::now() + m_settings.request_timeout);
        ++m_txInflight;
        wanted.push_back(InvItem{type == MSG_WTX ? static_cast<std::uint32_t>(MSG_WTX) : MSG_WITNESS_TX, item.hash});
    }
    if (!wanted.empty()) peer->send(GetDataMessage{std::move(wanted)});
    if (new_block && !s.headersDeadline) askHeaders(peer);
}

void P2pChainSource::onGetData(const PeerConnectionPtr& peer, const GetDataMessage& m) {
    std::vector<InvItem> missing;
    for (const auto& item : m.items) {
        auto type = item.type & ~MSG_WITNESS_FLAG;
        Broadcast* b = nullptr;
        if (type == MSG_TX) {
            auto it = m_broadcasts.find(item.hash);
            if (it != m_broadcasts.end()) b = &it->second;
        } else if (type == MSG_WTX) {
            for (auto& [txid, candidate] : m_broadcasts)
                if (candidate.wtxid == item.hash) b = &candidate;
        }
        if (!b) {
            missing.push_back(item);
            continue;
        }
        peer->send(TxMessage{b->tx});
        if (!b->done) continue;
        // Done only once the peer has processed the transaction: the pong to a ping sent after
        // it proves that. Reporting success at getdata let `jmnode wallet send` exit before the
        // bytes left this process.
        JM_LOG(m_log, debug) << "peer " << peer->name() << " fetched broadcast " << b->tx.txidHex();
        peer->roundTrip([this, alive = std::weak_ptr<int>(m_alive), txid = b->tx.txid(), name = peer->name()] {
            if (alive.expired()) return;
            auto it = m_broadcasts.find(txid);
            if (it == m_broadcasts.end() || !it->second.done) return; // another peer was first
            JM_LOG(m_log, info) << "peer " << name << " received broadcast " << it->second.tx.txidHex();
            post([done = std::move(it->second.done)] { done(Result<void>{}); });
            it->second.done = nullptr;
        });
    }
    if (!missing.empty()) peer->send(NotFoundMessage{std::move(missing)});
}

void P2pChainSource::onTx(const PeerConnectionPtr& peer, const TxMessage& m) {
    auto& s = m_states[peer];
    auto txid = m.tx.txid();
    if (!s.txs.erase(txid) && !s.txs.erase(m.tx.wtxid())) return junk(peer, "tx");
    m_txInflight -= std::min<std::size_t>(m_txInflight, 1);
    if (m_mempoolHandler) m_mempoolHandler(m.tx);
}

// ---------------------------------------------------------------------------------------------
// Events and deadlines

void P2pChainSource::notifyChain() {
    auto verified = verifiedHeight();
    bool caught_up = m_filterHeaders.count() == m_headers.height() + 1;
    if (verified <= m_reportedHeight && !(caught_up && !m_pendingDisconnected.empty())) return;
    ChainChange change;
    change.fork_height = m_reportedHeight;
    change.disconnected = std::move(m_pendingDisconnected);
    m_pendingDisconnected.clear();
    change.new_height = verified;
    change.new_tip = m_headers.atHeight(verified)->hash;
    m_reportedHeight = verified;
    if (m_chainHandler)
        post([this, alive = std::weak_ptr<int>(m_alive), change = std::move(change)] {
            if (!alive.expired() && m_chainHandler) m_chainHandler(change);
        });
    processFilters();
}

void P2pChainSource::scheduleTick() {
    m_ticker.expires_after(m_settings.tick);
    m_ticker.async_wait([this, alive = std::weak_ptr<int>(m_alive)](boost::system::error_code ec) {
        if (ec || alive.expired() || !m_running) return;
        tick();
        scheduleTick();
    });
}

void P2pChainSource::tick() {
    auto now = Clock::now();
    bool no_peers = m_peers->readyPeers().empty();
    std::vector<PeerConnectionPtr> late;
    for (const auto& [p, s] : m_states)
        if (s.headersDeadline && now >= *s.headersDeadline) late.push_back(p);
    if (m_round && now >= m_round->deadline) late.insert(late.end(), m_round->waiting.begin(), m_round->waiting.end());
    if (m_recheck && now >= m_recheck->deadline) late.push_back(m_recheck->peer);
    if (m_checkpointRound && now >= m_checkpointRound->deadline)
        late.insert(late.end(), m_checkpointRound->waiting.begin(), m_checkpointRound->waiting.end());
    if (m_filterBatch && now >= m_filterBatch->deadline) late.push_back(m_filterBatch->peer);
    for (auto& [hash, job] : m_blockJobs)
        if (job.peer && now >= job.deadline) late.push_back(job.peer);
    if (m_dispute && now >= m_dispute->deadline)
        for (const auto& [p, claim] : m_dispute->claims)
            if (!m_dispute->filters.count(p)) late.push_back(p);
    for (const auto& p : late)
        m_peers->disconnect(p, "did not answer in time");
    for (auto& [p, s] : m_states) // transactions asked, not sent (nor notfound): given up
        for (auto it = s.txs.begin(); it != s.txs.end();) {
            if (now < it->second) {
                ++it;
                continue;
            }
            m_seenTxs.erase(hashKey(it->first));
            m_txInflight -= std::min<std::size_t>(m_txInflight, 1);
            it = s.txs.erase(it);
        }

    // Requests nobody can serve fail after request_timeout without a peer.
    auto unavailable =
        fail(errc::unavailable, m_peers->noPeerReason().empty() ? "no peer serves compact filters and blocks now"
                                                                : m_peers->noPeerReason());
    if (no_peers) {
        while (!m_filterJobs.empty() && now - m_filterJobs.front().idleSince >= m_settings.request_timeout) {
            post([done = std::move(m_filterJobs.front().done), unavailable] { done(unavailable); });
            m_filterJobs.pop_front();
            m_filterBatch.reset();
        }
        for (auto it = m_blockJobs.begin(); it != m_blockJobs.end();) {
            if (!it->second.peer && now - it->second.idleSince >= m_settings.request_timeout) {
                for (auto& w : it->second.waiters)
                    post([w = std::move(w), unavailable] { w(unavailable); });
                it = m_blockJobs.erase(it);
            } else {
                ++it;
            }
        }
    } else {
        if (!m_filterJobs.empty()) m_filterJobs.front().idleSince = now;
        for (auto& [hash, job] : m_blockJobs)
            job.idleSince = now;
    }
    for (auto it = m_broadcasts.begin(); it != m_broadcasts.end();) {
        auto& b = it->second;
        if (b.done && now >= b.deadline) {
            post([done = std::move(b.done)] { done(fail(errc::timeout, "no peer fetched the transaction")); });
            b.done = nullptr;
        }
        if (!b.done && now >= b.serveUntil)
            it = m_broadcasts.erase(it);
        else
            ++it;
    }
    if (m_dispute) resolveDispute();
    advanceFilterHeaders();
}

} // namespace jm::plugins::backend_neutrino
