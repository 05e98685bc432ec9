#pragma once

#include "sim_settings.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/sdk/context.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/sdk/testing/test_chain.hpp>

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <mutex>

namespace jm::plugins::backend_sim {

//! backend/sim: a simulated blockchain in the node's process, for regtest only (a demo market, a
//! CoinJoin benchmark, tests): the SDK's TestChain (signatures, fees, double spends and
//! replacements checked; chain.* events on the node's bus) behind the same BlockchainBackend
//! service backend-core provides, so wallets and roles use it unchanged. One instance is one
//! chain: every wallet and role of the node that names it shares it. The chain starts afresh
//! (premine, then initial_blocks blocks) at every start of the node, unless `persist` is set:
//! then every accepted transaction and mined block is journaled (synced) in the instance's store
//! before it is reported, and the journal is replayed at start.
//! Executor: the BlockchainBackend members may be called from any strand (the chain is
//! thread-safe; completions are posted to the executor given); Plugin members on the
//! instance's strand, where blocks are mined.
class SimBackend final : public jm::chain::BlockchainBackend, public jm::sdk::Plugin {
public:
    //! Builds the chain: the premine, then settings.initial_blocks blocks (then, in start(), the
    //! journal when persisting).
    //! Ownership: `ctx` outlives the instance.
    SimBackend(jm::sdk::PluginContext& ctx, SimSettings settings);
    ~SimBackend() override;

    //! Replays the journal (persist), then starts mining every block_interval (when it is not 0).
    //! Errors: errc::invalid_config when the premine changed since the journal began;
    //! errc::corrupt_data for a journal entry that cannot be replayed; storage errors.
    jm::sdk::Result<void> start() override;
    //! Stops mining; `done` is called before it returns.
    void stop(std::function<void()> done) override;

    //! The simulated chain, for in-process drivers (tests, a demo) that fund or mine directly.
    jm::sdk::testing::TestChain& chain();

    void tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) override;
    void scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                    jm::chain::Callback<jm::chain::WalletScan> done) override;
    void getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                  jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override;
    void getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) override;
    //! Accepts the transaction into the chain's mempool (errc::rejected with the reason
    //! otherwise); with block_interval 0 a block including it is mined right after.
    void broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) override;
    //! Always the configured fee_rate.
    void estimateFee(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override;
    void watchTransaction(std::string txid, std::int32_t final_depth) override;
    void unwatchTransaction(std::string txid) override;

private:
    //! What pending timer and mining handlers reach through a weak pointer: they may run after
    //! the instance is gone, and then do nothing.
    struct State {
        State(jm::sdk::PluginContext& ctx, const SimSettings& settings);
        jm::sdk::testing::TestChain chain;
        boost::asio::steady_timer timer;
        bool stopped = false;                //!< only touched on the instance's strand
        jm::sdk::KvStore* journal = nullptr; //!< set when persisting
        std::mutex journal_mutex;            //!< the chain's changes and their entries in one order
        std::uint64_t next_entry = 0;
        //! Mines one block (journaled first when persisting). Errors: storage errors.
        jm::sdk::Result<void> mine();
        //! Submits (journaled before the txid is returned when persisting).
        jm::sdk::Result<std::string> submit(const jm::bitcoin::Bytes& tx);
        jm::sdk::Result<void> record(std::string_view entry);
    };
    jm::sdk::Result<void> replay();
    static void scheduleBlock(const std::shared_ptr<State>& state, std::chrono::milliseconds interval);
    static void mineOne(const std::weak_ptr<State>& state);

    jm::sdk::PluginContext& m_ctx;
    SimSettings m_settings;
    std::shared_ptr<State> m_state;
};

} // namespace jm::plugins::backend_sim
