// The backend-sim plugin: a simulated regtest chain behind the backend/1 service. Wallets premined
// through its config sync and see their coins, their payments are accepted, mined and reported on
// the bus; it refuses every network but regtest and bad premine entries.
#include <sim_backend.hpp>
#include <sim_factory.hpp>
#include <sim_settings.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/protocol/commands.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/testing/test_context.hpp>
#include <jm/wallet/payment.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>

using namespace jm::plugins::backend_sim;
using jm::chain::BlockchainBackend;
using jm::sdk::testing::TestContext;
using jm::wallet::Wallet;

namespace json = boost::json;

namespace {

// Somebody else's address (BIP173's example key on regtest).
constexpr const char* ELSEWHERE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

//! Runs the context's handlers until `ready()` or 10 s.
template <class F> void runUntil(TestContext& ctx, F ready) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!ready() && std::chrono::steady_clock::now() < deadline) {
        ctx.ioContext().restart();
        ctx.ioContext().run_for(std::chrono::milliseconds(5));
    }
    BOOST_REQUIRE_MESSAGE(ready(), "timed out");
}

//! Calls an asynchronous member and waits for its completion.
template <class T, class Call> jm::sdk::Result<T> await(TestContext& ctx, Call call) {
    std::optional<jm::sdk::Result<T>> out;
    call([&](jm::sdk::Result<T> r) { out = std::move(r); });
    runUntil(ctx, [&] { return out.has_value(); });
    return std::move(*out);
}

Wallet makeWallet(jm::sdk::KvStore& store, std::uint8_t seed) {
    return Wallet::create(store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                          jm::bitcoin::Bytes(16, seed), "", "pw")
        .value();
}

std::string addressOf(const Wallet& w, int mixdepth, std::uint32_t index = 0) {
    return w.addressAt(mixdepth, jm::wallet::BRANCH_EXTERNAL, index).value().address;
}

//! A backend-sim instance made by the factory as the host does (schema, then create).
struct Sim {
    explicit Sim(json::object config, std::string network = "regtest") : ctx("sim", std::move(network)) {
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE_MESSAGE(simFactory().configSchema().validate(config, "$", problems),
                              (problems.empty() ? "" : problems[0].path + ": " + problems[0].message));
        auto made = simFactory().create(ctx, config);
        BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? "" : made.error().message));
        instance = std::move(*made);
        BOOST_REQUIRE(instance->start().has_value());
        backend = ctx.services().get<BlockchainBackend>("sim").value();
    }
    ~Sim() {
        if (instance) instance->stop([] {});
    }
    jm::sdk::testing::TestChain& chain() { return dynamic_cast<SimBackend&>(*backend).chain(); }
    jm::sdk::Result<jm::wallet::SyncResult> sync(Wallet& wallet) {
        return await<jm::wallet::SyncResult>(
            ctx, [&](auto done) { jm::wallet::WalletSync::run(wallet, *backend, {}, {}, ctx.executor(), done); });
    }
    std::int32_t height() {
        return await<jm::chain::ChainTip>(ctx, [&](auto done) { backend->tip(ctx.executor(), done); }).value().height;
    }

    TestContext ctx;
    jm::sdk::PluginPtr instance;
    BlockchainBackend* backend = nullptr;
};

std::int64_t confirmedIn(const jm::wallet::SyncResult& r, int mixdepth) {
    std::int64_t sum = 0;
    for (const auto& u : r.utxos)
        if (u.mixdepth == mixdepth && u.confirmations > 0) sum += u.value;
    return sum;
}

