// backend-neutrino as a user meets it, with real `jmnode wallet` processes against a regtest
// Bitcoin Core (-blockfilterindex=1 -peerblockfilters=1), the P2P traffic going through a relay
// the test can stop (p2p_relay.hpp): kill -9 during the header sync and during the wallet's
// filter scan (the restart resumes and ends with backend-core's view), the only peer going away
// mid-scan and coming back, a restore from the words on backend-core and backend-neutrino side by
// side, a peer serving no compact filters and a peer on another network's port. Skipped (exit
// 77) without bitcoind.
#include "p2p_relay.hpp"
#include "wallet_node.hpp"

#include <util/bitcoind.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <thread>

using namespace jm::test;
using jm::test::regtest::P2pRelay;
namespace json = boost::json;

namespace {

std::string neutrinoBackend(std::uint16_t p2p_port, const std::string& extra = "") {
    return "{\"load\": \"backend-neutrino\", \"factory\": \"neutrino\", \"instance\": \"neutrino\", \"config\": "
           "{\"peers\": [\"127.0.0.1:" +
           std::to_string(p2p_port) + "\"], \"connect_timeout\": \"2s\"" + extra + "}}";
}

std::vector<std::string> filterNode(std::uint16_t port) {
    return {"-listen=1", "-port=" + std::to_string(port), "-bind=127.0.0.1:" + std::to_string(port),
            "-blockfilterindex=1", "-peerblockfilters=1"};
}

void waitForFilterIndex(Bitcoind& core) {
    auto tip = core.cli({"getblockcount"});
    for (int i = 0; i < 600; ++i) {
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

//! outpoint -> "value m<mixdepth>/<branch>/<index> conf <confirmations>"
std::map<std::string, std::string> utxosOf(WalletNode& node) {
    std::map<std::string, std::string> out;
    auto listed = node.runJson({"utxos"});
    for (const auto& u : listed.at("utxos").as_array())
        out[std::string(u.at("outpoint").as_string())] = std::to_string(u.at("value").to_number<std::int64_t>()) +
                                                         " m" + std::to_string(u.at("mixdepth").to_number<int>()) +
                                                         "/" + std::to_string(u.at("branch").to_number<int>()) + "/" +
                                                         std::to_string(u.at("index").to_number<int>()) + " conf " +
                                                         std::to_string(u.at("confirmations").to_number<int>());
    return out;
}

//! txid -> "received spent conf <confirmations>" (times differ between the backends)
std::map<std::string, std::string> historyOf(WalletNode& node) {
    std::map<std::string, std::string> out;
    auto listed = node.runJson({"history"});
    for (const auto& t : listed.at("history").as_array())
        out[std::string(t.at("txid").as_string())] = std::to_string(t.at("received").to_number<std::int64_t>()) + " " +
                                                     std::to_string(t.at("spent").to_number<std::int64_t>()) +
                                                     " conf " + std::to_string(t.at("confirmations").to_number<int>());
    return out;
}

template <class M> std::string dump(const M& m) {
    std::string s;
    for (const auto& [k, v] : m)
        s += "\n  " + k + " " + v;
    return s;
}

//! The wallet as `jmnode wallet` shows it: balances per mixdepth, coins, history.
void checkSameView(WalletNode& expected, WalletNode& actual, const std::string& what) {
    auto a = expected.sync(), b = actual.sync();
    BOOST_CHECK_MESSAGE(json::serialize(a.at("mixdepths")) == json::serialize(b.at("mixdepths")),
                        what << ": balances differ\n"
                             << json::serialize(a) << "\n"
                             << json::serialize(b));
    auto ua = utxosOf(expected), ub = utxosOf(actual);
    BOOST_CHECK_MESSAGE(ua == ub, what << ": coins differ\nexpected:" << dump(ua) << "\nactual:" << dump(ub));
    auto ha = historyOf(expected), hb = historyOf(actual);
    BOOST_CHECK_MESSAGE(ha == hb, what << ": history differs\nexpected:" << dump(ha) << "\nactual:" << dump(hb));
}

//! `jmnode wallet <args>` started in the background (for a kill -9), reading the password.
std::unique_ptr<ChildProcess> startWallet(WalletNode& node, std::vector<std::string> args) {
    args.insert(args.begin(), {(binDir() / "jmnode").string(), "wallet"});
    for (const auto& extra : std::vector<std::string>{"--config", node.config.string(), "--password-fd", "0"})
        args.push_back(extra);
    return std::make_unique<ChildProcess>(args, std::map<std::string, std::string>{}, std::string("pw\n"));
}

void killHard(ChildProcess& process) {
    process.signal(SIGKILL);
    auto r = process.wait(std::chrono::seconds(10));
    BOOST_REQUIRE_EQUAL(r.exit_code, 128 + SIGKILL);
}

//! `jmnode wallet addresses --mixdepth m --count n --json`: the handed-out addresses.
std::vector<std::string> handOut(WalletNode& node, int mixdepth, int count) {
    auto r =
        node.run({"addresses", "--mixdepth", std::to_string(mixdepth), "--count", std::to_string(count), "--json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::vector<std::string> out;
    auto listed = json::parse(r.out);
    for (const auto& a : listed.as_array())
        out.emplace_back(a.at("address").as_string());
    return out;
}

//! Rewrites `node`'s config with another backend entry (the same data directory), as a user
//! switching a wallet from one backend to the other does.
void switchBackend(WalletNode& node, const std::string& backend) {
    std::ofstream(node.config) << "{ \"node\": {\"datadir\": \"" << (node.dir.path() / "data").string()
                               << "\", \"network\": \"regtest\"},\n  \"plugins\": [" << backend
                               << ", {\"load\": \"fee\", \"factory\": \"fixed\", \"instance\": \"fee\", "
                                  "\"config\": {\"sat_vb\": 2}}] }\n";
}

int blockCount(Bitcoind& core) { return std::stoi(core.cli({"getblockcount"})); }

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(neutrino_user_regtest)

// A chain longer than one `headers`/`cfheaders` message (2000) and one filter batch (1000): the
// relay holds Core's second `headers` message, so the store has exactly the first 2000 headers
// when the process is killed; then after the second `cfheaders` answer; then the 1500th `cfilter`, past the
// first batch's checkpoint.
BOOST_AUTO_TEST_CASE(kill_during_header_sync_and_during_scan_resumes) {
    auto port = freeLoopbackPort();
    Bitcoind core(*findBitcoinCore(), filterNode(port));
    P2pRelay relay(port);
    const auto entropy = jm::bitcoin::Bytes(16, 0x3c);
    WalletNode viaCore(core, entropy);
    WalletNode viaNeutrino(core, entropy, neutrinoBackend(relay.port()));

    core.mine(101);
    json::object early{{viaCore.address(0, 0, 0), 1.0}, {viaCore.address(1, 0, 2), 0.5}};
    core.cli({"sendmany", "", json::serialize(early)}, "miner");
    core.mine(1);
    // A spend by the wallet (through backend-core), then a long stretch, then coins past the
    // first gap window.
    viaCore.sync();
    auto paid = viaCore.run(
        {"send", "--mixdepth", "0", "--amount", "20000000", "--address", core.minerAddress(), "--yes", "--json"});
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0, paid.err);
    core.mine(1500);
    core.cli({"sendtoaddress", viaCore.address(0, 0, 8), "0.25"}, "miner");
    core.mine(1300);
    core.cli({"sendtoaddress", viaCore.address(3, 0, 1), "0.125"}, "miner");
    core.mine(1);
    waitForFilterIndex(core);
    auto tip = blockCount(core);
    BOOST_REQUIRE_GT(tip, 2900);

    // 1. Killed with 2000 of the headers stored.
    relay.holdAfter("headers", 1);
    auto first = startWallet(viaNeutrino, {"sync", "--verbose"});
    BOOST_REQUIRE_MESSAGE(relay.waitHeld(std::chrono::seconds(60)), "no headers came: " + first->output());
    std::this_thread::sleep_for(std::chrono::milliseconds(2500)); // the client stores what it got
    killHard(*first);
    relay.release();

    // 2. The restart resumes from those headers (not from genesis); killed again with part of
    // the filter headers stored.
    // (The second: the first may answer a round the rest of the headers made obsolete.)
    relay.holdAfter("cfheaders", 2);
    auto second = startWallet(viaNeutrino, {"sync", "--verbose"});
    BOOST_REQUIRE_MESSAGE(relay.waitHeld(std::chrono::seconds(60)), "no filter headers came: " + second->output());
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    killHard(*second);
    auto secondLog = second->output();
    BOOST_CHECK_MESSAGE(secondLog.find("starting from its store: headers to height 2000, filter headers to height "
                                       "0\n") != std::string::npos,
                        secondLog);
    relay.release();

    // 3. Resumed with all headers and those filter headers; killed again mid-scan.
    relay.holdAfter("cfilter", 1500);
    auto third = startWallet(viaNeutrino, {"sync", "--verbose"});
    BOOST_REQUIRE_MESSAGE(relay.waitHeld(std::chrono::seconds(60)), "no filters came: " + third->output());
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    killHard(*third);
    auto thirdLog = third->output();
    // Some filter headers were kept (how many a request asks for is the client's choice).
    auto stored = thirdLog.find("starting from its store: headers to height " + std::to_string(tip) +
                                ", filter headers to height ");
    BOOST_REQUIRE_MESSAGE(stored != std::string::npos, thirdLog);
    auto filterHeaders = std::stoi(thirdLog.substr(thirdLog.find("filter headers to height ", stored) + 25));
    BOOST_CHECK_MESSAGE(filterHeaders > 0 && filterHeaders < tip, thirdLog);
    relay.release();
    relay.resetCounts();

    // 4. The next run finishes the scan from its last checkpoint, and the wallet is right.
    auto last = viaNeutrino.run({"sync", "--verbose"});
    BOOST_REQUIRE_MESSAGE(last.exit_code == 0, last.err);
    BOOST_CHECK_MESSAGE(last.err.find("headers to height " + std::to_string(tip) + ", filter headers to height " +
                                      std::to_string(tip) + "\n") != std::string::npos,
                        last.err);
    BOOST_TEST_MESSAGE("tip " << tip << ", filters fetched after the last kill: " << relay.passed("cfilter"));
    // Resumed from the scan's checkpoint at 999: tip - 999 filters, give or take one asked again
    // after a slow answer under load (from the start it would be all tip + 1).
    BOOST_CHECK_MESSAGE(relay.passed("cfilter") <= tip - 900,
                        "the scan started over: " << relay.passed("cfilter") << " filters fetched again");
    checkSameView(viaCore, viaNeutrino, "after two kills");
}

// The only peer goes away while the wallet's filters are being fetched and comes back a few
// seconds later: the same `jmnode wallet sync` reconnects, finishes, and agrees with Core.
BOOST_AUTO_TEST_CASE(only_peer_lost_mid_scan_and_back) {
    auto port = freeLoopbackPort();
    Bitcoind core(*findBitcoinCore(), filterNode(port));
    P2pRelay relay(port);
    const auto entropy = jm::bitcoin::Bytes(16, 0x4d);
    WalletNode viaCore(core, entropy);
    WalletNode viaNeutrino(core, entropy, neutrinoBackend(relay.port(), ", \"filter_batch\": 50"));
    core.mine(101);
    core.cli({"sendtoaddress", viaCore.address(0, 0, 0), "1.0"}, "miner");
    core.mine(150);
    core.cli({"sendtoaddress", viaCore.address(2, 0, 4), "0.5"}, "miner");
    core.mine(1);
    waitForFilterIndex(core);

    relay.holdAfter("cfilter", 120);
    auto sync = startWallet(viaNeutrino, {"sync", "--json"});
    BOOST_REQUIRE_MESSAGE(relay.waitHeld(std::chrono::seconds(60)), "no filters came: " + sync->output());
    relay.down();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    relay.release();
    relay.up();
    auto r = sync->wait(std::chrono::seconds(45));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err + r.out);
    BOOST_CHECK_GE(relay.connections(), 2);
    checkSameView(viaCore, viaNeutrino, "after the outage");
}

// A block paying the wallet leaves the best chain while no jmnode runs (each `jmnode wallet` is a
// process): the next sync must not keep the coin as confirmed, and once the payment confirms
// again both backends agree.
BOOST_AUTO_TEST_CASE(reorganisation_while_off_drops_the_confirmation) {
    auto port = freeLoopbackPort();
    Bitcoind core(*findBitcoinCore(), filterNode(port));
    const auto entropy = jm::bitcoin::Bytes(16, 0x72);
    WalletNode viaCore(core, entropy);
    WalletNode viaNeutrino(core, entropy, neutrinoBackend(port));
    core.mine(101);
    core.cli({"sendtoaddress", viaCore.address(0, 0, 0), "1.0"}, "miner");
    core.mine(3);
    auto txid = core.cli({"sendtoaddress", viaCore.address(1, 0, 1), "0.5"}, "miner");
    txid.erase(txid.find_last_not_of(" \n\r") + 1);
    core.mine(1);
    auto block = core.cli({"getbestblockhash"});
    block.erase(block.find_last_not_of(" \n\r") + 1);
    waitForFilterIndex(core);
    checkSameView(viaCore, viaNeutrino, "before the reorganisation");
    auto seen = historyOf(viaNeutrino);
    BOOST_REQUIRE_MESSAGE(seen.count(txid) && seen[txid].find("conf 1") != std::string::npos, dump(seen));

    // The block goes; three empty blocks make the longer chain (the payment waits in the mempool).
    core.cli({"invalidateblock", block});
    auto miner = core.minerAddress();
    for (int i = 0; i < 3; ++i)
        core.cli({"generateblock", miner, "[]"});
    waitForFilterIndex(core);
    viaNeutrino.sync();
    for (const auto& [outpoint, text] : utxosOf(viaNeutrino))
        BOOST_CHECK_MESSAGE(outpoint.rfind(txid, 0) != 0 || text.find(" conf 0") != std::string::npos,
                            "still confirmed after the reorganisation: " << outpoint << " " << text);
    auto history = historyOf(viaNeutrino);
    BOOST_CHECK_MESSAGE(!history.count(txid) || history[txid].find(" conf 0") != std::string::npos, dump(history));

    core.mine(1); // confirms the payment again
    waitForFilterIndex(core);
    checkSameView(viaCore, viaNeutrino, "after the payment confirmed again");
}

// Words written down at creation, coins on several mixdepths and addresses handed out past the
// first gap window (each found only once the one before it is), some spent; then the words
// restored in two fresh data directories, one on each backend: the same coins, balances,
// history, and the same next receive address.
BOOST_AUTO_TEST_CASE(restore_from_words_same_on_core_and_neutrino) {
    auto port = freeLoopbackPort();
    Bitcoind core(*findBitcoinCore(), filterNode(port));
    WalletNode original(core);
    core.mine(101);
    auto miner = core.minerAddress();

    // Gap limit 6: pay the last of each batch handed out, sync, hand out the next batch.
    std::vector<std::string> paidTo;
    for (int round = 0; round < 3; ++round) {
        auto m0 = handOut(original, 0, 6);
        auto m2 = handOut(original, 2, 3);
        const double amount[] = {0.4, 0.5, 0.625};
        json::object amounts{{m0.back(), amount[round]}, {m2.back(), 0.2}};
        if (round == 2) amounts[m0[2]] = 0.05;
        core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
        core.mine(1);
        original.sync();
    }
    auto m4 = handOut(original, 4, 1);
    core.cli({"sendtoaddress", m4.front(), "0.3"}, "miner");
    core.mine(1);
    original.sync();
    // Spends: a payment from mixdepth 0 (change back to it) and a sweep of mixdepth 2.
    auto pay = original.run({"send", "--mixdepth", "0", "--amount", "55000000", "--address", miner, "--yes"});
    BOOST_REQUIRE_MESSAGE(pay.exit_code == 0, pay.err);
    core.mine(1);
    original.sync();
    auto sweep = original.run({"send", "--mixdepth", "2", "--sweep", miner, "--yes"});
    BOOST_REQUIRE_MESSAGE(sweep.exit_code == 0, sweep.err);
    core.mine(2);
    waitForFilterIndex(core);

    auto entropy = jm::bitcoin::mnemonicToEntropy(original.mnemonic).value();
    WalletNode restoredCore(core, entropy.view());
    WalletNode restoredNeutrino(core, entropy.view(), neutrinoBackend(port));
    checkSameView(original, restoredCore, "original vs restored on core");
    checkSameView(restoredCore, restoredNeutrino, "restored on core vs restored on neutrino");
    // The gap stepping matters: a light client watching only one script past the used ones
    // must still follow the wallet's own gap limit to every coin.
    WalletNode restoredNarrow(core, entropy.view(), neutrinoBackend(port, ", \"watch_ahead\": 1"));
    checkSameView(restoredCore, restoredNarrow, "restored on core vs restored on neutrino with watch_ahead 1");
    BOOST_CHECK_GE(utxosOf(restoredNeutrino).size(), 3u); // mixdepth 0's coins and change, mixdepth 4's

    for (int m : {0, 2, 4}) {
        auto a = handOut(restoredCore, m, 1), b = handOut(restoredNeutrino, m, 1), c = handOut(original, m, 1);
        BOOST_CHECK_MESSAGE(a == b && a == c, "next receive address of mixdepth " << m << ": " << a.front() << " "
                                                                                  << b.front() << " " << c.front());
    }

    // The original data directory moved from backend-core to backend-neutrino: the same wallet.
    switchBackend(original, neutrinoBackend(port));
    checkSameView(restoredCore, original, "the original wallet switched to neutrino");
}

// A node that does not serve compact filters, and a peer on mainnet's port for a regtest node:
// `jmnode wallet sync` fails with an error that says which and why, and stores nothing wrong.
BOOST_AUTO_TEST_CASE(unusable_peers_are_named) {
    auto port = freeLoopbackPort();
    Bitcoind plain(*findBitcoinCore(),
                   {"-listen=1", "-port=" + std::to_string(port), "-bind=127.0.0.1:" + std::to_string(port)});
    plain.mine(3);
    const auto entropy = jm::bitcoin::Bytes(16, 0x61);
    WalletNode noFilters(plain, entropy, neutrinoBackend(port, ", \"sync_wait\": \"4s\""));
    auto r = noFilters.run({"sync"});
    BOOST_CHECK_NE(r.exit_code, 0);
    BOOST_CHECK_MESSAGE(r.err.find("127.0.0.1:" + std::to_string(port)) != std::string::npos, r.err);
    BOOST_CHECK_MESSAGE(r.err.find("compact block filters") != std::string::npos, r.err);
    BOOST_CHECK_MESSAGE(r.err.find("-peerblockfilters=1") != std::string::npos, r.err);

    WalletNode mainnetPort(plain, entropy, neutrinoBackend(8333));
    auto wrong = mainnetPort.run({"sync"});
    BOOST_CHECK_NE(wrong.exit_code, 0);
    BOOST_CHECK_MESSAGE(wrong.err.find("mainnet") != std::string::npos && wrong.err.find("18444") != std::string::npos,
                        wrong.err);

    // A signet node's config pointed at this regtest node (not on a default port, so only the
    // peer can tell): Core drops the connection on the first message's magic.
    TempDir signet;
    auto config = signet.path() / "node.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (signet.path() / "data").string()
                          << "\", \"network\": \"signet\"},\n  \"plugins\": ["
                          << neutrinoBackend(port, ", \"sync_wait\": \"4s\"")
                          << ", {\"load\": \"fee\", \"factory\": \"fixed\", \"instance\": \"fee\", \"config\": "
                             "{\"sat_vb\": 2}}] }\n";
    auto jmnodeWallet = [&](std::vector<std::string> args, const std::string& input) {
        args.insert(args.begin(), {(binDir() / "jmnode").string(), "wallet"});
        for (const auto& extra : std::vector<std::string>{"--config", config.string(), "--password-fd", "0"})
            args.push_back(extra);
        return runProcess(args, std::chrono::seconds(60), {}, input);
    };
    auto created = jmnodeWallet({"create", "--kdf", "interactive", "--yes", "--json"}, "pw\npw\n");
    BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    auto other = jmnodeWallet({"sync"}, "pw\n");
    BOOST_CHECK_NE(other.exit_code, 0);
    BOOST_CHECK_MESSAGE(other.err.find("127.0.0.1:" + std::to_string(port) +
                                       " closed the connection before its "
                                       "version message") != std::string::npos &&
                            other.err.find("is it a signet node?") != std::string::npos,
                        other.err);
}

BOOST_AUTO_TEST_SUITE_END()
