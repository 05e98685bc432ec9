#include "maker_harness.hpp"

#include <basic_yield_generator.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/utxo_string.hpp>
#include <jm/sdk/events.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace jm::test {

using jm::bitcoin::Network;

namespace {

template <class T> T require(jm::sdk::Result<T> r, const std::string& what) {
    if (!r) throw std::runtime_error(what + ": " + r.error().message);
    return std::move(*r);
}

std::optional<jm::chain::TxOutInfo> txOut(jm::sdk::testing::TestChain& chain, const jm::bitcoin::OutPoint& op) {
    boost::asio::io_context ioc;
    std::optional<jm::chain::TxOutInfo> out;
    chain.getTxOut(op, ioc.get_executor(), [&](auto r) {
        if (r) out = *r;
    });
    ioc.run();
    return out;
}

} // namespace

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return condition();
}

// --- ChainHub ---------------------------------------------------------------------------------

std::optional<std::int64_t> creationHeight(jm::sdk::testing::TestChain& chain, const jm::bitcoin::OutPoint& op) {
    boost::asio::io_context io;
    std::optional<std::int64_t> out;
    chain.getTxOut(op, io.get_executor(), [&](jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin) {
        if (coin && *coin && (*coin)->confirmations > 0) out = chain.height() - (*coin)->confirmations + 1;
    });
    io.run();
    return out;
}

void LightClientChain::getTxOut(jm::bitcoin::OutPoint, jm::sdk::Executor ex,
                                jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    boost::asio::post(ex, [done = std::move(done)] {
        done(jm::sdk::fail(jm::sdk::errc::unsupported, "a light client looks up a coin only with a hint"));
    });
}

void LightClientChain::getTxOutHinted(jm::bitcoin::OutPoint outpoint, std::optional<jm::chain::OutPointHint> hint,
                                      jm::sdk::Executor ex,
                                      jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    if (!hint) return getTxOut(std::move(outpoint), std::move(ex), std::move(done));
    ++m_hinted;
    // The full chain answers; the double then forgets what a light client could not have found:
    // an output not in the hinted block or paying another script than the hinted one.
    auto tip = m_chain.height();
    m_chain.getTxOut(
        outpoint, ex,
        [hint = *hint, tip, done = std::move(done)](jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin) {
            if (!coin || !*coin) return done(std::move(coin));
            const auto& c = **coin;
            bool in_block = c.confirmations > 0 && tip - c.confirmations + 1 == hint.height;
            if (!in_block || c.script_pubkey != hint.script_pubkey) return done(std::optional<jm::chain::TxOutInfo>{});
            done(std::move(coin));
        });
}

ChainHub::ChainHub() : m_bus(jm::sdk::makeEventBus(jm::sdk::makeLogger("chain-bus"))), m_chain(m_bus.get()) {
    m_thread = std::thread([this] {
        auto guard = boost::asio::make_work_guard(m_context);
        m_context.run();
    });
    auto ex = m_context.get_executor();
    auto fan = [this](auto event) {
        std::lock_guard lock(m_mutex);
        for (auto* bus : m_targets)
            bus->publish(event);
    };
    m_subscriptions.push_back(m_bus->subscribe<jm::sdk::events::BlockConnected>(ex, [fan](const auto& e) { fan(e); }));
    m_subscriptions.push_back(m_bus->subscribe<jm::sdk::events::TxStatusChanged>(ex, [fan](const auto& e) { fan(e); }));
}

ChainHub::~ChainHub() {
    m_subscriptions.clear();
    m_bus->close();
    m_context.stop();
    m_thread.join();
}

void ChainHub::attach(jm::sdk::EventBus& bus) {
    std::lock_guard lock(m_mutex);
    m_targets.push_back(&bus);
}

void ChainHub::detach(jm::sdk::EventBus& bus) {
    std::lock_guard lock(m_mutex);
    std::erase(m_targets, &bus);
}

void ChainHub::mine(int blocks) {
    m_chain.mine(blocks);
    m_bus->flushForTest();
    std::vector<jm::sdk::EventBus*> targets;
    {
        std::lock_guard lock(m_mutex);
        targets = m_targets;
    }
    for (auto* bus : targets)
        bus->flushForTest();
}

// --- TestDirectory, ScratchDir ----------------------------------------------------------------

