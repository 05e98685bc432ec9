// The Bitcoin Core backend in-process against a real regtest bitcoind: watched-transaction events
// through a fee bump (bumpfee), a block disconnected (invalidateblock) and mined again, a
// transaction outside the wallet found without -txindex, and a broadcast of a transaction Core
// already mined. Skipped (exit 77) without bitcoind, like the rest of this runner.
#include <core_backend.hpp>

#include <util/bitcoind.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/sdk/testing/test_context.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <mutex>
#include <thread>

using namespace jm::test;
namespace json = boost::json;
using jm::sdk::events::TxStatusChanged;

namespace {

//! A CoreBackend on its own io thread, talking to `core`, with every tx status event recorded.
struct InProcessBackend {
    explicit InProcessBackend(Bitcoind& core) : ctx("core", "regtest") {
        thread = std::thread([this] {
            auto guard = boost::asio::make_work_guard(ctx.ioContext());
            ctx.ioContext().run();
        });
        jm::plugins::backend_core::CoreSettings settings;
        settings.rpc.port = core.rpcPort();
        settings.rpc.cookie_file = core.cookie();
        settings.poll_interval = std::chrono::milliseconds(100);
        backend = std::make_unique<jm::plugins::backend_core::CoreBackend>(ctx, settings);
        sub = ctx.bus().subscribe<TxStatusChanged>(ctx.executor(), [this](const TxStatusChanged& e) {
            std::lock_guard lock(mutex);
            auto text = std::string(jm::sdk::events::txStateName(e.state)) + " " + std::to_string(e.confirmations);
            if (e.reorged) text += " reorged";
            if (e.final) text += " final";
            if (!e.conflicting_txid.empty()) text += " by " + e.conflicting_txid;
            events[e.txid].push_back(text);
        });
    }
    template <class F> auto onStrand(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(ctx.executor(), [&] { task(); });
        return future.get();
    }
    ~InProcessBackend() {
        onStrand([&] {
            backend->stop([] {});
            return 0;
        });
        ctx.ioContext().stop();
        thread.join();
    }
    std::vector<std::string> of(const std::string& txid) {
        std::lock_guard lock(mutex);
        return events[txid];
    }
    //! Waits until the last event of `txid` is `want`.
    bool waitFor(const std::string& txid, const std::string& want) {
        for (int i = 0; i < 600; ++i) {
            auto e = of(txid);
            if (!e.empty() && e.back() == want) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
    jm::sdk::testing::TestContext ctx;
    std::thread thread;
    std::unique_ptr<jm::plugins::backend_core::CoreBackend> backend;
    std::mutex mutex;
    std::map<std::string, std::vector<std::string>> events;
    jm::sdk::Subscription sub;
};

std::string tipHash(Bitcoind& core) { return core.cli({"getbestblockhash"}); }

} // namespace

BOOST_AUTO_TEST_SUITE(regtest_core_events)

BOOST_AUTO_TEST_CASE(watched_transactions_through_bumpfee_and_invalidateblock) {
    auto paths = findBitcoinCore();
    if (!paths) return; // the runner's global fixture already reported the skip
    Bitcoind core(*paths);
    InProcessBackend b(core);
    // A jmnode wallet synced through this backend, so its Core wallet answers gettransaction.
    jm::sdk::testing::MemoryKvStore store;
    auto wallet =
        jm::wallet::Wallet::create(store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                   jm::bitcoin::Bytes(16, 0x33), "", "pw")
            .value();
    std::promise<jm::sdk::Result<jm::wallet::SyncResult>> synced;
    jm::wallet::WalletSync::run(wallet, *b.backend, {}, {}, b.ctx.executor(),
                                [&](jm::sdk::Result<jm::wallet::SyncResult> r) { synced.set_value(std::move(r)); });
    auto s = synced.get_future().get();
    BOOST_REQUIRE_MESSAGE(s.has_value(), (s ? std::string() : s.error().message));
    BOOST_REQUIRE(b.onStrand([&] { return b.backend->start().has_value(); }));

    auto address = wallet.addressAt(0, 0, 0).value().address;
    auto a = core.cli({"-named", "sendtoaddress", "address=" + address, "amount=0.2", "replaceable=true"}, "miner");
    b.backend->watchTransaction(a, 2);
    BOOST_CHECK(b.waitFor(a, "mempool 0"));
    // bumpfee: the replacement takes its place.
    auto r = std::string(core.cliJson({"bumpfee", a}, "miner").at("txid").as_string());
    b.backend->watchTransaction(r, 2);
    BOOST_CHECK(b.waitFor(a, "conflicted 0 by " + r));
    BOOST_CHECK(b.waitFor(r, "mempool 0"));
    core.mine(1);
    BOOST_CHECK(b.waitFor(r, "confirmed 1"));
    BOOST_CHECK(b.waitFor(a, "conflicted 1 by " + r));
    // The block is disconnected: the replacement goes back to the mempool.
    core.cli({"invalidateblock", tipHash(core)});
    BOOST_CHECK(b.waitFor(r, "mempool 0 reorged"));
    BOOST_CHECK(b.waitFor(a, "conflicted 0 by " + r));
    core.mine(1);
    BOOST_CHECK(b.waitFor(r, "confirmed 1"));
    core.mine(1);
    BOOST_CHECK(b.waitFor(r, "confirmed 2 final"));
    BOOST_CHECK(b.waitFor(a, "conflicted 2 final by " + r));
    auto events_a = b.of(a);
    auto events_r = b.of(r);
    // Every change once, in order (depths may be skipped when two blocks come between polls).
    auto by = " by " + r;
    std::vector<std::string> want_a{"mempool 0",         "conflicted 0" + by, "conflicted 1" + by,
                                    "conflicted 0" + by, "conflicted 1" + by, "conflicted 2 final" + by};
    std::vector<std::string> want_r{"mempool 0", "confirmed 1", "mempool 0 reorged", "confirmed 1",
                                    "confirmed 2 final"};
    BOOST_CHECK_EQUAL_COLLECTIONS(events_a.begin(), events_a.end(), want_a.begin(), want_a.end());
    BOOST_CHECK_EQUAL_COLLECTIONS(events_r.begin(), events_r.end(), want_r.begin(), want_r.end());

    // Not the wallet's, and no -txindex: found in the mempool, then in its block.
    auto other = core.cli({"sendtoaddress", core.minerAddress(), "0.1"}, "miner");
    b.backend->watchTransaction(other, 1);
    BOOST_CHECK(b.waitFor(other, "mempool 0"));
    core.mine(1);
    BOOST_CHECK(b.waitFor(other, "confirmed 1 final"));

    // Broadcasting the mined replacement again is a success (a retried broadcast).
    auto hex = std::string(core.cliJson({"gettransaction", r}, "miner").at("hex").as_string());
    std::promise<jm::sdk::Result<std::string>> sent;
    b.backend->broadcast(jm::bitcoin::fromHex(hex).value(), b.ctx.executor(),
                         [&](jm::sdk::Result<std::string> t) { sent.set_value(std::move(t)); });
    auto t = sent.get_future().get();
    BOOST_REQUIRE_MESSAGE(t.has_value(), (t ? std::string() : t.error().message));
    BOOST_CHECK_EQUAL(*t, r);
}

BOOST_AUTO_TEST_SUITE_END()
