#pragma once

// Test harness for the maker role: a real directory server on loopback, the SDK test chain, maker
// instances (the real MakerPlugin on a TestContext whose io_context runs on its own thread) and a
// scripted taker built from the SDK's protocol units on a raw socket, so that each test decides
// exactly what the taker sends, honest or hostile.

#include <util/raw_peer.hpp>

#include <directory_server.hpp>
#include <maker_plugin.hpp>

#include <jm/bitcoin/key.hpp>
#include <jm/maker/yield_generator.hpp>
#include <jm/protocol/coinjoin_messages.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nacl_box.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/protocol/podle.hpp>
#include <jm/sdk/testing/test_chain.hpp>
#include <jm/sdk/testing/test_context.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace jm::test {

constexpr const char* NETWORK = "testnet";

//! Polls `condition` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

//! The SDK test chain, with its bus events copied to every attached bus (each maker has its own
//! context and bus, as each node would).
class ChainHub {
public:
    ChainHub();
    ~ChainHub();
    jm::sdk::testing::TestChain& chain() { return m_chain; }
    void attach(jm::sdk::EventBus& bus);
    void detach(jm::sdk::EventBus& bus);
    //! Mines and waits until the events reached every attached bus.
    void mine(int blocks = 1);

private:
    boost::asio::io_context m_context;
    std::thread m_thread;
    jm::sdk::EventBusPtr m_bus;
    jm::sdk::testing::TestChain m_chain;
    std::mutex m_mutex;
    std::vector<jm::sdk::EventBus*> m_targets;
    std::vector<jm::sdk::Subscription> m_subscriptions;
};

//! A TEST DOUBLE of a light-client backend (backend-neutrino's contract) over the test chain:
//! any_outpoint_lookup = false; getTxOut and an unhinted getTxOutHinted answer
//! errc::unsupported (no UTXO set to ask); a hinted lookup finds the coin only when it is unspent
//! and confirmed in the block at the hinted height and pays the hinted script, as a light client
//! matching the block's filter and scanning the blocks since would. Wallet scans, broadcasts,
//! fees and watches go to the chain unchanged. Counts the hinted lookups it answered.
class LightClientChain final : public jm::chain::BlockchainBackend {
public:
    explicit LightClientChain(jm::sdk::testing::TestChain& chain) : m_chain(chain) {}
    jm::chain::BackendCapabilities capabilities() const override { return {false}; }
    void getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                  jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override;
    void getTxOutHinted(jm::bitcoin::OutPoint outpoint, std::optional<jm::chain::OutPointHint> hint,
                        jm::sdk::Executor ex, jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override;
    void tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) override {
        m_chain.tip(std::move(ex), std::move(done));
    }
    void scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                    jm::chain::Callback<jm::chain::WalletScan> done) override {
        m_chain.scanWallet(std::move(request), std::move(progress), std::move(ex), std::move(done));
    }
    void getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) override {
        m_chain.getTransaction(std::move(txid), std::move(ex), std::move(done));
    }
    void broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) override {
        m_chain.broadcast(std::move(tx), std::move(ex), std::move(done));
    }
    void estimateFee(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override {
        m_chain.estimateFee(target_blocks, std::move(ex), std::move(done));
    }
    void watchTransaction(std::string txid, std::int32_t final_depth) override {
        m_chain.watchTransaction(std::move(txid), final_depth);
    }
    void unwatchTransaction(std::string txid) override { m_chain.unwatchTransaction(std::move(txid)); }
    //! Hinted lookups answered (found or not).
    int hintedLookups() const { return m_hinted; }

private:
    jm::sdk::testing::TestChain& m_chain;
    std::atomic<int> m_hinted{0};
};

//! The height of the block that created the unspent output `op` (nullopt: not found, or
//! unconfirmed).
std::optional<std::int64_t> creationHeight(jm::sdk::testing::TestChain& chain, const jm::bitcoin::OutPoint& op);