TestDirectory::TestDirectory(const std::string& network) : m_logger(jm::sdk::makeLogger("directory")) {
    jm::plugins::directory::DirectorySettings s;
    s.host = "127.0.0.1";
    s.port = 0;
    s.io_threads = 1;
    s.stats_interval = std::chrono::milliseconds(0);
    m_server = std::make_unique<jm::plugins::directory::DirectoryServer>(
        s, jm::plugins::directory::DirectoryIdentity{"J5MakerTestsDirX", network}, m_logger);
    m_port = require(m_server->start(), "directory start").port();
}

TestDirectory::~TestDirectory() { m_server->stop(); }

ScratchDir::ScratchDir() {
    char name[] = "/tmp/jm-maker-test-XXXXXX";
    if (!::mkdtemp(name)) throw std::runtime_error("mkdtemp failed");
    m_path = name;
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

// --- MakerUnderTest ---------------------------------------------------------------------------

std::unique_ptr<jm::maker::YieldGenerator> basicYieldGenerator(std::string cjfee_r, std::int64_t txfee) {
    jm::plugins::yieldgen::YieldGenSettings s;
    s.cjfee_r = std::move(cjfee_r);
    s.txfee_contribution = txfee;
    s.minsize = 100'000;
    return std::make_unique<jm::plugins::yieldgen::BasicYieldGenerator>(s);
}

MakerUnderTest::MakerUnderTest(ChainHub& hub, MakerOptions options) :
    m_hub(hub), m_options(std::move(options)), m_ctx("maker", NETWORK) {
    m_ctx.setDataDir(m_dir.path());
    m_thread = std::thread([this] {
        auto guard = boost::asio::make_work_guard(m_ctx.ioContext());
        m_ctx.ioContext().run();
    });
    jm::wallet::WalletOptions wo;
    wo.network = Network::Testnet;
    wo.kdf = jm::wallet::KdfStrength::Interactive;
    jm::bitcoin::Bytes entropy(16);
    randombytes_buf(entropy.data(), entropy.size());
    {
        auto wallet = require(jm::wallet::Wallet::create(m_ctx.walletStore(), wo, entropy, "", "password"), "wallet");
        for (auto [m, value] : m_options.coins) {
            auto a = require(wallet.nextAddress(m, jm::wallet::BRANCH_EXTERNAL), "address");
            hub.chain().fund(a.script_pubkey, value);
        }
    }
    auto pw = m_dir.path() / "password";
    std::ofstream(pw) << "password\n";
    if (m_options.password_perms) std::filesystem::permissions(pw, *m_options.password_perms);
    m_yieldgen = m_options.yieldgen ? m_options.yieldgen() : basicYieldGenerator();
    if (m_options.light_client) {
        m_light = std::make_unique<LightClientChain>(hub.chain());
        (void)m_ctx.services().provide<jm::chain::BlockchainBackend>("chain", *m_light);
    } else {
        (void)m_ctx.services().provide<jm::chain::BlockchainBackend>("chain", hub.chain());
    }
    (void)m_ctx.services().provide<jm::maker::YieldGenerator>("yg", *m_yieldgen);
    hub.attach(m_ctx.bus());
    m_eventSub = m_ctx.bus().subscribeTopic("*", m_ctx.executor(), [this](const jm::sdk::EventView& e) {
        std::lock_guard lock(m_eventsMutex);
        m_events.emplace_back(std::string(e.topic), e.json());
    });
}

MakerUnderTest::~MakerUnderTest() {
    if (m_plugin) stop();
    m_hub.detach(m_ctx.bus());
    m_eventSub.reset();
    m_ctx.ioContext().stop();
    m_thread.join();
}

void MakerUnderTest::start() {
    boost::json::array dirs;
    for (auto port : m_options.directories)
        dirs.push_back(boost::json::string("127.0.0.1:" + std::to_string(port)));
    boost::json::object config{{"backend", "chain"},
                               {"yieldgen", "yg"},
                               {"directories", dirs},
                               // Tests mine many blocks; the maker resyncs after its CoinJoins anyway.
                               {"resync_blocks", 0}};
    if (m_options.password_perms) config["password_file"] = (m_dir.path() / "password").string();
    for (const auto& [k, v] : m_options.config)
        config[k] = v;
    std::vector<jm::sdk::ConfigProblem> problems;
    if (!jm::plugins::maker::MakerSettings::schema().validate(config, "$", problems))
        throw std::runtime_error("maker config: " + problems.front().path + ": " + problems.front().message);
    auto settings = require(jm::plugins::maker::MakerSettings::fromConfig(config), "maker settings");
    auto started = onStrand([&] {
        m_plugin = std::make_unique<jm::plugins::maker::MakerPlugin>(m_ctx, settings);
        return m_plugin->start();
    });
    if (!started) throw std::runtime_error("maker start: " + started.error().message);
    auto n = m_options.directories.size();
    if (!eventually([&] { return onStrand([&] { return m_plugin->ready() && m_plugin->directoriesReady() == n; }); }))
        throw std::runtime_error("the maker did not get ready");
}

void MakerUnderTest::stop() {
    std::promise<void> stopped;
    onStrand([&] {
        m_plugin->stop([&] { stopped.set_value(); });
        return 0;
    });
    stopped.get_future().wait();
    onStrand([&] {
        m_plugin.reset();
        return 0;
    });
}

void MakerUnderTest::crash() {
    onStrand([&] {
        m_plugin.reset();
        return 0;
    });
}

std::string MakerUnderTest::nick() {
    return onStrand([&] { return m_plugin->nick(); });
}
std::vector<jm::protocol::Offer> MakerUnderTest::offers() {
    return onStrand([&] { return m_plugin->offers(); });
}
jm::plugins::maker::MakerCounters MakerUnderTest::counters() {
    return onStrand([&] { return m_plugin->counters(); });
}
std::size_t MakerUnderTest::lockedCoins() {
    return onStrand([&] { return m_plugin->lockedCoins(); });
}
std::size_t MakerUnderTest::liveSessions() {
    return onStrand([&] { return m_plugin->liveSessions(); });
}

std::vector<boost::json::value> MakerUnderTest::events(const std::string& topic) {
    m_ctx.bus().flushForTest();
    std::lock_guard lock(m_eventsMutex);
    std::vector<boost::json::value> out;
    for (const auto& [t, v] : m_events)
        if (t == topic) out.push_back(v);
    return out;
}

// --- ScriptedTaker ----------------------------------------------------------------------------

ScriptedTaker::ScriptedTaker(jm::sdk::testing::TestChain* chain, std::uint16_t directory_port,
                             const std::string& network) :
    m_chain(chain) {
    m_peer = std::make_unique<RawPeer>(directory_port);
    m_peer->handshake(nick(), network);
    auto reply = m_peer->readType(795);
    auto hs = reply ? jm::protocol::parseDirectoryHandshake(reply->line)
                    : jm::sdk::Result<jm::protocol::DirectoryHandshake>(jm::sdk::fail(jm::sdk::errc::timeout, "none"));
    if (!hs || !hs->accepted) throw std::runtime_error("the taker could not join the directory");
}

TakerCoin ScriptedTaker::fund(std::int64_t value) {
    auto key = jm::bitcoin::PrivateKey::generate();
    auto spk = jm::bitcoin::p2wpkhScript(key.publicKey());
    if (!m_chain) throw std::runtime_error("this taker has no test chain to fund coins on");
    auto outpoint = m_chain->fund(spk, value);
    return TakerCoin{std::move(key), outpoint, value, spk};
}

void ScriptedTaker::sendPublic(const std::string& body) { m_peer->send(687, nick() + "!PUBLIC!" + body); }

void ScriptedTaker::sendPrivate(const std::string& to, const std::string& command, const std::string& text) {
    m_peer->send(685, jm::protocol::formatPrivateLine(nick(), to, command, m_identity.signedText(text)));
}

void ScriptedTaker::pump(std::chrono::milliseconds timeout) {
    auto env = m_peer->read(timeout);
    if (env && env->type == 687) {
        if (auto pub = jm::protocol::parseChannelLine(env->line)) m_public.push_back(*pub);
        return;
    }
    if (!env || env->type != 685) return;
    auto line = jm::protocol::parseChannelLine(env->line);
    if (!line || line->to != nick()) return;
    auto body = jm::protocol::parseSignedBody(line->body);
    if (!body || !jm::protocol::verifyPrivmsg(body->text, body->pubkey_hex, body->signature_base64) ||
        !jm::protocol::nickMatchesPubkeyHex(line->from, body->pubkey_hex))
        return;
    m_inbox.push_back({line->from, body->first_command, body->text});
}

std::optional<Received> ScriptedTaker::waitFor(const std::string& from, const std::string& command,
                                               std::chrono::milliseconds timeout) {
    return waitForAny(from, {command}, timeout);
}

std::optional<Received> ScriptedTaker::waitForAny(const std::string& from, const std::vector<std::string>& commands,
                                                  std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (auto it = m_inbox.begin(); it != m_inbox.end(); ++it)
            if (it->from == from && std::find(commands.begin(), commands.end(), it->command) != commands.end()) {
                auto r = *it;
                m_inbox.erase(it);
                return r;
            }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pump(left);
    }
}