//! Every problem the schema finds in `config`, as "path: message".
std::vector<std::string> schemaProblems(json::object config) {
    std::vector<jm::sdk::ConfigProblem> problems;
    simFactory().configSchema().validate(config, "$", problems);
    std::vector<std::string> out;
    for (const auto& p : problems)
        out.push_back(p.path + ": " + p.message);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(backend_sim_chain_tests)

BOOST_AUTO_TEST_CASE(premined_wallets_sync_and_see_their_coins) {
    // Two wallets of one node share one chain (as a demo's makers and taker will).
    jm::sdk::testing::MemoryKvStore store_a, store_b;
    auto alice = makeWallet(store_a, 1);
    auto bob = makeWallet(store_b, 2);
    json::array premine{json::object{{"address", addressOf(alice, 0)}, {"sats", 100'000'000}},
                        json::object{{"address", addressOf(alice, 2, 3)}, {"sats", "0.25btc"}},
                        json::object{{"address", addressOf(bob, 1)}, {"sats", 7'000'000}}};
    Sim sim({{"premine", premine}, {"initial_blocks", 6}});
    BOOST_TEST(sim.height() == 6);

    auto a = sim.sync(alice);
    BOOST_REQUIRE_MESSAGE(a.has_value(), (a ? "" : a.error().message));
    BOOST_TEST(confirmedIn(*a, 0) == 100'000'000);
    BOOST_TEST(confirmedIn(*a, 2) == 25'000'000);
    BOOST_TEST(confirmedIn(*a, 1) == 0);
    for (const auto& u : a->utxos)
        BOOST_TEST(u.confirmations == 6); // initial_blocks deep
    auto b = sim.sync(bob);
    BOOST_REQUIRE(b.has_value());
    BOOST_TEST(b->utxos.size() == 1u);
    BOOST_TEST(confirmedIn(*b, 1) == 7'000'000);
    // The fee rate is the default one.
    auto rate = await<std::int64_t>(sim.ctx, [&](auto done) { sim.backend->estimateFee(3, sim.ctx.executor(), done); });
    BOOST_TEST(rate.value() == 2000);
}

BOOST_AUTO_TEST_CASE(a_payment_is_accepted_mined_at_once_and_reported) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = makeWallet(store, 3);
    Sim sim({{"premine", json::array{json::object{{"address", addressOf(wallet, 0)}, {"sats", 50'000'000}}}},
             {"fee_rate", 3000}});
    std::vector<jm::sdk::events::BlockConnected> blocks;
    std::vector<jm::sdk::events::TxStatusChanged> statuses;
    auto block_sub = sim.ctx.bus().subscribe<jm::sdk::events::BlockConnected>(
        sim.ctx.executor(), [&](const auto& e) { blocks.push_back(e); });
    auto status_sub = sim.ctx.bus().subscribe<jm::sdk::events::TxStatusChanged>(
        sim.ctx.executor(), [&](const auto& e) { statuses.push_back(e); });
    auto synced = sim.sync(wallet);
    BOOST_REQUIRE(synced.has_value());
    auto rate = await<std::int64_t>(sim.ctx, [&](auto done) { sim.backend->estimateFee(3, sim.ctx.executor(), done); });
    BOOST_REQUIRE_EQUAL(rate.value(), 3000);

    jm::wallet::UtxoSet utxos(store);
    BOOST_REQUIRE(utxos.replace(synced->utxos));
    auto destination = jm::bitcoin::addressToScript(ELSEWHERE, jm::bitcoin::Network::Regtest).value();
    auto payment = jm::wallet::buildPayment(wallet, utxos, {0, destination, 20'000'000, *rate, synced->tip.height});
    BOOST_REQUIRE_MESSAGE(payment.has_value(), (payment ? "" : payment.error().message));
    BOOST_REQUIRE(jm::wallet::commitChange(wallet, *payment));
    auto height_before = sim.height();

    // Tampered with after signing: refused for its signature, nothing mined.
    auto forged = payment->tx;
    forged.outputs[0].value -= 1;
    auto bad = await<std::string>(
        sim.ctx, [&](auto done) { sim.backend->broadcast(forged.serialize(), sim.ctx.executor(), done); });
    BOOST_REQUIRE(!bad.has_value());
    BOOST_TEST((bad.error().code == jm::sdk::errc::rejected));
    BOOST_TEST(bad.error().message.find("mandatory-script-verify-flag-failed") != std::string::npos,
               bad.error().message);
    sim.ctx.poll();
    BOOST_TEST(sim.height() == height_before);

    auto txid = await<std::string>(
        sim.ctx, [&](auto done) { sim.backend->broadcast(payment->tx.serialize(), sim.ctx.executor(), done); });
    BOOST_REQUIRE_MESSAGE(txid.has_value(), (txid ? "" : txid.error().message));
    BOOST_TEST(*txid == payment->tx.txidHex());
    sim.backend->watchTransaction(*txid, 2);
    // block_interval 0: a block with it follows right away, and the watch reports it.
    runUntil(sim.ctx, [&] {
        return !blocks.empty() && !statuses.empty() && statuses.back().state == jm::sdk::events::TxState::Confirmed;
    });
    BOOST_TEST(sim.height() == height_before + 1);
    BOOST_TEST(blocks.back().height == height_before + 1);
    BOOST_TEST(statuses.back().txid == *txid);
    BOOST_TEST((statuses.back().state == jm::sdk::events::TxState::Confirmed));
    BOOST_TEST(statuses.back().confirmations == 1);
    BOOST_TEST(!statuses.back().final);
    BOOST_TEST(sim.chain().mempoolSize() == 0u);

    // The wallet sees its change confirmed and the spent coin gone.
    auto after = sim.sync(wallet);
    BOOST_REQUIRE(after.has_value());
    BOOST_TEST(confirmedIn(*after, 0) == 50'000'000 - 20'000'000 - payment->fee);
    BOOST_TEST(payment->fee > 0);
    // The paid output exists on the chain.
    auto paid = await<std::optional<jm::chain::TxOutInfo>>(sim.ctx, [&](auto done) {
        std::uint32_t vout = payment->tx.outputs[0].script_pubkey == destination ? 0 : 1;
        sim.backend->getTxOut({payment->tx.txid(), vout}, sim.ctx.executor(), done);
    });
    BOOST_REQUIRE(paid.has_value() && paid->has_value());
    BOOST_TEST((*paid)->value == 20'000'000);
    BOOST_TEST((*paid)->confirmations == 1);

    // Another block makes the watch final.
    sim.chain().mine();
    runUntil(sim.ctx, [&] { return statuses.back().final; });
    BOOST_TEST(statuses.back().confirmations == 2);

    // The same coin spent again is refused with the reason, and mines nothing.
    auto height = sim.height();
    auto again = await<std::string>(
        sim.ctx, [&](auto done) { sim.backend->broadcast(payment->tx.serialize(), sim.ctx.executor(), done); });
    BOOST_REQUIRE(!again.has_value());
    BOOST_TEST((again.error().code == jm::sdk::errc::rejected));
    // A different spend of the now spent coin too.
    auto respend = forged;
    auto conflict = await<std::string>(
        sim.ctx, [&](auto done) { sim.backend->broadcast(respend.serialize(), sim.ctx.executor(), done); });
    BOOST_REQUIRE(!conflict.has_value());
    BOOST_TEST(conflict.error().message.find("missingorspent") != std::string::npos, conflict.error().message);
    sim.ctx.poll();
    BOOST_TEST(sim.height() == height);
}

