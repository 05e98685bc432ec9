#pragma once

// Test harness for the taker role: the maker harness's chain, directory and real makers, plus
// the real TakerPlugin on a TestContext (its io_context on a thread), a deterministic test
// chooser (a test double of chooser/1) and hostile makers built from the SDK's protocol units,
// each misbehaving in one chosen way.

#include <maker_harness.hpp>
#include <taker_plugin.hpp>

#include <jm/net/multi_directory_client.hpp>
#include <jm/taker/coinjoin_service.hpp>
#include <jm/taker/order_chooser.hpp>

#include <boost/asio/steady_timer.hpp>

#include <future>

namespace jm::test {

//! Test double of chooser/1: the cheapest offers (net fee, then nick), one per maker.
class CheapestTestChooser final : public jm::taker::OrderChooser {
public:
    jm::sdk::Result<std::vector<std::size_t>> choose(const std::vector<jm::taker::CandidateOffer>& offers,
                                                     const jm::taker::ChooseRequest& request) const override;
};

struct TakerOptions {
    std::vector<std::pair<int, std::int64_t>> coins{{0, 50'000'000}, {0, 30'000'000}};
    boost::json::object config;
    std::vector<std::uint16_t> directories;
    //! Give the taker a LightClientChain over the hub's chain instead of the chain itself.
    bool light_client = false;
};

//! The real TakerPlugin in a TestContext whose io_context runs on a thread.
class TakerUnderTest {
public:
    TakerUnderTest(ChainHub& hub, TakerOptions options);
    ~TakerUnderTest();
    void start();
    void stop();
    //! Destroys the plugin without stop() (kill -9).
    void crash();
    jm::sdk::Result<jm::taker::CoinjoinResult> send(jm::taker::CoinjoinRequest request,
                                                    std::chrono::seconds timeout = std::chrono::seconds(60));
    //! The same without waiting (for tests that crash the taker mid-run).
    std::future<jm::sdk::Result<jm::taker::CoinjoinResult>> sendAsync(jm::taker::CoinjoinRequest request);
    jm::sdk::Result<std::vector<jm::taker::OrderbookEntry>> orderbook();
    template <class F> auto onStrand(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(m_ctx.executor(), [&] { task(); });
        return future.get();
    }
    jm::plugins::taker::TakerPlugin& plugin() { return *m_plugin; }
    std::vector<boost::json::value> events(const std::string& topic);
    std::vector<jm::taker::StageUpdate> stages() {
        std::lock_guard lock(m_mutex);
        return m_stages;
    }
    //! What CoinjoinObserver::on_failed reported, one per failed send(), in order.
    std::vector<jm::taker::CoinjoinFailure> failures() {
        std::lock_guard lock(m_mutex);
        return m_failures;
    }
    //! How many of the coins the wallet was funded with are still unspent on the chain.
    std::size_t fundedCoinsUnspent();
    //! The coins the wallet was funded with (TakerOptions::coins, in that order).
    const std::vector<jm::bitcoin::OutPoint>& funded() const { return m_funded; }
    jm::sdk::testing::TestContext& ctx() { return m_ctx; }
    //! The light-client backend (TakerOptions::light_client), or null.
    LightClientChain* lightChain() { return m_light.get(); }
    //! The extra config keys start() uses (change them before a restart).
    boost::json::object& config() { return m_options.config; }
    //! A fresh external destination.
    static std::pair<std::string, jm::bitcoin::Script> destination();

private:
    ChainHub& m_hub;
    TakerOptions m_options;
    ScratchDir m_dir;
    jm::sdk::testing::TestContext m_ctx;
    std::thread m_thread;
    CheapestTestChooser m_chooser;
    std::unique_ptr<LightClientChain> m_light;
    std::unique_ptr<jm::plugins::taker::TakerPlugin> m_plugin;
    std::mutex m_mutex;
    std::vector<std::pair<std::string, boost::json::value>> m_events;
    std::vector<jm::taker::StageUpdate> m_stages;
    std::vector<jm::taker::CoinjoinFailure> m_failures;
    jm::sdk::Subscription m_eventSub;
    std::vector<jm::bitcoin::OutPoint> m_funded;
};

//! How a hostile maker misbehaves (one at a time).
enum class Misbehaviour {
    None,
    SilentAtFill,      //!< never answers !fill
    SilentAtAuth,      //!< never answers !auth
    SilentAtTx,        //!< never answers !tx
    NonexistentCoin,   //!< declares a coin that never existed
    SpentCoin,         //!< declares a coin already spent
    TooSmallCoin,      //!< its coin cannot pay the amount
    BadBtcSig,         //!< btc_sig by another key
    SigForOtherTx,     //!< signs a different transaction
    SigForOtherInput,  //!< signs its coin as if it were at another input index
    GarbageSig,        //!< a !sig that is not a signature stack
    TakersCoin,        //!< declares the taker's own commitment coin as its input
    DuplicateOutpoint, //!< declares its coin twice
    ForeignAuthKey,    //!< auth_pub owns none of its coins
    OfferChanges,      //!< re-announces a far dearer offer right after answering !orderbook
    ErrorAtFill,       //!< answers !fill with an !error
    BlacklistAtFill,   //!< answers !fill with "Commitment is blacklisted"
    HighSSig,          //!< a valid signature with a high S (consensus-valid, non-standard)
    UndefinedSighash,  //!< a valid signature with sighash type 0x04 (consensus-valid, non-standard)
    NoOffers,          //!< listed by the directory but never answers !orderbook
    RepeatsOffers,     //!< answers !orderbook, then re-sends the same offer every 200 ms
    ManyCoins,         //!< declares 15 coins of 6 BTC-cents each (honest otherwise)
    // With setNeutrinoCompat(true) (NG's extended utxo strings):
    LegacyIoauth,    //!< advertises neutrino_compat but lists its coins as legacy txid:vout
    WrongHintScript, //!< its extended utxo names another script than its coin's
    WrongHintHeight, //!< its extended utxo names the block after its coin's
};

//! A scripted maker on its own thread: honest by default, hostile in one way.
class HostileMaker {
public:
    HostileMaker(ChainHub& hub, std::uint16_t directory_port, Misbehaviour how, std::string cjfee = "0.00001",
                 std::int64_t coin = 100'000'000);
    ~HostileMaker();
    //! Connects (after the coins are mined).
    void start();
    std::string nick() const { return m_identity->nick(); }
    int fills() const { return m_fills; }
    int txs() const { return m_txs; }
    //! Also answer !orderbook with this bond proof maker (forged or real).
    void setBondProof(std::function<std::string(const std::string& taker_nick)> proof) { m_bond = std::move(proof); }
    //! Re-announces its offer publicly with another relative fee (returns once sent).
    void announce(const std::string& cjfee);
    //! Withdraws its offer publicly (!cancel 0; returns once sent). It still answers a !fill.
    void cancel();
    //! The smallest amount its offer takes (before start(); 100,000 sat by default).
    void setMinsize(std::int64_t minsize) { m_minsize = minsize; }
    //! Advertise NG's neutrino_compat in its directory handshake and !pubkey, and list its coins
    //! in the extended form (before start()).
    void setNeutrinoCompat(bool on) { m_compat = on; }
    //! The directory network it handshakes with (before start(); NETWORK by default; a jmnode
    //! directory on regtest says "regtest").
    void setNetwork(std::string network) { m_network = std::move(network); }
    //! Advertise neutrino_compat in its directory handshake (as setNeutrinoCompat(true) does, as
    //! NG makers do), so that peerlists list it with the feature whatever its !pubkey says.
    void setListedNeutrinoCompat(bool on) { m_listedCompat = on; }
    //! The utxo string of the taker's last !auth opening (empty: no !auth yet).
    std::string authUtxo() const {
        std::lock_guard lock(m_authMutex);
        return m_takerCoin;
    }

private:
    void onMessage(const jm::net::RoutedMessage& m);
    void sendOffers(const std::string& taker);

