// `jmnode demo`: a whole JoinMarket market in one process, on a simulated chain, in seconds and
// without Bitcoin Core. It is how a newcomer sees jmnode work: a directory server, several
// makers with funded wallets (each its own wallet and yield generator) and a taker that makes two
// payments and a sweep through CoinJoins with them, printing every stage and every transaction.
// Everything runs on loopback in a fresh data directory (removed afterwards unless --keep) on
// backend-sim, which refuses any network but regtest: no real coin can be involved.
#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/prepared_node.hpp>
#include <config/node_config.hpp>
#include <logging/logging.hpp>
#include <node/node.hpp>
#include <storage/data_dir.hpp>
#include <storage/data_dir_lock.hpp>
#include <storage/rocksdb_database.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/maker/events.hpp>
#include <jm/taker/coinjoin_service.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

namespace jm::host {

namespace po = boost::program_options;

namespace {

constexpr const char* DEMO_PASSWORD = "jmnode-demo"; // every demo wallet's; the coins are simulated
constexpr std::int64_t COIN = 100'000'000;

std::string btc(std::int64_t sats) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld.%08lld", static_cast<long long>(sats / COIN),
                  static_cast<long long>(sats % COIN));
    return buf;
}

//! A port nobody listens on now (the directory binds it a moment later, on loopback only).
jm::sdk::Result<std::uint16_t> freePort() {
    boost::asio::io_context ioc;
    boost::system::error_code ec;
    boost::asio::ip::tcp::acceptor acceptor(ioc);
    acceptor.open(boost::asio::ip::tcp::v4(), ec);
    if (!ec) acceptor.bind({boost::asio::ip::make_address_v4("127.0.0.1"), 0}, ec);
    if (ec) return jm::sdk::fail(jm::sdk::errc::io_error, "no free loopback port: " + ec.message());
    return acceptor.local_endpoint().port();
}

//! An address of nobody's wallet, for the payments to go to.
std::string outsideAddress() {
    auto key = jm::bitcoin::PrivateKey::generate();
    return jm::bitcoin::scriptToAddress(jm::bitcoin::p2wpkhScript(key.publicKey()), jm::bitcoin::Network::Regtest)
        .value();
}

struct DemoWallet {
    std::string name;
    std::vector<std::pair<std::string, std::int64_t>> coins; //!< premined (address, sats)
};

//! Creates each wallet in the data directory's database (the node is not running yet) and
//! picks the addresses its premined coins go to.
jm::sdk::Result<void> createWallets(const std::filesystem::path& datadir, std::vector<DemoWallet>& wallets,
                                    const std::vector<std::vector<std::pair<int, std::int64_t>>>& funding) {
    auto lock = DataDirLock::acquire(datadir);
    if (!lock) return lock.error();
    auto db = RocksDbDatabase::open(datadir);
    if (!db) return db.error();
    for (std::size_t w = 0; w < wallets.size(); ++w) {
        auto ns = walletNamespace(wallets[w].name);
        if (!ns) return ns.error();
        auto store = (*db)->openNamespace(*ns);
        if (!store) return store.error();
        std::array<std::uint8_t, 16> entropy{};
        randombytes_buf(entropy.data(), entropy.size());
        auto wallet = jm::wallet::Wallet::create(
            **store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
            jm::bitcoin::ByteView(entropy.data(), entropy.size()), "", DEMO_PASSWORD);
        sodium_memzero(entropy.data(), entropy.size());
        if (!wallet) return wallet.error().withContext("wallet " + wallets[w].name);
        std::map<int, std::uint32_t> next;
        for (const auto& [mixdepth, sats] : funding[w]) {
            auto address = wallet->addressAt(mixdepth, jm::wallet::BRANCH_EXTERNAL, next[mixdepth]++);
            if (!address) return address.error();
            wallets[w].coins.emplace_back(address->address, sats);
        }
    }
    return {};
}

