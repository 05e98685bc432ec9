#include "bitcoind.hpp"

#include <boost/json/parse.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace jm::test {

void skipWithoutBitcoind() {
    if (findBitcoinCore()) return;
    std::printf("SKIPPED: no bitcoind (set BITCOIND and BITCOIN_CLI, or install Bitcoin Core in "
                "/opt/bitcoin-core/bin)\n");
    std::fflush(stdout);
    std::_Exit(77);
}

std::optional<BitcoinCorePaths> findBitcoinCore() {
    BitcoinCorePaths p;
    const char* d = std::getenv("BITCOIND");
    const char* c = std::getenv("BITCOIN_CLI");
    p.bitcoind = d ? d : "/opt/bitcoin-core/bin/bitcoind";
    p.cli = c ? c : "/opt/bitcoin-core/bin/bitcoin-cli";
    if (!std::filesystem::exists(p.bitcoind) || !std::filesystem::exists(p.cli)) return std::nullopt;
    return p;
}

Bitcoind::Bitcoind(BitcoinCorePaths paths, std::vector<std::string> extra_args) :
    m_paths(std::move(paths)), m_rpcPort(freeLoopbackPort()), m_p2pPort(freeLoopbackPort()),
    m_extraArgs(std::move(extra_args)) {
    start();
    cli({"createwallet", "miner"});
    mine(101);
}

Bitcoind::~Bitcoind() { stop(); }

void Bitcoind::start() {
    std::vector<std::string> argv{m_paths.bitcoind.string(), "-regtest", "-datadir=" + m_dir.path().string(),
                                  "-rpcport=" + std::to_string(m_rpcPort), "-port=" + std::to_string(m_p2pPort),
                                  "-listen=0", "-server=1", "-fallbackfee=0.0002", "-printtoconsole=0", "-discover=0",
                                  "-dnsseed=0",
                                  // Regtest only: Core writes each imported descriptor in its own
                                  // SQLite transaction; without fsync a reference bot's ~1,000
                                  // address imports take 0.1 s instead of ~20 s.
                                  "-unsafesqlitesync=1"};
    argv.insert(argv.end(), m_extraArgs.begin(), m_extraArgs.end());
    m_process = std::make_unique<ChildProcess>(argv);
    auto r = runProcess({m_paths.cli.string(), "-regtest", "-datadir=" + m_dir.path().string(),
                         "-rpcport=" + std::to_string(m_rpcPort), "-rpcwait", "-rpcwaittimeout=60", "getblockcount"},
                        std::chrono::seconds(90));
    if (r.exit_code != 0) throw std::runtime_error("bitcoind did not start: " + r.err + m_process->output());
}

void Bitcoind::stop() {
    if (!m_process) return;
    runProcess({m_paths.cli.string(), "-regtest", "-datadir=" + m_dir.path().string(),
                "-rpcport=" + std::to_string(m_rpcPort), "stop"},
               std::chrono::seconds(30));
    m_process->wait(std::chrono::seconds(60));
    m_process.reset();
}

std::string Bitcoind::cli(std::vector<std::string> args, const std::string& wallet) {
    std::vector<std::string> argv{m_paths.cli.string(), "-regtest", "-datadir=" + m_dir.path().string(),
                                  "-rpcport=" + std::to_string(m_rpcPort)};
    if (!wallet.empty()) argv.push_back("-rpcwallet=" + wallet);
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = runProcess(argv, std::chrono::seconds(120));
    if (r.exit_code != 0)
        throw std::runtime_error("bitcoin-cli " + (args.empty() ? "" : args[0]) + " failed: " + r.err);
    auto out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

boost::json::value Bitcoind::cliJson(std::vector<std::string> args, const std::string& wallet) {
    return boost::json::parse(cli(std::move(args), wallet));
}

std::string Bitcoind::minerAddress() { return cli({"getnewaddress"}, "miner"); }

void Bitcoind::mine(int blocks) { cli({"generatetoaddress", std::to_string(blocks), minerAddress()}); }

} // namespace jm::test