BOOST_AUTO_TEST_CASE(block_interval_mines_on_a_timer_until_stopped) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = makeWallet(store, 4);
    Sim sim({{"premine", json::array{json::object{{"address", addressOf(wallet, 0)}, {"sats", 10'000'000}}}},
             {"block_interval", "50ms"},
             {"initial_blocks", 1}});
    auto synced = sim.sync(wallet);
    BOOST_REQUIRE(synced.has_value());
    // A payment waits in the mempool for the next timed block.
    jm::wallet::UtxoSet utxos(store);
    BOOST_REQUIRE(utxos.replace(synced->utxos));
    auto destination = jm::bitcoin::addressToScript(ELSEWHERE, jm::bitcoin::Network::Regtest).value();
    auto payment = jm::wallet::buildPayment(wallet, utxos, {0, destination, 1'000'000, 2000, synced->tip.height});
    BOOST_REQUIRE(payment.has_value());
    auto start = sim.chain().height();
    auto txid = await<std::string>(
        sim.ctx, [&](auto done) { sim.backend->broadcast(payment->tx.serialize(), sim.ctx.executor(), done); });
    BOOST_REQUIRE(txid.has_value());
    if (sim.chain().height() == start) BOOST_TEST(sim.chain().mempoolSize() == 1u);
    runUntil(sim.ctx, [&] { return sim.chain().height() >= start + 3; });
    BOOST_TEST(sim.chain().mempoolSize() == 0u);
    // Stopped: no more blocks.
    sim.instance->stop([] {});
    auto stopped_at = sim.chain().height();
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < until) {
        sim.ctx.ioContext().restart();
        sim.ctx.ioContext().run_for(std::chrono::milliseconds(20));
    }
    BOOST_TEST(sim.chain().height() == stopped_at);
}

BOOST_AUTO_TEST_CASE(pending_mining_after_the_instance_is_gone_does_nothing) {
    // A broadcast queues its block on the strand; destroying the instance first must not crash.
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = makeWallet(store, 5);
    auto sim = std::make_unique<Sim>(
        json::object{{"premine", json::array{json::object{{"address", addressOf(wallet, 0)}, {"sats", 10'000'000}}}}});
    auto synced = sim->sync(wallet);
    BOOST_REQUIRE(synced.has_value());
    jm::wallet::UtxoSet utxos(store);
    BOOST_REQUIRE(utxos.replace(synced->utxos));
    auto destination = jm::bitcoin::addressToScript(ELSEWHERE, jm::bitcoin::Network::Regtest).value();
    auto payment = jm::wallet::buildPayment(wallet, utxos, {0, destination, 1'000'000, 2000, synced->tip.height});
    BOOST_REQUIRE(payment.has_value());
    bool completed = false;
    sim->backend->broadcast(payment->tx.serialize(), sim->ctx.executor(),
                            [&](jm::sdk::Result<std::string> r) { completed = r.has_value(); });
    sim->instance->stop([] {});
    sim->instance.reset(); // the queued block and completion are still on the io_context
    sim->ctx.poll();
    BOOST_TEST(completed);
    sim.reset();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backend_sim_config_tests)

