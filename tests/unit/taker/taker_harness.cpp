#include "taker_harness.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/protocol/coinjoin_messages.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/utxo_string.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/asio/executor_work_guard.hpp>

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace jm::test {

namespace {

std::optional<jm::chain::TxOutInfo> txOutOf(jm::sdk::testing::TestChain& chain, const jm::bitcoin::OutPoint& op) {
    boost::asio::io_context ioc;
    std::optional<jm::chain::TxOutInfo> out;
    chain.getTxOut(op, ioc.get_executor(), [&](auto r) {
        if (r) out = *r;
    });
    ioc.run();
    return out;
}

} // namespace

jm::sdk::Result<std::vector<std::size_t>>
CheapestTestChooser::choose(const std::vector<jm::taker::CandidateOffer>& offers,
                            const jm::taker::ChooseRequest& request) const {
    std::vector<std::size_t> order(offers.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) {
        auto fa = offers[a].cjfee - offers[a].offer.txfee, fb = offers[b].cjfee - offers[b].offer.txfee;
        return fa != fb ? fa < fb : offers[a].counterparty < offers[b].counterparty;
    });
    std::vector<std::size_t> out;
    std::set<std::string> nicks;
    for (auto i : order)
        if (out.size() < request.count && nicks.insert(offers[i].counterparty).second) out.push_back(i);
    if (out.size() < request.count) return jm::sdk::fail(jm::sdk::errc::not_found, "too few makers");
    return out;
}

// --- TakerUnderTest ---------------------------------------------------------------------------

