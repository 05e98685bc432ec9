// CoinJoins with backend-neutrino on a real Bitcoin Core (regtest, -blockfilterindex=1
// -peerblockfilters=1): a light-client taker (`jmnode coinjoin send`, P2P to Core) with
// core-backed `jmnode run` makers; a light-client maker serving a core-backed taker; and a
// light-client taker facing a maker that does not advertise neutrino_compat (a scripted REF-like
// maker). One bitcoind, directory and maker market serve every case (in declaration order; each
// case also runs alone). Needs bitcoind; without it: "SKIPPED: no bitcoind", exit 77.
#include "jmnode_processes.hpp"
#include <taker_harness.hpp>

#include <util/bitcoind.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/protocol/utxo_string.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

using namespace jm::test;
using namespace jm::test::regtest;
namespace json = boost::json;

namespace {

constexpr std::int64_t AMOUNT = 20'000'000; //!< each CoinJoin pays this to its destination

//! The config entries of a node's backend instance and the fixed fee instance a light client
//! needs (backend-neutrino has no fee estimates).
std::string backendEntries(Bitcoind& core, std::uint16_t p2p_port, bool neutrino) {
    std::string fee = "    {\"load\": \"fee\", \"factory\": \"fixed\", \"instance\": \"fee\", \"config\": "
                      "{\"sat_vb\": 2}},\n";
    if (neutrino)
        return "    {\"load\": \"backend-neutrino\", \"factory\": \"neutrino\", \"instance\": \"chain\", \"config\": "
               "{\"peers\": [\"127.0.0.1:" +
               std::to_string(p2p_port) + "\"], \"connect_timeout\": \"2s\"}},\n" + fee;
    return "    {\"load\": \"backend-core\", \"instance\": \"chain\", \"config\": {\"rpc_port\": " +
           std::to_string(core.rpcPort()) + ", \"rpc_cookie\": \"" + core.cookie().string() +
           "\", \"poll_interval\": \"200ms\"}},\n" + fee;
}

//! Recovers the wallet of `entropy` into the node of `config` (password "pw").
void recoverWallet(const std::filesystem::path& config, const jm::bitcoin::Bytes& entropy) {
    auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
    auto r = runProcess(
        {jmnode(), "wallet", "recover", "--kdf", "interactive", "--config", config.string(), "--password-fd", "0"},
        std::chrono::seconds(120), {}, words + "\npw\npw\n");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

//! The same seed in memory, to know a node's addresses.
std::string firstAddress(const jm::bitcoin::Bytes& entropy) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet =
        jm::wallet::Wallet::create(store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                   entropy, "", "pw")
            .value();
    return wallet.addressAt(0, 0, 0).value().address;
}

//! `jmnode wallet <args> --json` of a stopped node: its JSON answer.
json::object walletJson(const std::filesystem::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {jmnode(), "wallet"});
    for (const auto& extra : {std::string("--config"), config.string(), std::string("--password-fd"), std::string("0"),
                              std::string("--json")})
        args.push_back(extra);
    auto r = runProcess(args, std::chrono::seconds(120), {}, "pw\n");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    boost::system::error_code ec;
    auto v = json::parse(r.out, ec);
    BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not JSON: " + r.out);
    return v.as_object();
}

//! What the wallet of a stopped node netted in transaction `txid` (received − spent), after a
//! sync through its own backend.
std::int64_t nettedIn(const std::filesystem::path& config, const std::string& txid) {
    (void)walletJson(config, {"sync"});
    auto history = walletJson(config, {"history"});
    for (const auto& t : history.at("history").as_array())
        if (t.at("txid").as_string() == txid)
            return t.at("received").to_number<std::int64_t>() - t.at("spent").to_number<std::int64_t>();
    BOOST_FAIL("transaction " + txid + " is not in the wallet's history: " + json::serialize(history));
    return 0;
}

