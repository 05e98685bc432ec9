#pragma once
// A jmnode taker as users run it (`jmnode coinjoin send` on a config with backend-core, a
// chooser and the taker plugin) on a ReferenceNetwork's bitcoind, for tests that make CoinJoins
// with reference (and jmnode) makers.

#include "jmnode_wallet.hpp"
#include "reference_network.hpp"

#include <util/setup.hpp>

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <vector>

namespace jm::test::interop {

//! What one `jmnode coinjoin send --json` did.
struct JmnodeSend {
    int exit_code = -1;
    boost::json::object result; //!< the JSON it printed (txid, cj_amount, fees, stages), when it succeeded
    std::string output;         //!< stdout + stderr
    double seconds = 0;
};

class JmnodeTaker {
public:
    //! Prepares the data directory and config (`taker_settings`: extra members of the taker's
    //! config, JSON text without braces), recovers and funds the wallet. Throws on failure.
    JmnodeTaker(ReferenceNetwork& network, std::vector<std::string> directories, const std::vector<Funding>& funding,
                std::string taker_settings = "");

    //! `jmnode coinjoin send --yes --json` of `amount` sats (0: --sweep) from `mixdepth` to
    //! `destination` with `makers` counterparties; returns when the command exits.
    JmnodeSend send(int mixdepth, std::int64_t amount, const std::string& destination, int makers,
                    std::chrono::seconds timeout = std::chrono::seconds(300));
    //! `jmnode wallet <args> --json` on this node (e.g. {"sync"}).
    boost::json::object wallet(std::vector<std::string> args);
    const std::filesystem::path& config() const { return m_config; }

private:
    TempDir m_dir;
    std::filesystem::path m_config;
    std::unique_ptr<JmnodeWallet> m_wallet;
};

} // namespace jm::test::interop
