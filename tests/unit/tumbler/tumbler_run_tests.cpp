// The tumbler plugin running whole plans through the real taker with real jmnode makers over a
// real directory, on the SDK test chain: a plan completes paying each destination once; a plan
// interrupted (the plugins destroyed without stop, as kill -9 leaves the stores) in every step
// state resumes and finishes without repeating a step or paying a destination twice; a step
// failing too often pauses the plan with its reason.
#include "taker_harness.hpp"

#include <schedule.hpp>
#include <tumbler_plugin.hpp>

#include <jm/sdk/password_source.hpp>
#include <jm/tumbler/tumbler_service.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

using namespace jm::test;
using jm::tumbler::StepState;
using jm::tumbler::TumblePlan;

namespace {

class FixedPassword final : public jm::sdk::PasswordSource {
public:
    jm::sdk::Result<std::string> read(std::string_view) override { return std::string("password"); }
};

//! A market (directory, 3 makers) and the taker, with a miner that confirms what is broadcast.
struct Market {
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    std::unique_ptr<HostileMaker> hostile; //!< the cheapest maker, misbehaving (when asked for)
    std::unique_ptr<TakerUnderTest> taker;
    std::atomic<bool> mining{true};
    std::atomic<bool> paused{false}; //!< the miner mines nothing while set
    std::thread miner;