//! A `jmnode run` maker (yieldgen basic) on backend-core or backend-neutrino.
struct MakerNode {
    MakerNode(Bitcoind& core, std::uint16_t p2p_port, std::uint16_t directory_port, std::uint8_t seed, bool neutrino,
              const std::string& cjfee) :
        entropy(16, seed) {
        config = dir.path() / "maker.json";
        data = dir.path() / "data";
        std::filesystem::create_directories(data);
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\"},\n"
                              << "  \"plugins\": [\n"
                              << backendEntries(core, p2p_port, neutrino)
                              << "    {\"load\": \"yieldgen\", \"factory\": \"basic\", \"instance\": \"yg\", "
                                 "\"config\": {\"cjfee_r\": \""
                              << cjfee << "\", \"txfee_contribution\": 300}},\n"
                              << "    {\"load\": \"maker\", \"instance\": \"maker\", \"config\": {\"backend\": "
                                 "\"chain\", \"fee\": \"fee\", \"yieldgen\": \"yg\", \"directories\": [\"127.0.0.1:"
                              << directory_port
                              << "\"], \"password_file\": \"password\", \"taker_utxo_age\": 5, "
                                 "\"serve_direct\": false}}\n  ] }\n";
        writePassword(data);
        recoverWallet(config, entropy);
        address = firstAddress(entropy);
    }
    void start() {
        process =
            std::make_unique<ChildProcess>(std::vector<std::string>{jmnode(), "run", "--config", config.string()});
    }
    void waitReady() {
        BOOST_REQUIRE_MESSAGE(process->waitForOutput("ready;", std::chrono::seconds(120)), process->output());
    }
    bool running() const { return process != nullptr; }
    void stop() {
        if (!process) return;
        process->signal(SIGTERM);
        auto r = process->wait(std::chrono::seconds(30));
        BOOST_CHECK_EQUAL(r.exit_code, 0);
        process.reset();
    }

    TempDir dir;
    std::filesystem::path config, data;
    jm::bitcoin::Bytes entropy;
    std::string address;
    std::unique_ptr<ChildProcess> process;
};

//! A taker node (`jmnode coinjoin send`) on backend-core or backend-neutrino, its wallet funded
//! by the market.
struct TakerNode {
    TakerNode(Bitcoind& core, std::uint16_t p2p_port, std::uint16_t directory_port, std::uint8_t seed, bool neutrino,
              int minimum_makers) {
        data = dir.path() / "data";
        std::filesystem::create_directories(data);
        config = dir.path() / "taker.json";
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << data.string()
                              << "\", \"network\": \"regtest\", \"plugin_dir\": [\"" << JM_TEST_PLUGIN_DIR << "\"]},\n"
                              << "  \"plugins\": [\n"
                              << backendEntries(core, p2p_port, neutrino)
                              << "    {\"load\": \"test_chooser\", \"instance\": \"cheapest\"},\n"
                              << "    {\"load\": \"taker\", \"instance\": \"taker\", \"config\": {\"backend\": "
                                 "\"chain\", \"fee\": \"fee\", \"chooser\": \"cheapest\", \"directories\": "
                                 "[\"127.0.0.1:"
                              << directory_port << "\"], \"makers\": 3, \"minimum_makers\": " << minimum_makers
                              << ", \"wait_confirmations\": 0, \"orderbook_quiet\": \"2s\", \"tx_broadcast\": "
                                 "\"self\", \"direct_connections\": \"off\", \"maker_timeout\": \"30s\"}}\n"
                              << "  ] }\n";
        jm::bitcoin::Bytes entropy(16, seed);
        recoverWallet(config, entropy);
        address = firstAddress(entropy);
    }
    //! `jmnode coinjoin send -v` of AMOUNT to `to` from mixdepth 0 with 3 makers; its output
    //! (stdout and the log) in `out`.
    ProcessResult send(const std::string& to) {
        auto r = runProcess({jmnode(), "coinjoin", "send", "--config", config.string(), "--mixdepth", "0", "--amount",
                             std::to_string(AMOUNT), "--to", to, "--makers", "3", "--password-fd", "0", "--yes",
                             "--verbose"},
                            std::chrono::seconds(180), {}, "pw\n");
        r.out += r.err; // the log, wherever the console sink writes it
        return r;
    }
    TempDir dir;
    std::filesystem::path config, data;
    std::string address;
};

