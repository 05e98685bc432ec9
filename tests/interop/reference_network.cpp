#include "reference_network.hpp"

#include <jm/bitcoin/bip39.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/serialize.hpp>

#include <csignal>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace jm::test::interop {

namespace json = boost::json;

namespace {

constexpr const char* WALLET_PASSWORD = "jmrefpass";
constexpr const char* WALLET_FILE = "wallet.jmdat";
constexpr std::uint32_t ADDRESSES_PER_MIXDEPTH = 10;
constexpr int MIXDEPTHS = 5; // the reference's default

std::string joined(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : separator) + item;
    return out;
}

std::string btcAmount(std::int64_t sats) {
    char text[32];
    std::snprintf(text, sizeof text, "%lld.%08lld", static_cast<long long>(sats / 100'000'000),
                  static_cast<long long>(sats % 100'000'000));
    return text;
}

std::string lastLines(const std::string& text, std::size_t count) {
    std::size_t pos = text.size();
    for (std::size_t i = 0; i <= count && pos > 0; ++i)
        pos = text.rfind('\n', pos - 1);
    return pos == std::string::npos ? text : text.substr(pos + 1);
}

//! Milliseconds since midnight of a reference log line's timestamp, or -1.
long long lineTime(const std::string& output, std::size_t at) {
    auto begin = output.rfind('\n', at);
    begin = begin == std::string::npos ? 0 : begin + 1;
    static const std::regex stamp(R"(^\d{4}-\d{2}-\d{2} (\d{2}):(\d{2}):(\d{2}),(\d{3}))");
    std::smatch m;
    auto line = output.substr(begin, 23);
    if (!std::regex_search(line, m, stamp)) return -1;
    return ((std::stoll(m[1]) * 60 + std::stoll(m[2])) * 60 + std::stoll(m[3])) * 1000 + std::stoll(m[4]);
}

} // namespace

double logSecondsBetween(const std::string& output, const std::string& from, const std::string& to) {
    auto a = output.find(from);
    if (a == std::string::npos) return -1;
    auto b = output.find(to, a);
    if (b == std::string::npos) return -1;
    auto ta = lineTime(output, a), tb = lineTime(output, b);
    if (ta < 0 || tb < 0) return -1;
    if (tb < ta) tb += 86'400'000; // across midnight
    return static_cast<double>(tb - ta) / 1000.0;
}

std::string ReferenceBot::location() const { return m_servingPort ? "127.0.0.1:" + std::to_string(m_servingPort) : ""; }

std::string ReferenceBot::address(int mixdepth, std::uint32_t index) const {
    return m_addresses.at(static_cast<std::size_t>(mixdepth) * ADDRESSES_PER_MIXDEPTH + index);
}

ReferenceNetwork::ReferenceNetwork(ReferenceInstall install, BitcoinCorePaths core) :
    m_install(std::move(install)), m_core(std::make_unique<Bitcoind>(std::move(core))) {
    m_core->mine(10); // a few more mature coinbases to fund bots from
    // The bots' Core wallets are watch-only; the reference regtest backend calls getnewaddress
    // at start, so each gets an active public descriptor, taken from a throwaway wallet.
    m_core->cli({"-named", "createwallet", "wallet_name=watchsrc", "load_on_startup=false"});
    auto listed = m_core->cliJson({"listdescriptors"}, "watchsrc");
    for (const auto& d : listed.at("descriptors").as_array()) {
        const auto& desc = d.at("desc").as_string();
        if (desc.starts_with("wpkh(") && !(d.as_object().contains("internal") && d.at("internal").as_bool())) {
            m_watchDescriptor = std::string(desc);
            break;
        }
    }
    if (m_watchDescriptor.empty()) throw std::runtime_error("no wpkh descriptor in a new Core wallet");
}

ReferenceNetwork::~ReferenceNetwork() {
    for (auto& bot : m_bots)
        if (bot->running()) stop(*bot);
}

