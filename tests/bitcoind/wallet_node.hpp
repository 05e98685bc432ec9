#pragma once
// A jmnode data directory whose config runs backend-core (and a fixed fee) against a regtest
// Bitcoin Core, with its wallet driven through `jmnode wallet ...` as a user drives it, and the
// same seed in memory to know its addresses.

#include <util/bitcoind.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace jm::test {

struct WalletNode {
    //! A wallet recovered from the words of `entropy` (password "pw"). `backend` is the config's
    //! backend plugin entry (a JSON object); empty: backend-core on `core`'s RPC.
    WalletNode(Bitcoind& core, jm::bitcoin::ByteView entropy, std::string backend = {}) {
        writeConfig(core, std::move(backend));
        mnemonic = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto r = run({"recover", "--kdf", "interactive"}, mnemonic + "\npw\npw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        mirrorOf(entropy);
    }
    //! A wallet created with new words (password "pw").
    explicit WalletNode(Bitcoind& core) {
        writeConfig(core);
        auto r = run({"create", "--kdf", "interactive", "--yes", "--json"}, "pw\npw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        mnemonic = std::string(boost::json::parse(r.out).at("mnemonic").as_string());
        auto entropy = jm::bitcoin::mnemonicToEntropy(mnemonic).value();
        mirrorOf(entropy.view());
    }

    //! `jmnode wallet <args> --config ... --password-fd 0` with `input` on its stdin.
    ProcessResult run(std::vector<std::string> args, const std::string& input = "pw\n") {
        args.insert(args.begin(), {(binDir() / "jmnode").string(), "wallet"});
        for (const auto& extra : std::vector<std::string>{"--config", config.string(), "--password-fd", "0"})
            args.push_back(extra);
        return runProcess(args, std::chrono::seconds(300), {}, input);
    }
    //! `run(args + --json)`, which must succeed and print a JSON object.
    boost::json::object runJson(std::vector<std::string> args) {
        args.push_back("--json");
        auto r = run(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        boost::system::error_code ec;
        auto v = boost::json::parse(r.out, ec);
        BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not JSON: " + r.out);
        return v.as_object();
    }
    boost::json::object sync() { return runJson({"sync"}); }
    std::string address(int m, std::uint32_t b, std::uint32_t i) { return mirror->addressAt(m, b, i).value().address; }

    TempDir dir;
    std::filesystem::path config;
    std::string mnemonic;
    jm::sdk::testing::MemoryKvStore mirror_store;
    std::optional<jm::wallet::Wallet> mirror; //!< the same seed in memory, to know the addresses

private:
    void writeConfig(Bitcoind& core, std::string backend = {}) {
        if (backend.empty())
            backend = "{\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": " +
                      std::to_string(core.rpcPort()) + ", \"rpc_cookie\": \"" + core.cookie().string() +
                      "\", \"poll_interval\": \"200ms\"}}";
        config = dir.path() / "node.json";
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                              << "\", \"network\": \"regtest\"},\n  \"plugins\": [\n    " << backend << ",\n"
                              << "    {\"load\": \"fee\", \"factory\": \"fixed\", \"instance\": \"fee\", \"config\": "
                                 "{\"sat_vb\": 2}}\n  ] }\n";
    }
    void mirrorOf(jm::bitcoin::ByteView entropy) {
        mirror.emplace(jm::wallet::Wallet::create(
                           mirror_store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                           entropy, "", "pw")
                           .value());
    }
};

} // namespace jm::test
