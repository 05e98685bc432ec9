// bench_coinjoin_round: whole CoinJoins on loopback, the way users make them, for N = 1, 3 and
// 10 makers; each round is a payment through the taker service, and the bench prints, over the
// rounds, the time from the taker's start (send()) to the broadcast and from the first !fill to
// the broadcast. Two chains:
//
//  - test: a market in one process (the `jmnode demo` market: a jmnode directory, N jmnode
//    makers, a jmnode taker, the simulated chain backend-sim with RocksDB wallets);
//  - regtest: a real Bitcoin Core ($BITCOIND/$BITCOIN_CLI or /opt/bitcoin-core/bin; without one
//    it prints a SKIPPED line), a jmnode directory, N makers as `jmnode run` processes on
//    backend-core and the taker in process on backend-core (the helpers of the regtest taker
//    tests). Its "taker start" includes the taker's wallet sync against Core.
//
//   bench_coinjoin_round [--rounds R] [--makers 1,3,10] [--chain test|regtest|both]
#include <demo/demo_market.hpp>

#ifdef JM_BENCH_REGTEST
#include <regtest_taker_market.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void print(const char* what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("  %-28s median %8.1f ms   min %8.1f ms   max %8.1f ms\n", what, v[v.size() / 2], v.front(), v.back());
}

//! The figures of one market over its rounds.
struct Timings {
    std::vector<double> to_broadcast, fill_to_broadcast, whole;
    void print() const {
        ::print("taker start -> broadcast", to_broadcast);
        ::print("first !fill -> broadcast", fill_to_broadcast);
        ::print("whole round (to confirmed)", whole);
    }
};

