// maker: how fast the maker answers each CoinJoin step on loopback, and how much memory a
// running maker uses.
//
// Latency (no bitcoind needed): the real maker (plugin core on its own strand and thread), a
// directory server and a scripted taker in this process, all on loopback, the SDK test chain as
// backend. Each round times !fill -> !pubkey, !auth -> !ioauth (includes the backend's check of
// the taker's coin, coin selection and the synced writes before the reveal) and !tx -> the last
// !sig (transaction checks, signing, the synced write before the signatures leave); then the
// CoinJoin is broadcast and mined and the maker resyncs (untimed).
//
// Memory (needs bitcoind, found like the regtest tests): a `jmnode run` maker with the
// backend-core, yieldgen and maker plugins connected to three directories, its VmRSS after it is
// ready and after CoinJoins.
//
//   bench_maker [--rounds 50]
#include <maker_harness.hpp>
#include <util/bitcoind.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

using namespace jm::test;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void report(const char* name, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]; };
    std::printf("%-28s median %7.2f ms   p90 %7.2f ms   max %7.2f ms   (%zu rounds)\n", name, at(0.5), at(0.9),
                v.back(), v.size());
}

void latency(int rounds) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.coins = {{0, 2'000'000'000}, {1, 1'000'000'000}};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    ScriptedTaker taker(hub, directory.port());
    std::vector<double> fill, auth, tx;
    for (int i = 0; i < rounds; ++i) {
        const std::int64_t amount = 5'000'000;
        auto coin = taker.fund(amount * 2);
        hub.mine(6);
        auto [commitment, opening] = ScriptedTaker::podle(coin);
        auto offer = maker.offers().front();
        auto t0 = Clock::now();
        if (!taker.fill(maker.nick(), offer.oid, amount, commitment)) throw std::runtime_error("no !pubkey");
        auto t1 = Clock::now();
        taker.auth(maker.nick(), opening);
        auto reply = taker.waitIoauth(maker.nick());
        auto t2 = Clock::now();
        if (!reply) throw std::runtime_error("no !ioauth");
        auto plan = buildCoinjoin(hub.chain(), {*reply}, {coin}, amount, {offer.txfee},
                                  {jm::protocol::realCjfee(offer, amount).value()});
        auto t3 = Clock::now();
        taker.sendTx(maker.nick(), plan.tx);
        auto sigs = taker.waitSigs(maker.nick(), reply->utxos.size());
        auto t4 = Clock::now();
        if (sigs.size() != reply->utxos.size() || applySignatures(plan, sigs) != sigs.size())
            throw std::runtime_error("bad signatures");
        fill.push_back(ms(t1 - t0));
        auth.push_back(ms(t2 - t1));
        tx.push_back(ms(t4 - t3));
        if (!hub.chain().submit(plan.tx.serialize())) throw std::runtime_error("not accepted");
        hub.mine(1);
        eventually([&] { return maker.lockedCoins() == 0; });
    }
    std::printf("maker latency on loopback (one directory, SDK test chain):\n");
    report("!fill -> !pubkey", fill);
    report("!auth -> !ioauth", auth);
    report("!tx -> last !sig", tx);
}

std::int64_t rssKb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6));
    return -1;
}