    //! `taker_config`: extra taker keys; `coins`: the taker wallet's (mixdepth, satoshis);
    //! `hostile`: a fourth maker, the cheapest (the taker's test chooser takes it first),
    //! misbehaving that way.
    explicit Market(boost::json::object taker_config = {},
                    std::vector<std::pair<int, std::int64_t>> coins = {{0, 50'000'000}, {0, 30'000'000}},
                    std::optional<Misbehaviour> hostile_how = std::nullopt) {
        for (int i = 0; i < 3; ++i) {
            MakerOptions options;
            options.directories = {directory.port()};
            options.coins = {{0, 200'000'000}, {1, 200'000'000}, {2, 200'000'000}, {3, 200'000'000}};
            // Each step's coins are a block old when the next step commits with them.
            options.config = {{"taker_utxo_age", 1}};
            makers.push_back(std::make_unique<MakerUnderTest>(hub, options));
        }
        TakerOptions options;
        options.directories = {directory.port()};
        options.coins = std::move(coins);
        options.config = {{"makers", 2},           {"minimum_makers", 2},    {"wait_confirmations", 1},
                          {"taker_utxo_age", 1},   {"min_confirmations", 1}, {"orderbook_quiet", "500ms"},
                          {"orderbook_wait", "4s"}};
        for (const auto& [k, v] : taker_config)
            options.config[k] = v;
        taker = std::make_unique<TakerUnderTest>(hub, options);
        if (hostile_how) hostile = std::make_unique<HostileMaker>(hub, directory.port(), *hostile_how);
        hub.mine(3);
        for (auto& m : makers)
            m->start();
        if (hostile) hostile->start();
        taker->start();
        miner = std::thread([this] {
            while (mining) {
                if (!paused && hub.chain().mempoolSize() > 0) hub.mine(1);
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
    }
    ~Market() {
        mining = false;
        miner.join();
    }
    //! How many unspent outputs pay `script` (destinations are never spent).
    std::size_t paymentsTo(const jm::bitcoin::Script& script) {
        boost::asio::io_context ioc;
        jm::chain::WatchRequest request;
        request.wallet_id = "check";
        request.scripts = {script};
        std::size_t n = 0;
        hub.chain().scanWallet(request, {}, ioc.get_executor(), [&](auto r) { n = r ? r->utxos.size() : 999; });
        ioc.run();
        return n;
    }
};

//! The real TumblerPlugin beside the taker, on its context (its own keys in the same store).
class TumblerUnderTest {
public:
    TumblerUnderTest(TakerUnderTest& taker, boost::json::object extra) : m_taker(taker) {
        boost::json::object config{{"taker", "taker"},     {"backend", "chain"},    {"mixdepthcount", 3},
                                   {"makercount_mean", 2}, {"makercount_sd", 0},    {"minmakercount", 2},
                                   {"txcount_mean", 1},    {"txcount_sd", 0},       {"mintxcount", 1},
                                   {"timelambda", 0},      {"retry_wait", "200ms"}, {"max_attempts", 2}};
        for (const auto& [k, v] : extra)
            config[k] = v;
        std::vector<jm::sdk::ConfigProblem> problems;
        if (!jm::plugins::tumbler::TumblerSettings::schema().validate(config, "$", problems))
            throw std::runtime_error("tumbler config: " + problems.front().path + ": " + problems.front().message);
        m_settings = jm::plugins::tumbler::TumblerSettings::fromConfig(config).value();
        (void)ctx().services().provide<jm::sdk::PasswordSource>(jm::sdk::PasswordSource::host_instance, m_password);
    }
    ~TumblerUnderTest() {
        if (m_plugin) crash();
    }
    jm::sdk::testing::TestContext& ctx() { return m_taker.ctx(); }
    void start() {
        // The taker/1 service of the taker now running (a restarted taker is a new object).
        ctx().services().removeInstance("taker");
        (void)ctx().services().provide<jm::taker::CoinjoinService>("taker", m_taker.plugin());
        auto started = m_taker.onStrand([&] {
            m_plugin = std::make_unique<jm::plugins::tumbler::TumblerPlugin>(ctx(), m_settings);
            return m_plugin->start();
        });
        if (!started) throw std::runtime_error("tumbler start: " + started.error().message);
    }
    //! Destroys the plugin without stop(): only what it had written survives.
    void crash() {
        m_taker.onStrand([&] {
            m_plugin.reset();
            return 0;
        });
    }
    jm::sdk::Result<TumblePlan> propose(std::vector<std::string> destinations, std::uint64_t seed) {
        std::promise<jm::sdk::Result<TumblePlan>> p;
        m_plugin->propose(destinations, seed, ctx().executor(), [&](auto r) { p.set_value(std::move(r)); });
        return p.get_future().get();
    }
    std::future<jm::sdk::Result<TumblePlan>> start(TumblePlan plan) {
        auto p = std::make_shared<std::promise<jm::sdk::Result<TumblePlan>>>();
        m_plugin->start(std::move(plan), {}, ctx().executor(), [p](auto r) { p->set_value(std::move(r)); });
        return p->get_future();
    }
    std::future<jm::sdk::Result<TumblePlan>> resume() {
        auto p = std::make_shared<std::promise<jm::sdk::Result<TumblePlan>>>();
        m_plugin->resume({}, ctx().executor(), [p](auto r) { p->set_value(std::move(r)); });
        return p->get_future();
    }
    //! The plan as the status file has it now (empty plan if unreadable).
    TumblePlan statusFile() {
        std::ifstream in(ctx().dataDir() / "taker-tumble.json");
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        auto v = boost::json::parse(text.str(), ec);
        if (ec) return {};
        auto plan = jm::tumbler::planFromJson(v);
        return plan ? *plan : TumblePlan{};
    }

private:
    TakerUnderTest& m_taker;
    jm::plugins::tumbler::TumblerSettings m_settings;
    FixedPassword m_password;
    std::unique_ptr<jm::plugins::tumbler::TumblerPlugin> m_plugin;
};

//! The test chain, except that wallet scans fail while `down` is set (a backend that went away).
class FlakyBackend final : public jm::chain::BlockchainBackend {
public:
    explicit FlakyBackend(jm::chain::BlockchainBackend& chain) : m_chain(chain) {}
    std::atomic<bool> down{false};
    void tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) override {
        m_chain.tip(ex, std::move(done));
    }
    void scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                    jm::chain::Callback<jm::chain::WalletScan> done) override {
        if (down)
            return boost::asio::post(ex, [done = std::move(done)] {
                done(jm::sdk::Error(jm::sdk::errc::unavailable, "backend unreachable"));
            });
        m_chain.scanWallet(std::move(request), std::move(progress), ex, std::move(done));
    }
    void getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                  jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override {
        m_chain.getTxOut(outpoint, ex, std::move(done));
    }
    void getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) override {
        m_chain.getTransaction(std::move(txid), ex, std::move(done));
    }
    void broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) override {
        m_chain.broadcast(std::move(tx), ex, std::move(done));
    }
    void estimateFee(int target, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override {
        m_chain.estimateFee(target, ex, std::move(done));
    }
    void watchTransaction(std::string txid, std::int32_t final_depth) override {
        m_chain.watchTransaction(std::move(txid), final_depth);
    }
    void unwatchTransaction(std::string txid) override { m_chain.unwatchTransaction(std::move(txid)); }

private:
    jm::chain::BlockchainBackend& m_chain;
};

using Destinations = std::vector<std::pair<std::string, jm::bitcoin::Script>>;

Destinations threeDestinations() {
    return {TakerUnderTest::destination(), TakerUnderTest::destination(), TakerUnderTest::destination()};
}

std::vector<std::string> addresses(const Destinations& d) {
    std::vector<std::string> out;
    for (const auto& [a, s] : d)
        out.push_back(a);
    return out;
}

TumblePlan waitFor(std::future<jm::sdk::Result<TumblePlan>>& f, int seconds = 240) {
    BOOST_REQUIRE(f.wait_for(std::chrono::seconds(seconds)) == std::future_status::ready);
    auto r = f.get();
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
    return *r;
}

//! Every step done with its own txid, every address (internal ones too) used by one step only,
//! and each destination paid exactly once on the chain.
void checkFinished(Market& market, const TumblePlan& plan, const Destinations& dests) {
    BOOST_TEST(plan.status == "finished");
    std::set<std::string> txids, addrs;
    for (const auto& s : plan.steps) {
        BOOST_TEST((s.state == StepState::Done));
        BOOST_TEST(txids.insert(s.txid).second);
        BOOST_TEST(addrs.insert(s.address).second);
    }
    for (const auto& [address, script] : dests)
        BOOST_TEST(market.paymentsTo(script) == 1u, address);
}

} // namespace

