#pragma once

#include "chain_params.hpp"
#include "filter_header_chain.hpp"
#include "header_chain.hpp"
#include "light_chain_source.hpp"
#include "peer_manager.hpp"

#include <jm/sdk/kv_store.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>

namespace jm::plugins::backend_neutrino {

struct P2pChainSourceSettings {
    ChainParams params;        //!< usually chainParams(network); tests may adjust
    PeerManagerSettings peers; //!< peers.connection.network must match params.network
    //! A peer that does not answer a request (headers, filter headers, filters, a block) within
    //! this time is disconnected (not banned) and the request goes to another peer.
    std::chrono::milliseconds request_timeout{30'000};
    //! broadcast() fails with errc::timeout when no peer fetched the transaction by then.
    std::chrono::milliseconds broadcast_timeout{60'000};
    //! A broadcast transaction is served to peers that ask for this long after it was announced.
    std::chrono::milliseconds broadcast_serve{600'000};
    std::chrono::milliseconds tick{250}; //!< how often deadlines are checked
    //! Filter headers are fetched once this many peers (at most the configured count) are
    //! ready, so that they are cross-checked, or after cross_check_wait with fewer.
    std::size_t cross_check_peers = 2;
    std::chrono::milliseconds cross_check_wait{10'000};
    std::size_t max_mempool_inflight = 1000; //!< unconfirmed transactions requested, not yet received
    //! ... of them from one peer (Core's MAX_PEER_TX_REQUEST_IN_FLIGHT): a peer announcing
    //! transactions it never sends cannot take every slot. A request unanswered after
    //! request_timeout is given up, and the transaction fetched when announced again.
    std::size_t max_peer_tx_inflight = 100;
    std::size_t max_seen_txs = 50'000; //!< announced txids remembered (not fetched twice)
    std::uint32_t filter_batch = 1000; //!< filters per getcfilters (BIP157's maximum)
};

//! LightChainSource over Bitcoin P2P: headers from every peer (getheaders, then sendheaders
//! announcements) into a HeaderChain; BIP157 filter headers into a FilterHeaderChain, both
//! persisted in `store` so a restart resumes (as are the PeerManager's bans); filters, blocks
//! and transaction relay on request.
//!
//! Filter headers: the checkpoints (getcfcheckpt, every 1000 blocks) are asked from every peer;
//! when all agree, each 1000-block range is fetched from one peer and must end at the
//! checkpoint, otherwise (and past the last checkpoint) each range is asked from every peer and
//! the answers compared. On a disagreement the first differing block is fetched (merkle root
//! checked) with each disputing peer's filter for it: a filter whose hash is not the one the
//! peer committed to, that does not decode, that misses an output script of the block, that
//! holds more elements than the block's output scripts plus its inputs could give, or (for a
//! block of only a coinbase, whose filter has no spent scripts) that differs from the one built
//! here, convicts its peer, which is banned. BIP158 filters also hold the scripts the inputs
//! spend, which a light client cannot see; when the filters of both sides pass these checks,
//! the side with more peers wins and the others are disconnected without a ban (and a tie
//! disconnects all of them, so the range is asked again once peers come back). Filters
//! (getcfilters) are checked against the verified filter headers, blocks against the header's
//! merkle root; a peer sending something else, or something nobody asked for, is banned.
//!
//! Filter headers taken on one peer's word (no other peer was there) are remembered (from which
//! height, and from whom; persisted) and cross-checked as soon as another peer is ready: it is
//! asked for the filter headers over that range and its answer compared with the stored ones.
//! A difference is a dispute as above between it and the suppliers still connected; when the
//! stored side loses (or nobody is there to defend it against a filter the block does not
//! contradict) the stored filter headers from the differing block on are dropped, the blocks
//! above it are reported disconnected (so wallets rescan them) and fetched again.
//!
//! Executor: one strand for everything (see LightChainSource). Ownership: keeps a reference
//! to `store`, which must outlive it; the destructor completes pending requests with
//! errc::cancelled (posted).
class P2pChainSource final : public LightChainSource {
public:
    //! Loads the chains stored in `store` (or starts at genesis). Errors: as HeaderChain::open
    //! and FilterHeaderChain::open; errc::invalid_config when the peers' network differs.
    static jm::sdk::Result<std::unique_ptr<P2pChainSource>>
    open(jm::sdk::Executor strand, P2pChainSourceSettings settings, jm::sdk::KvStore& store);
    ~P2pChainSource() override;

    //! Connects to the peers and starts syncing.
    void start();
    //! Closes every connection; pending requests complete with errc::cancelled.
    void stop();

    std::uint32_t verifiedHeight() const override;
    bool synced() const override;
    std::string unavailableReason() const override;
    std::optional<jm::bitcoin::BlockHeader> headerAt(std::uint32_t height) const override;
    std::optional<std::uint32_t> heightOf(const jm::bitcoin::Hash256& block_hash) const override;
    void getFilters(std::uint32_t from, std::uint32_t to,
                    std::function<void(jm::sdk::Result<std::vector<VerifiedFilter>>)> done) override;
    void getBlock(const jm::bitcoin::Hash256& block_hash,
                  std::function<void(jm::sdk::Result<jm::bitcoin::Block>)> done) override;
    void broadcast(jm::bitcoin::Transaction tx, std::function<void(jm::sdk::Result<void>)> done) override;
    void onChainChanged(std::function<void(const ChainChange&)> handler) override;
    void onMempoolTransaction(std::function<void(const jm::bitcoin::Transaction&)> handler) override;

    //! Diagnostics (status pages, tests).
    std::uint32_t headerHeight() const { return m_headers.height(); }
    std::uint32_t filterHeaderCount() const { return m_filterHeaders.count(); }
    std::size_t readyPeerCount() const { return m_peers->readyPeers().size(); }
    bool isBanned(const std::string& host_port) const { return m_peers->isBanned(host_port); }
    //! Filter headers held on the word of one peer alone, not cross-checked by another peer yet
    //! (from the lowest such height to the top): a lying peer could hide a wallet's
    //! transactions in them. Each such range is also logged as a warning when accepted.
    std::uint32_t singlePeerFilterHeaders() const {
        return m_uncheckedFrom && *m_uncheckedFrom < m_filterHeaders.count()
                   ? m_filterHeaders.count() - *m_uncheckedFrom
                   : 0;
    }
    const PeerManager& peers() const { return *m_peers; }

private:
    using Clock = std::chrono::steady_clock;
    using BlockCallback = std::function<void(jm::sdk::Result<jm::bitcoin::Block>)>;

    struct PeerState {
        bool headersAsked = false;
        std::optional<Clock::time_point> headersDeadline; //!< a getheaders in flight
        std::multiset<jm::bitcoin::Hash256> cfheaders;    //!< stop hashes asked
        std::multiset<jm::bitcoin::Hash256> cfcheckpts;
        std::multiset<jm::bitcoin::Hash256> cfilters; //!< block hashes asked
        std::multiset<jm::bitcoin::Hash256> blocks;
        std::map<jm::bitcoin::Hash256, Clock::time_point> txs; //!< asked, with their deadlines
    };
    struct CfRound { //!< one getcfheaders range
        std::uint32_t start = 0, stop = 0;
        jm::bitcoin::Hash256 stopHash{};
        bool checkpointed = false;
        std::map<PeerConnectionPtr, std::vector<jm::bitcoin::Hash256>> answers;
        std::set<PeerConnectionPtr> waiting;
        Clock::time_point deadline;
    };
    struct CheckpointRound {
        jm::bitcoin::Hash256 stopHash{};
        std::uint32_t height = 0;
        std::map<PeerConnectionPtr, std::vector<jm::bitcoin::Hash256>> answers;
        std::set<PeerConnectionPtr> waiting;
        Clock::time_point deadline;
    };
    struct Recheck { //!< one getcfheaders over single-peer filter headers, to another peer
        PeerConnectionPtr peer;
        std::uint32_t start = 0, stop = 0;
        jm::bitcoin::Hash256 stopHash{};
        Clock::time_point deadline;
    };
    struct Dispute {
        std::uint32_t height = 0;
        jm::bitcoin::Hash256 blockHash{};
        jm::bitcoin::Hash256 prevHeader{}; //!< the filter header below `height` every side agrees on
        //! The filter header each peer claims for `height` (on prevHeader).
        std::map<PeerConnectionPtr, jm::bitcoin::Hash256> claims;
        //! A recheck: the stored filter header of `height`, dropped with those above when it loses.
        std::optional<jm::bitcoin::Hash256> stored;
        std::map<PeerConnectionPtr, jm::bitcoin::Bytes> filters;
        std::optional<jm::bitcoin::Block> block;
        bool blockFailed = false;
        Clock::time_point deadline;
    };
    struct FilterJob {
        std::uint32_t from = 0, to = 0;
        std::vector<VerifiedFilter> got;
        std::function<void(jm::sdk::Result<std::vector<VerifiedFilter>>)> done;
        Clock::time_point idleSince;
    };
    struct FilterBatch {
        PeerConnectionPtr peer;
        std::uint32_t next = 0, stop = 0;
        Clock::time_point deadline;
    };
    struct BlockJob {
        std::vector<BlockCallback> waiters;
        PeerConnectionPtr peer;
        std::set<PeerConnectionPtr> tried;
        Clock::time_point deadline;
        Clock::time_point idleSince;
    };
    struct Broadcast {
        jm::bitcoin::Transaction tx;
        jm::bitcoin::Hash256 wtxid{};
        std::function<void(jm::sdk::Result<void>)> done;
        Clock::time_point deadline, serveUntil;
    };

    P2pChainSource(jm::sdk::Executor strand, P2pChainSourceSettings settings, jm::sdk::KvStore& store,
                   HeaderChain headers, FilterHeaderChain filter_headers);

    void onPeerReady(const PeerConnectionPtr& peer);
    void onPeerMessage(const PeerConnectionPtr& peer, const Message& message);
    void onPeerClosed(const PeerConnectionPtr& peer);
    PeerState* stateOf(const PeerConnectionPtr& peer);
    void junk(const PeerConnectionPtr& peer, const std::string& what);
    void ban(const PeerConnectionPtr& peer, const std::string& reason);

    void askHeaders(const PeerConnectionPtr& peer);
    void onHeaders(const PeerConnectionPtr& peer, const HeadersMessage& m);
    void onReorg(const HeadersAccepted& accepted);

    void advanceFilterHeaders();
    void onCfCheckpt(const PeerConnectionPtr& peer, const CFCheckptMessage& m);
    void concludeCheckpoints();
    void onCfHeaders(const PeerConnectionPtr& peer, const CFHeadersMessage& m);
    void concludeRound();
    void startDispute(std::uint32_t height, const jm::bitcoin::Hash256& prev_header,
                      std::map<PeerConnectionPtr, jm::bitcoin::Hash256> claims,
                      std::optional<jm::bitcoin::Hash256> stored = std::nullopt);
    void markSinglePeer(std::uint32_t from, const std::vector<PeerConnectionPtr>& suppliers);
    void saveUnchecked();
    void forgetUncheckedAbove(std::uint32_t count);
    bool startRecheck(const std::vector<PeerConnectionPtr>& peers);
    void onRecheck(const PeerConnectionPtr& peer, const CFHeadersMessage& m);
    void dropFilterHeadersFrom(std::uint32_t height);
    void resolveDispute();

    void onCFilter(const PeerConnectionPtr& peer, const CFilterMessage& m);
    void processFilters();
    void fetchBlock(const jm::bitcoin::Hash256& hash, BlockCallback done);
    void processBlocks();
    void onBlock(const PeerConnectionPtr& peer, const BlockMessage& m);
    void onInv(const PeerConnectionPtr& peer, const InvMessage& m);
    void onGetData(const PeerConnectionPtr& peer, const GetDataMessage& m);
    void onTx(const PeerConnectionPtr& peer, const TxMessage& m);
    void onNotFound(const PeerConnectionPtr& peer, const NotFoundMessage& m);

    void notifyChain();
    void scheduleTick();
    void tick();
    PeerConnectionPtr pickPeer(const std::set<PeerConnectionPtr>& avoid = {});
    template <class F> void post(F&& f);

    jm::sdk::Executor m_strand;
    P2pChainSourceSettings m_settings;
    jm::sdk::KvStore* m_store;
    HeaderChain m_headers;
    FilterHeaderChain m_filterHeaders;
    std::unique_ptr<PeerManager> m_peers;
    std::map<PeerConnectionPtr, PeerState> m_states;
    jm::sdk::Logger m_log;
    boost::asio::steady_timer m_ticker;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    bool m_running = false;
    Clock::time_point m_startedAt;
    std::size_t m_roundRobin = 0;

    bool m_headersSynced = false;
    std::optional<CheckpointRound> m_checkpointRound;
    jm::bitcoin::Hash256 m_checkpointsFor{};                     //!< the tip the checkpoints were asked for
    std::map<std::uint32_t, jm::bitcoin::Hash256> m_checkpoints; //!< agreed by every peer
    std::size_t m_checkpointPeers = 0;                           //!< how many peers agreed
    std::optional<std::uint32_t> m_uncheckedFrom;                //!< lowest filter header on one peer's word
    std::set<std::string> m_uncheckedBy;                         //!< the peers (host:port) whose word it was
    std::optional<Recheck> m_recheck;
    std::optional<CfRound> m_round;
    std::optional<Dispute> m_dispute;

    std::deque<FilterJob> m_filterJobs;
    std::optional<FilterBatch> m_filterBatch;
    std::map<jm::bitcoin::Hash256, BlockJob> m_blockJobs;
    std::map<jm::bitcoin::Hash256, Broadcast> m_broadcasts; //!< by txid

    std::unordered_set<std::string> m_seenTxs; //!< txid bytes
    std::deque<std::string> m_seenOrder;
    std::size_t m_txInflight = 0;

    std::uint32_t m_reportedHeight = 0;
    std::vector<jm::bitcoin::Hash256> m_pendingDisconnected;
    std::function<void(const ChainChange&)> m_chainHandler;
    std::function<void(const jm::bitcoin::Transaction&)> m_mempoolHandler;
};

} // namespace jm::plugins::backend_neutrino