//! A directory server on an ephemeral loopback port.
class TestDirectory {
public:
    explicit TestDirectory(const std::string& network = NETWORK);
    ~TestDirectory();
    std::uint16_t port() const { return m_port; }
    jm::plugins::directory::DirectoryServer& server() { return *m_server; }

private:
    jm::sdk::Logger m_logger;
    std::unique_ptr<jm::plugins::directory::DirectoryServer> m_server;
    std::uint16_t m_port = 0;
};

//! A temporary directory removed on destruction.
class ScratchDir {
public:
    ScratchDir();
    ~ScratchDir();
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

struct MakerOptions {
    //! Coins to fund the maker's wallet with: (mixdepth, satoshis).
    std::vector<std::pair<int, std::int64_t>> coins{{0, 100'000'000}, {1, 60'000'000}, {2, 30'000'000}};
    //! The yield generator (basic, relative 0.0002 and a txfee of 300 by default).
    std::function<std::unique_ptr<jm::maker::YieldGenerator>()> yieldgen;
    //! Extra keys for the maker's config.
    boost::json::object config;
    //! Directories to connect to (ports).
    std::vector<std::uint16_t> directories;
    //! The password file's permissions; nullopt: no password_file in the config.
    std::optional<std::filesystem::perms> password_perms =
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
    //! Give the maker a LightClientChain over the hub's chain instead of the chain itself.
    bool light_client = false;
};

//! One maker: the real MakerPlugin in a TestContext whose io_context runs on a thread.
class MakerUnderTest {
public:
    MakerUnderTest(ChainHub& hub, MakerOptions options);
    ~MakerUnderTest();

    //! Creates and starts the plugin; waits until its offers are announced on every directory.
    void start();
    //! Stops and destroys the plugin (its store stays: start() again is a restart).
    void stop();
    //! Destroys the plugin without stop(), as kill -9 would leave its store: only what it had
    //! written (synced) survives.
    void crash();

    //! Runs `f` on the maker's strand and returns its result.
    template <class F> auto onStrand(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(m_ctx.executor(), [&] { task(); });
        return future.get();
    }
    jm::plugins::maker::MakerPlugin& plugin() { return *m_plugin; }
    std::string nick();
    std::vector<jm::protocol::Offer> offers();
    jm::plugins::maker::MakerCounters counters();
    std::size_t lockedCoins();
    std::size_t liveSessions();
    jm::sdk::testing::TestContext& ctx() { return m_ctx; }
    //! The light-client backend (MakerOptions::light_client), or null.
    LightClientChain* lightChain() { return m_light.get(); }
    const std::filesystem::path& dir() const { return m_dir.path(); }
    //! Every event of `topic` published on the maker's bus so far, as JSON.
    std::vector<boost::json::value> events(const std::string& topic);
    //! The wallet (opened on a test thread; only while the plugin is stopped).
    jm::sdk::KvStore& walletStore() { return m_ctx.walletStore(); }

private:
    ChainHub& m_hub;
    MakerOptions m_options;
    ScratchDir m_dir;
    jm::sdk::testing::TestContext m_ctx;
    std::thread m_thread;
    std::unique_ptr<jm::maker::YieldGenerator> m_yieldgen;
    std::unique_ptr<LightClientChain> m_light;
    std::unique_ptr<jm::plugins::maker::MakerPlugin> m_plugin;
    std::mutex m_eventsMutex;
    std::vector<std::pair<std::string, boost::json::value>> m_events;
    jm::sdk::Subscription m_eventSub;
};

//! A taker's coin on the test chain.
struct TakerCoin {
    jm::bitcoin::PrivateKey key;
    jm::bitcoin::OutPoint outpoint;
    std::int64_t value = 0;
    jm::bitcoin::Script script_pubkey;
};

//! A private message the taker received, signature checked.
struct Received {
    std::string from;
    std::string command;
    std::string text;
};

//! What a maker answered in !ioauth.
struct MakerReply {
    std::string maker;
    std::string encpk;
    jm::protocol::IoauthMessage ioauth;
    std::vector<jm::protocol::UtxoString> utxos;
};

//! A scripted taker on a raw socket (blocking calls with deadlines).
class ScriptedTaker {
public:
    //! `chain` (may be null: no fund()) is where the taker's coins come from.
    ScriptedTaker(jm::sdk::testing::TestChain* chain, std::uint16_t directory_port,
                  const std::string& network = NETWORK);
    ScriptedTaker(jm::sdk::testing::TestChain& chain, std::uint16_t directory_port) :
        ScriptedTaker(&chain, directory_port) {}
    ScriptedTaker(ChainHub& hub, std::uint16_t directory_port) : ScriptedTaker(&hub.chain(), directory_port) {}
    const std::string& nick() const { return m_identity.nick(); }
    jm::protocol::NickIdentity& identity() { return m_identity; }
    RawPeer& peer() { return *m_peer; }

