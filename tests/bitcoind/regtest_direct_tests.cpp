// Direct peer connections in plain-TCP testing mode with real jmnode processes on regtest: a
// jmnode directory, three jmnode makers (`jmnode run`) serving loopback locations and the
// taker (`jmnode coinjoin send`, direct_connections "tcp"). The CoinJoin's private messages go
// over the direct connections (each maker's status counts them); and makers whose announced
// location is dead, or stalls, or who serve none, still CoinJoin through the directory.
// Needs bitcoind; without it: "SKIPPED: no bitcoind", exit 77.
#include "jmnode_processes.hpp"

#include <util/bitcoind.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

using namespace jm::test;
using namespace jm::test::regtest;
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

//! A loopback port bound without listening: connections are refused and nobody else takes it
//! while `socket` lives.
std::uint16_t deadPort(asio::ip::tcp::socket& socket) {
    socket.open(asio::ip::tcp::v4());
    socket.bind({asio::ip::make_address("127.0.0.1"), 0});
    return socket.local_endpoint().port();
}

//! A `jmnode run` maker (backend-core, yieldgen basic) with `direct` config keys of its own.
struct MakerNode {
    MakerNode(Bitcoind& core, std::uint16_t directory_port, std::uint8_t seed, const json::object& direct) :
        entropy(16, seed) {
        config = dir.path() / "maker.json";
        data = dir.path() / "data";
        std::filesystem::create_directories(data);
        json::object maker{{"backend", "core"},
                           {"yieldgen", "yg"},
                           {"directories", json::array{json::string("127.0.0.1:" + std::to_string(directory_port))}},
                           {"password_file", "password"},
                           {"taker_utxo_age", 5}};
        for (const auto& [k, v] : direct)
            maker[k] = v;
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\"},\n"
                              << "  \"plugins\": [\n"
                              << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                              << core.rpcPort() << ", \"rpc_cookie\": \"" << core.cookie().string()
                              << "\", \"poll_interval\": \"200ms\"}},\n"
                              << "    {\"load\": \"yieldgen\", \"factory\": \"basic\", \"instance\": \"yg\", "
                                 "\"config\": {\"cjfee_r\": \"0.0002\", \"txfee_contribution\": 300}},\n"
                              << "    {\"load\": \"maker\", \"instance\": \"maker\", \"config\": "
                              << json::serialize(maker) << "}\n  ] }\n";
        writePassword(data);
        auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto r = runProcess(
            {jmnode(), "wallet", "recover", "--kdf", "interactive", "--config", config.string(), "--password-fd", "0"},
            std::chrono::seconds(120), {}, words + "\npw\npw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        mirror.emplace(
            jm::wallet::Wallet::create(
                store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive}, entropy, "", "pw")
                .value());
    }
    std::string address() { return mirror->addressAt(0, 0, 0).value().address; }
    void start() {
        process =
            std::make_unique<ChildProcess>(std::vector<std::string>{jmnode(), "run", "--config", config.string()});
        BOOST_REQUIRE_MESSAGE(process->waitForOutput("ready;", std::chrono::seconds(120)), process->output());
    }
    //! Stops the node (SIGTERM) and returns the "direct" object of its final status.
    json::object stopAndReadDirect() {
        process->signal(SIGTERM);
        auto r = process->wait(std::chrono::seconds(30));
        BOOST_CHECK_EQUAL(r.exit_code, 0);
        boost::system::error_code ec;
        auto status = json::parse(readFile(data / "maker-status.json"), ec);
        BOOST_REQUIRE_MESSAGE(!ec && status.is_object() && status.as_object().contains("direct"),
                              "no direct status: " + readFile(data / "maker-status.json"));
        return status.at("direct").as_object();
    }

    TempDir dir;
    std::filesystem::path config, data;
    jm::bitcoin::Bytes entropy;
    jm::sdk::testing::MemoryKvStore store;
    std::optional<jm::wallet::Wallet> mirror;
    std::unique_ptr<ChildProcess> process;
};

