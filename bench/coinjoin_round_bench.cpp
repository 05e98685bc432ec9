// bench_coinjoin_round: whole CoinJoins on loopback, the way users make them. A market in one
// process (the `jmnode demo` market: a jmnode directory, N jmnode makers, a jmnode taker, the
// simulated chain backend-sim with RocksDB wallets) for N = 1, 3 and 10; each round is a payment
// through the taker service, and the bench prints, over the rounds, the time from the taker's
// start (send()) to the broadcast and from the first !fill to the broadcast.
//
//   bench_coinjoin_round [--rounds R] [--makers 1,3,10]
#include <demo/demo_market.hpp>

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

} // namespace

int main(int argc, char** argv) {
    int rounds = 5;
    std::vector<std::size_t> counts{1, 3, 10};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--rounds")) rounds = std::max(1, std::atoi(argv[i + 1]));
        if (!std::strcmp(argv[i], "--makers")) {
            counts.clear();
            std::stringstream list(argv[i + 1]);
            for (std::string n; std::getline(list, n, ',');)
                counts.push_back(static_cast<std::size_t>(std::max(1, std::atoi(n.c_str()))));
        }
    }
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
        std::vector<double> to_broadcast, fill_to_broadcast, whole;
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
            whole.push_back(ms(Clock::now() - start));
            to_broadcast.push_back(ms(broadcast - start));
            fill_to_broadcast.push_back(ms(broadcast - fill));
        }
        print("taker start -> broadcast", to_broadcast);
        print("first !fill -> broadcast", fill_to_broadcast);
        print("whole round (to confirmed)", whole);
        market->reset();
        std::error_code ec;
        std::filesystem::remove_all(pattern, ec);
    }
    return 0;
}