    //! A fresh coin of `value` (confirmed by the caller's mining).
    TakerCoin fund(std::int64_t value);

    void sendPublic(const std::string& body);
    //! A correctly signed private message.
    void sendPrivate(const std::string& to, const std::string& command, const std::string& text);
    //! The next private message from `from` with `command` within `timeout` (other messages are
    //! kept for later calls).
    std::optional<Received> waitFor(const std::string& from, const std::string& command,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    //! The first message from `from` whose command is one of `commands`.
    std::optional<Received> waitForAny(const std::string& from, const std::vector<std::string>& commands,
                                       std::chrono::milliseconds timeout);
    //! Whether any private message from `from` with `command` arrives within `timeout`.
    bool receives(const std::string& from, const std::string& command,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
    //! Every message received so far and not consumed.
    std::vector<Received> pending();
    //! Every public message received so far, after listening for `listen` more.
    std::vector<jm::protocol::ChannelLine> publicMessages(std::chrono::milliseconds listen);

    // Protocol steps. Each returns what came back (or nullopt when nothing did in time).
    //! !fill, then waits for !pubkey (nullopt on an !error, kept for waitFor, or after `timeout`).
    std::optional<jm::protocol::PubkeyReply> fill(const std::string& maker, std::int64_t oid, std::int64_t amount,
                                                  const std::string& commitment,
                                                  std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
    //! Sends !auth with `opening` encrypted to the maker's key.
    void auth(const std::string& maker, const std::string& opening);
    std::optional<MakerReply> waitIoauth(const std::string& maker,
                                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    void sendTx(const std::string& maker, const jm::bitcoin::Transaction& tx);
    //! The maker's !sig payloads (decrypted), as many as arrive within `timeout` up to `count`.
    std::vector<std::vector<jm::bitcoin::Bytes>>
    waitSigs(const std::string& maker, std::size_t count,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    //! Encrypts for `maker` (the box of the last !pubkey).
    std::string encryptFor(const std::string& maker, const std::string& plaintext);

    //! A PoDLE opening for `coin` at NUMS index `index`: (commitment hex, opening text).
    static std::pair<std::string, std::string> podle(const TakerCoin& coin, int index = 0);
    //! The same naming the coin in NG's extended form: `script` (the coin's own by default) and
    //! the block `height` the taker claims.
    static std::pair<std::string, std::string> podleExtended(const TakerCoin& coin, std::int64_t height,
                                                             std::optional<jm::bitcoin::Script> script = {},
                                                             int index = 0);

private:
    void pump(std::chrono::milliseconds timeout);

    jm::sdk::testing::TestChain* m_chain;
    jm::protocol::NickIdentity m_identity;
    std::unique_ptr<RawPeer> m_peer;
    jm::protocol::BoxKeyPair m_keys = jm::protocol::BoxKeyPair::generate();
    std::map<std::string, jm::protocol::BoxSession> m_boxes;
    std::map<std::string, std::string> m_makerKeys;
    std::vector<Received> m_inbox;
    std::vector<jm::protocol::ChannelLine> m_public;
};

//! The unsigned CoinJoin a taker builds from the makers' replies (protocol.md 8.7): every maker
//! gets `amount` and its change (inputs - amount - txfee + its fee), the taker its CoinJoin
//! output and change. `fees` are the makers' real CoinJoin fees, in `replies` order.
struct CoinjoinPlan {
    jm::bitcoin::Transaction tx;
    std::vector<TakerCoin> taker_inputs;
    std::map<jm::bitcoin::OutPoint, jm::chain::TxOutInfo> prevouts; //!< every input's spent output
};
CoinjoinPlan buildCoinjoin(jm::sdk::testing::TestChain& chain, const std::vector<MakerReply>& replies,
                           const std::vector<TakerCoin>& inputs, std::int64_t amount,
                           const std::vector<std::int64_t>& maker_txfees, const std::vector<std::int64_t>& maker_fees,
                           std::int64_t network_fee = 3000);
//! How the taker learns an output's value and script (the test chain, or Bitcoin Core).
using TxOutLookup = std::function<std::optional<jm::chain::TxOutInfo>(const jm::bitcoin::OutPoint&)>;
//! The same with any source of outputs, for addresses of `network`.
CoinjoinPlan buildCoinjoin(const TxOutLookup& lookup, const std::vector<MakerReply>& replies,
                           const std::vector<TakerCoin>& inputs, std::int64_t amount,
                           const std::vector<std::int64_t>& maker_txfees, const std::vector<std::int64_t>& maker_fees,
                           std::int64_t network_fee = 3000,
                           jm::bitcoin::Network network = jm::bitcoin::Network::Testnet);

//! Puts the makers' signatures on `plan.tx` (each matched to the input it verifies for), signs
//! the taker's inputs, and returns the count of maker inputs signed.
std::size_t applySignatures(CoinjoinPlan& plan, const std::vector<std::vector<jm::bitcoin::Bytes>>& sigs);

//! What an honest CoinJoin produced.
struct Completed {
    std::string txid;
    std::int64_t fee = 0; //!< the first maker's earning
    std::size_t maker_inputs = 0;
};

//! The result of tryCoinjoin: `error` empty when it completed.
struct CoinjoinOutcome {
    bool broadcast = true;
    std::string error;
    Completed completed;
    CoinjoinPlan plan;
    std::vector<MakerReply> replies;
};
//! One honest CoinJoin of `amount` with `makers` (each filled at its first offer), fully signed
//! and broadcast on the test chain (not mined). No Boost.Test assertion inside: safe on threads.
//! `extended`: the taker names its coin in NG's extended form (as to neutrino_compat makers).
CoinjoinOutcome tryCoinjoin(ChainHub& hub, ScriptedTaker& taker, std::vector<MakerUnderTest*> makers,
                            std::int64_t amount, bool broadcast = true, bool extended = false);
//! A maker as a taker knows it: its nick and the offer to fill.
struct MakerHandle {
    std::string nick;
    jm::protocol::Offer offer;
};
//! The same against any makers; `mine` confirms the taker's coin.
CoinjoinOutcome tryCoinjoin(jm::sdk::testing::TestChain& chain, const std::function<void(int)>& mine,
                            ScriptedTaker& taker, const std::vector<MakerHandle>& makers, std::int64_t amount,
                            bool broadcast = true, bool extended = false);
//! tryCoinjoin, failing the test if any step does not happen.
Completed completeCoinjoin(ChainHub& hub, ScriptedTaker& taker, std::vector<MakerUnderTest*> makers,
                           std::int64_t amount);

//! The default yield generator for tests: REF basic, relative 0.0002, txfee 300, minsize 100000.
std::unique_ptr<jm::maker::YieldGenerator> basicYieldGenerator(std::string cjfee_r = "0.0002",
                                                               std::int64_t txfee = 300);

} // namespace jm::test