void ReferenceNetwork::writeConfig(const ReferenceBot& bot, const std::string& blockchain_source,
                                   const std::vector<std::string>& directories, std::uint16_t daemon_port) const {
    std::ofstream cfg(bot.m_dir / "joinmarket.cfg");
    // Only what differs from the reference's defaults. Any regtest_count but 0,0 is JoinMarket's
    // testing mode: plain TCP, no Tor; a serving bot listens on onion_serving_port and
    // announces 127.0.0.1:PORT.
    cfg << "[DAEMON]\nno_daemon = 1\ndaemon_port = " << daemon_port << "\ndaemon_host = localhost\nuse_ssl = false\n\n"
        << "[BLOCKCHAIN]\nblockchain_source = " << blockchain_source << "\nnetwork = testnet\n"
        << "rpc_host = 127.0.0.1\nrpc_port = " << m_core->rpcPort()
        << "\nrpc_cookie_file = " << m_core->cookie().string() << "\nrpc_wallet_file = " << bot.m_name << "\n\n"
        << "[MESSAGING:onion]\ntype = onion\nsocks5_host = localhost\nsocks5_port = 9050\n"
        << "tor_control_host = localhost\ntor_control_port = 9051\nonion_serving_host = 127.0.0.1\n"
        << "onion_serving_port = " << (bot.m_servingPort ? bot.m_servingPort : freeLoopbackPort()) << "\n"
        << "hidden_service_dir =\ndirectory_nodes = " << joined(directories, ",") << "\nregtest_count = 1,1\n\n"
        << "[LOGGING]\nconsole_log_level = INFO\ncolor = false\n\n"
        << "[TIMEOUT]\nmaker_timeout_sec = 10\n\n"
        // Fixed 2 sat/vB: estimatesmartfee has no data on regtest.
        << "[POLICY]\nsegwit = true\nnative = true\ntx_fees = 2000\ntx_broadcast = self\nminimum_makers = 1\n"
        << "max_cj_fee_abs = 200000\nmax_cj_fee_rel = 0.2\ntaker_utxo_age = 1\ntaker_utxo_amtpercent = 20\n"
        << "taker_utxo_retries = 3\n";
    if (!cfg) throw std::runtime_error("cannot write " + (bot.m_dir / "joinmarket.cfg").string());
}

void ReferenceNetwork::createCoreWallet(const std::string& name) {
    m_core->cli({"-named", "createwallet", "wallet_name=" + name, "disable_private_keys=true", "blank=true",
                 "load_on_startup=false"});
    json::array request{json::object{{"desc", m_watchDescriptor},
                                     {"active", true},
                                     {"internal", false},
                                     {"timestamp", "now"},
                                     {"range", json::array{0, 200}}}};
    auto result = m_core->cliJson({"importdescriptors", json::serialize(request)}, name);
    if (!result.at(0).at("success").as_bool())
        throw std::runtime_error("importdescriptors into " + name + " failed: " + json::serialize(result));
}

