// `jmnode tumble`, `tumble status` and `tumble resume` as a user meets them: the help, and bad
// arguments refused with a clear error before any node starts, so that nothing is created or
// written in the data directory (the full runs are in tumble_kill_tests.cpp).
#include <demo/demo_market.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/script.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

namespace {

using namespace jm::test;

std::string jmnode() { return (binDir() / "jmnode").string(); }

ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), jmnode());
    return runProcess(args, std::chrono::seconds(60));
}

//! Fresh regtest addresses of nobody, and a valid one of another network.
struct Addresses {
    std::string a1 = jm::host::DemoMarket::outsideAddress();
    std::string a2 = jm::host::DemoMarket::outsideAddress();
    std::string a3 = jm::host::DemoMarket::outsideAddress();
    std::string mainnet =
        jm::bitcoin::scriptToAddress(jm::bitcoin::p2wpkhScript(jm::bitcoin::PrivateKey::generate().publicKey()),
                                     jm::bitcoin::Network::Mainnet)
            .value();
};

//! A tumbling node's config (simulated chain, taker, tumbler) whose data directory does not
//! exist yet: a refusal must leave it so.
std::filesystem::path writeConfig(const TempDir& dir) {
    auto path = dir.path() / "tumbler.json";
    std::ofstream(path) << R"({
  "node": {"datadir": ")"
                        << (dir.path() / "data").string() << R"(", "network": "regtest"},
  "plugins": [
    {"load": "backend-sim", "instance": "chain", "config": {}},
    {"load": "chooser", "factory": "random", "instance": "chooser", "config": {}},
    {"load": "taker", "instance": "taker",
     "config": {"backend": "chain", "chooser": "chooser", "directories": ["127.0.0.1:5222"]}},
    {"load": "tumbler", "instance": "tumbler", "config": {"taker": "taker", "backend": "chain"}}
  ]
})";
    return path;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tumble_cli_tests)

BOOST_AUTO_TEST_CASE(help_lists_the_commands_and_the_options) {
    auto r = run({"tumble", "--help"});
    BOOST_TEST(r.exit_code == 0, r.err);
    for (const char* text : {"Usage: jmnode tumble <command>", "--to ADDR1,ADDR2,ADDR3", "status", "resume", "--config",
                             "--seed", "--yes", "--password-fd", "at least 3"})
        BOOST_TEST(r.out.find(text) != std::string::npos, "missing " << text << " in\n" << r.out);
    auto none = run({"tumble"});
    BOOST_TEST(none.exit_code == 2);
    BOOST_TEST(none.err.find("needs a command (status, resume)") != std::string::npos, none.err);
    for (const char* sub : {"status", "resume"}) {
        auto h = run({"tumble", sub, "--help"});
        BOOST_TEST(h.exit_code == 0, sub << ": " << h.err);
        BOOST_TEST(h.out.find(std::string("jmnode tumble ") + sub + " --config FILE") != std::string::npos, h.out);
    }
}