BOOST_AUTO_TEST_SUITE(tumbler_run_tests)

BOOST_AUTO_TEST_CASE(a_plan_completes_with_jmnode_makers) {
    Market market;
    TumblerUnderTest tumbler(*market.taker, {});
    tumbler.start();
    auto dests = threeDestinations();
    auto steps = market.taker->events("tumble.step/1").size();
    auto plan = tumbler.propose(addresses(dests), 5).value();
    // sweep 0->1; md1: fraction, sweep->dest 1; md2: fraction, sweep->dest 2; md3: sweep->dest 3
    BOOST_REQUIRE(plan.steps.size() == 6u);
    BOOST_TEST(plan.status == "new");
    // Same seed, same plan.
    BOOST_TEST(tumbler.propose(addresses(dests), 5).value().steps[1].amount_fraction == plan.steps[1].amount_fraction);
    auto f = tumbler.start(plan);
    auto done = waitFor(f);
    checkFinished(market, done, dests);
    // Internal steps paid the wallet's next mixdepth.
    BOOST_TEST(done.steps[0].destination == -1);
    BOOST_TEST(!done.steps[0].address.empty());
    auto step_events = market.taker->events("tumble.step/1");
    BOOST_TEST(step_events.size() - steps >= 12u); // running + done per step
    auto finished = market.taker->events("tumble.finished/1");
    BOOST_REQUIRE(finished.size() == 1u);
    BOOST_TEST(finished[0].at("state").as_string() == "finished");
    BOOST_TEST(finished[0].at("done").as_int64() == 6);
    // A finished plan leaves room for a new one; the stored one says finished.
    BOOST_TEST(tumbler.statusFile().status == "finished");
}

