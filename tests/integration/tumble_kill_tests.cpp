// `jmnode tumble` as a real child process on the simulated chain (persisted, so it survives the
// kills) with a directory and jmnode makers in the same node. The child is killed with SIGKILL
// in every state a step can be in: running (before the taker was asked), failed and waiting
// for its retry (the makers refuse the taker's commitment coin), running with its CoinJoin
// broadcast, and done with the next step waiting. Between the kills a child runs into the
// retry limit, which pauses the plan with its reason. Each time `jmnode tumble resume` goes on
// (a failed step with a fresh commitment), and in the end every step is done once, no address
// was used twice and each destination was paid exactly once on the chain.
#include <cli/prepared_node.hpp>
#include <demo/demo_market.hpp>
#include <node/node.hpp>
#include <storage/data_dir_lock.hpp>
#include <storage/rocksdb_database.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/chain/blockchain_backend.hpp>
#include <jm/tumbler/tumbler_service.hpp>

#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

namespace {

using namespace jm::test;
using jm::tumbler::StepState;
using jm::tumbler::TumblePlan;

std::string jmnode() { return (binDir() / "jmnode").string(); }

boost::json::object readJson(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

std::optional<TumblePlan> planStatus(const std::filesystem::path& datadir) {
    auto o = readJson(datadir / "tumbler-tumble.json");
    if (o.empty()) return std::nullopt;
    auto plan = jm::tumbler::planFromJson(o);
    return plan ? std::optional<TumblePlan>(*plan) : std::nullopt;
}

//! The demo market's data directory, turned into a tumbling node: the chain persisted (blocks
//! every second, so a broadcast step stays unconfirmed for a moment), a tumbler with short
//! waits and small CoinJoins (2 makers each).
std::filesystem::path makeMarket(const std::filesystem::path& data) {
    {
        jm::host::DemoMarketOptions options;
        // Five: each CoinJoin takes two, and the taker's 2 BTC sweep needs two makers that still
        // hold 2 BTC in one mixdepth.
        options.makers = 5;
        options.datadir = data;
        auto market = jm::host::DemoMarket::open(options);
        BOOST_REQUIRE_MESSAGE(market.has_value(), (market ? "" : market.error().message));
    } // stopped: the wallets, their stores and the config stay
    auto file = data / "demo.json";
    auto config = readJson(file);
    for (auto& p : config["plugins"].as_array()) {
        auto& entry = p.as_object();
        auto instance = std::string(entry["instance"].as_string());
        auto& c = entry["config"].as_object();
        if (instance == "chain") {
            c["persist"] = true;
            c["block_interval"] = "1s";
        }
        // Step 1 sweeps mixdepth 1, one coin: three commitments by default, which the failing
        // attempts below use up (each reveals a fresh one); six leave some for its retries.
        if (instance.starts_with("maker") || instance == "taker") c["taker_utxo_retries"] = 6;
        if (instance == "taker") {
            c["makers"] = 2;
            c["minimum_makers"] = 2;
            c["taker_utxo_age"] = 1;
            c["min_confirmations"] = 1;
            c["orderbook_quiet"] = "1s";
        }
    }
    config["plugins"].as_array().push_back({{"load", "tumbler"},
                                            {"instance", "tumbler"},
                                            {"config",
                                             {{"taker", "taker"},
                                              {"backend", "chain"},
                                              {"wallet", "taker"},
                                              {"password_file", "demo-password"},
                                              {"mixdepthcount", 3},
                                              {"makercount_mean", 2},
                                              {"makercount_sd", 0},
                                              {"minmakercount", 2},
                                              {"txcount_mean", 1},
                                              {"txcount_sd", 0},
                                              {"mintxcount", 1},
                                              {"timelambda", 0.03},
                                              {"stage1_timelambda_increase", 1},
                                              {"retry_wait", "2s"},
                                              {"max_attempts", 5}}}});
    std::ofstream(file) << boost::json::serialize(config) << "\n";
    return file;
}

//! Rewrites the market's config for the next child: `refusing` makers ask for 10000
//! confirmations on the taker's commitment coin, so they drop every session at !auth (after the
//! taker revealed a commitment) and each step fails after the taker's one attempt (a short
//! maker_timeout); the tumbler then gives up after two attempts, a second apart. Otherwise the
//! market as made.
void setRefusing(const std::filesystem::path& file, bool refusing) {
    auto config = readJson(file);
    for (auto& p : config["plugins"].as_array()) {
        auto& entry = p.as_object();
        auto instance = std::string(entry["instance"].as_string());
        auto& c = entry["config"].as_object();
        if (instance.starts_with("maker")) {
            if (refusing)
                c["taker_utxo_age"] = 10000;
            else
                c.erase("taker_utxo_age");
        }
        if (instance == "taker") {
            c["maker_timeout"] = refusing ? "500ms" : "20s";
            if (refusing)
                c["max_attempts"] = 1;
            else
                c.erase("max_attempts");
        }
        if (instance == "tumbler") {
            c["max_attempts"] = refusing ? 2 : 5;
            c["retry_wait"] = refusing ? "1s" : "2s";
        }
    }
    std::ofstream(file) << boost::json::serialize(config) << "\n";
}

//! Commitments the taker has recorded as used (each is written before the !fill revealing it
//! and never used again). Read with no node running on the data directory.
std::size_t usedCommitments(const std::filesystem::path& datadir) {
    auto lock = jm::host::DataDirLock::acquire(datadir);
    BOOST_REQUIRE(lock.has_value());
    auto db = jm::host::RocksDbDatabase::open(datadir);
    BOOST_REQUIRE(db.has_value());
    auto store = (*db)->openNamespace("taker");
    BOOST_REQUIRE(store.has_value());
    std::size_t n = 0;
    BOOST_REQUIRE(
        (*store)->iterate("used/", [&](std::string_view, std::string_view) { return ++n, true; }).has_value());
    return n;
}

//! Waits until the plan in the status file satisfies `when`, then kills the child (SIGKILL).
void killWhen(ChildProcess& child, const std::filesystem::path& data,
              const std::function<bool(const TumblePlan&)>& when, const std::string& what) {
    BOOST_TEST_MESSAGE("kill -9 when " << what);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
        if (auto plan = planStatus(data); plan && when(*plan)) break;
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "never reached: " << what << "\n"
                                                                                             << child.output());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    child.signal(SIGKILL);
    auto r = child.wait(std::chrono::seconds(10));
    BOOST_TEST(r.exit_code == 128 + SIGKILL);
}

//! Unspent outputs paying each script on the persisted chain (a node running only the chain).
std::vector<std::size_t> paymentsOnChain(const std::filesystem::path& config,
                                         const std::vector<jm::bitcoin::Script>& scripts) {
    auto prepared = jm::host::prepareNode(config, {});
    BOOST_REQUIRE(prepared);
    std::vector<jm::host::InstancePlan> plans;
    for (auto& p : prepared->plans)
        if (p.factory->kind() == "backend") plans.push_back(std::move(p));
    jm::host::Node node(prepared->config, std::move(plans));
    BOOST_REQUIRE(node.start(false).has_value());
    auto backend = node.services().get<jm::chain::BlockchainBackend>("chain").value();
    std::vector<std::size_t> out;
    for (const auto& s : scripts) {
        jm::chain::WatchRequest request;
        request.wallet_id = "destination-check";
        request.scripts = {s};
        std::promise<std::size_t> n;
        backend->scanWallet(request, {}, boost::asio::make_strand(node.ioContext()),
                            [&](auto r) { n.set_value(r ? r->utxos.size() : 999); });
        out.push_back(n.get_future().get());
    }
    node.stop();
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tumble_kill_tests)

BOOST_AUTO_TEST_CASE(a_tumble_killed_in_each_step_state_resumes_and_pays_each_destination_once) {
    TempDir dir;
    auto data = dir.path() / "market";
    auto config = makeMarket(data);
    std::vector<std::string> dests;
    std::vector<jm::bitcoin::Script> scripts;
    for (int i = 0; i < 3; ++i) {
        dests.push_back(jm::host::DemoMarket::outsideAddress());
        scripts.push_back(jm::bitcoin::addressToScript(dests.back(), jm::bitcoin::Network::Regtest).value());
    }
    const std::vector<std::string> resume{jmnode(), "tumble", "resume", "--config", config.string(), "--json"};
    auto state = [](const TumblePlan& p, std::size_t i) {
        return i < p.steps.size() ? p.steps[i].state : StepState::Pending;
    };
    // The makers refuse the taker's commitment coins until the config is fixed below.
    setRefusing(config, true);
    {
        ChildProcess child({jmnode(), "tumble", "--config", config.string(), "--to",
                            dests[0] + "," + dests[1] + "," + dests[2], "--seed", "11", "--yes", "--json"});
        killWhen(
            child, data, [&](const TumblePlan& p) { return state(p, 0) == StepState::Running; },
            "step 1 is running (persisted before the taker was asked)");
    }
    auto plan = planStatus(data).value();
    BOOST_TEST(plan.steps.size() == 7u); // 2 stage-1 sweeps (mixdepths 1, 0), then 2 + 2 + 1
    // Step 1 found running is reconciled (nothing of it on the network: failed), retried, and
    // fails for real (no maker completes !auth): killed while it waits for its next retry.
    {
        ChildProcess child(resume);
        killWhen(
            child, data,
            [&](const TumblePlan& p) {
                return state(p, 0) == StepState::Failed && p.steps[0].failures.size() >= 2 &&
                       p.steps[0].reason.find("interrupted") == std::string::npos;
            },
            "step 1 failed (makers refused) and waits for its retry");
    }
    plan = planStatus(data).value();
    BOOST_TEST(plan.status == "running");
    BOOST_TEST(plan.steps[0].txid.empty());
    BOOST_TEST(plan.steps[0].attempts == 2);
    BOOST_TEST(plan.done() == 0);
    auto commitments = usedCommitments(data);
    BOOST_TEST(commitments >= 1u);
    // Still refused: the failed step is retried up to the limit (2), then the plan pauses and
    // the command ends, saying why; `tumble status` shows the same.
    {
        auto r = runProcess(resume, std::chrono::seconds(120));
        BOOST_TEST(r.exit_code == 1, r.out + r.err);
        auto out = boost::json::parse(r.out.substr(r.out.find('{')));
        auto paused = jm::tumbler::planFromJson(out).value();
        BOOST_TEST(paused.status == "paused");
        BOOST_TEST(paused.reason.find("step 1 failed 2 time(s), last: ") != std::string::npos, paused.reason);
        BOOST_TEST((paused.steps[0].state == StepState::Failed));
        BOOST_TEST(paused.steps[0].attempts == 4);
        BOOST_TEST(paused.steps[0].txid.empty());
        auto st = runProcess({jmnode(), "tumble", "status", "--config", config.string()}, std::chrono::seconds(30));
        BOOST_TEST(st.exit_code == 0);
        BOOST_TEST(st.out.find("paused: step 1 failed 2 time(s), last: ") != std::string::npos, st.out);
        BOOST_TEST(st.out.find("last failure: ") != std::string::npos, st.out);
        BOOST_TEST(st.out.find("jmnode tumble resume") != std::string::npos, st.out);
    }
    // Each of the two attempts revealed a commitment of its own (the taker never uses one twice).
    auto after_pause = usedCommitments(data);
    BOOST_TEST(after_pause >= commitments + 2,
               after_pause << " commitments after the pause, " << commitments << " before");
    setRefusing(config, false);
    {
        ChildProcess child(resume);
        killWhen(
            child, data,
            [&](const TumblePlan& p) {
                for (const auto& s : p.steps)
                    if (s.state == StepState::Running && !s.txid.empty()) return true;
                return false;
            },
            "a step is running with its CoinJoin broadcast (txid known)");
    }
    BOOST_TEST(usedCommitments(data) > after_pause); // the retry after the pause: a fresh one
    {
        ChildProcess child(resume);
        killWhen(
            child, data,
            [&](const TumblePlan& p) {
                auto done = static_cast<std::size_t>(p.done());
                return done >= 3 && done < p.steps.size() && state(p, done) == StepState::Pending && p.next_at > 0;
            },
            "a step is done and the next waits");
    }
    ChildProcess child(resume);
    auto r = child.wait(std::chrono::seconds(240));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
    auto out = boost::json::parse(r.out.substr(r.out.find('{')));
    auto finished = jm::tumbler::planFromJson(out).value();
    BOOST_TEST(finished.status == "finished");
    std::set<std::string> txids, addresses;
    for (const auto& s : finished.steps) {
        BOOST_TEST((s.state == StepState::Done));
        BOOST_TEST(txids.insert(s.txid).second, "txid twice: " << s.txid);
        BOOST_TEST(addresses.insert(s.address).second, "address twice: " << s.address);
    }
    // Step 1: every failure on record (the kill, the refusals), then done once.
    BOOST_TEST(finished.steps[0].failures.size() >= 4u);
    BOOST_TEST(finished.steps[0].attempts >= 5);
    // `tumble status` reads the same plan beside (or after) the node.
    auto st = runProcess({jmnode(), "tumble", "status", "--config", config.string()}, std::chrono::seconds(30));
    BOOST_TEST(st.exit_code == 0);
    BOOST_TEST(st.out.find("finished") != std::string::npos, st.out);
    for (auto n : paymentsOnChain(config, scripts))
        BOOST_TEST(n == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
