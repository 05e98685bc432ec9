// wallet_sync: how long jmnode takes to sync a wallet with 10,000 used addresses against Bitcoin
// Core on regtest. Starts its own regtest bitcoind ($BITCOIND/$BITCOIN_CLI or
// /opt/bitcoin-core/bin), funds the addresses (5 mixdepths x 2 branches x 1,000 indices, 500
// outputs per transaction), then times a first sync (Core wallet created, descriptors imported,
// rescan) and a second one (already imported).
//
//   bench_wallet_sync [--addresses-per-branch 1000]
#include <core_backend.hpp>

#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/sdk/testing/test_context.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <util/bitcoind.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

struct SyncTiming {
    double seconds = 0;
    jm::wallet::SyncResult result;
};

SyncTiming timeSync(jm::wallet::Wallet& wallet, jm::plugins::backend_core::CoreBackend& backend,
                    jm::sdk::testing::TestContext& ctx) {
    std::promise<jm::sdk::Result<jm::wallet::SyncResult>> promise;
    auto t0 = Clock::now();
    jm::wallet::WalletSync::run(
        wallet, backend, {},
        [](double f, const std::string& what) { std::fprintf(stderr, "\r  %3.0f %% %-30s", f * 100, what.c_str()); },
        ctx.executor(), [&](jm::sdk::Result<jm::wallet::SyncResult> r) { promise.set_value(std::move(r)); });
    auto r = promise.get_future().get();
    std::fprintf(stderr, "\n");
    if (!r) throw std::runtime_error(r.error().message);
    return {std::chrono::duration<double>(Clock::now() - t0).count(), std::move(*r)};
}

} // namespace

int main(int argc, char** argv) {
    std::uint32_t per_branch = 1000;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--addresses-per-branch") == 0)
            per_branch = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
    auto paths = jm::test::findBitcoinCore();
    if (!paths) {
        std::printf(
            "SKIPPED: no bitcoind (set BITCOIND and BITCOIN_CLI, or install Bitcoin Core in /opt/bitcoin-core/bin)\n");
        return 77;
    }
    try {
        jm::test::Bitcoind core(*paths);
        jm::sdk::testing::MemoryKvStore store;
        auto wallet = jm::wallet::Wallet::create(
                          store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                          jm::bitcoin::Bytes(16, 0x5a), "", "pw")
                          .value();
        core.mine(100); // 200 mature coinbases: enough for the funding
        auto t_fund = Clock::now();
        std::size_t funded = 0;
        boost::json::object batch;
        auto flush = [&] {
            if (batch.empty()) return;
            core.cli({"sendmany", "", boost::json::serialize(batch)}, "miner");
            core.mine(1); // keep the miner's unconfirmed chain short
            batch.clear();
        };
        for (int m = 0; m < 5; ++m)
            for (std::uint32_t b = 0; b < 2; ++b)
                for (std::uint32_t i = 0; i < per_branch; ++i) {
                    batch[wallet.addressAt(m, b, i).value().address] = 0.001;
                    ++funded;
                    if (batch.size() == 500) flush();
                }
        flush();
        std::printf("funded %zu addresses in %.1f s\n", funded,
                    std::chrono::duration<double>(Clock::now() - t_fund).count());

        jm::sdk::testing::TestContext ctx("core", "regtest");
        std::thread io([&] {
            auto guard = boost::asio::make_work_guard(ctx.ioContext());
            ctx.ioContext().run();
        });
        jm::plugins::backend_core::CoreSettings settings;
        settings.rpc.port = core.rpcPort();
        settings.rpc.cookie_file = core.cookie();
        settings.rpc.timeout = std::chrono::minutes(10);
        auto backend = std::make_unique<jm::plugins::backend_core::CoreBackend>(ctx, settings);
        auto first = timeSync(wallet, *backend, ctx);
        std::printf(
            "first sync (create Core wallet, import, rescan): %.2f s, %d rounds, %zu scripts watched, %zu coins\n",
            first.seconds, first.result.rounds, first.result.watched, first.result.utxos.size());
        auto second = timeSync(wallet, *backend, ctx);
        std::printf("second sync (already imported): %.2f s, %d rounds, %zu coins\n", second.seconds,
                    second.result.rounds, second.result.utxos.size());
        std::promise<void> stopped;
        boost::asio::post(ctx.executor(), [&] { backend->stop([&] { stopped.set_value(); }); });
        stopped.get_future().wait();
        ctx.ioContext().stop();
        io.join();
        if (first.result.utxos.size() != funded) {
            std::printf("ERROR: found %zu of %zu coins\n", first.result.utxos.size(), funded);
            return 1;
        }
    } catch (const std::exception& e) {
        std::printf("ERROR: %s\n", e.what());
        return 1;
    }
    return 0;
}
