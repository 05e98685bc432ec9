// `jmnode tumble` as a real child process on the simulated chain (persisted, so it survives the
// kills) with a directory and jmnode makers in the same node: the child is killed with SIGKILL
// with a step running, with a step running whose CoinJoin is broadcast, and while it waits
// after a step; each time `jmnode tumble resume` goes on, and in the end every step is done once
// and each destination was paid exactly once on the chain.
#include <cli/prepared_node.hpp>
#include <demo/demo_market.hpp>
#include <node/node.hpp>
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
        auto instance = entry["instance"].as_string();
        auto& c = entry["config"].as_object();
        if (instance == "chain") {
            c["persist"] = true;
            c["block_interval"] = "1s";
        }
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
    {
        ChildProcess child({jmnode(), "tumble", "--config", config.string(), "--to",
                            dests[0] + "," + dests[1] + "," + dests[2], "--seed", "11", "--yes", "--json"});
        killWhen(
            child, data, [&](const TumblePlan& p) { return state(p, 0) == StepState::Running; },
            "step 1 is running (persisted before the taker was asked)");
    }
    auto plan = planStatus(data).value();
    BOOST_TEST(plan.steps.size() == 7u); // 2 stage-1 sweeps (mixdepths 1, 0), then 2 + 2 + 1
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
    // `tumble status` reads the same plan beside (or after) the node.
    auto st = runProcess({jmnode(), "tumble", "status", "--config", config.string()}, std::chrono::seconds(30));
    BOOST_TEST(st.exit_code == 0);
    BOOST_TEST(st.out.find("finished") != std::string::npos, st.out);
    for (auto n : paymentsOnChain(config, scripts))
        BOOST_TEST(n == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