//! The node config: the simulated chain (premined), a directory, the makers (a wallet and a
//! yield generator each, fees spread so the chooser has a choice), a chooser and the taker.
boost::json::object demoConfig(const std::filesystem::path& datadir, std::uint16_t port, std::size_t makers,
                               const std::vector<DemoWallet>& wallets) {
    boost::json::array premine;
    for (const auto& w : wallets)
        for (const auto& [address, sats] : w.coins)
            premine.push_back({{"address", address}, {"sats", sats}});
    std::string directory = "127.0.0.1:" + std::to_string(port);
    boost::json::array plugins{
        {{"load", "backend-sim"}, {"instance", "chain"}, {"config", {{"premine", premine}, {"block_interval", "0s"}}}},
        {{"load", "directory"},
         {"factory", "server"},
         {"instance", "directory"},
         {"config", {{"host", "127.0.0.1"}, {"port", port}, {"stats_interval", "0s"}}}},
        {{"load", "chooser"}, {"factory", "random"}, {"instance", "chooser"}, {"config", boost::json::object{}}},
    };
    for (std::size_t i = 1; i <= makers; ++i) {
        auto n = std::to_string(i);
        // 0.002 %, 0.003 %, ...: every maker a little dearer than the one before.
        std::string cjfee = "0.0000" + std::to_string(i + 1);
        plugins.push_back({{"load", "yieldgen"},
                           {"factory", "basic"},
                           {"instance", "yg" + n},
                           {"config", {{"cjfee_r", cjfee}, {"txfee_contribution", 0}}}});
        plugins.push_back({{"load", "maker"},
                           {"instance", "maker" + n},
                           {"config",
                            {{"wallet", "maker" + n},
                             {"backend", "chain"},
                             {"yieldgen", "yg" + n},
                             {"directories", {directory}},
                             {"password_file", "demo-password"},
                             {"serve_own_takers", true}, // the demo's taker is in the same node
                             {"session_timeout", "60s"}}}});
    }
    plugins.push_back({{"load", "taker"},
                       {"instance", "taker"},
                       {"config",
                        {{"wallet", "taker"},
                         {"backend", "chain"},
                         {"chooser", "chooser"},
                         {"directories", {directory}},
                         {"password_file", "demo-password"},
                         {"makers", makers},
                         {"minimum_makers", makers},
                         {"max_cj_fee_abs", 100'000},
                         {"max_cj_fee_rel", "0.001"},
                         {"tx_broadcast", "self"},
                         {"maker_timeout", "20s"},
                         {"wait_confirmations", 1}}}});
    return {{"node", {{"datadir", datadir.string()}, {"network", "regtest"}}},
            {"log", {{"level", "warning"}}},
            {"plugins", std::move(plugins)}};
}

//! Runs one CoinJoin through the taker service, printing its stages as they come.
jm::sdk::Result<jm::taker::CoinjoinResult> coinjoin(Node& node, jm::taker::CoinjoinService& taker,
                                                    const jm::taker::CoinjoinRequest& request) {
    auto strand = boost::asio::make_strand(node.ioContext());
    std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>> done;
    jm::taker::CoinjoinObserver observer;
    observer.on_stage = [](const jm::taker::StageUpdate& u) {
        std::printf("    [%s] %s\n", u.stage.c_str(), u.detail.c_str());
        std::fflush(stdout);
    };
    observer.confirm = [](const jm::taker::CoinjoinPlan& plan, std::function<void(bool)> proceed) {
        std::printf("    makers chosen:");
        for (const auto& m : plan.makers)
            std::printf(" %s (fee %lld sat)", m.nick.c_str(), static_cast<long long>(m.cjfee));
        std::printf("\n    total cost: maker fees %lld + mining fee ~%lld sat\n",
                    static_cast<long long>(plan.maker_fees), static_cast<long long>(plan.mining_fee));
        proceed(true);
    };
    taker.send(request, observer, strand, [&](auto r) { done.set_value(std::move(r)); });
    return done.get_future().get();
}

//! Every maker instance's status file, once each has announced offers (or the wait is over).
boost::json::object makerStatus(const std::filesystem::path& datadir, std::size_t i) {
    std::ifstream in(datadir / ("maker" + std::to_string(i) + "-status.json"));
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

} // namespace

int demoCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode demo [--makers N] [--datadir DIR] [--keep] [--verbose]";
    po::options_description options(usage);
    addPluginDirOption(options);
    options.add_options()("makers", po::value<int>()->default_value(3), "makers in the market (2..10)")(
        "datadir", po::value<std::string>(), "an empty or new directory for the market (default: a temporary one)")(
        "keep", "keep the data directory afterwards")("verbose,v", "log what the plugins do");
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

    std::filesystem::path datadir;
    bool temporary = !vm->count("datadir");
    if (temporary) {
        std::string pattern = (std::filesystem::temp_directory_path() / "jmnode-demo-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) return fail(jm::sdk::Error(jm::sdk::errc::io_error, "cannot make a temp dir"));
        datadir = pattern;
    } else {
        datadir = resolvePath((*vm)["datadir"].as<std::string>(), std::filesystem::current_path());
        std::error_code ec;
        if (std::filesystem::exists(datadir, ec) && !std::filesystem::is_empty(datadir, ec)) {
            std::cerr << "error: " << datadir.string() << " is not empty (the demo makes a new market there)\n";
            return EXIT_USAGE;
        }
    }
    if (auto made = createPrivateDirectory(datadir); !made) return fail(made.error());
    struct Cleanup {
        std::filesystem::path dir;
        bool remove;
        ~Cleanup() {
            std::error_code ec;
            if (remove) std::filesystem::remove_all(dir, ec);
        }
    } cleanup{datadir, temporary && !vm->count("keep")};
    auto started = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };

    // The market: each maker holds coins in three mixdepths, the taker in two.
    std::vector<DemoWallet> wallets;
    std::vector<std::vector<std::pair<int, std::int64_t>>> funding;
    for (int i = 1; i <= makers; ++i) {
        wallets.push_back({"maker" + std::to_string(i), {}});
        funding.push_back({{0, 2 * COIN + i * COIN / 10}, {1, 1 * COIN}, {2, COIN / 2}});
    }
    wallets.push_back({"taker", {}});
    funding.push_back({{0, 3 * COIN / 2}, {0, COIN / 2}, {1, 8 * COIN / 10}});
    std::printf("jmnode demo: a JoinMarket market on a simulated chain (regtest), data in %s\n",
                datadir.string().c_str());
    if (auto made = createWallets(datadir, wallets, funding); !made) return fail(made.error());
    {
        std::ofstream password(datadir / "demo-password");
        password << DEMO_PASSWORD << "\n";
    }
    std::filesystem::permissions(datadir / "demo-password",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto port = freePort();
    if (!port) return fail(port.error());
    auto config_file = datadir / "demo.json";
    std::ofstream(config_file) << boost::json::serialize(demoConfig(datadir, *port, makers, wallets)) << "\n";

    auto prepared = prepareNode(config_file, pluginDirs(*vm));
    if (!prepared) return EXIT_FAILED;
    auto log = prepared->config.log;
    log.console = true;
    if (vm->count("verbose")) log.level = jm::sdk::Severity::info;
    if (auto r = setupLogging(log); !r) return fail(r.error());
    Node node(prepared->config, std::move(prepared->plans));

    // Makers announce once synced and connected: the market is open when all have.
    std::promise<void> open;
    std::set<std::string> announced;
    auto strand = boost::asio::make_strand(node.ioContext());
    auto offers = node.bus().subscribe<jm::maker::events::OffersAnnounced>(
        strand, [&](const jm::maker::events::OffersAnnounced& e) {
            if (announced.insert(e.instance).second && announced.size() == static_cast<std::size_t>(makers))
                open.set_value();
        });
    if (auto r = node.start(false); !r) return fail(r.error());
    struct StopNode {
        Node& n;
        ~StopNode() { n.stop(); }
    } stop_node{node};
    std::printf("directory on 127.0.0.1:%u, %d makers, 1 taker; waiting for the offers...\n", *port, makers);
    if (open.get_future().wait_for(std::chrono::seconds(60)) != std::future_status::ready)
        return fail(jm::sdk::Error(jm::sdk::errc::timeout, "the makers did not announce their offers in 60 s"));
    offers.reset();
    std::printf("market open after %.1f s\n", seconds());

    auto service = node.services().get<jm::taker::CoinjoinService>("taker");
    if (!service) return fail(service.error());
    struct Step {
        const char* title;
        jm::taker::CoinjoinRequest request;
    };
    std::vector<Step> steps{
        {"payment of 0.5 BTC from mixdepth 0", {0, COIN / 2, false, outsideAddress(), 0}},
        {"payment of 0.25 BTC from mixdepth 0", {0, COIN / 4, false, outsideAddress(), 0}},
        {"sweep of mixdepth 1", {1, 0, true, outsideAddress(), 0}},
    };
    std::int64_t paid_fees = 0;
    std::size_t expected_earnings = 0;
    for (const auto& step : steps) {
        std::printf("\n== %s to %s\n", step.title, step.request.destination.c_str());
        auto t0 = seconds();
        auto result = coinjoin(node, **service, step.request);
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

    // Makers record a CoinJoin once they see it confirmed and write their status files shortly
    // after: wait (briefly) until every signature the taker got is an earning on file.
    std::vector<boost::json::object> statuses(static_cast<std::size_t>(makers));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        std::size_t recorded = 0;
        for (int i = 1; i <= makers; ++i) {
            auto& s = statuses[static_cast<std::size_t>(i - 1)] = makerStatus(datadir, static_cast<std::size_t>(i));
            if (auto* earnings = s.if_contains("earnings"))
                for (const auto& e : earnings->at("list").as_array())
                    recorded += e.at("confirmed").as_bool() ? 1 : 0;
        }
        if (recorded >= expected_earnings || std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::printf("\n== earnings\n");
    for (int i = 1; i <= makers; ++i) {
        const auto& s = statuses[static_cast<std::size_t>(i - 1)];
        auto* earnings = s.if_contains("earnings");
        std::printf("    maker%d (%s): %lld sat in %lld CoinJoin(s)\n", i,
                    s.contains("nick") ? std::string(s.at("nick").as_string()).c_str() : "?",
                    earnings ? static_cast<long long>(earnings->at("total_earned").to_number<std::int64_t>()) : 0LL,
                    earnings ? static_cast<long long>(earnings->at("coinjoins").to_number<std::int64_t>()) : 0LL);
    }
    std::printf("    the taker paid %lld sat in fees for %zu CoinJoins\n", static_cast<long long>(paid_fees),
                steps.size());
    std::printf("\ndemo finished in %.1f s%s\n", seconds(),
                cleanup.remove ? "" : (", data kept in " + datadir.string()).c_str());
    return 0;
}

} // namespace jm::host
