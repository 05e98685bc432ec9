#pragma once

#include "core_replies.hpp"
#include "rpc_client.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/sdk/plugin.hpp>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>

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
//! new blocks and watched transactions are polled and published on the bus.
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
    void watchTransaction(std::string txid) override;

    //! getblockchaininfo, checked against the configured network. Executor: the instance's strand.
    void chainState(std::function<void(jm::sdk::Result<ChainState>)> done);

private:
    class Scan;
    void poll();
    void pollWatched();
    //! An RPC call whose failure is converted to the backend's errors.
    void rpc(std::string method, boost::json::array params, std::string wallet,
             std::function<void(jm::sdk::Result<boost::json::value>)> done,
             std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    jm::sdk::PluginContext& m_ctx;
    CoreSettings m_settings;
    std::shared_ptr<RpcClient> m_rpc;
    std::shared_ptr<RpcClient> m_progressRpc; //!< a second connection: progress while a rescan blocks the first
    boost::asio::steady_timer m_pollTimer;
    std::string m_lastTip;
    std::string m_walletName;             //!< the last wallet scanned, for transaction lookups
    std::map<std::string, int> m_watched; //!< txid -> last confirmations seen (-1: not seen yet)
    bool m_stopping = false;
};

} // namespace jm::plugins::backend_core
