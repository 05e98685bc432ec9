// Three jmnode makers (`jmnode run` processes with backend-core) against a real Bitcoin Core on
// regtest and a scripted taker: a CoinJoin that confirms; kill -9 of a maker after !ioauth and
// after !sig, then restart: no address reused, locks released or spent, balances equal Core's.
// Needs bitcoind (see regtest_wallet_tests.cpp); without it: "SKIPPED: no bitcoind", exit 77.
#include <maker_harness.hpp>
#include <util/bitcoind.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

using namespace jm::test;
namespace json = boost::json;
using jm::bitcoin::Network;

namespace {

std::string btc(std::int64_t sats) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%08lld", static_cast<long long>(sats / 100'000'000),
                  static_cast<long long>(sats % 100'000'000));
    return buf;
}

//! One maker: its own data directory and config (backend-core, yieldgen basic, maker), a
//! wallet recovered from `entropy`, run as `jmnode run`.
struct Maker {
    Maker(Bitcoind& core, std::uint16_t directory_port, std::uint8_t seed) : entropy(16, seed) {
        config = dir.path() / "maker.json";
        auto data = dir.path() / "data";
        std::filesystem::create_directories(data);
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\"},\n"
                              << "  \"plugins\": [\n"
                              << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                              << core.rpcPort() << ", \"rpc_cookie\": \"" << core.cookie().string()
                              << "\", \"poll_interval\": \"200ms\"}},\n"
                              << "    {\"load\": \"yieldgen\", \"factory\": \"basic\", \"instance\": \"yg\", "
                                 "\"config\": {\"cjfee_r\": \"0.0002\", \"txfee_contribution\": 300}},\n"
                              << "    {\"load\": \"maker\", \"instance\": \"maker\", \"config\": {\"backend\": "
                                 "\"core\", \"yieldgen\": \"yg\", \"directories\": [\"127.0.0.1:"
                              << directory_port << "\"], \"password_file\": \"password\", \"taker_utxo_age\": 5}}\n"
                              << "  ] }\n";
        std::ofstream(data / "password") << "pw\n";
        std::filesystem::permissions(data / "password",
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto r = runProcess({(binDir() / "jmnode").string(), "wallet", "recover", "--kdf", "interactive", "--config",
                             config.string(), "--password-fd", "0"},
                            std::chrono::seconds(120), {}, words + "\npw\npw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        mirror.emplace(jm::wallet::Wallet::create(mirror_store,
                                                  {Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                                  entropy, "", "pw")
                           .value());
    }
    std::string address(int m, std::uint32_t b, std::uint32_t i) { return mirror->addressAt(m, b, i).value().address; }
    void start() {
        process = std::make_unique<ChildProcess>(
            std::vector<std::string>{(binDir() / "jmnode").string(), "run", "--config", config.string()});
        BOOST_REQUIRE_MESSAGE(process->waitForOutput("ready;", std::chrono::seconds(120)), process->output());
    }
    //! The nick of the running process (from its "maker <nick> starting" log line).
    std::string nick() const {
        auto out = process->output();
        auto at = out.rfind("maker J5");
        if (at == std::string::npos || at + 6 + 16 > out.size()) throw std::runtime_error("no maker nick in the log");
        return out.substr(at + 6, 16);
    }
    void kill9() {
        process->signal(SIGKILL);
        process->wait(std::chrono::seconds(10));
        process.reset();
    }
    void stop() {
        process->signal(SIGTERM);
        BOOST_CHECK_EQUAL(process->wait(std::chrono::seconds(60)).exit_code, 0);
        process.reset();
    }
    //! `jmnode wallet utxos --json` (the node stopped): outpoints -> value.
    std::map<std::string, std::int64_t> utxos() {
        auto r = runProcess({(binDir() / "jmnode").string(), "wallet", "utxos", "--json", "--config", config.string(),
                             "--password-fd", "0"},
                            std::chrono::seconds(300), {}, "pw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        std::map<std::string, std::int64_t> out;
        auto parsed = json::parse(r.out);
        for (const auto& u : parsed.at("utxos").as_array())
            out[std::string(u.at("outpoint").as_string())] = u.at("value").to_number<std::int64_t>();
        return out;
    }

    TempDir dir;
    jm::bitcoin::Bytes entropy;
    std::filesystem::path config;
    jm::sdk::testing::MemoryKvStore mirror_store;
    std::optional<jm::wallet::Wallet> mirror;
    std::unique_ptr<ChildProcess> process;
};

//! Core's view of a maker's watch-only wallet (jm-<id>): outpoints -> value.
std::map<std::string, std::int64_t> coreUtxos(Bitcoind& core, Maker& m) {
    auto id = jm::wallet::WalletSync::walletId(*m.mirror).value();
    std::map<std::string, std::int64_t> out;
    auto list = core.cliJson({"listunspent", "0"}, id);
    for (const auto& u : list.as_array()) {
        auto sats = static_cast<std::int64_t>(std::llround(u.at("amount").to_number<double>() * 1e8));
        out[std::string(u.at("txid").as_string()) + ":" + std::to_string(u.at("vout").to_number<int>())] = sats;
    }
    return out;
}

//! Every maker currently announcing, from a fresh !orderbook: nick -> offer.
std::map<std::string, jm::protocol::Offer> orderbook(ScriptedTaker& taker, std::size_t expected) {
    std::map<std::string, jm::protocol::Offer> book;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (book.size() < expected && std::chrono::steady_clock::now() < deadline) {
        taker.sendPublic("orderbook");
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (std::chrono::steady_clock::now() < until) {
            auto pending = taker.pending();
            for (const auto& r : pending)
                if (r.command == "sw0reloffer") {
                    auto c = jm::protocol::splitCommands(r.command + " " + r.text).value();
                    book[r.from] = jm::protocol::parseOffer(c.front()).value();
                }
            if (book.size() >= expected) break;
        }
    }
    return book;
}

TxOutLookup coreLookup(Bitcoind& core) {
    return [&core](const jm::bitcoin::OutPoint& o) -> std::optional<jm::chain::TxOutInfo> {
        auto txid = o.toString().substr(0, 64);
        auto v = core.cliJson({"gettxout", txid, std::to_string(o.vout)});
        if (!v.is_object()) return std::nullopt;
        jm::chain::TxOutInfo info;
        info.value = static_cast<std::int64_t>(std::llround(v.at("value").to_number<double>() * 1e8));
        info.script_pubkey = jm::bitcoin::fromHex(v.at("scriptPubKey").at("hex").as_string()).value();
        info.confirmations = v.at("confirmations").to_number<int>();
        return info;
    };
}

//! A taker coin of `value` on regtest, confirmed 6 times.
TakerCoin takerCoin(Bitcoind& core, std::int64_t value) {
    auto key = jm::bitcoin::PrivateKey::generate();
    auto spk = jm::bitcoin::p2wpkhScript(key.publicKey());
    auto address = jm::bitcoin::scriptToAddress(spk, Network::Regtest).value();
    auto txid = core.cli({"sendtoaddress", address, btc(value)}, "miner");
    while (!txid.empty() && (txid.back() == '\n' || txid.back() == '\r'))
        txid.pop_back();
    // Still in the mempool: getrawtransaction finds it without -txindex.
    auto tx = core.cliJson({"getrawtransaction", txid, "true"});
    core.mine(6);
    for (const auto& out : tx.at("vout").as_array())
        if (out.at("scriptPubKey").at("hex").as_string() == jm::bitcoin::toHex(spk)) {
            jm::bitcoin::OutPoint o{jm::bitcoin::hashFromDisplayHex(txid).value(),
                                    static_cast<std::uint32_t>(out.at("n").to_number<int>())};
            return TakerCoin{key, o, value, spk};
        }
    throw std::runtime_error("the taker's coin was not found");
}

struct Round {
    std::vector<MakerReply> replies;
    CoinjoinPlan plan;
};

//! !fill, !auth and !ioauth with `makers`, and the transaction the taker would send.
Round upToIoauth(Bitcoind& core, ScriptedTaker& taker,
                 const std::vector<std::pair<std::string, jm::protocol::Offer>>& makers, std::int64_t amount) {
    Round round;
    auto coin = takerCoin(core, amount + 20'000'000);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    std::vector<std::int64_t> txfees, fees;
    for (const auto& [nick, offer] : makers) {
        BOOST_REQUIRE_MESSAGE(taker.fill(nick, offer.oid, amount, commitment, std::chrono::seconds(20)),
                              "no !pubkey from " + nick);
        txfees.push_back(offer.txfee);
        fees.push_back(jm::protocol::realCjfee(offer, amount).value());
    }
    for (const auto& [nick, offer] : makers)
        taker.auth(nick, opening);
    for (const auto& [nick, offer] : makers) {
        auto reply = taker.waitIoauth(nick, std::chrono::seconds(30));
        BOOST_REQUIRE_MESSAGE(reply, "no !ioauth from " + nick);
        round.replies.push_back(*reply);
    }
    round.plan = buildCoinjoin(coreLookup(core), round.replies, {coin}, amount, txfees, fees, 5000, Network::Regtest);
    return round;
}

//! !tx and !sig; returns the fully signed transaction's hex.
std::string signRound(ScriptedTaker& taker, Round& round) {
    std::vector<std::vector<jm::bitcoin::Bytes>> sigs;
    std::size_t expected = 0;
    for (const auto& r : round.replies) {
        taker.sendTx(r.maker, round.plan.tx);
        auto s = taker.waitSigs(r.maker, r.utxos.size(), std::chrono::seconds(30));
        BOOST_REQUIRE_EQUAL(s.size(), r.utxos.size());
        expected += s.size();
        sigs.insert(sigs.end(), s.begin(), s.end());
    }
    BOOST_REQUIRE_EQUAL(applySignatures(round.plan, sigs), expected);
    return jm::bitcoin::toHex(round.plan.tx.serialize());
}

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(regtest_maker)

BOOST_AUTO_TEST_CASE(three_makers_a_confirmed_coinjoin_and_kill_9_at_each_step) {
    Bitcoind core(*findBitcoinCore());
    TestDirectory directory("regtest");
    std::vector<std::unique_ptr<Maker>> makers;
    for (std::uint8_t i = 0; i < 3; ++i) {
        makers.push_back(std::make_unique<Maker>(core, directory.port(), static_cast<std::uint8_t>(0x30 + i)));
        json::object amounts{{makers.back()->address(0, 0, 0), 1.0}, {makers.back()->address(1, 0, 0), 0.6}};
        core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    }
    core.mine(1);
    for (auto& m : makers)
        m->start();

    ScriptedTaker taker(nullptr, directory.port(), "regtest");
    auto book = orderbook(taker, 3);
    BOOST_REQUIRE_EQUAL(book.size(), 3u);
    std::vector<std::pair<std::string, jm::protocol::Offer>> all(book.begin(), book.end());

    // 1. A CoinJoin with all three that confirms.
    std::set<std::string> revealed; // every address any maker handed out
    auto round = upToIoauth(core, taker, all, 30'000'000);
    for (const auto& r : round.replies) {
        BOOST_CHECK(revealed.insert(r.ioauth.cj_address).second);
        BOOST_CHECK(revealed.insert(r.ioauth.change_address).second);
    }
    auto hex = signRound(taker, round);
    auto txid = core.cli({"sendrawtransaction", hex});
    core.mine(1);
    for (auto& m : makers)
        BOOST_CHECK_MESSAGE(m->process->waitForOutput("confirmed", std::chrono::seconds(60)), m->process->output());

    // 2. kill -9 of maker 0 right after its !ioauth.
    auto& a = *makers[0];
    auto a_nick = a.nick();
    ScriptedTaker taker2(nullptr, directory.port(), "regtest");
    book = orderbook(taker2, 3);
    auto killed = upToIoauth(core, taker2, {{a_nick, book.at(a_nick)}}, 10'000'000);
    const auto& killed_reply = killed.replies.front();
    BOOST_CHECK(revealed.insert(killed_reply.ioauth.cj_address).second);
    BOOST_CHECK(revealed.insert(killed_reply.ioauth.change_address).second);
    a.kill9();
    a.start();
    // Restarted under a new nick: the locked coin is free again and the addresses are new.
    ScriptedTaker taker3(nullptr, directory.port(), "regtest");
    book = orderbook(taker3, 3);
    auto a_new = a.nick();
    BOOST_REQUIRE_NE(a_new, a_nick);
    BOOST_REQUIRE(book.count(a_new));
    auto again = upToIoauth(core, taker3, {{a_new, book.at(a_new)}}, 10'000'000);
    BOOST_CHECK(revealed.insert(again.replies.front().ioauth.cj_address).second);
    BOOST_CHECK(revealed.insert(again.replies.front().ioauth.change_address).second);
    BOOST_CHECK(again.replies.front().utxos.front().outpoint == killed_reply.utxos.front().outpoint);
    core.cli({"sendrawtransaction", signRound(taker3, again)});
    core.mine(1);
    BOOST_CHECK_MESSAGE(a.process->waitForOutput("confirmed", std::chrono::seconds(60)), a.process->output());

    // 3. kill -9 of maker 1 right after its !sig: the taker broadcasts afterwards.
    auto& b = *makers[1];
    auto b_nick = b.nick();
    ScriptedTaker taker4(nullptr, directory.port(), "regtest");
    book = orderbook(taker4, 3);
    BOOST_REQUIRE(book.count(b_nick));
    auto late = upToIoauth(core, taker4, {{b_nick, book.at(b_nick)}}, 10'000'000);
    BOOST_CHECK(revealed.insert(late.replies.front().ioauth.cj_address).second);
    BOOST_CHECK(revealed.insert(late.replies.front().ioauth.change_address).second);
    auto late_hex = signRound(taker4, late);
    b.kill9();
    b.start();
    core.cli({"sendrawtransaction", late_hex});
    core.mine(1);
    BOOST_CHECK_MESSAGE(b.process->waitForOutput("confirmed", std::chrono::seconds(60)), b.process->output());

    // Every maker's wallet equals Core's view of it, coin for coin.
    for (auto& m : makers) {
        m->stop();
        auto ours = m->utxos();
        auto theirs = coreUtxos(core, *m);
        BOOST_CHECK_EQUAL(ours.size(), theirs.size());
        BOOST_CHECK(ours == theirs);
    }
}

// Every aborted session spends two fresh internal addresses that never see the chain. After
// more of them than the gap limit (6), the maker's wallet restored from its words on another
// machine (a new data directory and a Bitcoin Core that never saw it) must still find every coin.
BOOST_AUTO_TEST_CASE(a_wallet_restored_from_its_words_after_many_aborted_sessions_finds_every_coin) {
    Bitcoind core(*findBitcoinCore());
    TestDirectory directory("regtest");
    Maker maker(core, directory.port(), 0x41);
    // Several coins: a session's coin stays locked (and out of the offer) until the next !fill.
    json::object amounts;
    for (std::uint32_t i = 0; i < 5; ++i)
        amounts[maker.address(0, 0, i)] = 0.2;
    core.cli({"sendmany", "", json::serialize(amounts)}, "miner");
    core.mine(1);
    maker.start();
    ScriptedTaker taker(nullptr, directory.port(), "regtest");
    auto book = orderbook(taker, 1);
    BOOST_REQUIRE_EQUAL(book.size(), 1u);
    std::vector<std::pair<std::string, jm::protocol::Offer>> all(book.begin(), book.end());
    // Eight sessions to !ioauth, each replaced by the next !fill; the last one is signed.
    std::optional<Round> last;
    for (int i = 0; i < 8; ++i)
        last = upToIoauth(core, taker, all, 10'000'000);
    core.cli({"sendrawtransaction", signRound(taker, *last)});
    core.mine(1);
    BOOST_CHECK_MESSAGE(maker.process->waitForOutput("confirmed", std::chrono::seconds(60)), maker.process->output());
    maker.stop();
    auto original = maker.utxos();
    BOOST_CHECK_EQUAL(original.size(), 6u); // four untouched coins, the CoinJoin output and the change

    // Another Bitcoin Core with the same chain (blocks handed over) and nothing else.
    Bitcoind fresh(*findBitcoinCore());
    auto height = core.cliJson({"getblockcount"}).to_number<int>();
    for (int h = 1; h <= height; ++h) {
        auto hash = core.cli({"getblockhash", std::to_string(h)});
        while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r'))
            hash.pop_back();
        auto block = core.cli({"getblock", hash, "0"});
        while (!block.empty() && (block.back() == '\n' || block.back() == '\r'))
            block.pop_back();
        fresh.cli({"submitblock", block});
    }
    BOOST_REQUIRE_EQUAL(fresh.cliJson({"getblockcount"}).to_number<int>(), height);
    Maker restored(fresh, directory.port(), 0x41);
    auto found = restored.utxos();
    BOOST_CHECK_EQUAL(found.size(), original.size());
    BOOST_CHECK_MESSAGE(found == original, "the restored wallet misses coins");
}

BOOST_AUTO_TEST_SUITE_END()
