#pragma once

#include "light_chain_source.hpp"
#include "neutrino_settings.hpp"
#include "wallet_state.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/tx_watch.hpp>
#include <jm/sdk/context.hpp>

#include <deque>
#include <map>
#include <memory>
#include <set>

namespace jm::plugins::backend_neutrino {

//! backend/1 over a BIP157/158 light client (LightChainSource): wallets are tracked by matching
//! their scripts against the verified block filters from their birthday on and fetching the
//! blocks that match; what a full node's wallet reports (UTXOs, used scripts, range usage,
//! history) is derived from the relevant transactions (WalletState) and kept in the instance's
//! store, so a restart continues where the scan stopped. New blocks are followed (reorganised
//! ones undone and scanned again), relayed unconfirmed transactions count with 0
//! confirmations, watched transactions publish chain.tx_status/1. It keeps no UTXO set: a
//! counterparty's coin is found only with the NG neutrino_compat hint (getTxOutHinted).
//! Fee estimates are not its business (errc::unsupported; the fee plugin supplies rates).
//! Executor: BlockchainBackend members may be called from any strand (they post to the
//! instance's strand, where all state lives and the source is used); completions are posted to
//! the executor given. Ownership: `ctx` and `source` outlive the backend; handlers the source
//! calls after the backend is gone do nothing.
class NeutrinoBackend final : public jm::chain::BlockchainBackend {
public:
    NeutrinoBackend(jm::sdk::PluginContext& ctx, LightChainSource& source, NeutrinoSettings settings);
    ~NeutrinoBackend() override;

    //! Subscribes to the source's chain changes and relayed transactions. Executor: the strand
    //! (or before the io_context runs).
    void start();
    //! Stops following; queued scans complete with errc::cancelled.
    void stop();