bool ScriptedTaker::receives(const std::string& from, const std::string& command, std::chrono::milliseconds timeout) {
    auto r = waitFor(from, command, timeout);
    if (r) m_inbox.insert(m_inbox.begin(), *r);
    return r.has_value();
}

std::vector<jm::protocol::ChannelLine> ScriptedTaker::publicMessages(std::chrono::milliseconds listen) {
    auto deadline = std::chrono::steady_clock::now() + listen;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pump(left);
    }
    return m_public;
}

std::vector<Received> ScriptedTaker::pending() {
    while (m_peer->pending() > 0)
        pump(std::chrono::milliseconds(1));
    pump(std::chrono::milliseconds(50));
    return m_inbox;
}

std::optional<jm::protocol::PubkeyReply> ScriptedTaker::fill(const std::string& maker, std::int64_t oid,
                                                             std::int64_t amount, const std::string& commitment,
                                                             std::chrono::milliseconds timeout) {
    sendPrivate(maker, "fill", jm::protocol::formatFillArgs({oid, amount, m_keys.publicKeyHex(), commitment}));
    auto r = waitForAny(maker, {"pubkey", "error"}, timeout);
    if (!r) return std::nullopt;
    if (r->command == "error") {
        m_inbox.insert(m_inbox.begin(), *r); // for the test to read
        return std::nullopt;
    }
    auto reply = jm::protocol::parsePubkey(r->text);
    if (!reply) return std::nullopt;
    m_boxes.erase(maker);
    m_boxes.emplace(maker,
                    jm::protocol::BoxSession(m_keys, jm::protocol::parseBoxPublicKey(reply->maker_encpk).value()));
    m_makerKeys[maker] = reply->maker_encpk;
    return *reply;
}