BOOST_AUTO_TEST_CASE(a_plan_interrupted_in_every_step_state_resumes_and_pays_each_destination_once) {
    Market market;
    // Waits of a couple of seconds after each step (a crash lands in one). An interrupted
    // attempt counts toward the limit (the count is persisted): room for the crashes below.
    TumblerUnderTest tumbler(*market.taker, {{"timelambda", 0.03}, {"wait_scale", 1.0}, {"max_attempts", 3}});
    tumbler.start();
    auto dests = threeDestinations();
    auto plan = tumbler.propose(addresses(dests), 9).value();
    BOOST_REQUIRE(plan.steps.size() == 6u);
    for (auto& s : plan.steps)
        s.wait_minutes = 0.03; // 1.8 s
    auto f = tumbler.start(plan);

    auto crashWhen = [&](const std::function<bool(const TumblePlan&)>& when, const std::string& what) {
        BOOST_TEST_MESSAGE("crash when " << what);
        BOOST_REQUIRE_MESSAGE(eventually([&] { return when(tumbler.statusFile()); }, std::chrono::seconds(120)),
                              "never reached: " << what);
        tumbler.crash();
        market.taker->crash();
        auto at = tumbler.statusFile();
        market.taker->start();
        tumbler.start();
        return at;
    };
    auto state = [](const TumblePlan& p, std::size_t i) {
        return i < p.steps.size() ? p.steps[i].state : StepState::Pending;
    };
    // 1. Step 1 running: written before the taker was asked.
    crashWhen([&](const TumblePlan& p) { return state(p, 0) == StepState::Running; }, "step 1 is running");
    f = tumbler.resume();
    // 2. Step 2 running with its txid known (broadcast, unconfirmed: no block is mined once step
    // 1 is done, or the window would be a few milliseconds): reconciled, waited for, not repeated.
    auto at = crashWhen(
        [&](const TumblePlan& p) {
            if (state(p, 0) == StepState::Done) market.paused = true;
            return state(p, 1) == StepState::Running && !p.steps[1].txid.empty();
        },
        "step 2 has its txid");
    BOOST_TEST((at.steps[1].state == StepState::Running));
    f = tumbler.resume();
    market.paused = false;
    // 3. Step 3 done, waiting before step 4.
    crashWhen([&](const TumblePlan& p) { return state(p, 2) == StepState::Done && state(p, 3) == StepState::Pending; },
              "step 3 is done (waiting)");
    // 4. Step 4 failed (no maker answers: they are stopped), then the crash.
    for (auto& m : market.makers)
        m->stop();
    f = tumbler.resume();
    crashWhen([&](const TumblePlan& p) { return state(p, 3) == StepState::Failed; }, "step 4 failed");
    for (auto& m : market.makers)
        m->start();
    f = tumbler.resume();
    auto done = waitFor(f);
    checkFinished(market, done, dests);
    BOOST_TEST(done.steps[3].failures.size() >= 1u);
}