void waitForFilterIndex(Bitcoind& core) {
    auto tip = core.cli({"getblockcount"});
    while (!tip.empty() && (tip.back() == '\n' || tip.back() == '\r'))
        tip.pop_back();
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

//! The txid a `jmnode coinjoin send -v` run printed ("txid": or "txid ..."), found as the one
//! transaction in Core's mempool.
std::string mempoolTxid(Bitcoind& core) {
    auto mempool = core.cliJson({"getrawmempool"}).as_array();
    BOOST_REQUIRE_EQUAL(mempool.size(), 1u);
    return std::string(mempool[0].as_string());
}

//! Satoshis `txid` pays to `address` (Core's view of the confirmed transaction).
std::int64_t paidTo(Bitcoind& core, const std::string& txid, const std::string& address) {
    auto block = core.cliJson({"gettransaction", txid}, "miner").at("blockhash").as_string();
    auto tx = core.cliJson({"getrawtransaction", txid, "true", std::string(block)});
    std::int64_t sum = 0;
    for (const auto& o : tx.at("vout").as_array()) {
        const auto& spk = o.at("scriptPubKey").as_object();
        if (spk.contains("address") && spk.at("address").as_string() == address)
            sum += std::llround(o.at("value").to_number<double>() * 1e8);
    }
    return sum;
}

//! One bitcoind serving P2P with compact filters, a jmnode directory, three core-backed makers
//! (relative fee 0.0002), a neutrino-backed maker (0.0001, started by the case that needs it)
//! and three funded takers. Built by the first case that asks, torn down at exit.
struct Market {
    Market() :
        p2p_port(freeLoopbackPort()), core(*findBitcoinCore(), {"-listen=1", "-port=" + std::to_string(p2p_port),
                                                                "-bind=127.0.0.1:" + std::to_string(p2p_port),
                                                                "-blockfilterindex=1", "-peerblockfilters=1"}) {
        for (std::uint8_t i = 0; i < 3; ++i)
            core_makers.push_back(std::make_unique<MakerNode>(core, p2p_port, directory.port,
                                                              static_cast<std::uint8_t>(0x40 + i), false, "0.0002"));
        neutrino_maker = std::make_unique<MakerNode>(core, p2p_port, directory.port, 0x48, true, "0.0001");
        neutrino_taker = std::make_unique<TakerNode>(core, p2p_port, directory.port, 0x50, true, 3);
        refusing_taker = std::make_unique<TakerNode>(core, p2p_port, directory.port, 0x51, true, 2);
        core_taker = std::make_unique<TakerNode>(core, p2p_port, directory.port, 0x52, false, 3);
        json::object amounts;
        for (auto& m : core_makers)
            amounts[m->address] = 1.0;
        amounts[neutrino_maker->address] = 1.0;
        for (auto* t : {neutrino_taker.get(), refusing_taker.get(), core_taker.get()})
            amounts[t->address] = 0.5;
        core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
        core.mine(6); // the takers' coins are old enough for taker_utxo_age 5
        waitForFilterIndex(core);
        for (auto& m : core_makers)
            m->start();
        for (auto& m : core_makers)
            m->waitReady();
    }
    //! The three core-backed makers run (a case that stopped them restarts them).
    void coreMakersUp() {
        for (auto& m : core_makers)
            if (!m->running()) m->start();
        for (auto& m : core_makers)
            m->waitReady();
    }
    std::string destination() { return core.minerAddress(); }
    //! Mines the CoinJoin `txid` and waits until Core's filters cover its block.
    void confirm(const std::string& txid) {
        core.mine(1);
        BOOST_CHECK_EQUAL(core.cliJson({"gettransaction", txid}, "miner").at("confirmations").to_number<int>(), 1);
        waitForFilterIndex(core);
    }

    std::uint16_t p2p_port;
    Bitcoind core;
    DirectoryProcess directory;
    std::vector<std::unique_ptr<MakerNode>> core_makers;
    std::unique_ptr<MakerNode> neutrino_maker;
    std::unique_ptr<TakerNode> neutrino_taker, refusing_taker, core_taker;
};

std::unique_ptr<Market> g_market;

Market& market() {
    if (!g_market) g_market = std::make_unique<Market>();
    return *g_market;
}

//! Stops the shared market's processes before the test runner exits.
struct MarketTeardown {
    ~MarketTeardown() { g_market.reset(); }
};

std::chrono::steady_clock::time_point g_started;
void logTook(const std::string& what) {
    BOOST_TEST_MESSAGE(
        what
        << " took "
        << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - g_started).count()
        << " ms");
}

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);
BOOST_GLOBAL_FIXTURE(MarketTeardown);

BOOST_AUTO_TEST_SUITE(neutrino_coinjoin_regtest)