BOOST_AUTO_TEST_CASE(bad_destinations_are_refused_before_the_node_starts) {
    TempDir dir;
    auto config = writeConfig(dir);
    const auto data = dir.path() / "data";
    Addresses a;
    const auto &A1 = a.a1, &A2 = a.a2, &A3 = a.a3, &MAINNET = a.mainnet;
    struct Case {
        std::string to;
        std::string error;
    };
    const std::vector<Case> cases{
        {A1 + "," + A2, "--to: a tumble needs at least 3 destination addresses, comma-separated (got 2)"},
        {A1, "(got 1)"},
        {A1 + "," + A2 + ",notanaddress", "--to: address notanaddress"},
        {A1 + "," + A2 + "," + MAINNET, "--to: address " + MAINNET + " is for mainnet, not regtest"},
        {A1 + "," + A2 + "," + A1, "--to: address " + A1 + " is given twice (each destination is paid once)"},
        {A1 + ",," + A2 + "," + A3, "--to has an empty address"},
    };
    for (const auto& c : cases) {
        auto r = run({"tumble", "--config", config.string(), "--to", c.to, "--yes"});
        BOOST_TEST(r.exit_code == 2, c.to << ": " << r.err);
        BOOST_TEST(r.err.find(c.error) != std::string::npos, c.to << ": expected '" << c.error << "' in\n" << r.err);
        BOOST_TEST(!std::filesystem::exists(data), c.to << ": the data directory was created");
    }
    // Spaces after the commas are fine: the refusal is then about the wallet, not the addresses
    // (this node has none) - after the node started.
    auto spaced = run({"tumble", "--config", config.string(), "--to", A1 + ", " + A2 + ", " + A3, "--yes"});
    BOOST_TEST(spaced.exit_code != 0);
    BOOST_TEST(spaced.err.find("--to") == std::string::npos, spaced.err);
    BOOST_TEST(spaced.err.find("wallet") != std::string::npos, spaced.err);
}

BOOST_AUTO_TEST_CASE(bad_options_and_configs_are_refused_with_a_clear_error) {
    TempDir dir;
    auto config = writeConfig(dir);
    const auto data = dir.path() / "data";
    Addresses a;
    const auto three = a.a1 + "," + a.a2 + "," + a.a3;
    auto no_to = run({"tumble", "--config", config.string()});
    BOOST_TEST(no_to.exit_code == 2);
    BOOST_TEST(no_to.err.find("--to") != std::string::npos, no_to.err);
    auto seed = run({"tumble", "--config", config.string(), "--to", three, "--seed", "abc"});
    BOOST_TEST(seed.exit_code == 2);
    BOOST_TEST(seed.err.find("--seed must be an unsigned 64-bit number") != std::string::npos, seed.err);
    auto missing = run({"tumble", "--config", (dir.path() / "absent.json").string(), "--to", three});
    BOOST_TEST(missing.exit_code == 2);
    BOOST_TEST(missing.err.find("cannot read config file") != std::string::npos, missing.err);
    BOOST_TEST(missing.err.find("nothing was started") != std::string::npos, missing.err);
    // A config without a tumbler instance.
    auto plain = dir.path() / "plain.json";
    std::ofstream(plain) << R"({"node": {"datadir": ")" << data.string()
                         << R"(", "network": "regtest"}, "plugins": [{"load": "backend-sim", "instance": "chain"}]})";
    auto none = run({"tumble", "--config", plain.string(), "--to", three});
    BOOST_TEST(none.exit_code == 2);
    BOOST_TEST(none.err.find("exactly one tumbler instance (it runs 0)") != std::string::npos, none.err);
    BOOST_TEST(!std::filesystem::exists(data));
}

BOOST_AUTO_TEST_CASE(status_without_a_plan_says_how_to_start_one) {
    TempDir dir;
    auto config = writeConfig(dir);
    for (bool json : {false, true}) {
        std::vector<std::string> args{"tumble", "status", "--config", config.string()};
        if (json) args.push_back("--json");
        auto r = run(args);
        BOOST_TEST(r.exit_code == 1);
        BOOST_TEST(r.out.empty(), r.out);
        BOOST_TEST(r.err.find("no tumble plan yet (tumbler 'tumbler' has no ") != std::string::npos, r.err);
        BOOST_TEST(r.err.find("start one with `jmnode tumble --config " + config.string() +
                              " --to ADDR1,ADDR2,ADDR3`") != std::string::npos,
                   r.err);
    }
    BOOST_TEST(!std::filesystem::exists(dir.path() / "data"));
    auto missing = run({"tumble", "status", "--config", (dir.path() / "absent.json").string()});
    BOOST_TEST(missing.exit_code == 2);
    BOOST_TEST(missing.err.find("cannot read config file") != std::string::npos, missing.err);
}

BOOST_AUTO_TEST_SUITE_END()
