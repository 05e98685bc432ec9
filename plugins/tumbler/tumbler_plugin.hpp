#pragma once

#include "plan_store.hpp"
#include "tumbler_settings.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/taker/coinjoin_service.hpp>
#include <jm/tumbler/tumbler_service.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>

namespace jm::plugins::tumbler {

//! The tumbler role ("role/tumbler"): runs a tumble plan, one CoinJoin at a time, through the
//! taker/1 service of a taker instance, as a service ("tumbler/1") the CLI drives.
//!
//! Money rules: the plan (every step's state) is persisted, synced, before each step starts,
//! so a crash is always followed by a resume that knows which step may have paid; a step found
//! "running" at resume is reconciled with the chain first (its txid, reported by the taker and
//! persisted as soon as it is known, or else the wallet's history searched for a transaction
//! paying the step's destination) and never repeated while its CoinJoin is on the network; a
//! step is done only once its CoinJoin confirmed (one a maker double-spends never does); a
//! step's destination is fixed and persisted before the step first runs (an internal one comes
//! from the wallet, which persists its index before handing it out), and every external
//! destination is paid by exactly one step. A failed step is retried (the taker chooses makers
//! and a commitment afresh, avoiding the makers that failed the step before: TumbleStep::avoid)
//! up to max_attempts in a round, then the plan pauses with the reason. The attempt counts and
//! the makers to avoid are in the persisted plan, so a crash neither resets them nor forgets
//! whom to avoid.
//!
//! The tumbler opens the taker's wallet store itself for addresses and history: the two never
//! touch it at once, since the tumbler only does so while no CoinJoin of its runs.
//! Executor: everything runs on the instance's strand (ctx.executor()).
class TumblerPlugin final : public jm::sdk::Plugin, public jm::tumbler::TumblerService {
public:
    TumblerPlugin(jm::sdk::PluginContext& ctx, TumblerSettings settings);
    ~TumblerPlugin() override;

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    // jm::tumbler::TumblerService
    void propose(std::vector<std::string> destinations, std::optional<std::uint64_t> seed, jm::sdk::Executor ex,
                 jm::chain::Callback<jm::tumbler::TumblePlan> done) override;
    void start(jm::tumbler::TumblePlan plan, jm::tumbler::TumbleObserver observer, jm::sdk::Executor ex,
               jm::chain::Callback<jm::tumbler::TumblePlan> done) override;
    void resume(jm::tumbler::TumbleObserver observer, jm::sdk::Executor ex,
                jm::chain::Callback<jm::tumbler::TumblePlan> done) override;
    void status(jm::sdk::Executor ex, jm::chain::Callback<jm::tumbler::TumblePlan> done) override;

private:
    struct Active {
        jm::tumbler::TumbleObserver observer;
        jm::sdk::Executor ex;
        jm::chain::Callback<jm::tumbler::TumblePlan> done;
    };

    void next();
    void prepare(std::size_t index);
    void prepared(std::size_t index, jm::sdk::Result<jm::wallet::SyncResult> synced);
    void sent(std::size_t index, jm::sdk::Result<jm::taker::CoinjoinResult> result);
    void failed(std::size_t index, const std::string& reason);
    //! A step found running (after a crash, or a failure after its broadcast): done once its
    //! CoinJoin is confirmed, waited for while it is unconfirmed on the network, else failed
    //! (never broadcast, or double-spent) and run again.
    void reconcile(std::size_t index);
    void checkCandidates(std::size_t index, std::vector<jm::chain::WalletTx> txs);
    //! The step's CoinJoin is on the network in no block: done only once it confirms (one a
    //! maker double-spends never does; then the step runs again).
    void awaitConfirmation(std::size_t index, const std::string& txid);
    void markDone(std::size_t index, const std::string& txid, std::int64_t amount);
    void pause(const std::string& reason);
    void finish(jm::sdk::Result<jm::tumbler::TumblePlan> result);
    void waitThen(double seconds, std::size_t index);
    //! Persists the plan; on a storage error the run ends (nothing may go on unrecorded).
    bool save();
    void announce(std::size_t index);
    void sync(std::function<void(jm::sdk::Result<jm::wallet::SyncResult>)> then);
    //! Amount paid to `script` by the transaction `raw` (0 when none or unreadable).
    static std::int64_t paidTo(const jm::bitcoin::Bytes& raw, const jm::bitcoin::Script& script);
    jm::sdk::Result<std::string> readPassword();
    //! errc::invalid_argument when `address` is one of the wallet's (within its watched window).
    jm::sdk::Result<void> ownAddress(const std::string& address) const;

    template <class F> auto guarded(F f) {
        return [weak = std::weak_ptr<int>(m_alive), this, f = std::move(f)](auto&&... args) mutable {
            if (weak.expired() || m_stopped) return;
            f(std::forward<decltype(args)>(args)...);
        };
    }

    jm::sdk::PluginContext& m_ctx;
    TumblerSettings m_settings;
    PlanStore m_store;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    bool m_stopped = false;
    jm::bitcoin::Network m_network = jm::bitcoin::Network::Mainnet;
    std::shared_ptr<jm::sdk::KvStore> m_walletStore;
    std::shared_ptr<jm::wallet::Wallet> m_wallet;
    jm::chain::BlockchainBackend* m_backend = nullptr;
    jm::taker::CoinjoinService* m_taker = nullptr;
    std::optional<jm::tumbler::TumblePlan> m_plan;
    std::optional<Active> m_active;
    boost::asio::steady_timer m_timer;
};

} // namespace jm::plugins::tumbler
