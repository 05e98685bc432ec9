#include "jmnode_wallet.hpp"

#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <fstream>
#include <random>
#include <stdexcept>

namespace jm::test::interop {

namespace {
constexpr int MIXDEPTHS = 5;
constexpr std::uint32_t ADDRESSES_PER_MIXDEPTH = 10;
} // namespace

JmnodeWallet::JmnodeWallet(ReferenceNetwork& network, const std::filesystem::path& config,
                           const std::filesystem::path& password_file, const std::vector<Funding>& funding) {
    std::filesystem::create_directories(password_file.parent_path());
    std::ofstream(password_file) << JMNODE_WALLET_PASSWORD << "\n";
    std::filesystem::permissions(password_file,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::random_device random;
    jm::bitcoin::Bytes entropy(16);
    for (auto& b : entropy)
        b = static_cast<std::uint8_t>(random());
    auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
    std::string password = JMNODE_WALLET_PASSWORD;
    auto recovered = runProcess({(binDir() / "jmnode").string(), "wallet", "recover", "--kdf", "interactive",
                                 "--config", config.string(), "--password-fd", "0"},
                                std::chrono::seconds(120), {}, words + "\n" + password + "\n" + password + "\n");
    if (recovered.exit_code != 0)
        throw std::runtime_error("jmnode wallet recover failed: " + recovered.out + recovered.err);

    // The same words in jmnode's wallet library give the addresses the node will watch.
    jm::sdk::testing::MemoryKvStore store;
    auto mirror = jm::wallet::Wallet::create(
                      store, {jm::bitcoin::Network::Regtest, MIXDEPTHS, 6, jm::wallet::KdfStrength::Interactive},
                      entropy, "", "mirror")
                      .value();
    for (int m = 0; m < MIXDEPTHS; ++m)
        for (std::uint32_t i = 0; i < ADDRESSES_PER_MIXDEPTH; ++i)
            m_addresses.push_back(mirror.addressAt(m, jm::wallet::BRANCH_EXTERNAL, i).value().address);

    std::vector<std::pair<std::string, std::int64_t>> outputs;
    std::vector<std::uint32_t> next(MIXDEPTHS, 0);
    for (const auto& f : funding)
        outputs.emplace_back(address(f.mixdepth, next.at(static_cast<std::size_t>(f.mixdepth))++), f.sats);
    if (!outputs.empty()) {
        network.fund(outputs);
        network.core().mine(1);
    }
}

std::string JmnodeWallet::address(int mixdepth, std::uint32_t index) const {
    return m_addresses.at(static_cast<std::size_t>(mixdepth) * ADDRESSES_PER_MIXDEPTH + index);
}

} // namespace jm::test::interop