std::string ScriptedTaker::encryptFor(const std::string& maker, const std::string& plaintext) {
    return m_boxes.at(maker).encrypt(plaintext);
}

void ScriptedTaker::auth(const std::string& maker, const std::string& opening) {
    sendPrivate(maker, "auth", encryptFor(maker, opening));
}

std::optional<MakerReply> ScriptedTaker::waitIoauth(const std::string& maker, std::chrono::milliseconds timeout) {
    auto r = waitFor(maker, "ioauth", timeout);
    if (!r) return std::nullopt;
    auto b64 = jm::protocol::parseBase64Payload(r->text);
    if (!b64) return std::nullopt;
    auto plain = m_boxes.at(maker).decrypt(*b64);
    if (!plain) return std::nullopt;
    auto msg = jm::protocol::parseIoauth(*plain);
    if (!msg) return std::nullopt;
    // The taker's own check of btc_sig (protocol.md 8.6): it must verify over the maker's key.
    if (!jm::protocol::verifyIoauth(msg->auth_pub_hex, m_makerKeys.at(maker), msg->btc_sig)) return std::nullopt;
    return MakerReply{maker, m_makerKeys.at(maker), *msg, msg->utxos};
}

void ScriptedTaker::sendTx(const std::string& maker, const jm::bitcoin::Transaction& tx) {
    sendPrivate(maker, "tx", encryptFor(maker, jm::protocol::formatTxPayload(tx)));
}

std::vector<std::vector<jm::bitcoin::Bytes>> ScriptedTaker::waitSigs(const std::string& maker, std::size_t count,
                                                                     std::chrono::milliseconds timeout) {
    std::vector<std::vector<jm::bitcoin::Bytes>> out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        auto r = waitFor(maker, "sig", left);
        if (!r) break;
        auto b64 = jm::protocol::parseBase64Payload(r->text);
        if (!b64) continue;
        auto plain = m_boxes.at(maker).decrypt(*b64);
        if (!plain) continue;
        auto items = jm::protocol::parseSigPayload(*plain);
        if (items) out.push_back(*items);
    }
    return out;
}