BOOST_AUTO_TEST_CASE(refuses_every_network_but_regtest) {
    for (const char* network : {"mainnet", "testnet", "signet"}) {
        TestContext ctx("sim", network);
        json::object config;
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(simFactory().configSchema().validate(config, "$", problems));
        auto made = simFactory().create(ctx, config);
        BOOST_REQUIRE(!made.has_value());
        BOOST_TEST((made.error().code == jm::sdk::errc::invalid_config));
        BOOST_TEST(made.error().message.find("regtest only") != std::string::npos, made.error().message);
        BOOST_TEST(made.error().message.find(network) != std::string::npos);
        BOOST_TEST(!ctx.services().get<BlockchainBackend>("sim").has_value());
    }
}

BOOST_AUTO_TEST_CASE(defaults_and_every_key_documented) {
    json::object config;
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(simFactory().configSchema().validate(config, "$", problems));
    auto s = SimSettings::fromConfig(config, "regtest");
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->block_interval.count() == 0);
    BOOST_TEST(s->premine.empty());
    BOOST_TEST(s->initial_blocks == 10);
    BOOST_TEST(s->fee_rate == 2000);
    BOOST_TEST(simFactory().kind() == "backend");
    BOOST_TEST((simFactory().provides() == std::vector<std::string>{"backend/1"}));
    for (const auto& f : simFactory().configSchema().fields()) {
        BOOST_TEST(!f.description.empty(), f.name);
        if (f.nested)
            for (const auto& n : f.nested->fields())
                BOOST_TEST(!n.description.empty(), f.name << "." << n.name);
    }
    auto text = simFactory().configSchema().describe();
    for (auto key : {"block_interval", "premine", "initial_blocks", "fee_rate"})
        BOOST_TEST(text.find(key) != std::string::npos, key);
}

