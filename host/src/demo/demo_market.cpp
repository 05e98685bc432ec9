#include <demo/demo_market.hpp>

#include <cli/prepared_node.hpp>
#include <config/node_config.hpp>
#include <logging/logging.hpp>
#include <storage/data_dir.hpp>
#include <storage/data_dir_lock.hpp>
#include <storage/rocksdb_database.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/maker/events.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sodium.h>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace jm::host {

namespace {

constexpr const char* DEMO_PASSWORD = "jmnode-demo"; // every demo wallet's; the coins are simulated
constexpr std::int64_t COIN = 100'000'000;

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

//! Every maker instance's status file, once each has announced offers (or the wait is over).
boost::json::object readStatus(const std::filesystem::path& datadir, std::size_t i) {
    std::ifstream in(datadir / ("maker" + std::to_string(i) + "-status.json"));
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

} // namespace

std::string DemoMarket::outsideAddress() {
    auto key = jm::bitcoin::PrivateKey::generate();
    return jm::bitcoin::scriptToAddress(jm::bitcoin::p2wpkhScript(key.publicKey()), jm::bitcoin::Network::Regtest)
        .value();
}

jm::sdk::Result<std::unique_ptr<DemoMarket>> DemoMarket::open(DemoMarketOptions options) {
    const auto& datadir = options.datadir;
    if (auto made = createPrivateDirectory(datadir); !made) return made.error();
    // The market: each maker holds coins in three mixdepths, the taker in two.
    std::vector<DemoWallet> wallets;
    std::vector<std::vector<std::pair<int, std::int64_t>>> funding;
    for (std::size_t i = 1; i <= options.makers; ++i) {
        wallets.push_back({"maker" + std::to_string(i), {}});
        funding.push_back({{0, 2 * COIN + static_cast<std::int64_t>(i) * COIN / 10}, {1, 1 * COIN}, {2, COIN / 2}});
    }
    wallets.push_back({"taker", {}});
    funding.push_back({{0, 3 * COIN / 2}, {0, COIN / 2}, {1, 8 * COIN / 10}});
    for (std::size_t i = 0; i < options.extra_taker_coins; ++i)
        funding.back().emplace_back(0, COIN / 5);
    if (auto made = createWallets(datadir, wallets, funding); !made) return made.error();
    {
        std::ofstream password(datadir / "demo-password");
        password << DEMO_PASSWORD << "\n";
    }
    std::filesystem::permissions(datadir / "demo-password",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto port = freePort();
    if (!port) return port.error();
    auto config_file = datadir / "demo.json";
    std::ofstream(config_file) << boost::json::serialize(demoConfig(datadir, *port, options.makers, wallets)) << "\n";

    auto prepared = prepareNode(config_file, options.plugin_dirs);
    if (!prepared) return jm::sdk::fail(jm::sdk::errc::invalid_config, "the demo's config has problems (listed above)");
    auto log = prepared->config.log;
    log.console = true;
    log.level = options.log_level;
    if (auto r = setupLogging(log); !r) return r.error();
    std::unique_ptr<DemoMarket> market(new DemoMarket(std::move(options), *port));
    market->m_node = std::make_unique<Node>(prepared->config, std::move(prepared->plans));
    auto& node = *market->m_node;

    // Makers announce once synced and connected: the market is open when all have. The
    // handler owns what it touches, so it may outlive this frame.
    struct Opening {
        std::set<std::string> announced;
        std::promise<void> open;
    };
    auto opening = std::make_shared<Opening>();
    auto is_open = opening->open.get_future();
    auto makers = market->m_options.makers;
    auto offers = node.bus().subscribe<jm::maker::events::OffersAnnounced>(
        boost::asio::make_strand(node.ioContext()), [opening, makers](const jm::maker::events::OffersAnnounced& e) {
            if (opening->announced.insert(e.instance).second && opening->announced.size() == makers)
                opening->open.set_value();
        });
    if (auto r = node.start(false); !r) return r.error();
    if (is_open.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
        return jm::sdk::fail(jm::sdk::errc::timeout, "the makers did not announce their offers in 60 s");
    auto service = node.services().get<jm::taker::CoinjoinService>("taker");
    if (!service) return service.error();
    market->m_taker = *service;
    return market;
}

DemoMarket::~DemoMarket() {
    if (m_node) m_node->stop();
}

jm::sdk::Result<jm::taker::CoinjoinResult>
DemoMarket::coinjoin(const jm::taker::CoinjoinRequest& request,
                     std::function<void(const jm::taker::StageUpdate&)> on_stage,
                     std::function<void(const jm::taker::CoinjoinPlan&)> on_plan) {
    auto strand = boost::asio::make_strand(m_node->ioContext());
    std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>> done;
    jm::taker::CoinjoinObserver observer;
    observer.on_stage = std::move(on_stage);
    observer.confirm = [on_plan = std::move(on_plan)](const jm::taker::CoinjoinPlan& plan,
                                                      std::function<void(bool)> proceed) {
        if (on_plan) on_plan(plan);
        proceed(true);
    };
    m_taker->send(request, observer, strand, [&](auto r) { done.set_value(std::move(r)); });
    return done.get_future().get();
}

std::vector<boost::json::object> DemoMarket::makerStatuses(std::size_t earnings) const {
    // Makers record a CoinJoin once they see it confirmed and write their status files shortly
    // after: wait (briefly) until every expected earning is on file.
    std::vector<boost::json::object> statuses(m_options.makers);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        std::size_t recorded = 0;
        for (std::size_t i = 1; i <= m_options.makers; ++i) {
            auto& s = statuses[i - 1] = readStatus(m_options.datadir, i);
            if (auto* e = s.if_contains("earnings"))
                for (const auto& entry : e->at("list").as_array())
                    recorded += entry.at("confirmed").as_bool() ? 1 : 0;
        }
        if (recorded >= earnings || std::chrono::steady_clock::now() > deadline) return statuses;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace jm::host
