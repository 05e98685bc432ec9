#pragma once

#include "coinjoin_tx.hpp"
#include "taker_settings.hpp"
#include "taker_store.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/fee_estimator.hpp>
#include <jm/market/orderbook.hpp>
#include <jm/net/multi_directory_client.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/nacl_box.hpp>
#include <jm/protocol/podle.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/taker/coinjoin_service.hpp>
#include <jm/taker/order_chooser.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::taker {

// The book is the SDK's, shared with the orderbook watcher.
using jm::market::BookOffer;
using jm::market::Orderbook;

//! Where a run stands. One run (a CoinJoin, or only an orderbook) at a time; each CoinJoin
//! attempt goes through the stages below in order, and every stage ends either when every
//! maker still in the attempt answered or when maker_timeout passes:
//!
//!   stage        | waits for                          | then
//!   -------------+------------------------------------+--------------------------------------------
//!   Syncing      | the wallet sync, the fee estimate  | connect the directories, !orderbook
//!   Orderbook    | private offers of every listed     | verify the bonds through the backend
//!                | nick (or quiet period, or ceiling) |
//!   Bonds        | the backend's answers on bond coins| filter, choose, commitment (persisted),
//!                |                                    | ask the user -> !fill to each maker
//!   Fill         | !pubkey from each maker            | !auth to those that answered
//!   Auth         | !ioauth from each maker, then the  | >= minimum_makers verified: build the tx,
//!                | backend's answers on their coins   | change address persisted, !tx to each
//!   Signatures   | !sig for every maker input, each   | sign our inputs, last money check, record,
//!                | verified against its input         | broadcast (self or !push)
//!   Broadcast    | the transaction seen on the network| (re-broadcast ourselves if not seen)
//!   Confirming   | wait_confirmations                 | done
//!
//! A maker that fails any check, stays silent or sends an !error is ignored for the rest of the
//! run; an attempt left with fewer than minimum_makers (or with a missing signature) is
//! abandoned and a new one starts with other makers and a fresh commitment, up to max_attempts.
//! An !error saying our commitment is blacklisted starts a new attempt with the next commitment.
enum class Stage { Idle, Syncing, Orderbook, Bonds, Fill, Auth, Signatures, Broadcast, Confirming };

std::string_view toString(Stage s) noexcept;

//! One maker in the current attempt.
struct MakerSession {
    enum class State { Filled, PubkeyReceived, AuthSent, CheckingCoins, Verified, TxSent, Signed, Failed };
    std::string nick;
    jm::protocol::Offer offer;
    std::int64_t cjfee = 0;
    double bond_value = 0;
    State state = State::Filled;
    std::string encpk; //!< from !pubkey
    //! It advertised NG's neutrino_compat (in !pubkey or a peerlist): it reads extended utxos.
    bool neutrino_compat = false;
    std::optional<jm::protocol::BoxSession> box;
    jm::protocol::IoauthMessage ioauth;
    std::optional<MakerPart> part;
};

//! The taker role ("taker/taker"): pays or sweeps through a CoinJoin with makers of any
//! implementation, as a service ("taker/1") the CLI drives. Money rules: a commitment is
//! persisted as used before it is revealed and never used twice; the change address is persisted
//! before the transaction reveals it; nothing is signed before every maker input was verified
//! through the backend and every maker signature verified against its input; only our own
//! inputs are signed; and the final transaction is checked against the agreed terms
//! (checkCoinjoinTx) before it is signed and broadcast.
//! Executor: everything runs on the instance's strand (ctx.executor()).
class TakerPlugin final : public jm::sdk::Plugin, public jm::taker::CoinjoinService {
public:
    TakerPlugin(jm::sdk::PluginContext& ctx, TakerSettings settings);
    ~TakerPlugin() override;

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    // jm::taker::CoinjoinService
    void send(jm::taker::CoinjoinRequest request, jm::taker::CoinjoinObserver observer, jm::sdk::Executor ex,
              jm::chain::Callback<jm::taker::CoinjoinResult> done) override;
    void orderbook(jm::sdk::Executor ex, jm::chain::Callback<std::vector<jm::taker::OrderbookEntry>> done) override;
    void addExternalCommitments(std::vector<jm::taker::ExternalCommitment> commitments, jm::sdk::Executor ex,
                                jm::chain::Callback<std::size_t> done) override;

