// The backend-sim plugin loaded by the real jmnode from the build tree: `jmnode wallet info`
// sees a premined balance, `jmnode wallet send` is accepted by the simulated chain, and a
// mainnet config is refused at start with a clear error.
#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

namespace {

namespace json = boost::json;
using jm::wallet::Wallet;

constexpr const char* ELSEWHERE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

//! A node config running backend-sim, and a wallet (known words) recovered in its data directory.
struct SimNode {
    SimNode() {
        config = dir.path() / "node.json";
        entropy = jm::bitcoin::Bytes(16, 0x5a);
        mirror.emplace(Wallet::create(mirror_store,
                                      {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                      entropy, "", "pw")
                           .value());
    }
    void write(const std::string& network, const json::array& premine) {
        json::object doc{
            {"node", {{"datadir", (dir.path() / "data").string()}, {"network", network}}},
            {"plugins", json::array{json::object{{"load", "backend-sim"},
                                                 {"instance", "chain"},
                                                 {"config", {{"premine", premine}, {"initial_blocks", 3}}}}}}};
        std::ofstream(config) << json::serialize(doc) << "\n";
    }
    jm::test::ProcessResult wallet(std::vector<std::string> args, const std::string& input) {
        args.insert(args.begin(), {(jm::test::binDir() / "jmnode").string(), "wallet"});
        for (auto extra : {"--config", "CONFIG", "--password-fd", "0"})
            args.push_back(std::string(extra) == "CONFIG" ? config.string() : extra);
        return jm::test::runProcess(args, std::chrono::seconds(60), {}, input);
    }
    json::object walletJson(std::vector<std::string> args) {
        args.push_back("--json");
        auto r = wallet(args, "pw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        boost::system::error_code ec;
        auto v = json::parse(r.out, ec);
        BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not a JSON object: " + r.out);
        return v.as_object();
    }
    void recover() {
        auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto r = wallet({"recover", "--kdf", "interactive"}, words + "\npw\npw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    std::string address(int m, std::uint32_t i) {
        return mirror->addressAt(m, jm::wallet::BRANCH_EXTERNAL, i).value().address;
    }

    jm::test::TempDir dir;
    std::filesystem::path config;
    jm::bitcoin::Bytes entropy;
    jm::sdk::testing::MemoryKvStore mirror_store;
    std::optional<Wallet> mirror; //!< the same seed in memory, to know the addresses
};

std::int64_t confirmed(const json::object& info, int mixdepth) {
    return info.at("mixdepths")
        .as_array()
        .at(static_cast<std::size_t>(mixdepth))
        .at("confirmed")
        .to_number<std::int64_t>();
}

} // namespace

BOOST_AUTO_TEST_SUITE(backend_sim_cli_tests)

BOOST_AUTO_TEST_CASE(a_premined_wallet_syncs_and_pays) {
    SimNode node;
    node.write("regtest", json::array{json::object{{"address", node.address(0, 0)}, {"sats", "1btc"}},
                                      json::object{{"address", node.address(3, 2)}, {"sats", 2'500'000}},
                                      json::object{{"address", ELSEWHERE}, {"sats", 7}}});
    node.recover();
    auto info = node.walletJson({"info"});
    BOOST_TEST(info.at("height").as_int64() == 3);
    BOOST_TEST(confirmed(info, 0) == 100'000'000);
    BOOST_TEST(confirmed(info, 3) == 2'500'000);
    BOOST_TEST(confirmed(info, 1) == 0);
    // The chain checks the signed payment and accepts it.
    auto sent = node.walletJson({"send", "--mixdepth", "0", "--amount", "30000000", "--address", ELSEWHERE, "--yes"});
    BOOST_TEST(sent.at("txid").as_string().size() == 64u);
    BOOST_TEST(sent.at("amount").as_int64() == 30'000'000);
    BOOST_TEST(sent.at("fee").as_int64() > 0);
}

BOOST_AUTO_TEST_CASE(a_mainnet_node_refuses_to_start_it) {
    SimNode node;
    node.write("mainnet", json::array{});
    auto r = node.wallet({"info"}, "pw\n");
    BOOST_TEST(r.exit_code != 0);
    BOOST_TEST(r.err.find("backend-sim simulates a chain and runs on regtest only; node.network is 'mainnet'") !=
                   std::string::npos,
               r.err);
}

BOOST_AUTO_TEST_SUITE_END()
