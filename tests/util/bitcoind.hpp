#pragma once

#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jm::test {

//! Where Bitcoin Core's programs are: $BITCOIND / $BITCOIN_CLI, else /opt/bitcoin-core/bin.
struct BitcoinCorePaths {
    std::filesystem::path bitcoind;
    std::filesystem::path cli;
};
std::optional<BitcoinCorePaths> findBitcoinCore();
//! Prints "SKIPPED: no bitcoind ..." and exits 77 (ctest: skipped) when findBitcoinCore() finds
//! nothing; returns otherwise.
void skipWithoutBitcoind();
//! The same as a Boost.Test global fixture: BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind).
struct SkipWithoutBitcoind {
    SkipWithoutBitcoind() { skipWithoutBitcoind(); }
};

//! A regtest bitcoind in a temporary directory on free ports, stopped on destruction. Failures
//! (start, bitcoin-cli errors) throw std::runtime_error with bitcoind's message.
class Bitcoind {
public:
    //! `extra_args` are added to bitcoind's command line (e.g. -prune=1 -fastprune).
    explicit Bitcoind(BitcoinCorePaths paths, std::vector<std::string> extra_args = {});
    ~Bitcoind();
    //! Starts (or restarts) the daemon and waits until its RPC answers.
    void start();
    void stop();
    //! bitcoin-cli with these arguments; the JSON (or plain) answer.
    std::string cli(std::vector<std::string> args, const std::string& wallet = "");
    boost::json::value cliJson(std::vector<std::string> args, const std::string& wallet = "");
    //! Mines `blocks` to the miner wallet.
    void mine(int blocks);
    std::uint16_t rpcPort() const { return m_rpcPort; }
    std::filesystem::path cookie() const { return m_dir.path() / "regtest" / ".cookie"; }
    const std::filesystem::path& dataDir() const { return m_dir.path(); }
    std::string minerAddress();

private:
    BitcoinCorePaths m_paths;
    TempDir m_dir;
    std::uint16_t m_rpcPort = 0;
    std::uint16_t m_p2pPort = 0;
    std::vector<std::string> m_extraArgs;
    std::unique_ptr<ChildProcess> m_process;
};

} // namespace jm::test
