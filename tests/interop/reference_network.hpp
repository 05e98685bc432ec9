#pragma once
// A regtest network of unmodified reference JoinMarket bots for interop tests: a real bitcoind,
// the reference directory node, yield-generator makers and sendpayment takers, each in its own
// data directory with a joinmarket.cfg this harness writes, on free loopback ports. Reference
// bots run in JoinMarket's testing mode (plain TCP on 127.0.0.1, no Tor) and use the network name
// "testnet", as every reference regtest setup does. Everything is stopped on destruction.
//
// Reusable by every interop suite: directories given to bots are plain "host:port" strings, so a
// jmnode directory (JmnodeDirectory), a reference one, or both can be mixed freely.

#include "reference_install.hpp"

#include <util/bitcoind.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace jm::test::interop {

//! One output paid to a bot's wallet before it starts: mixdepth and amount.
struct Funding {
    int mixdepth = 0;
    std::int64_t sats = 0;
};

//! A reference bot: data directory, wallet file (from a seed the harness knows), Core
//! watch-only wallet, and its process once started.
class ReferenceBot {
public:
    const std::string& name() const { return m_name; }
    const std::filesystem::path& dataDir() const { return m_dir; }
    //! "127.0.0.1:PORT" for a serving bot (maker, directory), empty otherwise.
    std::string location() const;
    ChildProcess& process() { return *m_process; }
    bool running() const { return m_process != nullptr; }
    //! Seconds from its first directory connection attempt to "All message channels connected"
    //! (negative until it has started up).
    double startupSeconds() const { return m_startupSeconds; }
    //! The bot's receive address (external branch) at `index` of `mixdepth`.
    std::string address(int mixdepth, std::uint32_t index) const;

private:
    friend class ReferenceNetwork;
    std::string m_name;
    std::filesystem::path m_dir;
    std::uint16_t m_servingPort = 0;
    std::vector<std::string> m_addresses; //!< per mixdepth, external indexes 0..9, flattened
    std::unique_ptr<ChildProcess> m_process;
    double m_startupSeconds = -1;
};

//! What a reference taker's sendpayment run did.
struct TakerRun {
    bool completed = false;      //!< a transaction was broadcast and bitcoind has it
    std::string txid;            //!< from the taker's log
    std::string destination;     //!< the address paid
    std::int64_t amount = 0;     //!< sats paid to `destination`
    double seconds = 0;          //!< whole sendpayment run
    double startup_seconds = -1; //!< first directory connection attempt to all channels connected
    std::string log;             //!< the taker's output
};

class ReferenceNetwork {
public:
    //! Starts a fresh regtest bitcoind (funded miner wallet). Throws std::runtime_error on failure.
    ReferenceNetwork(ReferenceInstall install, BitcoinCorePaths core);
    ~ReferenceNetwork();
    ReferenceNetwork(const ReferenceNetwork&) = delete;
    ReferenceNetwork& operator=(const ReferenceNetwork&) = delete;

    Bitcoind& core() { return *m_core; }
    const ReferenceInstall& install() const { return m_install; }
    //! Where bots' data directories live (kept for the test's lifetime).
    const std::filesystem::path& root() const { return m_root.path(); }

    //! Starts the reference directory node on a free port; returns its "127.0.0.1:PORT".
    std::string startDirectory();
    //! Stops and restarts the reference directory on the same port.
    void restartDirectory();

    //! Starts `count` reference makers that use `directories`, each funded with five coins in
    //! three mixdepths (1.0 + 0.5, 2.0, 0.7 + 0.3 BTC, confirmed), and waits until each has
    //! started up and announced its offers. `script` is the yield generator to run.
    std::vector<ReferenceBot*> startMakers(std::size_t count, const std::vector<std::string>& directories,
                                           const std::string& script = "yg-privacyenhanced.py");
    //! Runs a reference taker (sendpayment.py) paying `amount` sats to a fresh miner address with
    //! `makers` counterparties through `directories`; its wallet holds two confirmed coins in
    //! mixdepth 0. Returns when sendpayment exits (bounded by `timeout`).
    TakerRun runTaker(const std::vector<std::string>& directories, std::int64_t amount, int makers,
                      std::chrono::seconds timeout = std::chrono::seconds(240));
    //! Stops a bot (SIGTERM, then SIGKILL after a grace period).
    void stop(ReferenceBot& bot);

    //! Mines `blocks` blocks and returns the confirmations bitcoind reports for `txid` (paying
    //! the miner wallet).
    int confirm(const std::string& txid, int blocks = 1);

    //! Pays (address, sats) outputs from the miner wallet in one transaction (unconfirmed).
    void fund(const std::vector<std::pair<std::string, std::int64_t>>& outputs);

    //! The last lines of every bot's output, for failure messages.
    std::string logs(std::size_t lines_per_bot = 25) const;

private:
    ReferenceBot& prepareBot(const std::string& name, bool serving, const std::vector<std::string>& directories,
                             const std::vector<Funding>& funding);
    void writeConfig(const ReferenceBot& bot, const std::string& blockchain_source,
                     const std::vector<std::string>& directories, std::uint16_t daemon_port) const;
    void launch(ReferenceBot& bot, std::vector<std::string> args, const std::string& input);
    void createCoreWallet(const std::string& name);

    ReferenceInstall m_install;
    TempDir m_root;
    std::unique_ptr<Bitcoind> m_core;
    std::string m_watchDescriptor; //!< a public wpkh descriptor for the bots' Core wallets
    std::vector<std::unique_ptr<ReferenceBot>> m_bots;
    ReferenceBot* m_directory = nullptr;
    int m_botCounter = 0;
};

//! Seconds between the first log lines of a reference bot's output that contain `from` and `to`,
//! from the lines' own timestamps ("YYYY-MM-DD HH:MM:SS,mmm [LEVEL]  ..."); negative when either
//! line is missing.
double logSecondsBetween(const std::string& output, const std::string& from, const std::string& to);

} // namespace jm::test::interop
