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
    std::size_t max_seen_txs = 50'000;       //!< announced txids remembered (not fetched twice)
    std::uint32_t filter_batch = 1000;       //!< filters per getcfilters (BIP157's maximum)
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
    //! Filter headers this session accepted on the word of one peer alone (nothing to
    //! cross-check them with): a lying peer could hide a wallet's transactions in them. Each
    //! such range is also logged as a warning.
    std::uint32_t singlePeerFilterHeaders() const { return m_singlePeerFilterHeaders; }
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
        std::set<jm::bitcoin::Hash256> txs;
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
    struct Dispute {
        std::uint32_t height = 0;
        jm::bitcoin::Hash256 blockHash{};
        std::map<PeerConnectionPtr, jm::bitcoin::Hash256> claims;
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
    void startDispute(std::uint32_t height, std::map<PeerConnectionPtr, jm::bitcoin::Hash256> claims);
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
    std::uint32_t m_singlePeerFilterHeaders = 0;
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