BOOST_AUTO_TEST_CASE(a_neutrino_maker_serves_a_core_taker) {
    auto& m = market();
    m.coreMakersUp();
    m.neutrino_maker->start();
    m.neutrino_maker->waitReady();
    auto to = m.destination();
    g_started = std::chrono::steady_clock::now();
    auto sent = m.core_taker->send(to);
    logTook("the core taker's round with the neutrino maker");
    BOOST_REQUIRE_MESSAGE(sent.exit_code == 0, sent.out + m.neutrino_maker->process->output());
    auto txid = mempoolTxid(m.core);
    m.confirm(txid);
    BOOST_CHECK_EQUAL(paidTo(m.core, txid, to), AMOUNT);
    // The cheapest maker was chosen: it checked the taker's coin through the extended utxo's hint
    // and signed; its wallet, synced through neutrino afterwards, netted its fee.
    auto log = m.neutrino_maker->process->output();
    m.neutrino_maker->stop();
    BOOST_CHECK_EQUAL(nettedIn(m.neutrino_maker->config, txid), AMOUNT / 10'000 - 300);
    BOOST_CHECK_MESSAGE(log.find("!fill from") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(a_neutrino_taker_refuses_a_maker_without_neutrino_compat) {
    auto& m = market();
    m.coreMakersUp();
    // Two makers listed with neutrino_compat, three wanted: the taker chooses among all, and the
    // REF-like maker (no neutrino_compat in its handshake or !pubkey), the cheapest, is filled.
    m.core_makers[2]->stop();
    ChainHub hub; // its coin lives on the SDK test chain: it is dropped before anyone looks
    HostileMaker legacy(hub, m.directory.port, Misbehaviour::None, "0.00001");
    legacy.setNeutrinoCompat(false);
    legacy.setNetwork("regtest");
    legacy.start();
    auto to = m.destination();
    g_started = std::chrono::steady_clock::now();
    auto sent = m.refusing_taker->send(to);
    logTook("the neutrino taker's round that refused a legacy maker");
    BOOST_REQUIRE_MESSAGE(sent.exit_code == 0, sent.out);
    BOOST_CHECK_GE(legacy.fills(), 1);
    BOOST_CHECK_EQUAL(legacy.authUtxo(), ""); // never given the commitment's opening
    BOOST_CHECK_EQUAL(legacy.txs(), 0);
    // Refused with the reference text, naming the maker.
    auto refusal = "maker " + legacy.nick() + " dropped: " + std::string(jm::protocol::NEUTRINO_INCOMPATIBLE_ERROR);
    BOOST_CHECK_MESSAGE(sent.out.find(refusal) != std::string::npos, sent.out);
    BOOST_CHECK_MESSAGE(
        sent.out.find("only 2 qualifying maker(s) are listed with neutrino_compat") != std::string::npos, sent.out);
    // The other two (minimum_makers 2) completed it.
    BOOST_CHECK_MESSAGE(sent.out.find("[tx] !tx to 2 makers") != std::string::npos, sent.out);
    auto txid = mempoolTxid(m.core);
    m.confirm(txid);
    BOOST_CHECK_EQUAL(paidTo(m.core, txid, to), AMOUNT);
}

BOOST_AUTO_TEST_CASE(a_neutrino_taker_coinjoins_with_core_makers) {
    auto& m = market();
    m.coreMakersUp();
    // The cheapest offer is a REF-like maker's: the peerlist lists the three jmnode makers with
    // neutrino_compat (their directory handshake), so the light client never fills it.
    ChainHub hub;
    HostileMaker legacy(hub, m.directory.port, Misbehaviour::None, "0.00001");
    legacy.setNetwork("regtest");
    legacy.start();
    auto to = m.destination();
    g_started = std::chrono::steady_clock::now();
    auto sent = m.neutrino_taker->send(to);
    logTook("the neutrino taker's round (`jmnode coinjoin send`)");
    BOOST_REQUIRE_MESSAGE(sent.exit_code == 0, sent.out);
    BOOST_CHECK_EQUAL(legacy.fills(), 0);
    BOOST_CHECK_MESSAGE(sent.out.find("[tx] !tx to 3 makers") != std::string::npos, sent.out);
    auto txid = mempoolTxid(m.core);
    BOOST_CHECK_MESSAGE(sent.out.find(txid) != std::string::npos, sent.out);
    m.confirm(txid);
    BOOST_CHECK_EQUAL(paidTo(m.core, txid, to), AMOUNT);
    // Each maker's wallet, synced afterwards (the node stopped: it owns its data directory),
    // netted its relative fee (0.0002 of the amount) less its txfee contribution (300 sat).
    for (auto& maker : m.core_makers) {
        maker->stop();
        BOOST_CHECK_EQUAL(nettedIn(maker->config, txid), AMOUNT * 2 / 10'000 - 300);
    }
}

BOOST_AUTO_TEST_SUITE_END()