ReferenceBot& ReferenceNetwork::prepareBot(const std::string& name, bool serving,
                                           const std::vector<std::string>& directories,
                                           const std::vector<Funding>& funding) {
    auto bot = std::make_unique<ReferenceBot>();
    bot->m_name = name;
    bot->m_dir = m_root.path() / name;
    std::filesystem::create_directories(bot->m_dir);
    if (serving) bot->m_servingPort = freeLoopbackPort();

    // The harness picks the seed, so it knows the bot's addresses from jmnode's own wallet code
    // (the reference derives the same BIP84 paths).
    std::random_device random;
    jm::bitcoin::Bytes entropy(16);
    for (auto& b : entropy)
        b = static_cast<std::uint8_t>(random());
    auto mnemonic = jm::bitcoin::entropyToMnemonic(entropy).value();
    std::ofstream(bot->m_dir / "recovery-seed.txt") << mnemonic << "\n";
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = jm::wallet::Wallet::create(
                      store, {jm::bitcoin::Network::Regtest, MIXDEPTHS, 6, jm::wallet::KdfStrength::Interactive},
                      entropy, "", "harness")
                      .value();
    for (int m = 0; m < MIXDEPTHS; ++m)
        for (std::uint32_t i = 0; i < ADDRESSES_PER_MIXDEPTH; ++i)
            bot->m_addresses.push_back(wallet.addressAt(m, jm::wallet::BRANCH_EXTERNAL, i).value().address);

    // The wallet file is made by the reference's own genwallet.py. With the regtest chain
    // selected (it caches derived addresses in the file), so its Core wallet comes first.
    createCoreWallet(name);
    writeConfig(*bot, "regtest", directories, freeLoopbackPort());
    auto made = runProcess({m_install.python.string(), m_install.script("genwallet.py").string(),
                            "--datadir=" + bot->m_dir.string(), "--wallet-password-stdin",
                            "--recovery-seed-file=" + (bot->m_dir / "recovery-seed.txt").string(), WALLET_FILE},
                           std::chrono::seconds(120), m_install.environment(), std::string(WALLET_PASSWORD) + "\n");
    if (made.exit_code != 0 || !std::filesystem::exists(bot->m_dir / "wallets" / WALLET_FILE))
        throw std::runtime_error("genwallet.py failed for " + name + ": " + lastLines(made.out + made.err, 20));

    std::vector<std::pair<std::string, std::int64_t>> outputs;
    std::vector<std::uint32_t> next(MIXDEPTHS, 0);
    for (const auto& f : funding)
        outputs.emplace_back(bot->address(f.mixdepth, next.at(static_cast<std::size_t>(f.mixdepth))++), f.sats);
    if (!outputs.empty()) fund(outputs);
    m_bots.push_back(std::move(bot));
    return *m_bots.back();
}

void ReferenceNetwork::fund(const std::vector<std::pair<std::string, std::int64_t>>& outputs) {
    // sendmany takes BTC amounts: written as exact eight-decimal numbers, never through a double.
    std::string amounts;
    for (const auto& [address, sats] : outputs)
        amounts += (amounts.empty() ? "{" : ",") + json::serialize(json::string(address)) + ":" + btcAmount(sats);
    m_core->cli({"-named", "sendmany", "amounts=" + amounts + "}"}, "miner");
}