    // For tests (on the strand).
    Stage stage() const;
    TakerStore& store() { return m_store; }
    const std::string& nick() const;

private:
    struct Run;

    // --- A run, in order (taker_plugin.cpp) ---
    void beginRun(std::unique_ptr<Run> run);
    void synced(jm::sdk::Result<jm::wallet::SyncResult> result);
    void connect();
    void onDirectory(std::size_t directory, bool ready);
    void checkOrderbookDone();
    void verifyBonds();
    void onBondCoin(const std::string& maker, jm::protocol::BondProof proof,
                    jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin);
    void bondsVerified();
    void startAttempt();
    jm::sdk::Result<void> chooseMakers();
    jm::sdk::Result<void> selectOwnCoins();
    jm::sdk::Result<void> makeCommitment();
    void sendFills();
    void sendAuths();
    void onIoauth(MakerSession& maker, std::string_view payload);
    void onMakerCoins(const std::string& nick, int attempt, std::vector<std::optional<jm::chain::TxOutInfo>> coins);
    void buildAndSendTx();
    void onSig(MakerSession& maker, std::string_view payload);
    void finishSigned();
    void broadcast(bool self);
    void onTxStatus(const std::string& txid, bool mempool, bool confirmed, std::int32_t confirmations);

    // --- Direct connections (taker_direct.cpp) ---
    void startDirect();
    //! Dials a chosen maker that announced a location (once per run); errors are logged only.
    void dialMaker(const std::string& nick);

    // --- Messages (taker_protocol.cpp) ---
    void onMessage(const jm::net::RoutedMessage& message);
    void sendTo(MakerSession& maker, std::string_view command, std::string_view text);

    // --- Stage bookkeeping ---
    void setStage(Stage stage, const std::string& name, const std::string& detail);
    void armStageTimer(std::chrono::milliseconds after);
    void onStageTimeout();
    //! The current stage may be complete: go on when every maker answered.
    void checkStage(bool timed_out = false);
    void failMaker(MakerSession& maker, const std::string& reason);
    //! Abandons the attempt: its failed makers are ignored from now on; a new attempt starts if
    //! attempts are left, else the run fails.
    void retry(const std::string& reason);
    void failRun(boost::system::error_code code, const std::string& reason);
    void failRun(jm::sdk::errc code, const std::string& reason) { failRun(jm::sdk::make_error_code(code), reason); }
    void completeRun();
    void endRun();
    std::int64_t feeLimit(std::int64_t cjfee_offer_txfee_net, std::int64_t amount) const;
    std::int64_t estimateFee(std::size_t inputs, std::size_t outputs) const;

    template <class F> auto guarded(F f) {
        return [weak = std::weak_ptr<int>(m_alive), this, f = std::move(f)](auto&&... args) mutable {
            if (weak.expired() || m_stopped) return;
            f(std::forward<decltype(args)>(args)...);
        };
    }
    jm::sdk::Result<std::string> readPassword();

    jm::sdk::PluginContext& m_ctx;
    TakerSettings m_settings;
    TakerStore m_store;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    bool m_stopped = false;
    jm::bitcoin::Network m_network = jm::bitcoin::Network::Mainnet;

    std::shared_ptr<jm::sdk::KvStore> m_walletStore;
    std::shared_ptr<jm::wallet::Wallet> m_wallet;
    std::unique_ptr<jm::wallet::UtxoSet> m_utxos;
    jm::chain::BlockchainBackend* m_backend = nullptr;
    jm::chain::FeeEstimator* m_fee = nullptr;
    const jm::taker::OrderChooser* m_chooser = nullptr;

    std::unique_ptr<Run> m_run;
    std::uint64_t m_nextRunId = 1;
    boost::asio::steady_timer m_stageTimer;
    boost::asio::steady_timer m_tickTimer;
    std::vector<jm::sdk::Subscription> m_subscriptions;
};

} // namespace jm::plugins::taker