BOOST_AUTO_TEST_CASE(premine_errors_are_refused_with_the_entry_named) {
    auto coin = [](json::value address, json::value sats) {
        return json::object{{"address", address}, {"sats", sats}};
    };
    // What the schema catches (the host reports these before anything starts).
    struct SchemaCase {
        json::object config;
        std::string expected;
    };
    std::vector<SchemaCase> schema_cases{
        {{{"premine", json::array{coin(ELSEWHERE, 0)}}}, "$.premine[0].sats: must be at least 1"},
        {{{"premine", json::array{coin(ELSEWHERE, "lots")}}}, "$.premine[0].sats"},
        {{{"premine", json::array{json::object{{"address", ELSEWHERE}}}}}, "$.premine[0].sats: missing required key"},
        {{{"premine", json::array{coin(ELSEWHERE, 1), json::object{{"adress", ELSEWHERE}, {"sats", 1}}}}},
         "$.premine[1].adress: unknown key 'adress'; did you mean 'address'?"},
        {{{"premine", json::array{coin(42, 1)}}}, "$.premine[0].address: expected"},
        {{{"premine", json::object{{"address", ELSEWHERE}}}}, "$.premine: expected"},
        {{{"premine", json::array{"bcrt1q..."}}}, "$.premine[0]: expected"},
        {{{"fee_rate", 0}}, "$.fee_rate: must be at least 1"},
        {{{"initial_blocks", 0}}, "$.initial_blocks: must be at least 1"},
        {{{"block_interval", "soon"}}, "$.block_interval"},
    };
    for (const auto& c : schema_cases) {
        auto problems = schemaProblems(c.config);
        BOOST_TEST_CONTEXT(c.expected) {
            BOOST_REQUIRE(!problems.empty());
            bool found = false;
            for (const auto& p : problems)
                found |= p.find(c.expected) == 0u;
            BOOST_TEST(found, problems[0]);
        }
    }
    // What only the plugin can check: the address's network, the total.
    struct Case {
        json::object config;
        std::string expected;
    };
    std::vector<Case> cases{
        {{{"premine", json::array{coin("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 1000)}}},
         "premine[0].address 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' is not a regtest address"},
        {{{"premine", json::array{coin(ELSEWHERE, 1000), coin("not-an-address", 1000)}}},
         "premine[1].address 'not-an-address' is not a regtest address"},
        {{{"premine", json::array{coin(ELSEWHERE, jm::protocol::MAX_MONEY), coin(ELSEWHERE, 1)}}},
         "premine[1].sats: the premine must be positive amounts adding up to at most 21 million BTC"},
    };
    for (auto c : cases) {
        BOOST_TEST_CONTEXT(c.expected) {
            BOOST_REQUIRE(schemaProblems(c.config).empty());
            std::vector<jm::sdk::ConfigProblem> problems;
            BOOST_REQUIRE(simFactory().configSchema().validate(c.config, "$", problems));
            TestContext ctx("sim", "regtest");
            auto made = simFactory().create(ctx, c.config);
            BOOST_REQUIRE(!made.has_value());
            BOOST_TEST((made.error().code == jm::sdk::errc::invalid_config));
            BOOST_TEST(made.error().message.find(c.expected) == 0u, made.error().message);
            BOOST_TEST(!ctx.services().get<BlockchainBackend>("sim").has_value());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backend_sim_persist_tests)

// With persist, a chain killed (no stop) and started again on the same store is the chain it
// left: the payment and its block are replayed; a changed premine or a damaged journal is refused.
BOOST_AUTO_TEST_CASE(a_persisted_chain_survives_a_restart_and_refuses_another_premine) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = makeWallet(store, 4);
    json::array premine{json::object{{"address", addressOf(wallet, 0)}, {"sats", 50'000'000}}};
    TestContext ctx("sim", "regtest");
    auto make = [&](json::object config) -> jm::sdk::Result<jm::sdk::PluginPtr> {
        ctx.services().removeInstance("sim");
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(simFactory().configSchema().validate(config, "$", problems));
        auto made = simFactory().create(ctx, config);
        if (!made) return made.error();
        if (auto r = (*made)->start(); !r) return r.error();
        return made;
    };
    auto backend = [&] { return ctx.services().get<BlockchainBackend>("sim").value(); };
    auto tip = [&] {
        return await<jm::chain::ChainTip>(ctx, [&](auto done) { backend()->tip(ctx.executor(), done); }).value();
    };
    std::string txid;
    {
        auto first = make({{"premine", premine}, {"persist", true}});
        BOOST_REQUIRE(first.has_value());
        auto synced = await<jm::wallet::SyncResult>(ctx, [&](auto done) {
                          jm::wallet::WalletSync::run(wallet, *backend(), {}, {}, ctx.executor(), done);
                      }).value();
        jm::wallet::UtxoSet utxos(store);
        BOOST_REQUIRE(utxos.replace(synced.utxos));
        auto destination = jm::bitcoin::addressToScript(ELSEWHERE, jm::bitcoin::Network::Regtest).value();
        auto payment =
            jm::wallet::buildPayment(wallet, utxos, {0, destination, 10'000'000, 2000, synced.tip.height}).value();
        txid = await<std::string>(ctx, [&](auto done) {
                   backend()->broadcast(payment.tx.serialize(), ctx.executor(), done);
               }).value();
        runUntil(ctx, [&] { return tip().height == 11; }); // mined right after it
        // Killed: destroyed without stop().
    }
    auto second = make({{"premine", premine}, {"persist", true}});
    BOOST_REQUIRE_MESSAGE(second.has_value(), (second ? "" : second.error().message));
    BOOST_TEST(tip().height == 11);
    auto raw =
        await<jm::bitcoin::Bytes>(ctx, [&](auto done) { backend()->getTransaction(txid, ctx.executor(), done); });
    BOOST_TEST(raw.has_value());
    (*second)->stop([] {});
    second->reset();

    // Another premine on this journal: refused, naming why.
    json::array other{json::object{{"address", addressOf(wallet, 1)}, {"sats", 50'000'000}}};
    auto changed = make({{"premine", other}, {"persist", true}});
    BOOST_REQUIRE(!changed.has_value());
    BOOST_TEST((changed.error().code == jm::sdk::errc::invalid_config));
    BOOST_TEST(changed.error().message.find("premine") != std::string::npos);

    // A journal entry that is not a transaction: refused as damaged, never half-replayed silently.
    BOOST_REQUIRE(ctx.store().put("journal/0000000000000002", "tx zz").has_value());
    auto damaged = make({{"premine", premine}, {"persist", true}});
    BOOST_REQUIRE(!damaged.has_value());
    BOOST_TEST((damaged.error().code == jm::sdk::errc::corrupt_data));
}

BOOST_AUTO_TEST_SUITE_END()