BOOST_AUTO_TEST_CASE(a_step_failing_too_often_pauses_the_plan_with_its_reason) {
    Market market;
    TumblerUnderTest tumbler(*market.taker, {{"max_attempts", 2}});
    tumbler.start();
    auto dests = threeDestinations();
    auto plan = tumbler.propose(addresses(dests), 3).value();
    for (auto& m : market.makers)
        m->stop();
    auto f = tumbler.start(plan);
    auto paused = waitFor(f, 120);
    BOOST_TEST(paused.status == "paused");
    BOOST_TEST(paused.reason.find("step 1 failed 2 time(s)") != std::string::npos, paused.reason);
    BOOST_TEST((paused.steps[0].state == StepState::Failed));
    BOOST_TEST(paused.steps[0].attempts == 2);
    auto finished = market.taker->events("tumble.finished/1");
    BOOST_REQUIRE(finished.size() == 1u);
    BOOST_TEST(finished[0].at("state").as_string() == "paused");
    // A new plan is refused while this one is unfinished; resume is the way on.
    auto again = tumbler.propose(addresses(threeDestinations()), 4);
    BOOST_REQUIRE(!again);
    BOOST_TEST((again.error().code == jm::sdk::errc::already_exists));
    tumbler.crash();
    BOOST_TEST(market.paymentsTo(dests[0].second) == 0u);
    // A kill between the last failure's write and the pause's leaves the plan "running" with the
    // round used up: resumed, it pauses at once, with no attempt beyond the limit.
    {
        auto crashed = paused;
        crashed.status = "running";
        crashed.reason.clear();
        BOOST_REQUIRE(market.taker->ctx()
                          .store()
                          .put("plan", boost::json::serialize(jm::tumbler::toJson(crashed)), {.sync = true})
                          .has_value());
        tumbler.start();
        auto again = tumbler.resume();
        auto stopped = waitFor(again, 20);
        BOOST_TEST(stopped.status == "paused");
        BOOST_TEST(stopped.steps[0].attempts == 2);
        BOOST_TEST(stopped.steps[0].round_attempts == 2);
        BOOST_TEST(stopped.steps[0].failures.size() == paused.steps[0].failures.size());
        BOOST_TEST(stopped.reason.find("step 1 failed 2 time(s) (max_attempts 2), last: ") != std::string::npos,
                   stopped.reason);
        tumbler.crash();
    }
    // Later, with makers back and the node restarted, `resume` finishes the paused plan.
    for (auto& m : market.makers)
        m->start();
    tumbler.start();
    BOOST_TEST(tumbler.statusFile().status == "paused");
    auto resumed = tumbler.resume();
    auto done = waitFor(resumed);
    checkFinished(market, done, dests);
    BOOST_TEST(done.steps[0].failures.size() >= 2u);
    // The resume of a paused plan is a new round: its attempts count afresh, the total goes on.
    BOOST_TEST(done.steps[0].attempts >= 3);
    BOOST_TEST(done.steps[0].round_attempts == done.steps[0].attempts - 2);
}

BOOST_AUTO_TEST_CASE(a_failed_step_is_retried_avoiding_exactly_the_makers_that_failed_it_across_a_crash) {
    // A silent maker (never answers !auth) is the cheapest: the taker, one attempt per run,
    // chooses it with a real maker and the step fails. The plan is interrupted while the step
    // waits for its retry; resumed, the retry must avoid exactly that maker (its nick is the
    // same: only the tumbler and the taker restart) and complete with real makers.
    // (A maker_timeout long enough that the real makers always answer in time, even under load.)
    Market market({{"max_attempts", 1}, {"maker_timeout", "3s"}}, {{0, 50'000'000}, {0, 30'000'000}},
                  Misbehaviour::SilentAtAuth);
    TumblerUnderTest tumbler(*market.taker, {{"retry_wait", "5s"}, {"max_attempts", 3}, {"wait_scale", 1.0}});
    tumbler.start();
    auto plan = tumbler.propose(addresses(threeDestinations()), 5).value();
    plan.steps[0].wait_minutes = 10; // step 2 does not start while step 1 is checked
    auto f = tumbler.start(plan);
    BOOST_REQUIRE_MESSAGE(eventually(
                              [&] {
                                  auto p = tumbler.statusFile();
                                  return !p.steps.empty() && p.steps[0].state == StepState::Failed;
                              },
                              std::chrono::seconds(60)),
                          "step 1 never failed");
    tumbler.crash();
    market.taker->crash();
    auto at = tumbler.statusFile();
    BOOST_TEST(at.status == "running");
    BOOST_TEST(at.steps[0].attempts == 1);
    BOOST_TEST(at.steps[0].round_attempts == 1);
    BOOST_TEST(at.steps[0].avoid == std::vector<std::string>{market.hostile->nick()});
    BOOST_TEST(market.hostile->fills() == 1);
    // The taker's event named the same maker, and no other (the real maker answered).
    auto failed = market.taker->events("taker.failed/1");
    BOOST_REQUIRE(failed.size() == 1u);
    const auto& listed = failed[0].at("failed_makers").as_array();
    BOOST_REQUIRE(listed.size() == 1u);
    BOOST_TEST(listed[0].at("nick").as_string() == market.hostile->nick());

    market.taker->start();
    tumbler.start();
    auto resumed = tumbler.resume();
    BOOST_REQUIRE_MESSAGE(eventually(
                              [&] {
                                  auto p = tumbler.statusFile();
                                  return !p.steps.empty() && p.steps[0].state == StepState::Done;
                              },
                              std::chrono::seconds(90)),
                          "step 1 never completed");
    auto done = tumbler.statusFile();
    // The count and the avoided maker survived the crash; the retry never asked the maker again
    // although the chooser takes it first, and the CoinJoin is the real makers'.
    BOOST_TEST(done.steps[0].attempts == 2);
    BOOST_TEST(done.steps[0].round_attempts == 2);
    BOOST_TEST(done.steps[0].avoid == std::vector<std::string>{market.hostile->nick()});
    BOOST_TEST(done.steps[0].failures.size() == 1u);
    BOOST_TEST(market.hostile->fills() == 1);
    BOOST_TEST(market.taker->events("taker.failed/1").size() == 1u);
    std::uint64_t signed_by_real = 0;
    for (auto& m : market.makers)
        signed_by_real += m->counters().signed_coinjoins;
    BOOST_TEST(signed_by_real == 2u); // both makers of the step's CoinJoin
    tumbler.crash();
}

