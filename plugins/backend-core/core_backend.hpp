#pragma once

#include "core_replies.hpp"
#include "rpc_client.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/tx_watch.hpp>
#include <jm/sdk/plugin.hpp>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <set>

namespace jm::plugins::backend_core {

struct CoreSettings {
    RpcSettings rpc;
    std::chrono::milliseconds rescan_timeout{6 * 3600 * 1000};
    std::chrono::milliseconds poll_interval{2000};
    std::int64_t fallback_fee = 10'000; //!< sat/kvB when Core has no estimate (regtest, new nodes)

    static const jm::sdk::ConfigSchema& schema();
    //! Reads a validated config; defaults depend on the node's network (port, cookie path).
    static jm::sdk::Result<CoreSettings> fromConfig(const boost::json::object& config, std::string_view network);
};

//! The BlockchainBackend over Bitcoin Core's JSON-RPC. Wallets are tracked in a watch-only
//! descriptor wallet in Core named after the jmnode wallet (private keys never leave jmnode);
//! new blocks and watched transactions are polled and published on the bus. Which imports
//! finished their rescan is recorded in the instance's store, so an import interrupted while
//! Core rescanned is repeated by the next scan.
//! Executor: service members may be called from any strand; RPC work runs on the instance's
//! strand; completions are posted to the caller's executor.
class CoreBackend final : public jm::chain::BlockchainBackend, public jm::sdk::Plugin {
public:
    CoreBackend(jm::sdk::PluginContext& ctx, CoreSettings settings);
    ~CoreBackend() override;

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    void tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) override;
    void scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                    jm::chain::Callback<jm::chain::WalletScan> done) override;
    void getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                  jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override;
    void getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) override;
    void broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) override;
    void estimateFee(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override;
    void watchTransaction(std::string txid, std::int32_t final_depth) override;
    void unwatchTransaction(std::string txid) override;

    //! getblockchaininfo, checked against the configured network. Executor: the instance's strand.
    void chainState(std::function<void(jm::sdk::Result<ChainState>)> done);

private:
    class Scan;
    //! A watched transaction and what is known to find it without -txindex.
    struct Watched {
        jm::chain::TxWatch watch;
        std::vector<jm::bitcoin::OutPoint> inputs; //!< what it spends, once seen (conflict checks)
        std::string block_hash;                    //!< a block it was found in (not the wallet's)
        std::string conflict_txid;                 //!< a block transaction spending its inputs
        std::string conflict_block;
        bool outside_wallet = false; //!< the last look found it outside the wallet (or none is known)
    };
    void poll();
    //! New blocks since the last poll, searched for watched transactions the wallet does not know
    //! and for transactions spending their inputs; then `done`.
    void scanBlocks(std::string hash, int budget, std::function<void()> done);
    //! Looks at each watched transaction in turn, publishing what changed; then `done`.
    void lookAtWatched(std::vector<std::string> txids, std::function<void()> done);
    void lookOutsideWallet(const std::string& txid, std::function<void(std::optional<jm::chain::TxSighting>)> seen);
    //! A watched transaction not in the mempool nor in a known block: conflicted when another
    //! transaction spends its inputs in the mempool, gone (Nowhere) when they are all unspent,
    //! nullopt (no news) otherwise.
    void whereInputsAre(const std::string& txid, std::function<void(std::optional<jm::chain::TxSighting>)> seen);
    //! Whether every output is unspent (gettxout, mempool included); nullopt when Core fails.
    void inputsUnspent(std::vector<jm::bitcoin::OutPoint> inputs, std::size_t i,
                       std::function<void(std::optional<bool>)> done);
    void sighted(const std::string& txid, const jm::chain::TxSighting& sighting);
    //! A rejected broadcast of a transaction the node already has counts as done.
    void alreadyThere(std::string txid, RpcFailure rejection, jm::sdk::Executor ex,
                      jm::chain::Callback<std::string> done);
    //! An RPC call whose failure is converted to the backend's errors.
    void rpc(std::string method, boost::json::array params, std::string wallet,
             std::function<void(jm::sdk::Result<boost::json::value>)> done,
             std::optional<std::chrono::milliseconds> timeout = std::nullopt, bool resend = true);

    jm::sdk::PluginContext& m_ctx;
    CoreSettings m_settings;
    std::shared_ptr<RpcClient> m_rpc;
    std::shared_ptr<RpcClient> m_progressRpc; //!< a second connection: progress while a rescan blocks the first
    boost::asio::steady_timer m_pollTimer;
    std::string m_lastTip;
    std::int32_t m_tipHeight = 0;
    std::set<std::string> m_scannedBlocks;    //!< blocks already searched for watched transactions
    std::string m_walletName;                 //!< the last wallet scanned, for transaction lookups
    std::map<std::string, Watched> m_watched; //!< by txid
    bool m_stopping = false;
    //! Reachability as published (chain.backend_status/1): unreachable after this many failed
    //! tip polls in a row, so one slow answer does not wake the operator.
    static constexpr int UNREACHABLE_AFTER = 3;
    int m_failedPolls = 0;
    bool m_unreachable = false;
    void noteReachability(bool answered, const std::string& detail);
};

} // namespace jm::plugins::backend_core
