// The same jmnode wallet through backend-neutrino (the real plugin, `jmnode wallet ...` with a
// config naming it, P2P to a regtest Bitcoin Core with -blockfilterindex=1 -peerblockfilters=1)
// and through backend-core: identical coins and history (a coinbase, addresses past the first
// gap window, a spend), a payment sent through neutrino confirmed by Core, and a restart that
// resumes from the stored chains. Skipped (exit 77) without bitcoind.
#include "wallet_node.hpp"

#include <util/bitcoind.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

using namespace jm::test;
namespace json = boost::json;

namespace {

std::string neutrinoBackend(std::uint16_t p2p_port) {
    return "{\"load\": \"backend-neutrino\", \"factory\": \"neutrino\", \"instance\": \"neutrino\", \"config\": "
           "{\"peers\": [\"127.0.0.1:" +
           std::to_string(p2p_port) + "\"], \"connect_timeout\": \"2s\"}}";
}

void waitForFilterIndex(Bitcoind& core) {
    auto tip = core.cli({"getblockcount"});
    for (int i = 0; i < 300; ++i) {
        auto info = core.cliJson({"getindexinfo", "basic block filter index"});
        if (info.as_object().contains("basic block filter index") &&
            info.at("basic block filter index").at("synced").as_bool() &&
            std::to_string(info.at("basic block filter index").at("best_block_height").to_number<std::int64_t>()) ==
                tip)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_FAIL("Core's block filter index did not catch up");
}

json::object runJson(WalletNode& node, std::vector<std::string> args) { return node.runJson(std::move(args)); }

//! outpoint -> "value mixdepth/branch/index confirmations"
std::map<std::string, std::string> utxosOf(WalletNode& node) {
    std::map<std::string, std::string> out;
    auto listed = runJson(node, {"utxos"});
    for (const auto& u : listed.at("utxos").as_array())
        out[std::string(u.at("outpoint").as_string())] = std::to_string(u.at("value").to_number<std::int64_t>()) +
                                                         " m" + std::to_string(u.at("mixdepth").to_number<int>()) +
                                                         "/" + std::to_string(u.at("branch").to_number<int>()) + "/" +
                                                         std::to_string(u.at("index").to_number<int>()) + " conf " +
                                                         std::to_string(u.at("confirmations").to_number<int>());
    return out;
}

//! txid -> "received spent confirmations immature" (time is left out: Core reports when its
//! wallet saw a transaction, a light client the block's time)
std::map<std::string, std::string> historyOf(WalletNode& node) {
    std::map<std::string, std::string> out;
    auto listed = runJson(node, {"history"});
    for (const auto& t : listed.at("history").as_array())
        out[std::string(t.at("txid").as_string())] = std::to_string(t.at("received").to_number<std::int64_t>()) + " " +
                                                     std::to_string(t.at("spent").to_number<std::int64_t>()) +
                                                     " conf " + std::to_string(t.at("confirmations").to_number<int>()) +
                                                     (t.at("immature").as_bool() ? " immature" : "");
    return out;
}

template <class M> std::string dump(const M& m) {
    std::string s;
    for (const auto& [k, v] : m)
        s += "\n  " + k + " " + v;
    return s;
}

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(neutrino_wallet_regtest)

BOOST_AUTO_TEST_CASE(same_wallet_same_view_through_neutrino_and_core) {
    auto port = freeLoopbackPort();
    Bitcoind core(*findBitcoinCore(),
                  {"-listen=1", "-port=" + std::to_string(port), "-bind=127.0.0.1:" + std::to_string(port),
                   "-blockfilterindex=1", "-peerblockfilters=1"});
    const auto entropy = jm::bitcoin::Bytes(16, 0x5a);
    WalletNode viaCore(core, entropy);
    WalletNode viaNeutrino(core, entropy, neutrinoBackend(port));

    // A coinbase to the wallet (matured), then coins on several mixdepths, some past the first
    // gap window (index 9 is reached only after 3 is found).
    core.cli({"generatetoaddress", "1", viaCore.address(2, 0, 1), "1000"});
    core.mine(101);
    json::object amounts{{viaCore.address(0, 0, 0), 1.0},  {viaCore.address(0, 0, 3), 0.5},
                         {viaCore.address(0, 0, 9), 0.25}, {viaCore.address(1, 0, 0), 2.0},
                         {viaCore.address(1, 1, 4), 0.3},  {viaCore.address(4, 0, 2), 0.1}};
    core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    core.mine(1);
    core.cli({"sendtoaddress", viaCore.address(0, 0, 14), "0.07"}, "miner");
    core.mine(1);
    waitForFilterIndex(core);

    auto coreSync = viaCore.sync();
    // The first sync starts the light client at genesis (its log says so with --verbose).
    auto first = viaNeutrino.run({"sync", "--verbose"});
    BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    BOOST_CHECK_MESSAGE(first.err.find("headers to height 0, filter headers to height 0\n") != std::string::npos,
                        first.err);
    auto neutSync = viaNeutrino.sync();
    BOOST_CHECK_EQUAL(json::serialize(coreSync.at("mixdepths")), json::serialize(neutSync.at("mixdepths")));
    auto coreUtxos = utxosOf(viaCore), neutUtxos = utxosOf(viaNeutrino);
    BOOST_CHECK_EQUAL(coreUtxos.size(), 8u);
    BOOST_CHECK_MESSAGE(coreUtxos == neutUtxos, "core:" + dump(coreUtxos) + "\nneutrino:" + dump(neutUtxos));
    auto coreHistory = historyOf(viaCore), neutHistory = historyOf(viaNeutrino);
    BOOST_CHECK_MESSAGE(coreHistory == neutHistory, "core:" + dump(coreHistory) + "\nneutrino:" + dump(neutHistory));

    // A payment sent through neutrino (P2P broadcast) confirms in Core.
    auto dest = core.minerAddress();
    auto paid =
        viaNeutrino.run({"send", "--mixdepth", "0", "--amount", "10000000", "--address", dest, "--yes", "--json"});
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0, paid.err);
    auto txid = std::string(json::parse(paid.out).at("txid").as_string());
    for (int i = 0; i < 100; ++i) {
        try {
            core.cli({"getmempoolentry", txid});
            break;
        } catch (const std::runtime_error&) { // not relayed yet
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    core.mine(1);
    auto confirmed = core.cliJson({"gettransaction", txid}, "miner");
    BOOST_CHECK_EQUAL(confirmed.at("confirmations").to_number<int>(), 1);
    BOOST_CHECK_EQUAL(confirmed.at("amount").to_number<double>(), 0.1);
    waitForFilterIndex(core);

    // Restart (each `jmnode wallet` is a new process): the light client resumes from its stored
    // chains and the wallet from its stored scan, and both backends agree after the spend.
    auto started = std::chrono::steady_clock::now();
    auto again = viaNeutrino.run({"sync", "--verbose"});
    auto resumed = std::chrono::steady_clock::now() - started;
    BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    // Resumed: the stored chains reach the tip before the payment's block.
    auto before = std::to_string(coreSync.at("height").to_number<int>());
    BOOST_CHECK_MESSAGE(again.err.find("headers to height " + before + ", filter headers to height " + before + "\n") !=
                            std::string::npos,
                        again.err);
    BOOST_CHECK_MESSAGE(again.err.find("[neutrino]") != std::string::npos, again.err); // the instance's channel
    neutSync = viaNeutrino.sync();
    coreSync = viaCore.sync();
    BOOST_CHECK_EQUAL(json::serialize(coreSync.at("mixdepths")), json::serialize(neutSync.at("mixdepths")));
    coreUtxos = utxosOf(viaCore);
    neutUtxos = utxosOf(viaNeutrino);
    BOOST_CHECK_MESSAGE(coreUtxos == neutUtxos, "core:" + dump(coreUtxos) + "\nneutrino:" + dump(neutUtxos));
    coreHistory = historyOf(viaCore);
    neutHistory = historyOf(viaNeutrino);
    BOOST_CHECK(coreHistory.count(txid) == 1);
    BOOST_CHECK_MESSAGE(coreHistory == neutHistory, "core:" + dump(coreHistory) + "\nneutrino:" + dump(neutHistory));
    BOOST_TEST_MESSAGE("neutrino resync took " << std::chrono::duration_cast<std::chrono::milliseconds>(resumed).count()
                                               << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