    ChainHub& m_hub;
    Misbehaviour m_how;
    std::string m_cjfee;
    boost::asio::io_context m_io;
    std::thread m_thread;
    std::shared_ptr<const jm::protocol::NickIdentity> m_identity;
    std::shared_ptr<jm::net::MultiDirectoryClient> m_directories;
    std::uint16_t m_port;
    std::vector<TakerCoin> m_coins;
    jm::bitcoin::PrivateKey m_cjKey = jm::bitcoin::PrivateKey::generate();
    jm::bitcoin::PrivateKey m_changeKey = jm::bitcoin::PrivateKey::generate();
    std::optional<boost::asio::steady_timer> m_repeat;
    std::optional<jm::protocol::BoxKeyPair> m_keys;
    std::optional<jm::protocol::BoxSession> m_box;
    mutable std::mutex m_authMutex;
    std::string m_takerCoin; //!< from the !auth opening
    bool m_compat = false;
    std::string m_network = NETWORK;
    bool m_listedCompat = false;
    std::int64_t m_spentHeight = 0; //!< SpentCoin: the block of its (since spent) coin
    std::int64_t m_amount = 0;
    std::int64_t m_minsize = 100'000;
    std::function<std::string(const std::string&)> m_bond;
    std::atomic<int> m_fills{0};
    std::atomic<int> m_txs{0};
    std::atomic<bool> m_ready{false};
};

} // namespace jm::test