std::pair<std::string, std::string> ScriptedTaker::podle(const TakerCoin& coin, int index) {
    auto proof = require(
        jm::protocol::generatePodle(coin.key, jm::protocol::formatUtxoString({coin.outpoint, {}, {}}), index), "podle");
    return {jm::protocol::podleCommitment(proof), jm::protocol::formatRevelation(proof)};
}

std::pair<std::string, std::string> ScriptedTaker::podleExtended(const TakerCoin& coin, std::int64_t height,
                                                                 std::optional<jm::bitcoin::Script> script, int index) {
    jm::protocol::UtxoString u{coin.outpoint, script ? *script : coin.script_pubkey, height};
    auto proof =
        require(jm::protocol::generatePodle(coin.key, jm::protocol::formatUtxoString(u, true), index), "podle");
    return {jm::protocol::podleCommitment(proof), jm::protocol::formatRevelation(proof)};
}

// --- Transactions -----------------------------------------------------------------------------

CoinjoinPlan buildCoinjoin(jm::sdk::testing::TestChain& chain, const std::vector<MakerReply>& replies,
                           const std::vector<TakerCoin>& inputs, std::int64_t amount,
                           const std::vector<std::int64_t>& maker_txfees, const std::vector<std::int64_t>& maker_fees,
                           std::int64_t network_fee) {
    return buildCoinjoin([&](const jm::bitcoin::OutPoint& o) { return txOut(chain, o); }, replies, inputs, amount,
                         maker_txfees, maker_fees, network_fee);
}

CoinjoinPlan buildCoinjoin(const TxOutLookup& lookup, const std::vector<MakerReply>& replies,
                           const std::vector<TakerCoin>& inputs, std::int64_t amount,
                           const std::vector<std::int64_t>& maker_txfees, const std::vector<std::int64_t>& maker_fees,
                           std::int64_t network_fee, Network network) {
    CoinjoinPlan plan;
    plan.tx.version = 2;
    std::int64_t taker_total = 0;
    for (const auto& c : inputs) {
        plan.tx.inputs.push_back({c.outpoint, {}, 0xffffffff, {}});
        plan.prevouts[c.outpoint] = jm::chain::TxOutInfo{c.value, c.script_pubkey, 1, false};
        plan.taker_inputs.push_back(TakerCoin{c.key, c.outpoint, c.value, c.script_pubkey});
        taker_total += c.value;
    }
    std::int64_t fees_total = 0, txfees_total = 0;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        std::int64_t maker_total = 0;
        for (const auto& u : replies[i].utxos) {
            auto out = lookup(u.outpoint);
            if (!out) throw std::runtime_error("maker utxo " + u.outpoint.toString() + " does not exist");
            plan.tx.inputs.push_back({u.outpoint, {}, 0xffffffff, {}});
            plan.prevouts[u.outpoint] = *out;
            maker_total += out->value;
        }
        auto cj = require(jm::bitcoin::addressToScript(replies[i].ioauth.cj_address, network), "cj address");
        auto change =
            require(jm::bitcoin::addressToScript(replies[i].ioauth.change_address, network), "change address");
        plan.tx.outputs.push_back({amount, cj});
        plan.tx.outputs.push_back({maker_total - amount - maker_txfees[i] + maker_fees[i], change});
        fees_total += maker_fees[i];
        txfees_total += maker_txfees[i];
    }
    auto own = jm::bitcoin::PrivateKey::generate();
    plan.tx.outputs.push_back({amount, jm::bitcoin::p2wpkhScript(own.publicKey())});
    auto taker_txfee = std::max<std::int64_t>(network_fee - txfees_total, 0);
    auto change = taker_total - amount - fees_total - taker_txfee;
    if (change > 2730) plan.tx.outputs.push_back({change, jm::bitcoin::p2wpkhScript(own.publicKey())});
    return plan;
}