void memory(int coinjoins) {
    auto paths = findBitcoinCore();
    if (!paths) {
        std::printf("memory: SKIPPED (no bitcoind)\n");
        return;
    }
    Bitcoind core(*paths);
    TestDirectory d1("regtest"), d2("regtest"), d3("regtest");
    TempDir dir;
    auto data = dir.path() / "data";
    std::filesystem::create_directories(data);
    auto config = dir.path() / "maker.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\"},\n"
                          << "  \"log\": {\"level\": \"info\"},\n  \"plugins\": [\n"
                          << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                          << core.rpcPort() << ", \"rpc_cookie\": \"" << core.cookie().string()
                          << "\", \"poll_interval\": \"200ms\"}},\n"
                          << "    {\"load\": \"yieldgen\", \"factory\": \"basic\", \"instance\": \"yg\"},\n"
                          << "    {\"load\": \"maker\", \"instance\": \"maker\", \"config\": {\"backend\": \"core\", "
                             "\"yieldgen\": \"yg\", \"directories\": [\"127.0.0.1:"
                          << d1.port() << "\", \"127.0.0.1:" << d2.port() << "\", \"127.0.0.1:" << d3.port()
                          << "\"], \"password_file\": \"password\"}}\n  ] }\n";
    std::ofstream(data / "password") << "pw\n";
    std::filesystem::permissions(data / "password",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    jm::bitcoin::Bytes entropy(16, 0x55);
    auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
    auto jmnode = (binDir() / "jmnode").string();
    auto r = runProcess(
        {jmnode, "wallet", "recover", "--kdf", "interactive", "--config", config.string(), "--password-fd", "0"},
        std::chrono::seconds(120), {}, words + "\npw\npw\n");
    if (r.exit_code != 0) throw std::runtime_error("wallet recover: " + r.err);
    jm::sdk::testing::MemoryKvStore kv;
    auto mirror =
        jm::wallet::Wallet::create(kv, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                   entropy, "", "pw")
            .value();
    for (int m = 0; m < 2; ++m)
        core.cli({"sendtoaddress", mirror.addressAt(m, 0, 0).value().address, "5"}, "miner");
    core.mine(1);
    ChildProcess node({jmnode, "run", "--config", config.string()});
    if (!node.waitForOutput("ready;", std::chrono::seconds(120))) throw std::runtime_error(node.output());
    std::this_thread::sleep_for(std::chrono::seconds(3)); // all three directories, first sync done
    std::printf("maker VmRSS with 3 directories, ready:            %6.1f MiB\n",
                static_cast<double>(rssKb(node.pid())) / 1024);

    ScriptedTaker taker(nullptr, d1.port(), "regtest");
    std::string nick;
    jm::protocol::Offer offer;
    for (int i = 0; i < 30 && nick.empty(); ++i) {
        taker.sendPublic("orderbook");
        for (const auto& m : taker.pending())
            if (m.command == "sw0reloffer") {
                nick = m.from;
                offer = jm::protocol::parseOffer(jm::protocol::splitCommands(m.command + " " + m.text).value().front())
                            .value();
            }
    }
    if (nick.empty()) throw std::runtime_error("no offer from the maker");
    std::vector<double> fill, auth, tx;
    for (int i = 0; i < coinjoins; ++i) {
        auto key = jm::bitcoin::PrivateKey::generate();
        auto spk = jm::bitcoin::p2wpkhScript(key.publicKey());
        auto txid =
            core.cli({"sendtoaddress", jm::bitcoin::scriptToAddress(spk, jm::bitcoin::Network::Regtest).value(), "0.2"},
                     "miner");
        while (!txid.empty() && std::isspace(static_cast<unsigned char>(txid.back())))
            txid.pop_back();
        auto raw = core.cliJson({"getrawtransaction", txid, "true"}); // in the mempool: no -txindex needed
        core.mine(6);
        TakerCoin coin{key, {}, 20'000'000, spk};
        for (const auto& out : raw.at("vout").as_array())
            if (out.at("scriptPubKey").at("hex").as_string() == jm::bitcoin::toHex(spk))
                coin.outpoint = {jm::bitcoin::hashFromDisplayHex(txid).value(),
                                 static_cast<std::uint32_t>(out.at("n").to_number<int>())};
        auto [commitment, opening] = ScriptedTaker::podle(coin);
        auto t0 = Clock::now();
        if (!taker.fill(nick, offer.oid, 10'000'000, commitment, std::chrono::seconds(20)))
            throw std::runtime_error("no !pubkey");
        auto t1 = Clock::now();
        taker.auth(nick, opening);
        auto reply = taker.waitIoauth(nick, std::chrono::seconds(30));
        auto t2 = Clock::now();
        if (!reply) throw std::runtime_error("no !ioauth");
        auto lookup = [&core](const jm::bitcoin::OutPoint& o) -> std::optional<jm::chain::TxOutInfo> {
            auto v = core.cliJson({"gettxout", o.toString().substr(0, 64), std::to_string(o.vout)});
            if (!v.is_object()) return std::nullopt;
            return jm::chain::TxOutInfo{
                static_cast<std::int64_t>(std::llround(v.at("value").to_number<double>() * 1e8)),
                jm::bitcoin::fromHex(v.at("scriptPubKey").at("hex").as_string()).value(), 1, false};
        };
        auto plan =
            buildCoinjoin(lookup, {*reply}, {coin}, 10'000'000, {offer.txfee},
                          {jm::protocol::realCjfee(offer, 10'000'000).value()}, 5000, jm::bitcoin::Network::Regtest);
        auto t3 = Clock::now();
        taker.sendTx(nick, plan.tx);
        auto sigs = taker.waitSigs(nick, reply->utxos.size(), std::chrono::seconds(30));
        auto t4 = Clock::now();
        fill.push_back(ms(t1 - t0));
        auth.push_back(ms(t2 - t1));
        tx.push_back(ms(t4 - t3));
        applySignatures(plan, sigs);
        core.cli({"sendrawtransaction", jm::bitcoin::toHex(plan.tx.serialize())});
        core.mine(1);
        std::this_thread::sleep_for(std::chrono::seconds(2)); // seen, confirmed, resynced
    }
    std::printf("maker VmRSS with 3 directories, after %d CoinJoins: %6.1f MiB\n", coinjoins,
                static_cast<double>(rssKb(node.pid())) / 1024);
    std::printf("`jmnode run` maker (RocksDB, backend-core over RPC to regtest Core):\n");
    report("!fill -> !pubkey", fill);
    report("!auth -> !ioauth", auth);
    report("!tx -> last !sig", tx);
    node.signal(SIGTERM);
    node.wait(std::chrono::seconds(30));
}

} // namespace

int main(int argc, char** argv) {
    int rounds = 50;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::stoi(argv[i + 1]);
    try {
        latency(rounds);
        memory(10);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