BOOST_AUTO_TEST_CASE(bad_destinations_are_refused) {
    Market market;
    TumblerUnderTest tumbler(*market.taker, {});
    tumbler.start();
    auto d = addresses(threeDestinations());
    auto two = tumbler.propose({d[0], d[1]}, 1);
    BOOST_TEST((!two && two.error().code == jm::sdk::errc::invalid_argument));
    auto twice = tumbler.propose({d[0], d[1], d[0]}, 1);
    BOOST_TEST((!twice && twice.error().code == jm::sdk::errc::invalid_argument));
    auto garbage = tumbler.propose({d[0], d[1], "bc1notanaddress"}, 1);
    BOOST_TEST((!garbage && garbage.error().code == jm::sdk::errc::invalid_argument));
    // A valid address of another network (mainnet; the node is on testnet).
    auto mainnet = tumbler.propose({d[0], d[1], "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}, 1);
    BOOST_TEST((!mainnet && mainnet.error().code == jm::sdk::errc::invalid_argument));
    auto resume = tumbler.resume();
    auto r = resume.get();
    BOOST_TEST((!r && r.error().code == jm::sdk::errc::not_found));
}

BOOST_AUTO_TEST_CASE(a_step_whose_coinjoin_never_confirms_is_not_done_and_runs_again) {
    // The taker returns once its CoinJoin is in the mempool; no block is mined for it.
    Market market({{"wait_confirmations", 0}});
    TumblerUnderTest tumbler(*market.taker, {{"retry_wait", "200ms"}, {"max_attempts", 3}});
    tumbler.start();
    auto dests = threeDestinations();
    auto plan = tumbler.propose(addresses(dests), 5).value();
    market.paused = true;
    auto f = tumbler.start(plan);
    std::string first;
    BOOST_REQUIRE(eventually(
        [&] {
            auto p = tumbler.statusFile();
            if (p.steps.empty() || p.steps[0].txid.empty()) return false;
            first = p.steps[0].txid;
            return true;
        },
        std::chrono::seconds(60)));
    BOOST_REQUIRE(eventually([&] { return market.taker->events("tumble.step/1").size() >= 1; }));
    // In the mempool only: the step is not done (a maker may still double-spend it).
    BOOST_TEST(
        !eventually([&] { return tumbler.statusFile().steps[0].state == StepState::Done; }, std::chrono::seconds(3)));
    BOOST_TEST((tumbler.statusFile().steps[0].state == StepState::Running));
    // A maker double-spends an input: the CoinJoin leaves the mempool and never confirms.
    BOOST_REQUIRE(market.hub.chain().drop(first).has_value());
    market.paused = false;
    auto done = waitFor(f);
    checkFinished(market, done, dests);
    BOOST_TEST(done.steps[0].txid != first);
    BOOST_REQUIRE(!done.steps[0].failures.empty());
    BOOST_TEST(done.steps[0].failures.back().find("never confirmed") != std::string::npos,
               done.steps[0].failures.back());
}

BOOST_AUTO_TEST_CASE(frozen_coins_and_fidelity_bonds_are_not_planned) {
    // Spendable coins only in mixdepth 1; a fidelity bond in mixdepth 0 and a frozen coin in 2.
    Market market({}, {{1, 80'000'000}});
    auto& store = market.taker->ctx().walletStore();
    {
        auto wallet = jm::wallet::Wallet::open(store, "password").value();
        auto bond = wallet.bondAddress(0).value();
        market.hub.chain().fund(bond.info.script_pubkey, 50'000'000);
        auto frozen = wallet.nextAddress(2, jm::wallet::BRANCH_EXTERNAL).value();
        auto op = market.hub.chain().fund(frozen.script_pubkey, 40'000'000);
        market.hub.mine(1);
        jm::wallet::UtxoSet set(store);
        jm::wallet::WalletUtxo u;
        u.outpoint = op;
        u.value = 40'000'000;
        u.script_pubkey = frozen.script_pubkey;
        u.mixdepth = 2;
        u.index = frozen.index;
        u.confirmations = 1;
        BOOST_REQUIRE(set.replace({u}).has_value());
        BOOST_REQUIRE(set.freeze(op).has_value());
    }
    TumblerUnderTest tumbler(*market.taker, {});
    tumbler.start();
    auto plan = tumbler.propose(addresses(threeDestinations()), 7).value();
    // The schedule of a wallet whose only coins are mixdepth 1's (the test's options).
    jm::plugins::tumbler::ScheduleOptions o;
    o.mixdepthcount = 3;
    o.makercount_mean = 2;
    o.makercount_sd = 0;
    o.minmakercount = 2;
    o.txcount_mean = 1;
    o.txcount_sd = 0;
    o.mintxcount = 1;
    o.timelambda = 0;
    auto expected = jm::plugins::tumbler::makeTumbleSchedule(o, 3, {{1, 80'000'000}}, 5, 7).value();
    BOOST_REQUIRE(plan.steps.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        BOOST_TEST(plan.steps[i].mixdepth == expected[i].mixdepth, "step " << i + 1);
        BOOST_TEST(plan.steps[i].amount_fraction == expected[i].amount_fraction, "step " << i + 1);
    }
    BOOST_TEST(plan.steps[0].mixdepth == 1); // no sweep of the bond's or the frozen coin's mixdepth
}

BOOST_AUTO_TEST_CASE(the_wallets_own_address_is_refused_as_a_destination) {
    Market market;
    TumblerUnderTest tumbler(*market.taker, {});
    tumbler.start();
    auto d = addresses(threeDestinations());
    std::string own;
    {
        auto wallet = jm::wallet::Wallet::open(market.taker->ctx().walletStore(), "password").value();
        own = wallet.addressAt(3, jm::wallet::BRANCH_INTERNAL, 2).value().address;
    }
    auto r = tumbler.propose({d[0], own, d[2]}, 1);
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error().code == jm::sdk::errc::invalid_argument));
    BOOST_TEST(r.error().message.find("own address") != std::string::npos, r.error().message);
    BOOST_TEST(tumbler.propose(d, 1).has_value());
}

BOOST_AUTO_TEST_CASE(a_step_that_cannot_be_prepared_pauses_the_plan_after_max_attempts) {
    Market market;
    FlakyBackend flaky(market.hub.chain());
    (void)market.taker->ctx().services().provide<jm::chain::BlockchainBackend>("flaky", flaky);
    TumblerUnderTest tumbler(*market.taker, {{"backend", "flaky"}, {"max_attempts", 2}});
    tumbler.start();
    auto plan = tumbler.propose(addresses(threeDestinations()), 3).value();
    flaky.down = true;
    auto f = tumbler.start(plan);
    BOOST_REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    auto paused = f.get().value();
    BOOST_TEST(paused.status == "paused");
    BOOST_TEST(paused.reason.find("step 1 failed 2 time(s)") != std::string::npos, paused.reason);
    BOOST_TEST(paused.reason.find("backend unreachable") != std::string::npos, paused.reason);
    tumbler.crash();
}

BOOST_AUTO_TEST_SUITE_END()
