#pragma once
// A jmnode maker run as users run it (`jmnode run` with backend-core, a yield generator and the
// maker plugin) on a ReferenceNetwork's bitcoind, for tests that put it next to reference bots.
// Its wallet is recovered from words the harness picks (`jmnode wallet recover`), so the
// harness knows its addresses and funds them before the node starts.

#include "jmnode_wallet.hpp"
#include "reference_network.hpp"

#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <vector>

namespace jm::test::interop {

struct JmnodeMakerOptions {
    std::string yieldgen = "basic"; //!< yieldgen factory
    //! Extra members of the yieldgen and maker plugin configs (JSON text without braces).
    std::string yieldgen_settings = "\"cjfee_r\": \"0.0002\", \"txfee_contribution\": 0";
    std::string maker_settings;
};

class JmnodeMaker {
public:
    //! Prepares the data directory, config and wallet, and funds the wallet's external addresses
    //! (mixdepth, amount) through the network's miner, confirmed. Throws std::runtime_error.
    JmnodeMaker(ReferenceNetwork& network, std::vector<std::string> directories, const std::vector<Funding>& funding,
                JmnodeMakerOptions options = {});
    ~JmnodeMaker();
    JmnodeMaker(const JmnodeMaker&) = delete;
    JmnodeMaker& operator=(const JmnodeMaker&) = delete;

    //! Starts `jmnode run` and waits until every directory is ready and the offers are out.
    void start();
    //! Stops it with `signo` and waits for the exit; returns the exit code.
    int stop(int signo);
    bool running() const { return m_process != nullptr; }

    //! The maker instance's part of `jmnode maker status --json` (while the node runs or after).
    boost::json::object status() const;
    //! The wallet's receive address at `index` of `mixdepth` (external branch).
    std::string address(int mixdepth, std::uint32_t index) const;
    //! The maker's nick, from its log once started.
    std::string nick() const;
    pid_t pid() const { return m_process ? m_process->pid() : -1; }
    std::string output() const { return m_process ? m_process->output() : m_lastOutput; }

private:
    ReferenceNetwork& m_network;
    std::vector<std::string> m_directories;
    TempDir m_dir;
    std::filesystem::path m_config;
    std::unique_ptr<JmnodeWallet> m_wallet;
    std::unique_ptr<ChildProcess> m_process;
    std::string m_lastOutput;
};

} // namespace jm::test::interop