//! The taker's node config (backend-core, the test chooser, the taker) and its funded wallet.
struct TakerNode {
    TakerNode(Bitcoind& core, std::uint16_t directory_port, const std::string& direct_mode) {
        data = dir.path() / "data";
        std::filesystem::create_directories(data);
        config = dir.path() / "taker.json";
        std::ofstream(config)
            << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\", \"plugin_dir\": [\""
            << JM_TEST_PLUGIN_DIR << "\"]},\n"
            << "  \"plugins\": [\n"
            << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": " << core.rpcPort()
            << ", \"rpc_cookie\": \"" << core.cookie().string() << "\", \"poll_interval\": \"200ms\"}},\n"
            << "    {\"load\": \"test_chooser\", \"instance\": \"cheapest\"},\n"
            << "    {\"load\": \"taker\", \"instance\": \"taker\", \"config\": {\"backend\": \"core\", "
               "\"chooser\": \"cheapest\", \"directories\": [\"127.0.0.1:"
            << directory_port
            << "\"], \"makers\": 3, \"minimum_makers\": 3, \"wait_confirmations\": 0, "
               "\"orderbook_quiet\": \"2s\", \"tx_broadcast\": \"self\", \"direct_connections\": \""
            << direct_mode << "\", \"direct_timeout\": \"2s\", \"maker_timeout\": \"30s\"}}\n"
            << "  ] }\n";
        jm::bitcoin::Bytes entropy(16, 0x7e);
        auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto recovered = runProcess(
            {jmnode(), "wallet", "recover", "--kdf", "interactive", "--config", config.string(), "--password-fd", "0"},
            std::chrono::seconds(120), {}, words + "\npw\npw\n");
        BOOST_REQUIRE_MESSAGE(recovered.exit_code == 0, recovered.err);
        auto mirror =
            jm::wallet::Wallet::create(
                store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive}, entropy, "", "pw")
                .value();
        address = mirror.addressAt(0, 0, 0).value().address;
    }
    //! `jmnode coinjoin send -v` of 0.2 BTC to `to`; returns its output.
    ProcessResult send(const std::string& to) {
        return runProcess({jmnode(), "coinjoin", "send", "--config", config.string(), "--mixdepth", "0", "--amount",
                           "20000000", "--to", to, "--makers", "3", "--password-fd", "0", "--yes", "--verbose"},
                          std::chrono::seconds(240), {}, "pw\n");
    }
    TempDir dir;
    std::filesystem::path config, data;
    jm::sdk::testing::MemoryKvStore store;
    std::string address;
};

std::string minerAddress(Bitcoind& core) {
    auto a = core.cli({"getnewaddress"}, "miner");
    while (!a.empty() && (a.back() == '\n' || a.back() == '\r'))
        a.pop_back();
    return a;
}

//! Funds and starts the makers and the taker; the chain has the coins confirmed.
void fundAll(Bitcoind& core, std::vector<std::unique_ptr<MakerNode>>& makers, TakerNode& taker) {
    json::object amounts;
    for (auto& m : makers)
        amounts[m->address()] = 1.0;
    amounts[taker.address] = 0.5;
    core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    core.mine(6);
}

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(regtest_direct)

BOOST_AUTO_TEST_CASE(the_coinjoin_private_messages_go_over_direct_connections) {
    Bitcoind core(*findBitcoinCore());
    DirectoryProcess directory;
    std::vector<std::unique_ptr<MakerNode>> makers;
    for (std::uint8_t i = 0; i < 3; ++i)
        makers.push_back(std::make_unique<MakerNode>(core, directory.port, static_cast<std::uint8_t>(0x70 + i),
                                                     json::object{{"direct_listen", "127.0.0.1:0"}}));
    TakerNode taker(core, directory.port, "tcp");
    fundAll(core, makers, taker);
    for (auto& m : makers)
        m->start();
    for (auto& m : makers)
        BOOST_CHECK_MESSAGE(m->process->output().find("accepting direct connections on 127.0.0.1:") !=
                                std::string::npos,
                            m->process->output());

    auto to = minerAddress(core);
    auto sent = taker.send(to);
    BOOST_REQUIRE_MESSAGE(sent.exit_code == 0, sent.out + sent.err);
    sent.err += sent.out; // the log, wherever the console sink writes it
    BOOST_CHECK_EQUAL(core.cliJson({"getrawmempool"}).as_array().size(), 1u);
    // The taker dialled each maker at the location the directory listed.
    std::size_t ups = 0;
    for (std::size_t at = 0; (at = sent.err.find(" is up", at)) != std::string::npos; ++at)
        ++ups;
    BOOST_CHECK_MESSAGE(ups == 3, sent.out + sent.err);
    BOOST_CHECK_MESSAGE(sent.err.find("went over 3 direct connection(s)") != std::string::npos, sent.err);

    core.mine(1);
    auto got = core.cliJson({"getreceivedbyaddress", to, "1"}, "miner");
    BOOST_CHECK_EQUAL(std::llround(got.to_number<double>() * 1e8), 20'000'000);
    for (auto& m : makers) {
        auto direct = m->stopAndReadDirect();
        BOOST_TEST_MESSAGE("maker direct status: " << json::serialize(direct));
        // The connection is dialled with the !fill (which goes through the directory); !auth takes
        // it when it is up by then (a loaded machine may not be), !tx always does here, and the
        // maker answers on the channel the taker last used: !ioauth and each !sig come back on it.
        BOOST_CHECK_GE(direct.at("received").to_number<std::int64_t>(), 1);
        BOOST_CHECK_EQUAL(direct.at("sent").to_number<std::int64_t>(), direct.at("received").to_number<std::int64_t>());
        BOOST_CHECK_EQUAL(direct.at("accepted").to_number<std::int64_t>(), 1);
        BOOST_CHECK(direct.at("location").as_string().starts_with("127.0.0.1:"));
    }
}

