#pragma once
// The wallet of a jmnode node in an interop test: recovered from fresh random words with
// `jmnode wallet recover` into the node of a config, so the harness knows its addresses (from
// jmnode's wallet library) and funds them through the network's miner before the node starts.

#include "reference_network.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace jm::test::interop {

//! The password the interop harness gives every jmnode wallet.
constexpr const char* JMNODE_WALLET_PASSWORD = "jmnode-interop";

class JmnodeWallet {
public:
    //! Recovers the wallet into the node of `config`, writes `password_file` (mode 0600) with
    //! JMNODE_WALLET_PASSWORD, and pays `funding` to its external addresses, confirmed.
    //! Throws std::runtime_error.
    JmnodeWallet(ReferenceNetwork& network, const std::filesystem::path& config,
                 const std::filesystem::path& password_file, const std::vector<Funding>& funding);
    //! The receive address at `index` (< 10) of `mixdepth` (external branch).
    std::string address(int mixdepth, std::uint32_t index) const;

private:
    std::vector<std::string> m_addresses; //!< per mixdepth, external indexes 0..9, flattened
};

} // namespace jm::test::interop