int runTestChain(int rounds, const std::vector<std::size_t>& counts) {
    std::printf("== test chain (backend-sim, in one process) ==\n");
    for (auto makers : counts) {
        std::string pattern = (std::filesystem::temp_directory_path() / "jmnode-bench-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) return 1;
        jm::host::DemoMarketOptions options;
        options.makers = makers;
        options.extra_taker_coins = static_cast<std::size_t>(rounds) + 1;
        options.datadir = pattern;
        options.log_level = jm::sdk::Severity::error;
        auto opened_at = Clock::now();
        auto market = jm::host::DemoMarket::open(options);
        if (!market) {
            std::fprintf(stderr, "market with %zu makers: %s\n", makers, market.error().message.c_str());
            return 1;
        }
        std::printf("%zu maker(s): market open in %.0f ms; %d rounds of a 0.1 BTC payment\n", makers,
                    ms(Clock::now() - opened_at), rounds);
        Timings t;
        for (int r = 0; r < rounds; ++r) {
            Clock::time_point start = Clock::now(), fill{}, broadcast{};
            jm::taker::CoinjoinRequest request{0, 10'000'000, false, jm::host::DemoMarket::outsideAddress(), makers};
            auto result = (*market)->coinjoin(request, [&](const jm::taker::StageUpdate& u) {
                if (u.stage == "fill" && fill == Clock::time_point{}) fill = Clock::now();
                if (u.stage == "broadcast") broadcast = Clock::now();
            });
            if (!result) {
                std::fprintf(stderr, "round %d: %s\n", r, result.error().message.c_str());
                return 1;
            }
            t.whole.push_back(ms(Clock::now() - start));
            t.to_broadcast.push_back(ms(broadcast - start));
            t.fill_to_broadcast.push_back(ms(broadcast - fill));
        }
        t.print();
        market->reset();
        std::error_code ec;
        std::filesystem::remove_all(pattern, ec);
    }
    return 0;
}

#ifdef JM_BENCH_REGTEST
//! One market per maker count on one regtest bitcoind. Makers are funded with 1 BTC in each of
//! three mixdepths, the taker with rounds + 1 coins of 0.3 BTC on their own keys; after each
//! round (untimed) five blocks make the new coins usable as inputs and commitments.
int runRegtestMarket(jm::test::Bitcoind& core, std::size_t makers, int rounds, std::uint8_t& seed) {
    namespace json = boost::json;
    auto opened_at = Clock::now();
    jm::test::TestDirectory directory("regtest");
    std::vector<std::unique_ptr<jm::test::MakerProcess>> processes;
    for (std::size_t i = 0; i < makers; ++i) {
        processes.push_back(std::make_unique<jm::test::MakerProcess>(core, directory.port(), seed++));
        auto& m = *processes.back();
        core.cli({"sendmany", "",
                  json::serialize(json::object{{m.address(0), 1.0}, {m.address(1), 1.0}, {m.address(2), 1.0}})},
                 "miner");
    }
    jm::test::InProcessTaker taker(core, directory.port(), static_cast<std::size_t>(rounds) + 1);
    json::object coins;
    for (const auto& a : taker.addresses)
        coins[a] = 0.3;
    core.cli({"sendmany", "", json::serialize(coins)}, "miner");
    core.mine(6);
    for (auto& m : processes)
        m->start();
    taker.config["makers"] = makers;
    taker.config["minimum_makers"] = makers;
    taker.start();
    std::printf("%zu maker(s): market open in %.0f ms; %d rounds of a 0.1 BTC payment\n", makers,
                ms(Clock::now() - opened_at), rounds);
    std::fflush(stdout);
    auto pay_to = core.cli({"getnewaddress"}, "miner");
    while (!pay_to.empty() && (pay_to.back() == '\n' || pay_to.back() == '\r'))
        pay_to.pop_back();
    Timings t;
    for (int r = 0; r < rounds; ++r) {
        // Written on the taker's io thread, read after the round's future is ready.
        Clock::time_point start = Clock::now(), fill{}, broadcast{};
        auto result = jm::test::runAndConfirm(core, taker, {0, 10'000'000, false, pay_to, makers},
                                              [&](const jm::taker::StageUpdate& u) {
                                                  if (u.stage == "fill" && fill == Clock::time_point{})
                                                      fill = Clock::now();
                                                  if (u.stage == "broadcast") broadcast = Clock::now();
                                              });
        if (!result) {
            std::fprintf(stderr, "regtest, %zu maker(s), round %d: %s\n", makers, r, result.error().message.c_str());
            return 1;
        }
        t.whole.push_back(ms(Clock::now() - start));
        t.to_broadcast.push_back(ms(broadcast - start));
        t.fill_to_broadcast.push_back(ms(broadcast - fill));
        core.mine(5);
    }
    t.print();
    taker.stop();
    return 0;
}

int runRegtest(int rounds, const std::vector<std::size_t>& counts) {
    std::printf("== regtest (Bitcoin Core, makers as `jmnode run` processes) ==\n");
    auto paths = jm::test::findBitcoinCore();
    if (!paths) {
        std::printf("SKIPPED: regtest: no bitcoind (set BITCOIND and BITCOIN_CLI, or install Bitcoin Core in "
                    "/opt/bitcoin-core/bin)\n");
        return 0;
    }
    try {
        jm::test::Bitcoind core(*paths);
        core.mine(100); // 100 more mature coinbases: every market's funding
        std::uint8_t seed = 0x70;
        for (auto makers : counts)
            if (auto r = runRegtestMarket(core, makers, rounds, seed); r != 0) return r;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "regtest: %s\n", e.what());
        return 1;
    }
    return 0;
}
#else
int runRegtest(int, const std::vector<std::size_t>&) {
    std::printf("SKIPPED: regtest: this bench was built without the test helpers (configure with JM_BUILD_TESTS=ON)\n");
    return 0;
}
#endif

} // namespace

int main(int argc, char** argv) {
    int rounds = 5;
    std::vector<std::size_t> counts{1, 3, 10};
    std::string chain = "both";
    for (int i = 1; i < argc; ++i) {
        bool has_value = i + 1 < argc;
        if (!std::strcmp(argv[i], "--rounds") && has_value) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else if (!std::strcmp(argv[i], "--makers") && has_value) {
            counts.clear();
            std::stringstream list(argv[++i]);
            for (std::string n; std::getline(list, n, ',');)
                counts.push_back(static_cast<std::size_t>(std::max(1, std::atoi(n.c_str()))));
        } else if (!std::strcmp(argv[i], "--chain") && has_value) {
            chain = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: bench_coinjoin_round [--rounds R] [--makers 1,3,10] [--chain test|regtest|both]\n");
            return 2;
        }
    }
    if (chain != "test" && chain != "regtest" && chain != "both") {
        std::fprintf(stderr, "--chain must be test, regtest or both\n");
        return 2;
    }
    if (chain != "regtest")
        if (auto r = runTestChain(rounds, counts); r != 0) return r;
    if (chain != "test") return runRegtest(rounds, counts);
    return 0;
}
