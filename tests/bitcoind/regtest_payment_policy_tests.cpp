// Payment rules whose cause is Bitcoin Core's behaviour, checked against a real Core (regtest):
// jmnode's dust limits are Core's, its tip-height locktime is accepted and mined, and a
// fidelity bond beside ordinary coins is never spent by a payment. Skipped (exit 77) without
// bitcoind, through the global fixture of regtest_wallet_tests.cpp.
#include "wallet_node.hpp"

#include <util/bitcoind.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/payment.hpp>
#include <jm/wallet/timenumber.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>

using namespace jm::test;
namespace json = boost::json;

namespace {

std::string btcText(std::int64_t sats) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%08lld", static_cast<long long>(sats / 100'000'000),
                  static_cast<long long>(sats % 100'000'000));
    return buf;
}

std::int64_t mixdepthField(const json::object& info, int m, const char* name) {
    return info.at("mixdepths").as_array().at(static_cast<std::size_t>(m)).at(name).to_number<std::int64_t>();
}

} // namespace

BOOST_AUTO_TEST_SUITE(regtest_payment_policy)

// jmnode refuses below dustLimit(); Core's own wallet draws the line at the same satoshi.
BOOST_AUTO_TEST_CASE(dust_limits_are_cores) {
    Bitcoind core(*findBitcoinCore());
    jm::sdk::testing::MemoryKvStore store;
    auto wallet =
        jm::wallet::Wallet::create(store, {jm::bitcoin::Network::Regtest, 1, 6, jm::wallet::KdfStrength::Interactive},
                                   jm::bitcoin::Bytes(16, 0x33), "", "pw")
            .value();
    std::vector<std::string> addresses{
        core.cli({"getnewaddress", "", "bech32"}, "miner"), core.cli({"getnewaddress", "", "bech32m"}, "miner"),
        core.cli({"getnewaddress", "", "p2sh-segwit"}, "miner"), core.cli({"getnewaddress", "", "legacy"}, "miner"),
        wallet.bondAddress(100).value().info.address}; // P2WSH
    for (const auto& address : addresses) {
        auto script = jm::bitcoin::addressToScript(address, jm::bitcoin::Network::Regtest).value();
        auto dust = jm::wallet::dustLimit(script);
        BOOST_CHECK_THROW(core.cli({"sendtoaddress", address, btcText(dust - 1)}, "miner"), std::runtime_error);
        BOOST_CHECK_NO_THROW(core.cli({"sendtoaddress", address, btcText(dust)}, "miner"));
    }
}

// Issue 18: 2 BTC bond + 0.93 + 0.5 BTC in mixdepth 0; 1.2 BTC is paid from the ordinary coins,
// with the tip height as locktime, and Core accepts and mines it.
BOOST_AUTO_TEST_CASE(bond_beside_coins_and_tip_height_locktime) {
    Bitcoind core(*findBitcoinCore());
    WalletNode node(core, jm::bitcoin::Bytes(16, 0x44));
    auto bond = node.mirror->bondAddress(jm::wallet::TIMENUMBER_COUNT - 1).value();
    json::object amounts{{bond.info.address, 2.0},
                         {node.mirror->addressAt(0, 0, 0)->address, 0.93},
                         {node.mirror->addressAt(0, 0, 1)->address, 0.5}};
    core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    core.mine(1);
    auto info = node.runJson({"info"});
    BOOST_CHECK_EQUAL(mixdepthField(info, 0, "confirmed"), 143'000'000);
    BOOST_CHECK_EQUAL(mixdepthField(info, 0, "bonds"), 200'000'000);

    auto dust = node.run({"send", "--mixdepth", "0", "--amount", "293", "--address", core.minerAddress(), "--yes"});
    BOOST_CHECK_EQUAL(dust.exit_code, 2);

    auto height = std::stoll(core.cli({"getblockcount"}));
    auto receipt =
        node.runJson({"send", "--mixdepth", "0", "--amount", "120000000", "--address", core.minerAddress(), "--yes"});
    auto txid = std::string(receipt.at("txid").as_string());
    auto tx = core.cliJson({"getrawtransaction", txid, "1"});
    BOOST_CHECK_EQUAL(tx.at("locktime").to_number<std::int64_t>(), height);
    core.mine(1);
    BOOST_CHECK_EQUAL(core.cliJson({"gettransaction", txid}, "miner").at("confirmations").to_number<int>(), 1);
    auto after = node.runJson({"info"});
    BOOST_CHECK_EQUAL(mixdepthField(after, 0, "bonds"), 200'000'000);
    BOOST_CHECK_EQUAL(mixdepthField(after, 0, "confirmed"),
                      143'000'000 - 120'000'000 - receipt.at("fee").to_number<std::int64_t>());
}

BOOST_AUTO_TEST_SUITE_END()
