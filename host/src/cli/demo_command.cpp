// `jmnode demo`: a whole JoinMarket market in one process, on a simulated chain, in seconds and
// without Bitcoin Core. It is how a newcomer sees jmnode work: a directory server, several
// makers with funded wallets (each its own wallet and yield generator) and a taker that makes two
// payments and a sweep through CoinJoins with them, printing every stage and every transaction.
// Everything runs on loopback in a fresh data directory (removed afterwards unless --keep or
// --datadir) on backend-sim, which refuses any network but regtest: no real coin is involved.
#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <config/node_config.hpp>
#include <demo/demo_market.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace jm::host {

namespace po = boost::program_options;

namespace {

void printStage(const jm::taker::StageUpdate& u) {
    std::printf("    [%s] %s\n", u.stage.c_str(), u.detail.c_str());
    std::fflush(stdout);
}

void printPlan(const jm::taker::CoinjoinPlan& plan) {
    std::printf("    makers chosen:");
    for (const auto& m : plan.makers)
        std::printf(" %s (fee %lld sat)", m.nick.c_str(), static_cast<long long>(m.cjfee));
    std::printf("\n    total cost: maker fees %lld + mining fee ~%lld sat\n", static_cast<long long>(plan.maker_fees),
                static_cast<long long>(plan.mining_fee));
}

} // namespace

int demoCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode demo [--makers N] [--datadir DIR] [--keep] [--verbose]";
    po::options_description options(usage);
    addPluginDirOption(options);
    options.add_options()("makers", po::value<int>()->default_value(3), "makers in the market (2..10)")(
        "datadir", po::value<std::string>(), "an empty or new directory for the market (default: a temporary one)")(
        "keep", "keep the temporary data directory afterwards")("verbose,v", "log what the plugins do");
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    int makers = (*vm)["makers"].as<int>();
    if (makers < 2 || makers > 10) {
        std::cerr << "error: --makers must be 2..10\n";
        return EXIT_USAGE;
    }
    auto fail = [](const jm::sdk::Error& e) {
        std::cerr << "error: " << e.message << "\n";
        return EXIT_FAILED;
    };

    DemoMarketOptions market_options;
    market_options.makers = static_cast<std::size_t>(makers);
    market_options.plugin_dirs = pluginDirs(*vm);
    market_options.log_level = vm->count("verbose") ? jm::sdk::Severity::info : jm::sdk::Severity::warning;
    bool temporary = !vm->count("datadir");
    if (temporary) {
        std::string pattern = (std::filesystem::temp_directory_path() / "jmnode-demo-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) return fail(jm::sdk::Error(jm::sdk::errc::io_error, "cannot make a temp dir"));
        market_options.datadir = pattern;
    } else {
        market_options.datadir = resolvePath((*vm)["datadir"].as<std::string>(), std::filesystem::current_path());
        std::error_code ec;
        if (std::filesystem::exists(market_options.datadir, ec) &&
            !std::filesystem::is_empty(market_options.datadir, ec)) {
            std::cerr << "error: " << market_options.datadir.string()
                      << " is not empty (the demo makes a new market there)\n";
            return EXIT_USAGE;
        }
    }
    struct Cleanup {
        std::filesystem::path dir;
        bool remove;
        ~Cleanup() {
            std::error_code ec;
            if (remove) std::filesystem::remove_all(dir, ec);
        }
    } cleanup{market_options.datadir, temporary && !vm->count("keep")};
    auto started = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };

    std::printf("jmnode demo: a JoinMarket market on a simulated chain (regtest), data in %s\n",
                market_options.datadir.string().c_str());
    std::printf("starting a directory, %d makers and a taker...\n", makers);
    std::fflush(stdout);
    auto market = DemoMarket::open(market_options);
    if (!market) return fail(market.error());
    std::printf("market open after %.1f s (directory on 127.0.0.1:%u)\n", seconds(), (*market)->directoryPort());

    struct Step {
        const char* title;
        jm::taker::CoinjoinRequest request;
    };
    std::vector<Step> steps{
        {"payment of 0.5 BTC from mixdepth 0", {0, 50'000'000, false, DemoMarket::outsideAddress(), 0}},
        {"payment of 0.25 BTC from mixdepth 0", {0, 25'000'000, false, DemoMarket::outsideAddress(), 0}},
        {"sweep of mixdepth 1", {1, 0, true, DemoMarket::outsideAddress(), 0}},
    };
    std::int64_t paid_fees = 0;
    std::size_t expected_earnings = 0;
    for (const auto& step : steps) {
        std::printf("\n== %s to %s\n", step.title, step.request.destination.c_str());
        auto t0 = seconds();
        auto result = (*market)->coinjoin(step.request, printStage, printPlan);
        if (!result) return fail(result.error());
        paid_fees += result->maker_fees + result->taker_mining_fee;
        expected_earnings += result->makers;
        std::printf("    CoinJoin %s: %s BTC to the destination, %zu makers, maker fees %lld sat, mining fee %lld sat "
                    "(taker's share %lld), %zu bytes, %s in %.2f s\n",
                    result->txid.c_str(), btc(result->cj_amount).c_str(), result->makers,
                    static_cast<long long>(result->maker_fees), static_cast<long long>(result->mining_fee),
                    static_cast<long long>(result->taker_mining_fee), result->raw_tx.size(),
                    result->confirmed ? "confirmed" : "broadcast", seconds() - t0);
    }

    std::printf("\n== earnings\n");
    auto statuses = (*market)->makerStatuses(expected_earnings);
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        const auto& s = statuses[i];
        auto* earnings = s.if_contains("earnings");
        std::printf("    maker%zu (%s): %lld sat in %lld CoinJoin(s)\n", i + 1,
                    s.contains("nick") ? std::string(s.at("nick").as_string()).c_str() : "?",
                    earnings ? static_cast<long long>(earnings->at("total_earned").to_number<std::int64_t>()) : 0LL,
                    earnings ? static_cast<long long>(earnings->at("coinjoins").to_number<std::int64_t>()) : 0LL);
    }
    std::printf("    the taker paid %lld sat in fees for %zu CoinJoins\n", static_cast<long long>(paid_fees),
                steps.size());
    market->reset();
    std::printf("\ndemo finished in %.1f s%s\n", seconds(),
                cleanup.remove ? "" : (", data kept in " + market_options.datadir.string()).c_str());
    return 0;
}

} // namespace jm::host