    void tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) override;
    void scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                    jm::chain::Callback<jm::chain::WalletScan> done) override;
    //! Wallet outputs only (from the wallet's transactions); others: errc::unsupported.
    void getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                  jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override;
    //! any_outpoint_lookup = false.
    jm::chain::BackendCapabilities capabilities() const override;
    //! The output found in the block at hint.height through its filter (value and script as the
    //! block has them; nullopt when the hint is wrong), then the filters since and the relayed
    //! transactions searched for a spend (nullopt when spent). Bounded per call by
    //! hint_max_filters / hint_max_blocks (errc::unavailable; the progress is cached and the
    //! next call continues). Without a hint: getTxOut.
    void getTxOutHinted(jm::bitcoin::OutPoint outpoint, std::optional<jm::chain::OutPointHint> hint,
                        jm::sdk::Executor ex, jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override;
    //! Wallet transactions and any the backend saw (broadcast, relayed, found for a watch);
    //! errc::not_found otherwise.
    void getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) override;
    //! Hands the transaction to the peers; the txid once a peer fetched it. Errors:
    //! errc::rejected (unparsable), the source's errors (errc::unavailable, errc::timeout).
    void broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) override;
    //! errc::unsupported: configure a fee instance (fee/fixed, fee/mempool).
    void estimateFee(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override;
    void watchTransaction(std::string txid, std::int32_t final_depth) override;
    void unwatchTransaction(std::string txid) override;

private:
    class Rescan;
    //! A transaction known outside the wallets (broadcast here, relayed, found for a watch).
    struct SeenTx {
        jm::bitcoin::Transaction tx;
        std::int32_t height = -1; //!< -1: unconfirmed
        jm::bitcoin::Hash256 block{};
        std::int64_t time = 0;
        std::int32_t seen_at = 0; //!< the tip when it became known
    };
    //! What getTxOutHinted learnt of one counterparty outpoint.
    struct HintedCoin {
        jm::bitcoin::Script script;
        std::int32_t height = 0;
        jm::bitcoin::Hash256 block{};
        std::int64_t value = 0;
        bool coinbase = false;
        std::int32_t checked_to = 0;    //!< no spend in the blocks up to here
        std::int32_t spent_height = -1; //!< >= 0: spent in that block
    };
    using Job = std::function<void(std::function<void()> next)>;

    //! Runs jobs (scans, following the chain) one after another on the strand.
    void enqueue(Job job);
    void runNext();
    void chainChanged(const ChainChange& change);
    //! `from_peer`: relayed by a peer, so its spends of the wallet's coins must carry valid
    //! signatures (our own broadcasts are taken as they are).
    void mempoolTransaction(const jm::bitcoin::Transaction& tx, bool from_peer);
    //! Queues follow() unless it is queued already.
    void queueFollow();
    //! Brings every loaded wallet and the watch scripts up to the tip.
    void follow(std::function<void()> next);
    void followWallets(std::vector<std::string> ids, std::function<void()> next);
    void followWatches(std::function<void()> next);
    //! The scripts a scan matches; asked again after each block it visits (a block can widen
    //! a wallet's window).
    using Queries = std::function<std::vector<jm::bitcoin::Bytes>()>;
    using Visit = std::function<void(const jm::bitcoin::Block&, std::int32_t)>;
    //! Matches the queries against the filters of [from, to] in batches, one filter after the
    //! other, and hands each matching block to `visit` in height order; `checkpoint` after each
    //! batch (its last height). Completes with errc::cancelled when the chain reorganised
    //! meanwhile.
    void scanRange(std::int32_t from, std::int32_t to, Queries queries, Visit visit,
                   std::function<void(std::int32_t)> checkpoint, std::function<void(double)> progress,
                   std::function<void(jm::sdk::Result<void>)> done);
    void scanFilters(std::shared_ptr<std::vector<VerifiedFilter>> filters, std::size_t i, std::uint64_t epoch,
                     Queries queries, Visit visit, std::function<void(jm::sdk::Result<void>)> done);
    //! Applies a block to a wallet (every relevant transaction, in block order).
    void applyBlock(WalletState& wallet, const jm::bitcoin::Block& block, std::int32_t height);
    jm::sdk::Result<WalletState*> loadWallet(const std::string& id, std::int32_t birthday);
    std::int32_t tipHeight() const;
    jm::bitcoin::Hash256 hashAt(std::int32_t height) const;
    //! The first height whose header is no older than `time` minus two hours (block times lag).
    std::int32_t heightAtTime(std::int64_t time) const;
    jm::chain::TxSighting sightingOf(const jm::bitcoin::Hash256& txid) const;
    void updateWatches();
    //! Output scripts of watched transactions the wallets do not know (watched by filter).
    std::vector<jm::bitcoin::Bytes> watchScripts() const;
    void rememberSeen(const jm::bitcoin::Transaction& tx, std::int32_t height, const jm::bitcoin::Hash256& block,
                      std::int64_t time);
    void hintLookup(jm::bitcoin::OutPoint outpoint, jm::chain::OutPointHint hint,
                    std::function<void(jm::sdk::Result<std::optional<jm::chain::TxOutInfo>>)> done);
    void hintSpendCheck(jm::bitcoin::OutPoint outpoint, std::uint32_t filters_left, std::uint32_t blocks_left,
                        std::function<void(jm::sdk::Result<std::optional<jm::chain::TxOutInfo>>)> done);
    template <class F> auto guarded(F f) {
        return [alive = std::weak_ptr<int>(m_alive), f = std::move(f)](auto&&... args) mutable {
            if (alive.expired()) return;
            f(std::forward<decltype(args)>(args)...);
        };
    }

    jm::sdk::PluginContext& m_ctx;
    LightChainSource& m_source;
    NeutrinoSettings m_settings;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    bool m_stopped = false;
    std::deque<Job> m_jobs;
    bool m_busy = false;
    bool m_followQueued = false;
    std::uint64_t m_epoch = 0; //!< counts reorganisations: scans across one start over
    std::map<std::string, std::unique_ptr<WalletState>> m_wallets;
    std::map<jm::bitcoin::Hash256, SeenTx> m_seen;
    std::deque<jm::bitcoin::Hash256> m_seenOrder; //!< for the mempool_limit
    std::map<std::string, jm::chain::TxWatch> m_watches;
    std::int32_t m_watchHeight = -1; //!< watch scripts were matched up to here
    std::map<jm::bitcoin::OutPoint, HintedCoin> m_hinted;
};

} // namespace jm::plugins::backend_neutrino