std::size_t applySignatures(CoinjoinPlan& plan, const std::vector<std::vector<jm::bitcoin::Bytes>>& sigs) {
    std::size_t signed_count = 0;
    for (const auto& items : sigs) {
        if (items.size() != 2) continue;
        for (std::size_t i = 0; i < plan.tx.inputs.size(); ++i) {
            auto& in = plan.tx.inputs[i];
            if (!in.witness.empty()) continue;
            const auto& prev = plan.prevouts.at(in.prevout);
            in.witness = items;
            if (jm::bitcoin::verifyP2wpkhInput(plan.tx, i, prev.script_pubkey, prev.value)) {
                ++signed_count;
                break;
            }
            in.witness.clear();
        }
    }
    for (std::size_t i = 0; i < plan.tx.inputs.size(); ++i)
        for (const auto& c : plan.taker_inputs)
            if (plan.tx.inputs[i].prevout == c.outpoint) (void)jm::bitcoin::signP2wpkhInput(plan.tx, i, c.key, c.value);
    return signed_count;
}

CoinjoinOutcome tryCoinjoin(jm::sdk::testing::TestChain& chain, const std::function<void(int)>& mine,
                            ScriptedTaker& taker, const std::vector<MakerHandle>& makers, std::int64_t amount,
                            bool broadcast, bool extended) {
    CoinjoinOutcome out;
    out.broadcast = broadcast;
    try {
        auto coin = taker.fund(amount + 10'000'000);
        mine(6);
        auto [commitment, opening] =
            extended ? ScriptedTaker::podleExtended(coin, chain.height() - 5) : ScriptedTaker::podle(coin);
        std::vector<MakerReply> replies;
        std::vector<std::int64_t> txfees, fees;
        // As a real taker: every !fill first, then every !auth (a maker announces the commitment
        // after its !ioauth, and the others check it only at !fill).
        for (const auto& m : makers) {
            const auto& offer = m.offer;
            if (!taker.fill(m.nick, offer.oid, amount, commitment)) throw std::runtime_error("no !pubkey");
            txfees.push_back(offer.txfee);
            fees.push_back(jm::protocol::realCjfee(offer, amount).value());
        }
        for (const auto& m : makers)
            taker.auth(m.nick, opening);
        for (const auto& m : makers) {
            auto reply = taker.waitIoauth(m.nick);
            if (!reply) throw std::runtime_error("no !ioauth from " + m.nick);
            replies.push_back(*reply);
        }
        out.plan = buildCoinjoin(chain, replies, {coin}, amount, txfees, fees);
        out.replies = replies;
        std::vector<std::vector<jm::bitcoin::Bytes>> sigs;
        for (std::size_t i = 0; i < makers.size(); ++i) {
            taker.sendTx(makers[i].nick, out.plan.tx);
            auto s = taker.waitSigs(makers[i].nick, replies[i].utxos.size());
            if (s.size() != replies[i].utxos.size()) throw std::runtime_error("missing !sig from " + makers[i].nick);
            out.completed.maker_inputs += s.size();
            sigs.insert(sigs.end(), s.begin(), s.end());
        }
        if (applySignatures(out.plan, sigs) != out.completed.maker_inputs)
            throw std::runtime_error("a maker signature does not verify");
        out.completed.fee = fees.front() - txfees.front();
        out.completed.txid = out.plan.tx.txidHex();
        if (out.broadcast) {
            auto txid = chain.submit(out.plan.tx.serialize());
            if (!txid) throw std::runtime_error("the chain refused the CoinJoin: " + txid.error().message);
        }
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    return out;
}

CoinjoinOutcome tryCoinjoin(ChainHub& hub, ScriptedTaker& taker, std::vector<MakerUnderTest*> makers,
                            std::int64_t amount, bool broadcast, bool extended) {
    std::vector<MakerHandle> handles;
    for (auto* m : makers)
        handles.push_back({m->nick(), m->offers().front()});
    return tryCoinjoin(
        hub.chain(), [&](int blocks) { hub.mine(blocks); }, taker, handles, amount, broadcast, extended);
}

Completed completeCoinjoin(ChainHub& hub, ScriptedTaker& taker, std::vector<MakerUnderTest*> makers,
                           std::int64_t amount) {
    auto out = tryCoinjoin(hub, taker, std::move(makers), amount);
    BOOST_REQUIRE_MESSAGE(out.error.empty(), out.error);
    return out.completed;
}

} // namespace jm::test
