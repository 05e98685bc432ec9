#pragma once

#include "commitment_broadcaster.hpp"
#include "maker_settings.hpp"
#include "maker_store.hpp"
#include "nick_limiter.hpp"
#include "taker_session.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/fee_estimator.hpp>
#include <jm/maker/yield_generator.hpp>
#include <jm/net/direct_peers.hpp>
#include <jm/net/multi_directory_client.hpp>
#include <jm/net/tor_control.hpp>
#include <jm/protocol/line.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::maker {

//! Counters for the status file and tests.
struct MakerCounters {
    std::uint64_t fills = 0;   //!< !fill accepted
    std::uint64_t refused = 0; //!< sessions refused or failed before signing
    std::uint64_t signed_coinjoins = 0;
    std::uint64_t pushes = 0;  //!< !push broadcast for a taker
    std::uint64_t ignored = 0; //!< messages dropped: bad signature, wrong state, flood, ...
    std::uint64_t offers_announced = 0;
    std::uint64_t direct_received = 0; //!< private messages handled that came over a direct connection
    std::uint64_t direct_sent = 0;     //!< private messages sent over a direct connection
};

//! The channel index of a message that came over a direct connection (not a directory's index).
inline constexpr std::size_t DIRECT_CHANNEL = static_cast<std::size_t>(-1);

//! The maker role ("maker/maker"): sells liquidity in JoinMarket CoinJoins. It opens the node's
//! wallet, keeps it synchronised with the backend, asks the yield generator what to offer,
//! announces on every directory and serves each taker's session (taker_session.hpp) with the
//! money rules: coins are locked per session and persisted before they are revealed, addresses
//! are persisted before they are revealed, commitments are used once, and only transactions
//! that pay what was agreed are signed.
//! Executor: everything runs on the instance's strand (ctx.executor()).
class MakerPlugin final : public jm::sdk::Plugin {
public:
    MakerPlugin(jm::sdk::PluginContext& ctx, MakerSettings settings);
    ~MakerPlugin() override;

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    // Read by tests and the status file (on the strand).
    const std::string& nick() const;
    const std::vector<jm::protocol::Offer>& offers() const { return m_offers; }
    std::size_t liveSessions() const { return m_sessions.size(); }
    std::size_t lockedCoins() const { return m_locks.size(); }
    const MakerCounters& counters() const { return m_counters; }
    bool ready() const { return m_synced; }
    std::size_t directoriesReady() const { return m_directories ? m_directories->readyCount() : 0; }
    //! The location announced in our handshakes (NOT-SERVING-ONION when not serving).
    const jm::protocol::Location& location() const { return m_location; }
    //! Direct connections (null when not serving).
    const jm::net::DirectPeers* directPeers() const { return m_direct.get(); }
    //! The file `jmnode maker status` reads.
    std::filesystem::path statusPath() const;

private:
    // --- Startup and the wallet (maker_plugin.cpp) ---
    //! Refuses a second maker of this process on the same wallet (errc::invalid_config).
    jm::sdk::Result<void> claimWallet();
    void releaseWallet();
    jm::sdk::Result<std::string> readPassword();
    void loadPersistedState();
    void sync();
    void synced(jm::sdk::Result<jm::wallet::SyncResult> result);
    jm::maker::WalletView walletView() const;
    //! The wallet's coins the maker may use now: confirmed, not frozen, not a bond, not locked.
    std::vector<jm::wallet::WalletUtxo> availableCoins(int mixdepth) const;
    bool isWalletCoin(const jm::bitcoin::OutPoint& outpoint) const;
    void prepareBond();

    // --- Direct connections (maker_direct.cpp) ---
    //! Starts listening (plain TCP, or behind our onion service). Errors: errc::unavailable.
    jm::sdk::Result<void> startDirect();
    //! Connects the directories once the wallet is synced and our location is settled.
    void maybeConnectDirectories();
    void createDirectories();
    //! A private message to `taker` through `channel` (a directory index or DIRECT_CHANNEL); when
    //! that channel is gone, through any directory the taker is on.
    jm::sdk::Result<void> sendVia(const std::string& taker, std::optional<std::size_t> channel,
                                  std::string_view command, std::string_view text);

    // --- Offers (maker_plugin.cpp) ---
    void refreshOffers();
    void announce(const std::vector<jm::protocol::Offer>& changed, const std::vector<std::int64_t>& cancelled);
    void sendOfferList(const std::string& taker, std::optional<std::size_t> directory);

