#pragma once
// A regtest market around a real Bitcoin Core: jmnode makers as `jmnode run` processes and the
// jmnode taker in process on backend-core. Shared by tests/bitcoind/regtest_taker_tests.cpp and
// bench/coinjoin_round_bench.cpp (its regtest mode), so failures throw std::runtime_error with
// the reason rather than using Boost.Test assertions (an uncaught exception fails a test case).
#include <taker_harness.hpp>
#include <util/bitcoind.hpp>

#include <core_backend.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/serialize.hpp>

#include <sodium.h>

#include <atomic>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>

namespace jm::test {

//! Throws std::runtime_error(what) unless `ok`.
inline void requireOrThrow(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

//! One jmnode maker process with a recovered wallet (backend-core, yieldgen basic, maker).
struct MakerProcess {
    MakerProcess(Bitcoind& core, std::uint16_t directory_port, std::uint8_t seed) : entropy(16, seed) {
        config = dir.path() / "maker.json";
        auto data = dir.path() / "data";
        std::filesystem::create_directories(data);
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\"},\n"
                              << "  \"plugins\": [\n"
                              << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                              << core.rpcPort() << ", \"rpc_cookie\": \"" << core.cookie().string()
                              << "\", \"poll_interval\": \"200ms\"}},\n"
                              << "    {\"load\": \"yieldgen\", \"factory\": \"basic\", \"instance\": \"yg\", "
                                 "\"config\": {\"cjfee_r\": \"0.0002\", \"txfee_contribution\": 300}},\n"
                              << "    {\"load\": \"maker\", \"instance\": \"maker\", \"config\": {\"backend\": "
                                 "\"core\", \"yieldgen\": \"yg\", \"directories\": [\"127.0.0.1:"
                              << directory_port << "\"], \"password_file\": \"password\", \"taker_utxo_age\": 5}}\n"
                              << "  ] }\n";
        std::ofstream(data / "password") << "pw\n";
        std::filesystem::permissions(data / "password",
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto r = runProcess({(binDir() / "jmnode").string(), "wallet", "recover", "--kdf", "interactive", "--config",
                             config.string(), "--password-fd", "0"},
                            std::chrono::seconds(120), {}, words + "\npw\npw\n");
        requireOrThrow(r.exit_code == 0, r.err);
        mirror.emplace(jm::wallet::Wallet::create(
                           mirror_store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                           entropy, "", "pw")
                           .value());
    }
    std::string address(int m) { return mirror->addressAt(m, 0, 0).value().address; }
    void start() {
        process = std::make_unique<ChildProcess>(
            std::vector<std::string>{(binDir() / "jmnode").string(), "run", "--config", config.string()});
        requireOrThrow(process->waitForOutput("ready;", std::chrono::seconds(120)), process->output());
    }

    TempDir dir;
    jm::bitcoin::Bytes entropy;
    std::filesystem::path config;
    jm::sdk::testing::MemoryKvStore mirror_store;
    std::optional<jm::wallet::Wallet> mirror;
    std::unique_ptr<ChildProcess> process;
};

//! The taker in process: backend-core and the real TakerPlugin on TestContexts (one io thread).
struct InProcessTaker {
    //! `addresses` external addresses of mixdepth 0 are derived for funding (each its own key,
    //! hence its own commitments).
    InProcessTaker(Bitcoind& core, std::uint16_t directory_port, std::size_t address_count = 2) :
        core_ctx("core", "regtest"), ctx("taker", "regtest") {
        ctx.setDataDir(dir.path());
        core_ctx.setDataDir(dir.path());
        for (auto* c : {&core_ctx, &ctx})
            threads.emplace_back([c] {
                auto guard = boost::asio::make_work_guard(c->ioContext());
                c->ioContext().run();
            });
        boost::json::object core_config{
            {"rpc_port", core.rpcPort()}, {"rpc_cookie", core.cookie().string()}, {"poll_interval", "200ms"}};
        std::vector<jm::sdk::ConfigProblem> problems;
        requireOrThrow(jm::plugins::backend_core::CoreSettings::schema().validate(core_config, "$", problems),
                       "backend-core config");
        auto settings = jm::plugins::backend_core::CoreSettings::fromConfig(core_config, "regtest").value();
        onStrand(core_ctx, [&] {
            backend = std::make_unique<jm::plugins::backend_core::CoreBackend>(core_ctx, settings);
            return backend->start().has_value();
        });
        (void)ctx.services().provide<jm::chain::BlockchainBackend>("core", *backend);
        (void)ctx.services().provide<jm::taker::OrderChooser>("cheapest", chooser);
        // The backend publishes chain.* on its own bus: forward what the taker listens to.
        forward = core_ctx.bus().subscribe<jm::sdk::events::TxStatusChanged>(
            core_ctx.executor(), [this](const jm::sdk::events::TxStatusChanged& e) { ctx.bus().publish(e); });
        jm::wallet::WalletOptions wo;
        wo.network = jm::bitcoin::Network::Regtest;
        wo.kdf = jm::wallet::KdfStrength::Interactive;
        jm::bitcoin::Bytes entropy(16);
        randombytes_buf(entropy.data(), entropy.size());
        auto wallet = jm::wallet::Wallet::create(ctx.walletStore(), wo, entropy, "", "pw").value();
        for (std::size_t i = 0; i < address_count; ++i)
            addresses.push_back(wallet.nextAddress(0, jm::wallet::BRANCH_EXTERNAL).value().address);
        wallet_id = jm::wallet::WalletSync::walletId(wallet).value();
        std::ofstream(dir.path() / "password") << "pw\n";
        std::filesystem::permissions(dir.path() / "password",
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        config = {
            {"backend", "core"},
            {"chooser", "cheapest"},
            {"directories", boost::json::array{boost::json::string("127.0.0.1:" + std::to_string(directory_port))}},
            {"password_file", (dir.path() / "password").string()},
            {"makers", 3},
            {"minimum_makers", 3},
            {"maker_timeout", "20s"},
            {"orderbook_quiet", "2s"},
            {"tx_broadcast", "self"},
            {"wait_confirmations", 1}};
    }
    ~InProcessTaker() {
        if (plugin) stop();
        forward.reset();
        onStrand(core_ctx, [&] {
            std::promise<void> p;
            backend->stop([&] { p.set_value(); });
            backend.reset();
            return true;
        });
        for (auto* c : {&core_ctx, &ctx})
            c->ioContext().stop();
        for (auto& t : threads)
            t.join();
    }
    template <class F> static auto onStrand(jm::sdk::testing::TestContext& c, F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(c.executor(), [&] { task(); });
        return future.get();
    }
    void start() {
        auto settings = jm::plugins::taker::TakerSettings::fromConfig([&] {
            std::vector<jm::sdk::ConfigProblem> problems;
            auto c = config;
            requireOrThrow(jm::plugins::taker::TakerSettings::schema().validate(c, "$", problems), "taker config");
            return c;
        }());
        requireOrThrow(settings.has_value(), "taker settings");
        auto started = onStrand(ctx, [&] {
            plugin = std::make_unique<jm::plugins::taker::TakerPlugin>(ctx, *settings);
            return plugin->start();
        });
        requireOrThrow(started.has_value(), (started ? "" : started.error().message));
    }
    void stop() {
        std::promise<void> stopped;
        onStrand(ctx, [&] {
            plugin->stop([&] { stopped.set_value(); });
            return 0;
        });
        stopped.get_future().wait();
        crash();
    }
    void crash() {
        onStrand(ctx, [&] {
            plugin.reset();
            return 0;
        });
    }
    //! `on_stage`, if given, also sees each stage (on the taker's io thread).
    std::future<jm::sdk::Result<jm::taker::CoinjoinResult>>
    send(jm::taker::CoinjoinRequest request, std::function<void(const jm::taker::StageUpdate&)> on_stage = {}) {
        auto promise = std::make_shared<std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>>>();
        auto future = promise->get_future();
        jm::taker::CoinjoinObserver observer;
        observer.on_stage = [this, on_stage](const jm::taker::StageUpdate& u) {
            if (u.stage == "auth") sent_auth = true;
            if (on_stage) on_stage(u);
        };
        plugin->send(std::move(request), observer, ctx.executor(), [promise](auto r) { promise->set_value(r); });
        return future;
    }
    std::size_t usedCommitments() {
        return onStrand(ctx, [&] { return plugin->store().usedCount().value(); });
    }

    TempDir dir;
    jm::sdk::testing::TestContext core_ctx;
    jm::sdk::testing::TestContext ctx;
    std::vector<std::thread> threads;
    std::unique_ptr<jm::plugins::backend_core::CoreBackend> backend;
    CheapestTestChooser chooser;
    jm::sdk::Subscription forward;
    std::unique_ptr<jm::plugins::taker::TakerPlugin> plugin;
    std::vector<std::string> addresses;
    std::string wallet_id;
    boost::json::object config;
    std::atomic<bool> sent_auth{false};
};

//! Mines a block as soon as Core's mempool holds something (the taker waits for a confirmation).
inline std::thread minerWhenSeen(Bitcoind& core, std::atomic<bool>& stop) {
    return std::thread([&core, &stop] {
        while (!stop) {
            auto mempool = core.cliJson({"getrawmempool"});
            if (mempool.is_array() && !mempool.as_array().empty()) {
                core.mine(1);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    });
}

inline jm::sdk::Result<jm::taker::CoinjoinResult>
runAndConfirm(Bitcoind& core, InProcessTaker& taker, jm::taker::CoinjoinRequest request,
              std::function<void(const jm::taker::StageUpdate&)> on_stage = {}) {
    std::atomic<bool> stop{false};
    auto miner = minerWhenSeen(core, stop);
    auto future = taker.send(std::move(request), std::move(on_stage));
    auto ready = future.wait_for(std::chrono::seconds(300)) == std::future_status::ready;
    stop = true;
    miner.join();
    if (!ready) return jm::sdk::fail(jm::sdk::errc::timeout, "the taker did not finish in time");
    return future.get();
}

} // namespace jm::test