TakerUnderTest::TakerUnderTest(ChainHub& hub, TakerOptions options) :
    m_hub(hub), m_options(std::move(options)), m_ctx("taker", NETWORK) {
    m_ctx.setDataDir(m_dir.path());
    m_thread = std::thread([this] {
        auto guard = boost::asio::make_work_guard(m_ctx.ioContext());
        m_ctx.ioContext().run();
    });
    jm::wallet::WalletOptions wo;
    wo.network = jm::bitcoin::Network::Testnet;
    wo.kdf = jm::wallet::KdfStrength::Interactive;
    jm::bitcoin::Bytes entropy(16);
    randombytes_buf(entropy.data(), entropy.size());
    {
        auto wallet = jm::wallet::Wallet::create(m_ctx.walletStore(), wo, entropy, "", "password").value();
        for (auto [m, value] : m_options.coins) {
            auto a = wallet.nextAddress(m, jm::wallet::BRANCH_EXTERNAL).value();
            m_funded.push_back(hub.chain().fund(a.script_pubkey, value));
        }
    }
    auto pw = m_dir.path() / "password";
    std::ofstream(pw) << "password\n";
    std::filesystem::permissions(pw, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    if (m_options.light_client) {
        m_light = std::make_unique<LightClientChain>(hub.chain());
        (void)m_ctx.services().provide<jm::chain::BlockchainBackend>("chain", *m_light);
    } else {
        (void)m_ctx.services().provide<jm::chain::BlockchainBackend>("chain", hub.chain());
    }
    (void)m_ctx.services().provide<jm::taker::OrderChooser>("cheapest", m_chooser);
    hub.attach(m_ctx.bus());
    m_eventSub = m_ctx.bus().subscribeTopic("*", m_ctx.executor(), [this](const jm::sdk::EventView& e) {
        std::lock_guard lock(m_mutex);
        m_events.emplace_back(std::string(e.topic), e.json());
    });
}

TakerUnderTest::~TakerUnderTest() {
    if (m_plugin) stop();
    m_hub.detach(m_ctx.bus());
    m_eventSub.reset();
    m_ctx.ioContext().stop();
    m_thread.join();
}

void TakerUnderTest::start() {
    boost::json::array dirs;
    for (auto port : m_options.directories)
        dirs.push_back(boost::json::string("127.0.0.1:" + std::to_string(port)));
    boost::json::object config{{"backend", "chain"},
                               {"chooser", "cheapest"},
                               {"directories", dirs},
                               {"password_file", (m_dir.path() / "password").string()},
                               {"makers", 2},
                               {"minimum_makers", 2},
                               {"maker_timeout", "1500ms"},
                               {"orderbook_wait", "5s"},
                               {"orderbook_quiet", "1s"},
                               {"tx_broadcast", "self"},
                               {"wait_confirmations", 0},
                               {"taker_utxo_age", 5}};
    for (const auto& [k, v] : m_options.config)
        config[k] = v;
    std::vector<jm::sdk::ConfigProblem> problems;
    if (!jm::plugins::taker::TakerSettings::schema().validate(config, "$", problems))
        throw std::runtime_error("taker config: " + problems.front().path + ": " + problems.front().message);
    auto settings = jm::plugins::taker::TakerSettings::fromConfig(config);
    if (!settings) throw std::runtime_error("taker settings: " + settings.error().message);
    auto started = onStrand([&] {
        m_plugin = std::make_unique<jm::plugins::taker::TakerPlugin>(m_ctx, *settings);
        return m_plugin->start();
    });
    if (!started) throw std::runtime_error("taker start: " + started.error().message);
}

void TakerUnderTest::stop() {
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

void TakerUnderTest::crash() {
    onStrand([&] {
        m_plugin.reset();
        return 0;
    });
}

jm::sdk::Result<jm::taker::CoinjoinResult> TakerUnderTest::send(jm::taker::CoinjoinRequest request,
                                                                std::chrono::seconds timeout) {
    auto future = sendAsync(std::move(request));
    if (future.wait_for(timeout) != std::future_status::ready)
        return jm::sdk::fail(jm::sdk::errc::timeout, "the taker did not finish in time");
    return future.get();
}

std::future<jm::sdk::Result<jm::taker::CoinjoinResult>> TakerUnderTest::sendAsync(jm::taker::CoinjoinRequest request) {
    auto promise = std::make_shared<std::promise<jm::sdk::Result<jm::taker::CoinjoinResult>>>();
    auto future = promise->get_future();
    jm::taker::CoinjoinObserver observer;
    observer.on_stage = [this](const jm::taker::StageUpdate& u) {
        std::lock_guard lock(m_mutex);
        m_stages.push_back(u);
    };
    observer.on_failed = [this](const jm::taker::CoinjoinFailure& f) {
        std::lock_guard lock(m_mutex);
        m_failures.push_back(f);
    };
    m_plugin->send(std::move(request), observer, m_ctx.executor(),
                   [promise](jm::sdk::Result<jm::taker::CoinjoinResult> r) { promise->set_value(std::move(r)); });
    return future;
}

jm::sdk::Result<std::vector<jm::taker::OrderbookEntry>> TakerUnderTest::orderbook() {
    auto promise = std::make_shared<std::promise<jm::sdk::Result<std::vector<jm::taker::OrderbookEntry>>>>();
    auto future = promise->get_future();
    m_plugin->orderbook(m_ctx.executor(), [promise](auto r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
        return jm::sdk::fail(jm::sdk::errc::timeout, "no orderbook in time");
    return future.get();
}

std::vector<boost::json::value> TakerUnderTest::events(const std::string& topic) {
    m_ctx.bus().flushForTest();
    std::lock_guard lock(m_mutex);
    std::vector<boost::json::value> out;
    for (const auto& [t, v] : m_events)
        if (t == topic) out.push_back(v);
    return out;
}

std::size_t TakerUnderTest::fundedCoinsUnspent() {
    std::size_t n = 0;
    for (const auto& op : m_funded)
        n += txOutOf(m_hub.chain(), op) ? 1 : 0;
    return n;
}

std::pair<std::string, jm::bitcoin::Script> TakerUnderTest::destination() {
    auto key = jm::bitcoin::PrivateKey::generate();
    auto script = jm::bitcoin::p2wpkhScript(key.publicKey());
    return {jm::bitcoin::scriptToAddress(script, jm::bitcoin::Network::Testnet).value(), script};
}

// --- HostileMaker -----------------------------------------------------------------------------

HostileMaker::HostileMaker(ChainHub& hub, std::uint16_t directory_port, Misbehaviour how, std::string cjfee,
                           std::int64_t coin) :
    m_hub(hub),
    m_how(how), m_cjfee(std::move(cjfee)), m_port(directory_port) {
    m_identity = std::make_shared<const jm::protocol::NickIdentity>();
    auto fund = [&](std::int64_t value) {
        auto key = jm::bitcoin::PrivateKey::generate();
        auto spk = jm::bitcoin::p2wpkhScript(key.publicKey());
        auto op = hub.chain().fund(spk, value);
        return TakerCoin{std::move(key), op, value, spk};
    };
    if (how == Misbehaviour::ManyCoins)
        for (int i = 0; i < 15; ++i)
            m_coins.push_back(fund(6'000'000));
    else
        m_coins.push_back(fund(how == Misbehaviour::TooSmallCoin ? 1'000'000 : coin));
    if (how == Misbehaviour::SpentCoin) {
        // Spend it at once: the chain then knows it as spent.
        hub.mine(1);
        m_spentHeight = hub.chain().height();
        jm::bitcoin::Transaction tx;
        tx.inputs.push_back({m_coins[0].outpoint, {}, 0xffffffff, {}});
        tx.outputs.push_back({m_coins[0].value - 1000, m_coins[0].script_pubkey});
        (void)jm::bitcoin::signP2wpkhInput(tx, 0, m_coins[0].key, m_coins[0].value);
        if (auto r = hub.chain().submit(tx.serialize()); !r) throw std::runtime_error("spend: " + r.error().message);
    }
}

HostileMaker::~HostileMaker() {
    boost::asio::post(m_io, [this] {
        if (m_repeat) m_repeat->cancel();
        if (m_directories) m_directories->stop();
    });
    m_io.stop();
    if (m_thread.joinable()) m_thread.join();
}

void HostileMaker::start() {
    jm::net::DirectoryClientSettings s;
    s.host = "127.0.0.1";
    s.port = m_port;
    s.network = m_network;
    if (m_compat || m_listedCompat) s.features["neutrino_compat"] = true; // as NG makers do
    jm::net::MultiDirectoryHandler handler;
    handler.on_message = [this](const jm::net::RoutedMessage& m) { onMessage(m); };
    handler.on_directory = [this](std::size_t, bool up) {
        if (up) m_ready = true;
    };
    auto ex = m_io.get_executor();
    boost::asio::post(m_io, [&] {
        m_directories = jm::net::MultiDirectoryClient::create(ex, {s}, m_identity, handler);
        m_directories->start();
    });
    m_thread = std::thread([this] {
        auto guard = boost::asio::make_work_guard(m_io);
        m_io.run();
    });
    if (!eventually([&] { return m_ready.load(); })) throw std::runtime_error("the hostile maker did not connect");
}

void HostileMaker::announce(const std::string& cjfee) {
    std::promise<void> sent;
    boost::asio::post(m_io, [&] {
        (void)m_directories->sendPublic({{"sw0reloffer", "0 100000 90000000 0 " + cjfee}});
        sent.set_value();
    });
    sent.get_future().wait();
}

void HostileMaker::cancel() {
    std::promise<void> sent;
    boost::asio::post(m_io, [&] {
        (void)m_directories->sendPublic({{"cancel", "0"}});
        sent.set_value();
    });
    sent.get_future().wait();
}

namespace {

//! The same ECDSA signature with S replaced by n − S (DER in, DER out): still valid by
//! consensus, refused by Bitcoin Core's relay policy (low-S).
jm::bitcoin::Bytes withHighS(const jm::bitcoin::Bytes& der) {
    static constexpr std::array<std::uint8_t, 32> N = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                                       0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
    std::size_t rlen = der[3], spos = 4 + rlen, slen = der[spos + 1];
    std::array<std::uint8_t, 32> s{};
    std::size_t skip = slen > 32 ? slen - 32 : 0; // a leading 0x00
    std::copy(der.begin() + spos + 2 + skip, der.begin() + spos + 2 + slen, s.end() - (slen - skip));
    std::array<std::uint8_t, 32> out{};
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
        int d = int(N[i]) - int(s[i]) - borrow;
        borrow = d < 0;
        out[i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
    }
    jm::bitcoin::Bytes snew(out.begin(), out.end());
    while (snew.size() > 1 && snew[0] == 0 && !(snew[1] & 0x80))
        snew.erase(snew.begin());
    if (snew[0] & 0x80) snew.insert(snew.begin(), 0);
    jm::bitcoin::Bytes r(der.begin() + 4, der.begin() + 4 + rlen);
    jm::bitcoin::Bytes res{0x30, static_cast<std::uint8_t>(4 + r.size() + snew.size()), 0x02,
                           static_cast<std::uint8_t>(r.size())};
    res.insert(res.end(), r.begin(), r.end());
    res.push_back(0x02);
    res.push_back(static_cast<std::uint8_t>(snew.size()));
    res.insert(res.end(), snew.begin(), snew.end());
    return res;
}

} // namespace

void HostileMaker::sendOffers(const std::string& taker) {
    // A range as large as a real maker's, whatever its coins (a too-small coin is the point of
    // one misbehaviour).
    if (m_how == Misbehaviour::NoOffers) return;
    std::string text = "0 " + std::to_string(m_minsize) + " 90000000 0 " + m_cjfee;
    if (m_bond) text += "!tbond " + m_bond(taker);
    (void)m_directories->sendPrivate(taker, "sw0reloffer", text);
    if (m_how == Misbehaviour::OfferChanges)
        (void)m_directories->sendPublic({{"sw0reloffer", "0 100000 90000000 0 0.3"}});
    if (m_how == Misbehaviour::RepeatsOffers && !m_repeat) {
        m_repeat.emplace(m_io);
        // Each copy differs in its minsize: identical lines would be de-duplicated.
        // The pending wait owns the loop; the loop holds itself weakly (no cycle to leak).
        auto again = std::make_shared<std::function<void()>>();
        auto count = std::make_shared<int>(0);
        std::weak_ptr<std::function<void()>> weak_again = again;
        *again = [this, taker, weak_again, count] {
            m_repeat->expires_after(std::chrono::milliseconds(200));
            m_repeat->async_wait([this, taker, again = weak_again.lock(), count](boost::system::error_code ec) {
                if (ec) return;
                (void)m_directories->sendPrivate(taker, "sw0reloffer",
                                                 "0 " + std::to_string(100000 + ++*count) + " 90000000 0 " + m_cjfee);
                (*again)();
            });
        };
        (*again)();
    }
}

void HostileMaker::onMessage(const jm::net::RoutedMessage& routed) {
    const auto& line = routed.message.line;
    if (!routed.message.is_private) {
        auto commands = jm::protocol::splitCommands(line.body);
        if (commands && !commands->empty() && commands->front().name == "orderbook") sendOffers(line.from);
        return;
    }
    if (line.to != nick()) return;
    auto body = jm::protocol::parseSignedBody(line.body);
    if (!body) return;
    const auto& taker = line.from;
    const auto& command = body->first_command;
    auto send = [&](const std::string& cmd, const std::string& text) {
        (void)m_directories->sendPrivate(taker, cmd, text);
    };
    if (command == "orderbook") return sendOffers(taker);
    if (command == "fill") {
        ++m_fills;
        auto fill = jm::protocol::parseFill(body->commands.front().args);
        if (!fill || m_how == Misbehaviour::SilentAtFill) return;
        // With terminal escape sequences (clear screen, set title): the taker must not pass
        // them on to the user's terminal.
        if (m_how == Misbehaviour::ErrorAtFill) return send("error", "oid not found\x1b[2J\x1b]0;pwned\x07");
        if (m_how == Misbehaviour::BlacklistAtFill)
            return send("error", "Commitment is blacklisted: " + fill->commitment);
        m_amount = fill->amount;
        m_keys = jm::protocol::BoxKeyPair::generate();
        m_box.emplace(*m_keys, jm::protocol::parseBoxPublicKey(fill->taker_encpk).value());
        std::vector<std::string> features;
        if (m_compat) features.push_back("neutrino_compat");
        return send("pubkey", jm::protocol::formatPubkeyArgs({m_keys->publicKeyHex(), features}));
    }
    if (!m_box) return;
    if (command == "auth") {
        auto b64 = jm::protocol::parseBase64Payload(body->text);
        auto plain = b64 ? m_box->decrypt(*b64) : jm::sdk::Result<std::string>(b64.error());
        if (!plain || m_how == Misbehaviour::SilentAtAuth) return;
        auto proof = jm::protocol::parseRevelation(*plain);
        if (!proof) return;
        {
            std::lock_guard lock(m_authMutex);
            m_takerCoin = proof->utxo;
        }
        jm::protocol::IoauthMessage msg;
        auto first = m_coins[0];
        switch (m_how) {
        case Misbehaviour::NonexistentCoin: {
            jm::bitcoin::OutPoint fake = first.outpoint;
            fake.txid[0] ^= 0x5a;
            msg.utxos.push_back({fake, {}, {}});
            break;
        }
        case Misbehaviour::TakersCoin:
            msg.utxos.push_back({first.outpoint, {}, {}});
            msg.utxos.push_back({jm::protocol::parseUtxoString(proof->utxo).value().outpoint, {}, {}});
            break;
        case Misbehaviour::ManyCoins:
            for (const auto& c : m_coins)
                msg.utxos.push_back({c.outpoint, {}, {}});
            break;
        case Misbehaviour::DuplicateOutpoint:
            msg.utxos.push_back({first.outpoint, {}, {}});
            msg.utxos.push_back({first.outpoint, {}, {}});
            break;
        default:
            msg.utxos.push_back({first.outpoint, {}, {}});
        }
        auto auth_key = m_how == Misbehaviour::ForeignAuthKey ? jm::bitcoin::PrivateKey::generate() : first.key;
        msg.auth_pub_hex = jm::bitcoin::toHex(auth_key.publicKey().compressed());
        auto address = [](const jm::bitcoin::PrivateKey& k) {
            return jm::bitcoin::scriptToAddress(jm::bitcoin::p2wpkhScript(k.publicKey()), jm::bitcoin::Network::Testnet)
                .value();
        };
        msg.cj_address = address(m_cjKey);
        msg.change_address = address(m_changeKey);
        auto sig_key = m_how == Misbehaviour::BadBtcSig ? jm::bitcoin::PrivateKey::generate() : auth_key;
        msg.btc_sig = jm::protocol::signIoauth(sig_key, m_keys->publicKeyHex());
        // formatIoauth refuses nothing: the duplicate goes out as a hostile maker would send it.
        bool extended = m_compat && m_how != Misbehaviour::LegacyIoauth;
        for (auto& u : msg.utxos) {
            if (!extended) break;
            auto own =
                std::find_if(m_coins.begin(), m_coins.end(), [&](const auto& c) { return c.outpoint == u.outpoint; });
            u.script_pubkey =
                own != m_coins.end() ? own->script_pubkey : jm::bitcoin::p2wpkhScript(m_cjKey.publicKey());
            u.height = m_how == Misbehaviour::SpentCoin ? m_spentHeight
                                                        : creationHeight(m_hub.chain(), u.outpoint).value_or(1);
            if (m_how == Misbehaviour::WrongHintScript)
                u.script_pubkey = jm::bitcoin::p2wpkhScript(m_cjKey.publicKey());
            if (m_how == Misbehaviour::WrongHintHeight) *u.height += 1;
        }
        std::string text;
        for (std::size_t i = 0; i < msg.utxos.size(); ++i)
            text += (i ? "," : "") + jm::protocol::formatUtxoString(msg.utxos[i], extended);
        text += " " + msg.auth_pub_hex + " " + msg.cj_address + " " + msg.change_address + " " + msg.btc_sig;
        return send("ioauth", m_box->encrypt(text));
    }
    if (command == "tx") {
        ++m_txs;
        auto b64 = jm::protocol::parseBase64Payload(body->text, 1 << 20);
        auto plain = b64 ? m_box->decrypt(*b64) : jm::sdk::Result<std::string>(b64.error());
        if (!plain || m_how == Misbehaviour::SilentAtTx) return;
        auto tx = jm::protocol::parseTxPayload(*plain);
        if (!tx) return;
        if (m_how == Misbehaviour::GarbageSig) return send("sig", m_box->encrypt("AAAA"));
        auto to_sign = *tx;
        if (m_how == Misbehaviour::SigForOtherTx) to_sign.locktime += 1;
        for (std::size_t i = 0; i < to_sign.inputs.size(); ++i)
            for (const auto& c : m_coins)
                if (to_sign.inputs[i].prevout == c.outpoint) {
                    auto index = m_how == Misbehaviour::SigForOtherInput ? (i + 1) % to_sign.inputs.size() : i;
                    (void)jm::bitcoin::signP2wpkhInput(to_sign, index, c.key, c.value);
                    auto& w = to_sign.inputs[index].witness;
                    if (m_how == Misbehaviour::HighSSig) {
                        jm::bitcoin::Bytes der(w[0].begin(), w[0].end() - 1);
                        w[0] = withHighS(der);
                        w[0].push_back(jm::bitcoin::SIGHASH_ALL);
                    } else if (m_how == Misbehaviour::UndefinedSighash) {
                        auto pub = c.key.publicKey();
                        auto hash = jm::bitcoin::segwitSighash(to_sign, index, jm::bitcoin::p2wpkhScriptCode(pub),
                                                               c.value, 0x04);
                        w[0] = c.key.signDer(hash.value());
                        w[0].push_back(0x04);
                    }
                    send("sig", m_box->encrypt(jm::protocol::formatSigPayload(to_sign.inputs[index].witness)));
                }
    }
}

} // namespace jm::test