    // --- The CoinJoin protocol, in the order a session runs (maker_protocol.cpp) ---
    void onMessage(const jm::net::RoutedMessage& message);
    void onPublicCommand(const std::string& from, std::size_t directory, const jm::protocol::Command& command);
    void onPrivateMessage(const jm::net::RoutedMessage& message);
    void onOrderbook(const std::string& taker, std::size_t directory);
    void onFill(const std::string& taker, std::size_t directory, std::string_view args);
    void onAuth(TakerSession& session, std::size_t directory, std::string_view payload);
    void onTakerCoin(const std::string& taker, std::uint64_t id,
                     jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin);
    jm::sdk::Result<void> prepareInputs(TakerSession& session);
    void sendIoauth(TakerSession& session);
    void onTx(TakerSession& session, std::size_t directory, std::string_view payload);
    void onPush(const std::string& taker, std::string_view payload);
    void onCommitmentSeen(const std::string& commitment, bool relay);

    // --- Sessions (maker_protocol.cpp) ---
    void send(TakerSession& session, std::string_view command, std::string_view text);
    void sendError(const std::string& taker, std::size_t directory, const std::string& text);
    void failSession(const std::string& taker, const std::string& stage, const std::string& reason);
    //! A boxed message that does not open with the session's key: skipped, the session goes on.
    void ignoreUndecryptable(const TakerSession& session, const std::string& reason);
    void endSession(const std::string& taker);
    void expireSessions();

    // --- After a CoinJoin (maker_chain.cpp) ---
    void onTxSeen(const std::string& txid, bool confirmed);
    //! Confirmations after which a signed CoinJoin's watch ends.
    static constexpr std::int32_t WATCH_DEPTH = 6;
    void onBlock(std::int32_t height);
    void settleSigned();
    //! Writes the status file; `running` false marks the node stopped (written synchronously).
    void writeStatus(bool running = true);
    void scheduleStatus();
    //! Rewrites the status file when it has not been written for a while.
    void heartbeat();

    //! Wraps a completion so that it does nothing once the plugin stopped or is gone.
    template <class F> auto guarded(F f) {
        return [weak = std::weak_ptr<int>(m_alive), this, f = std::move(f)](auto&&... args) mutable {
            if (weak.expired() || m_stopped) return;
            f(std::forward<decltype(args)>(args)...);
        };
    }

    jm::sdk::PluginContext& m_ctx;
    MakerSettings m_settings;
    MakerStore m_store;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    std::string m_walletClaim; //!< set while this maker holds its wallet

    // Shared so that a wallet sync still running when the plugin goes keeps them alive.
    std::shared_ptr<jm::sdk::KvStore> m_walletStore;
    std::shared_ptr<jm::wallet::Wallet> m_wallet;
    std::unique_ptr<jm::wallet::UtxoSet> m_utxos;
    jm::chain::BlockchainBackend* m_backend = nullptr;
    jm::maker::YieldGenerator* m_yieldgen = nullptr;
    jm::chain::FeeEstimator* m_fee = nullptr;
    std::int64_t m_feeRate = 0;
    jm::chain::ChainTip m_tip;
    bool m_synced = false;
    bool m_syncing = false;
    bool m_resyncWanted = false;
    std::int32_t m_lastSyncHeight = 0;
    bool m_stopped = false;

    struct Bond;
    std::unique_ptr<Bond> m_bond;

    std::shared_ptr<const jm::protocol::NickIdentity> m_identity;
    std::shared_ptr<jm::net::MultiDirectoryClient> m_directories;
    std::vector<jm::net::DirectoryClientSettings> m_directorySettings; //!< until m_directories exists
    std::shared_ptr<jm::net::DirectPeers> m_direct;
    std::shared_ptr<jm::net::OnionService> m_onion;
    jm::protocol::Location m_location; //!< announced; NOT-SERVING-ONION until settled
    bool m_locationSettled = true;     //!< false while our onion service is being published
    bool m_walletReady = false;        //!< the first sync finished
    boost::asio::steady_timer m_onionTimer;
    std::shared_ptr<CommitmentBroadcaster> m_broadcaster;
    std::vector<jm::protocol::Offer> m_offers;

    std::map<std::string, TakerSession> m_sessions;
    std::uint64_t m_nextSessionId = 1;
    std::map<jm::bitcoin::OutPoint, CoinLock> m_locks;
    std::map<std::string, SignedCoinjoin> m_signed; //!< by txid
    std::set<std::string> m_ownTakerNicks;
    NickLimiter m_limiter;
    MakerCounters m_counters;

    boost::asio::steady_timer m_sessionTimer;
    boost::asio::steady_timer m_retryTimer;
    boost::asio::steady_timer m_statusTimer;
    bool m_statusScheduled = false;
    std::chrono::steady_clock::time_point m_lastStatus{};
    //! Orders the status writes on the blocking executor with the final one of stop().
    struct StatusWriter {
        std::mutex mutex;
        bool final = false;
    };
    std::shared_ptr<StatusWriter> m_statusWriter = std::make_shared<StatusWriter>();
    std::vector<jm::sdk::Subscription> m_subscriptions;
};

} // namespace jm::plugins::maker