BOOST_AUTO_TEST_CASE(dead_stalling_and_absent_locations_fall_back_to_the_directory) {
    Bitcoind core(*findBitcoinCore());
    DirectoryProcess directory;
    // Accepts and never answers: the taker's handshake timeout ends it.
    asio::io_context stall_context;
    asio::ip::tcp::acceptor stall(stall_context, {asio::ip::make_address("127.0.0.1"), 0});
    std::vector<asio::ip::tcp::socket> held;
    std::atomic<bool> stop_stalling{false};
    std::thread staller([&] {
        stall.non_blocking(true);
        while (!stop_stalling) {
            boost::system::error_code ec;
            asio::ip::tcp::socket s(stall_context);
            stall.accept(s, ec);
            if (!ec) held.push_back(std::move(s));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    asio::ip::tcp::socket dead(stall_context);
    auto dead_port = deadPort(dead);
    std::vector<std::unique_ptr<MakerNode>> makers;
    makers.push_back(std::make_unique<MakerNode>(
        core, directory.port, 0x74,
        json::object{{"direct_listen", "127.0.0.1:0"}, {"direct_announce", "127.0.0.1:" + std::to_string(dead_port)}}));
    makers.push_back(std::make_unique<MakerNode>(
        core, directory.port, 0x75,
        json::object{{"direct_listen", "127.0.0.1:0"},
                     {"direct_announce", "127.0.0.1:" + std::to_string(stall.local_endpoint().port())}}));
    makers.push_back(std::make_unique<MakerNode>(core, directory.port, 0x76, json::object{}));
    TakerNode taker(core, directory.port, "tcp");
    fundAll(core, makers, taker);
    for (auto& m : makers)
        m->start();

    auto to = minerAddress(core);
    auto sent = taker.send(to);
    stop_stalling = true;
    staller.join();
    BOOST_REQUIRE_MESSAGE(sent.exit_code == 0, sent.out + sent.err);
    sent.err += sent.out;
    BOOST_CHECK_EQUAL(core.cliJson({"getrawmempool"}).as_array().size(), 1u);
    BOOST_CHECK_MESSAGE(sent.err.find("cannot connect to 127.0.0.1:") != std::string::npos, sent.err);
    // The stalling maker was dialled, and the round did not wait for its handshake.
    BOOST_CHECK_GE(held.size(), 1u);
    BOOST_CHECK_MESSAGE(sent.err.find(" is up") == std::string::npos, sent.err);
    core.mine(1);
    auto got = core.cliJson({"getreceivedbyaddress", to, "1"}, "miner");
    BOOST_CHECK_EQUAL(std::llround(got.to_number<double>() * 1e8), 20'000'000);
    std::vector<json::object> statuses;
    for (auto& m : makers)
        statuses.push_back(m->stopAndReadDirect());
    for (const auto& direct : statuses)
        BOOST_CHECK_EQUAL(direct.at("received").to_number<std::int64_t>(), 0);
    BOOST_CHECK_EQUAL(statuses[2].at("location").as_string(), "NOT-SERVING-ONION");
}

BOOST_AUTO_TEST_SUITE_END()