void ReferenceNetwork::launch(ReferenceBot& bot, std::vector<std::string> args, const std::string& input) {
    // The reference scripts read their config from --datadir; the shell only sets the working
    // directory, as the reference's own instructions run them from the data directory.
    std::vector<std::string> argv{"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", bot.m_dir.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    bot.m_process = std::make_unique<ChildProcess>(argv, m_install.environment(), input);
}

std::string ReferenceNetwork::startDirectory() {
    if (!m_directory) {
        auto bot = std::make_unique<ReferenceBot>();
        bot->m_name = "directory";
        bot->m_dir = m_root.path() / "directory";
        bot->m_servingPort = freeLoopbackPort();
        std::filesystem::create_directories(bot->m_dir);
        m_bots.push_back(std::move(bot));
        m_directory = m_bots.back().get();
        // A directory is a bot whose only directory is itself.
        writeConfig(*m_directory, "no-blockchain", {m_directory->location()}, freeLoopbackPort());
    }
    launch(*m_directory,
           {m_install.python.string(), m_install.directoryScript().string(), "--datadir=" + m_directory->m_dir.string(),
            "jmnode interop test directory (reference)"},
           "");
    if (!m_directory->m_process->waitForOutput("genesis node", std::chrono::seconds(60)))
        throw std::runtime_error("the reference directory did not start: " +
                                 lastLines(m_directory->m_process->output(), 20));
    return m_directory->location();
}

void ReferenceNetwork::restartDirectory() {
    if (!m_directory) throw std::logic_error("no reference directory started");
    stop(*m_directory);
    startDirectory();
}

std::vector<ReferenceBot*> ReferenceNetwork::startMakers(std::size_t count, const std::vector<std::string>& directories,
                                                         const std::string& script) {
    std::vector<ReferenceBot*> makers;
    for (std::size_t i = 0; i < count; ++i) {
        auto name = "maker" + std::to_string(++m_botCounter);
        makers.push_back(
            &prepareBot(name, true, directories,
                        {{0, 100'000'000}, {0, 50'000'000}, {1, 200'000'000}, {2, 70'000'000}, {2, 30'000'000}}));
    }
    m_core->mine(1);
    for (auto* maker : makers)
        launch(*maker,
               {m_install.python.string(), m_install.script(script).string(), "--datadir=" + maker->m_dir.string(),
                "--wallet-password-stdin", WALLET_FILE},
               std::string(WALLET_PASSWORD) + "\n");
    for (auto* maker : makers) {
        // Started up, and its offers are with the daemon, which announces them.
        auto& p = *maker->m_process;
        if (!p.waitForOutput("All message channels connected", std::chrono::seconds(150)) ||
            !p.waitForOutput("JM daemon setup complete", std::chrono::seconds(60)))
            throw std::runtime_error(maker->m_name + " did not start: " + lastLines(p.output(), 30));
        maker->m_startupSeconds =
            logSecondsBetween(p.output(), "Trying to connect to node", "All message channels connected");
    }
    return makers;
}

TakerRun ReferenceNetwork::runTaker(const std::vector<std::string>& directories, std::int64_t amount, int makers,
                                    std::chrono::seconds timeout) {
    auto name = "taker" + std::to_string(++m_botCounter);
    // Two coins of 0.75 x amount + 0.01 BTC: either can carry the PoDLE commitment (20% rule).
    auto each = amount * 3 / 4 + 1'000'000;
    auto& taker = prepareBot(name, false, directories, {{0, each}, {0, each}});
    m_core->mine(1);
    TakerRun run;
    run.destination = m_core->cli({"getnewaddress", "dest", "bech32"}, "miner");
    run.amount = amount;
    auto started = std::chrono::steady_clock::now();
    launch(taker,
           {m_install.python.string(), m_install.script("sendpayment.py").string(), "--datadir=" + taker.m_dir.string(),
            "--wallet-password-stdin", "--yes", "-N", std::to_string(makers),
            // A plain integer is read as sats only up to 8 digits: always give BTC.
            WALLET_FILE, btcAmount(amount), run.destination},
           std::string(WALLET_PASSWORD) + "\n");
    auto result = taker.m_process->wait(timeout);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    run.log = result.out + result.err;
    taker.m_process.reset();
    run.startup_seconds = logSecondsBetween(run.log, "Trying to connect to node", "All message channels connected");
    taker.m_startupSeconds = run.startup_seconds;
    static const std::regex txid(R"(txid = ([0-9a-f]{64}))");
    std::smatch m;
    for (auto it = std::sregex_iterator(run.log.begin(), run.log.end(), txid); it != std::sregex_iterator(); ++it)
        run.txid = (*it)[1];
    if (run.txid.empty()) return run;
    // sendpayment exits 0 even when nothing happened: bitcoind must know the transaction.
    try {
        auto tx = m_core->cliJson({"gettransaction", run.txid}, "miner");
        run.completed = tx.as_object().contains("txid");
    } catch (const std::exception&) {
        run.completed = false;
    }
    return run;
}

void ReferenceNetwork::stop(ReferenceBot& bot) {
    if (!bot.m_process) return;
    bot.m_process->signal(SIGTERM);
    bot.m_process->wait(std::chrono::seconds(15)); // kills it after that
    bot.m_process.reset();
}

int ReferenceNetwork::confirm(const std::string& txid, int blocks) {
    m_core->mine(blocks);
    return static_cast<int>(
        m_core->cliJson({"gettransaction", txid}, "miner").at("confirmations").to_number<std::int64_t>());
}

std::string ReferenceNetwork::logs(std::size_t lines_per_bot) const {
    std::ostringstream out;
    for (const auto& bot : m_bots) {
        if (!bot->m_process) continue;
        out << "--- " << bot->m_name << " ---\n" << lastLines(bot->m_process->output(), lines_per_bot) << "\n";
    }
    return out.str();
}

} // namespace jm::test::interop
