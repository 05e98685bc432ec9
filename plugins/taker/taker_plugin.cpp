// The taker role: a run from the wallet sync to the confirmation, in the order of the stages
// (taker_plugin.hpp has the state table). Incoming messages are dispatched in taker_protocol.cpp.
#include "taker_plugin.hpp"
#include "taker_run.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/bitcoin/size_estimator.hpp>
#include <jm/market/bond_check.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/utxo_string.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/files.hpp>
#include <jm/sdk/password_source.hpp>
#include <jm/taker/events.hpp>
#include <jm/wallet/balance_report.hpp>
#include <jm/wallet/payment.hpp>

#include <boost/asio/post.hpp>

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace jm::plugins::taker {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::wallet::WalletUtxo;
using State = MakerSession::State;

namespace {

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

constexpr auto TICK = std::chrono::milliseconds(50);
//! BITCOIN_DUST_THRESHOLD: a taker change at or below this goes to the miners (REF).
constexpr std::int64_t TAKER_CHANGE_DUST = 2730;
//! Broadcasts of one transaction before the run gives up waiting to see it.
constexpr int MAX_BROADCASTS = 5;

// The wallet's balance as a sync found it, against the one last reported (the taker syncs at
// the start of each run, so its last CoinJoin shows there, named by the CoinJoins it recorded).
void publishBalanceChange(jm::sdk::PluginContext& ctx, const TakerStore& store, jm::sdk::KvStore& wallet_store,
                          const jm::wallet::SyncResult& result) {
    // Read only when the sync found a transaction it did not know.
    std::optional<std::set<std::string, std::less<>>> own;
    auto is_own = [&](std::string_view txid) {
        if (!own) {
            own.emplace();
            if (auto records = store.coinjoins())
                for (auto& r : *records)
                    own->insert(std::move(r.txid));
        }
        return own->count(txid) > 0;
    };
    auto report = jm::wallet::reportBalance(wallet_store, result, ctx.instanceName(), is_own);
    if (!report)
        JM_LOG(ctx.logger(), warning) << "wallet balance record: " << report.error().message;
    else if (*report)
        ctx.bus().publish(**report);
}

} // namespace

std::string_view toString(Stage s) noexcept {
    switch (s) {
    case Stage::Idle:
        return "idle";
    case Stage::Syncing:
        return "syncing";
    case Stage::Orderbook:
        return "orderbook";
    case Stage::Bonds:
        return "bonds";
    case Stage::Fill:
        return "fill";
    case Stage::Auth:
        return "auth";
    case Stage::Signatures:
        return "signatures";
    case Stage::Broadcast:
        return "broadcast";
    case Stage::Confirming:
        return "confirming";
    }
    return "unknown";
}

TakerPlugin::TakerPlugin(jm::sdk::PluginContext& ctx, TakerSettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)), m_store(ctx.store()), m_stageTimer(ctx.executor()),
    m_tickTimer(ctx.executor()) {}

TakerPlugin::~TakerPlugin() {
    m_stopped = true;
    if (m_run && m_run->directories) m_run->directories->stop();
    if (m_run && m_run->direct) m_run->direct->stop();
}

Stage TakerPlugin::stage() const { return m_run ? m_run->stage : Stage::Idle; }

const std::string& TakerPlugin::nick() const {
    static const std::string none;
    return m_run && m_run->identity ? m_run->identity->nick() : none;
}

jm::sdk::Result<std::string> TakerPlugin::readPassword() {
    return jm::sdk::readWalletPassword(m_ctx, m_settings.password_file, "taker");
}

jm::sdk::Result<void> TakerPlugin::start() {
    auto network = jm::bitcoin::parseNetwork(m_ctx.network());
    if (!network) return network.error();
    m_network = *network;
    auto store = m_ctx.openWalletStore(m_settings.wallet);
    if (!store) return store.error().withContext("wallet '" + m_settings.wallet + "'");
    m_walletStore = std::move(*store);
    if (!jm::wallet::Wallet::exists(*m_walletStore))
        return fail(errc::not_found, "no wallet '" + m_settings.wallet + "' (create one with `jmnode wallet create`)");
    auto password = readPassword();
    if (!password) return password.error();
    auto wallet = jm::wallet::Wallet::open(*m_walletStore, *password);
    sodium_memzero(password->data(), password->size());
    if (!wallet) return wallet.error();
    if (wallet->network() != *network)
        return fail(errc::invalid_config,
                    "the wallet is for another network than the node's " + std::string(m_ctx.network()));
    m_wallet = std::make_shared<jm::wallet::Wallet>(std::move(*wallet));
    m_utxos = std::make_unique<jm::wallet::UtxoSet>(*m_walletStore, m_settings.min_confirmations);

    auto backend = m_ctx.services().get<jm::chain::BlockchainBackend>(m_settings.backend);
    if (!backend) return backend.error();
    m_backend = *backend;
    auto chooser = m_ctx.services().get<jm::taker::OrderChooser>(m_settings.chooser);
    if (!chooser) return chooser.error();
    m_chooser = *chooser;
    if (!m_settings.fee.empty()) {
        auto fee = m_ctx.services().get<jm::chain::FeeEstimator>(m_settings.fee);
        if (!fee) return fee.error();
        m_fee = *fee;
    }
    m_subscriptions.push_back(m_ctx.bus().subscribe<jm::sdk::events::TxStatusChanged>(
        m_ctx.executor(), guarded([this](const jm::sdk::events::TxStatusChanged& e) {
            onTxStatus(e.txid, e.state == jm::sdk::events::TxState::Mempool,
                       e.state == jm::sdk::events::TxState::Confirmed, e.confirmations);
        })));
    JM_LOG(m_ctx.logger(), info) << "taker ready: wallet '" << m_settings.wallet << "', chooser '" << m_settings.chooser
                                 << "', " << m_settings.directories.size() << " directories";
    return {};
}

void TakerPlugin::stop(std::function<void()> done) {
    m_subscriptions.clear();
    if (m_run) failRun(errc::cancelled, "the node is stopping");
    m_stopped = true;
    m_stageTimer.cancel();
    m_tickTimer.cancel();
    JM_LOG(m_ctx.logger(), info) << "taker stopped";
    done();
}

// ---------------------------------------------------------------------------------------------
// The service: each call posts to the strand.

void TakerPlugin::send(jm::taker::CoinjoinRequest request, jm::taker::CoinjoinObserver observer, jm::sdk::Executor ex,
                       jm::chain::Callback<jm::taker::CoinjoinResult> done) {
    boost::asio::post(
        m_ctx.executor(), guarded([this, request = std::move(request), observer = std::move(observer), ex,
                                   done = std::move(done)]() mutable {
            auto refuse = [&](jm::sdk::Error e) {
                boost::asio::post(ex, [done = std::move(done), e = std::move(e)] { done(e); });
            };
            if (m_run) return refuse(jm::sdk::Error(errc::unavailable, "a CoinJoin is already running"));
            if (request.mixdepth < 0 || request.mixdepth >= m_wallet->mixdepths())
                return refuse(
                    jm::sdk::Error(errc::invalid_argument, "no mixdepth " + std::to_string(request.mixdepth)));
            auto destination = jm::bitcoin::addressToScript(request.destination, m_network);
            if (!destination)
                return refuse(jm::sdk::Error(errc::invalid_argument, "destination: " + destination.error().message));
            if (!request.sweep)
                if (auto ok = jm::wallet::checkPaymentAmount(*destination, request.amount); !ok)
                    return refuse(ok.error());
            if (request.makers == 0) request.makers = m_settings.makers;
            // Fewer could never pass the !fill stage: every attempt would burn a commitment.
            if (request.makers < m_settings.minimum_makers)
                return refuse(jm::sdk::Error(errc::invalid_argument,
                                             std::to_string(request.makers) + " makers is below minimum_makers (" +
                                                 std::to_string(m_settings.minimum_makers) + ")"));
            auto run = std::make_unique<Run>();
            run->request = std::move(request);
            run->observer = std::move(observer);
            run->ex = ex;
            run->done = std::move(done);
            run->destination = std::move(*destination);
            beginRun(std::move(run));
        }));
}

void TakerPlugin::orderbook(jm::sdk::Executor ex, jm::chain::Callback<std::vector<jm::taker::OrderbookEntry>> done) {
    boost::asio::post(m_ctx.executor(), guarded([this, ex, done = std::move(done)]() mutable {
                          if (m_run) {
                              boost::asio::post(ex, [done = std::move(done)] {
                                  done(jm::sdk::Error(errc::unavailable, "a CoinJoin is already running"));
                              });
                              return;
                          }
                          auto run = std::make_unique<Run>();
                          run->orderbook_only = true;
                          run->ex = ex;
                          run->book_done = std::move(done);
                          beginRun(std::move(run));
                      }));
}

void TakerPlugin::addExternalCommitments(std::vector<jm::taker::ExternalCommitment> commitments, jm::sdk::Executor ex,
                                         jm::chain::Callback<std::size_t> done) {
    boost::asio::post(m_ctx.executor(),
                      guarded([this, commitments = std::move(commitments), ex, done = std::move(done)]() mutable {
                          jm::sdk::Result<std::size_t> result = commitments.size();
                          for (const auto& c : commitments)
                              if (auto r = m_store.addExternal(c); !r) {
                                  result = r.error();
                                  break;
                              }
                          boost::asio::post(ex, [done = std::move(done), result = std::move(result)] { done(result); });
                      }));
}

// ---------------------------------------------------------------------------------------------
// Syncing: the wallet and the fee rate, then the directories.

void TakerPlugin::beginRun(std::unique_ptr<Run> run) {
    run->id = m_nextRunId++;
    // A fresh nick per run, as REF takers do; the node's makers ignore its !fill.
    run->identity = std::make_shared<const jm::protocol::NickIdentity>();
    run->book = Orderbook(run->identity->nick());
    m_run = std::move(run);
    m_ctx.bus().publish(jm::sdk::events::RoleNick{std::string(m_ctx.instanceName()), "taker", m_run->identity->nick()});
    setStage(Stage::Syncing, "sync", "wallet sync");
    if (m_run->orderbook_only) return connect();
    jm::wallet::SyncOptions options;
    if (m_settings.birthday_height > 0) options.rescan_from = m_settings.birthday_height;
    jm::wallet::WalletSync::run(*m_wallet, *m_backend, options, {}, m_ctx.executor(),
                                [keep = std::make_pair(m_walletStore, m_wallet), id = m_run->id,
                                 done = guarded([this](std::uint64_t id, jm::sdk::Result<jm::wallet::SyncResult> r) {
                                     if (m_run && m_run->id == id) synced(std::move(r));
                                 })](jm::sdk::Result<jm::wallet::SyncResult> r) mutable { done(id, std::move(r)); });
}

void TakerPlugin::synced(jm::sdk::Result<jm::wallet::SyncResult> result) {
    if (!result) return failRun(result.error().code, "wallet sync: " + result.error().message);
    publishBalanceChange(m_ctx, m_store, *m_walletStore, *result);
    if (auto r = m_utxos->replace(std::move(result->utxos)); !r) return failRun(r.error().code, r.error().message);
    m_run->tip = result->tip;
    auto rated = guarded([this, id = m_run->id](jm::sdk::Result<std::int64_t> rate) {
        if (!m_run || m_run->id != id) return;
        if (!rate) return failRun(rate.error().code, "fee estimate: " + rate.error().message);
        if (*rate > m_settings.absurd_fee_per_kb)
            return failRun(errc::rejected,
                           "the fee estimate " + std::to_string(*rate) + " sat/kvB is above absurd_fee_per_kb");
        m_run->fee_rate = std::max<std::int64_t>(*rate, 1000);
        connect();
    });
    if (m_fee)
        m_fee->estimate(m_settings.fee_target, m_ctx.executor(), std::move(rated));
    else
        m_backend->estimateFee(m_settings.fee_target, m_ctx.executor(), std::move(rated));
}

void TakerPlugin::connect() {
    std::vector<jm::net::DirectoryClientSettings> directories;
    for (const auto& d : m_settings.directories) {
        jm::net::DirectoryClientSettings s;
        s.host = d.host;
        s.port = d.port;
        s.network = m_settings.directory_network.empty() ? std::string(m_ctx.network()) : m_settings.directory_network;
        s.connect_timeout = m_settings.connect_timeout;
        s.handshake_timeout = m_settings.connect_timeout;
        // Checked when the config was read: a .onion directory has a SOCKS proxy.
        if (auto proxy = m_settings.tor.proxyFor(d.host, d.host)) s.socks = *proxy;
        // A light client chooses among makers the peerlists name with neutrino_compat: ask for the
        // peerlists' features (";F:", protocol.md 4). A full node stays REF-like ({}).
        if (!m_backend->capabilities().any_outpoint_lookup) s.features["peerlist_features"] = true;
        directories.push_back(s);
    }
    auto id = m_run->id;
    auto mine = [this, id] { return m_run && m_run->id == id; };
    jm::net::MultiDirectoryHandler handler;
    handler.on_message = guarded([this, mine](const jm::net::RoutedMessage& m) {
        if (mine()) onMessage(m);
    });
    handler.on_directory = guarded([this, mine](std::size_t directory, bool ready) {
        if (mine()) onDirectory(directory, ready);
    });
    handler.on_nick_seen = guarded([this, mine](const std::string& nick, const std::string&) {
        if (mine()) m_run->listed.insert(nick);
    });
    handler.on_peerlist = guarded([this, mine](std::size_t directory) {
        if (mine()) m_run->peerlists.insert(directory);
    });
    handler.on_peer_entry = guarded([this, mine](const jm::protocol::PeerlistEntry& e, std::size_t) {
        if (!mine() || e.disconnected) return;
        // Both maps are bounded: a directory listing thousands of nicks cannot grow them without end.
        if (std::find(e.features.begin(), e.features.end(), "neutrino_compat") != e.features.end() &&
            m_run->neutrino_compat.size() < 10'000)
            m_run->neutrino_compat.insert(e.nick);
        auto location = jm::protocol::parseLocation(e.location);
        if (location && location->serving() && (m_run->locations.size() < 10'000 || m_run->locations.count(e.nick)))
            m_run->locations[e.nick] = e.location;
        // A chosen maker whose location comes late (REF directories tell it after relaying).
        if (m_run->makers.count(e.nick) && m_run->stage >= Stage::Fill && m_run->stage <= Stage::Signatures)
            dialMaker(e.nick);
    });
    handler.on_nick_gone = guarded([this, mine](const std::string& nick) {
        if (!mine()) return;
        m_run->listed.erase(nick);
        if (m_run->stage == Stage::Orderbook) m_run->book.remove(nick);
    });
    m_run->directories =
        jm::net::MultiDirectoryClient::create(m_ctx.executor(), std::move(directories), m_run->identity, handler);
    startDirect();
    m_run->orderbook_started = Clock::now();
    m_run->last_answer = m_run->orderbook_started;
    setStage(Stage::Orderbook, "orderbook",
             "asking " + std::to_string(m_settings.directories.size()) + " director" +
                 (m_settings.directories.size() == 1 ? "y" : "ies") + " for offers");
    m_run->directories->start();
    checkOrderbookDone();
}

void TakerPlugin::onDirectory(std::size_t directory, bool ready) {
    if (!ready) return;
    ++m_run->directories_ready;
    // Every directory is asked: makers seen only there answer through it. GETPEERLIST first: a
    // directory handles our lines in order, so its whole list reaches us before any offer. The
    // other way round, over a slow link (Tor) the makers' answers could come first, each with a
    // one-nick 789, and "every listed nick answered" would end the orderbook with one maker.
    auto& d = m_run->directories->directory(directory);
    (void)d.requestPeerlist();
    (void)d.sendPublic({{"orderbook", ""}});
}

// ---------------------------------------------------------------------------------------------
// Orderbook: no fixed wait.

void TakerPlugin::checkOrderbookDone() {
    if (!m_run || m_run->stage != Stage::Orderbook) return;
    auto now = Clock::now();
    auto& run = *m_run;
    std::size_t answered = 0;
    bool all_listed = !run.listed.empty();
    for (const auto& nick : run.listed) {
        if (run.book.answered(nick))
            ++answered;
        else
            all_listed = false;
    }
    auto needed = run.orderbook_only ? std::size_t{1} : run.request.makers;
    bool quiet = m_settings.orderbook_quiet.count() > 0 && run.book.answeredCount() >= needed &&
                 now - run.last_answer >= m_settings.orderbook_quiet;
    bool ceiling = now - run.orderbook_started >= m_settings.orderbook_wait;
    if (ceiling && run.directories_ready == 0)
        return failRun(errc::unavailable, "no directory could be reached in " +
                                              std::to_string(m_settings.orderbook_wait.count() / 1000) + " s");
    // An empty market: every directory that can answer a GETPEERLIST did (NG-style ones; REF
    // directories never do, and a directory still connecting may yet list makers), none listed a
    // nick and no nick wrote. Waiting for the ceiling could only find makers that are not there.
    bool empty = run.listed.empty() && run.book.makers().empty() && !run.peerlists.empty();
    for (std::size_t d = 0; empty && d < run.directories->directoryCount(); ++d) {
        auto state = run.directories->directory(d).state();
        bool down = state == jm::net::DirectoryClient::State::waiting_to_reconnect ||
                    state == jm::net::DirectoryClient::State::stopped;
        empty = run.peerlists.count(d) != 0 || down;
    }
    if ((all_listed && answered > 0) || quiet || ceiling || empty) {
        JM_LOG(m_ctx.logger(), info) << "orderbook: " << run.book.offers().size() << " offer(s) of "
                                     << run.book.makers().size() << " maker(s)"
                                     << (all_listed ? " (every listed nick answered)"
                                         : quiet    ? " (quiet)"
                                         : empty    ? " (the directories list no maker)"
                                                    : " (ceiling)");
        return verifyBonds();
    }
    m_tickTimer.expires_after(TICK);
    m_tickTimer.async_wait(guarded([this, id = run.id](boost::system::error_code ec) {
        if (!ec && m_run && m_run->id == id) checkOrderbookDone();
    }));
}

// ---------------------------------------------------------------------------------------------
// Bonds: each proof's signatures, then its coin through the backend (protocol.md 10.4).

void TakerPlugin::verifyBonds() {
    auto& run = *m_run;
    setStage(Stage::Bonds, "bonds", "verifying fidelity bonds");
    std::vector<std::pair<std::string, jm::protocol::BondProof>> checks;
    for (const auto& maker : run.book.makers()) {
        auto b64 = run.book.bondProof(maker);
        if (!b64) continue;
        auto proof = jm::protocol::parseBondProof(*b64);
        if (!proof) continue;
        if (auto ok = jm::protocol::verifyBondProof(*proof, run.identity->nick(), maker); !ok) {
            JM_LOG(m_ctx.logger(), info) << "bond proof of " << maker << " refused: " << ok.error().message;
            continue;
        }
        checks.emplace_back(maker, std::move(*proof));
    }
    run.bonds_pending = checks.size();
    if (checks.empty()) return bondsVerified();
    // A backend that does not answer must not stall the run: unanswered bonds count for nothing.
    armStageTimer(m_settings.maker_timeout);
    for (auto& [maker, proof] : checks) {
        jm::bitcoin::OutPoint op;
        std::reverse_copy(proof.txid_display.begin(), proof.txid_display.end(), op.txid.begin());
        op.vout = proof.vout;
        // A proof names no block height: a light client cannot find the coin (errc::unsupported),
        // and the bond counts for nothing.
        m_backend->getTxOutHinted(op, std::nullopt, m_ctx.executor(),
                                  guarded([this, id = run.id, maker = maker, proof = proof](auto coin) mutable {
                                      if (m_run && m_run->id == id)
                                          onBondCoin(maker, std::move(proof), std::move(coin));
                                  }));
    }
}

void TakerPlugin::onBondCoin(const std::string& maker, jm::protocol::BondProof proof,
                             jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin) {
    auto& run = *m_run;
    if (run.bonds_done) return;
    // The checks are the SDK's, shared with the orderbook watcher.
    auto bond = jm::market::checkBondCoin(proof, coin, run.tip.height, unixNow(), run.bond_utxos);
    run.book.setBondVerified(maker, bond.has_value());
    if (!bond) {
        JM_LOG(m_ctx.logger(), info) << "bond of " << maker << " not counted: " << bond.error().message;
    } else {
        run.bond_utxos.insert(bond->outpoint);
        run.bond_values[maker] = bond->value;
        run.bond_outpoints[maker] = bond->outpoint.toString();
    }
    if (--run.bonds_pending == 0) bondsVerified();
}

void TakerPlugin::bondsVerified() {
    auto& run = *m_run;
    if (run.bonds_done) return;
    run.bonds_done = true;
    ++run.timer_generation;
    if (run.orderbook_only) {
        std::vector<jm::taker::OrderbookEntry> out;
        for (const auto& o : run.book.offers()) {
            jm::taker::OrderbookEntry e;
            e.counterparty = o.counterparty;
            e.offer = o.offer;
            if (auto v = run.bond_values.find(o.counterparty); v != run.bond_values.end()) {
                e.bond_value = v->second;
                e.bond_outpoint = run.bond_outpoints[o.counterparty];
            }
            out.push_back(std::move(e));
        }
        auto done = std::move(run.book_done);
        boost::asio::post(run.ex, [done = std::move(done), out = std::move(out)] { done(out); });
        endRun();
        return;
    }
    startAttempt();
}

// ---------------------------------------------------------------------------------------------
// An attempt: choose makers, our coins, a commitment; ask the user once; !fill.

std::int64_t TakerPlugin::estimateFee(std::size_t inputs, std::size_t outputs) const {
    std::vector<jm::bitcoin::InputType> ins(inputs, jm::bitcoin::InputType::P2WPKH);
    std::vector<jm::bitcoin::ScriptType> outs(outputs, jm::bitcoin::ScriptType::P2WPKH);
    auto vsize = static_cast<std::int64_t>(jm::bitcoin::estimateVsize(ins, outs));
    return (vsize * m_run->fee_rate + 999) / 1000;
}

std::int64_t TakerPlugin::feeLimit(std::int64_t, std::int64_t amount) const {
    // An offer passes when its net fee is under either limit (REF _get_is_within_max_limits).
    auto r = jm::protocol::realCjfee("sw0reloffer", m_settings.max_cj_fee_rel, amount);
    auto rel = r ? *r : 0;
    return std::max(m_settings.max_cj_fee_abs, rel);
}

void TakerPlugin::startAttempt() {
    auto& run = *m_run;
    ++run.attempt;
    run.makers.clear();
    run.refused_commitment.clear();
    run.signed_inputs.clear();
    run.tx = {};
    run.change_address.reset();
    run.keys = jm::protocol::BoxKeyPair::generate(); // one fresh key per attempt, for every maker
    if (auto r = chooseMakers(); !r) return failRun(r.error().code, r.error().message);
    if (auto r = makeCommitment(); !r) return failRun(r.error().code, r.error().message);

    jm::taker::CoinjoinPlan plan;
    plan.attempt = run.attempt;
    plan.cj_amount = run.cj_amount;
    for (const auto& [nick, m] : run.makers) {
        plan.makers.push_back({nick, m.offer, m.cjfee, m.bond_value});
        plan.maker_fees += m.cjfee - m.offer.txfee;
    }
    plan.mining_fee = run.taker_txfee;
    std::string detail = std::to_string(run.makers.size()) + " makers, " + std::to_string(run.cj_amount) +
                         " sat, maker fees " + std::to_string(plan.maker_fees) + " sat, mining fee ~" +
                         std::to_string(plan.mining_fee) + " sat";
    setStage(Stage::Bonds, "chosen", detail);
    for (const auto& m : plan.makers)
        JM_LOG(m_ctx.logger(), info) << "chose " << m.nick << " (offer " << m.offer.oid << ", fee " << m.cjfee
                                     << " sat, txfee " << m.offer.txfee << " sat, bond " << m.bond_value << ")";
    if (run.attempt == 1 && run.observer.confirm) {
        auto proceed = [this, id = run.id](bool yes) {
            boost::asio::post(m_ctx.executor(), guarded([this, id, yes] {
                                  if (!m_run || m_run->id != id) return;
                                  if (!yes) return failRun(errc::cancelled, "not confirmed");
                                  sendFills();
                              }));
        };
        boost::asio::post(run.ex, [confirm = run.observer.confirm, plan, proceed]() { confirm(plan, proceed); });
        return;
    }
    sendFills();
}

jm::sdk::Result<void> TakerPlugin::chooseMakers() {
    auto& run = *m_run;
    const auto n = run.request.makers;
    auto spendable = m_utxos->spendable(run.request.mixdepth);
    if (spendable.empty())
        return fail(errc::insufficient_funds, "mixdepth " + std::to_string(run.request.mixdepth) + " has no coins");
    std::int64_t total_input = 0;
    for (const auto& u : spendable)
        total_input += u.value;

    // Candidates (protocol.md 11.2, 11.4): our wallet type, not ignored, the amount in range,
    // the fee under a limit.
    std::int64_t sweep_txfee = run.request.sweep ? estimateFee(spendable.size() + 3 * n, 2 * n + 1) : 0;
    std::int64_t amount = run.request.sweep ? total_input : run.request.amount;
    std::vector<jm::taker::CandidateOffer> candidates;
    // The caller's avoid list goes first, before any other filter and the chooser: makers that
    // failed the caller's earlier tries of this CoinJoin (the tumbler's retries) never get a
    // !fill, so never see another of our commitments.
    std::set<std::string> avoided;
    for (const auto& o : run.book.offers()) {
        if (run.request.avoid.count(o.counterparty)) {
            avoided.insert(o.counterparty);
            continue;
        }
        if (run.ignored.count(o.counterparty)) continue;
        if (o.offer.type != jm::protocol::OfferType::Sw0Rel && o.offer.type != jm::protocol::OfferType::Sw0Abs)
            continue;
        if (run.request.sweep) {
            if (!(o.offer.minsize < total_input && o.offer.maxsize > total_input - sweep_txfee)) continue;
        } else if (!(o.offer.minsize < amount && amount < o.offer.maxsize)) {
            continue;
        }
        auto fee = jm::protocol::realCjfee(o.offer, amount);
        if (!fee) continue;
        if (*fee - o.offer.txfee > feeLimit(0, amount)) continue;
        jm::taker::CandidateOffer c;
        c.counterparty = o.counterparty;
        c.offer = o.offer;
        c.cjfee = *fee;
        if (auto v = run.bond_values.find(o.counterparty); v != run.bond_values.end()) c.bond_value = v->second;
        candidates.push_back(std::move(c));
    }
    // A light client can only check makers that send extended utxos: when the peerlists name
    // enough makers with neutrino_compat, only those; else all, and those whose !pubkey does not
    // advertise it are dropped there (and replaced in the next attempt).
    if (!m_backend->capabilities().any_outpoint_lookup) {
        std::vector<jm::taker::CandidateOffer> compat;
        std::set<std::string> compat_makers;
        for (const auto& c : candidates)
            if (run.neutrino_compat.count(c.counterparty)) {
                compat.push_back(c);
                compat_makers.insert(c.counterparty);
            }
        if (compat_makers.size() >= n) {
            candidates = std::move(compat);
        } else {
            JM_LOG(m_ctx.logger(), info) << "light-client backend: only " << compat_makers.size()
                                         << " qualifying maker(s) are listed with neutrino_compat; choosing among all, "
                                            "makers whose !pubkey lacks it are dropped";
        }
    }
    std::set<std::string> distinct;
    for (const auto& c : candidates)
        distinct.insert(c.counterparty);
    if (distinct.size() < n) {
        if (!avoided.empty())
            return fail(errc::not_found, "only " + std::to_string(distinct.size()) +
                                             " maker(s) qualify after excluding " + std::to_string(avoided.size()) +
                                             " maker(s) of the orderbook the request asked to avoid (" +
                                             std::to_string(run.request.avoid.size()) + " on its avoid list, " +
                                             std::to_string(run.book.makers().size()) + " makers in the orderbook, " +
                                             std::to_string(run.ignored.size()) + " failed in this run), " +
                                             std::to_string(n) + " needed");
        return fail(errc::not_found, "only " + std::to_string(distinct.size()) + " maker(s) qualify (" +
                                         std::to_string(run.book.makers().size()) + " in the orderbook, " +
                                         std::to_string(run.ignored.size()) + " ignored), " + std::to_string(n) +
                                         " needed");
    }
    if (!avoided.empty() && run.attempt == 1) {
        std::string nicks;
        for (const auto& nick : avoided)
            nicks += (nicks.empty() ? "" : ", ") + nick;
        JM_LOG(m_ctx.logger(), info) << "avoiding " << avoided.size() << " maker(s) as asked: " << nicks;
    }
    // `need` offers of distinct makers from `pool`, none of `taken`'s makers, by the chooser.
    auto choose = [&](const std::vector<jm::taker::CandidateOffer>& pool, std::size_t need,
                      std::set<std::string>& taken) -> jm::sdk::Result<std::vector<jm::taker::CandidateOffer>> {
        std::uint64_t seed = 0;
        randombytes_buf(&seed, sizeof seed);
        auto chosen = m_chooser->choose(pool, jm::taker::ChooseRequest{run.request.sweep ? 0 : amount, need, seed});
        if (!chosen) return chosen.error().withContext("chooser '" + m_settings.chooser + "'");
        std::vector<jm::taker::CandidateOffer> out;
        for (auto i : *chosen) {
            if (i >= pool.size() || !taken.insert(pool[i].counterparty).second)
                return fail(errc::internal, "chooser '" + m_settings.chooser + "' chose an invalid or repeated offer");
            out.push_back(pool[i]);
        }
        if (out.size() != need)
            return fail(errc::internal, "chooser '" + m_settings.chooser + "' chose too few offers");
        return out;
    };
    std::set<std::string> nicks;
    auto first = choose(candidates, n, nicks);
    if (!first) return first.error();
    auto picks = std::move(*first);

    if (run.request.sweep) {
        // REF choose_sweep_orders: the amount that leaves the mixdepth empty depends on the chosen
        // fees; a maker whose offer does not cover that amount is replaced by another choice and
        // the amount computed again, until every chosen offer covers it. Each round rules out at
        // least one maker, so this ends.
        std::set<std::string> unfit;
        std::optional<jm::protocol::SweepResult> sweep;
        for (;;) {
            std::vector<jm::protocol::Offer> offers;
            for (const auto& p : picks)
                offers.push_back(p.offer);
            auto amounts = jm::protocol::sweepAmount(total_input, sweep_txfee, offers);
            if (!amounts) return amounts.error();
            sweep = std::move(*amounts);
            std::vector<jm::taker::CandidateOffer> fitting;
            for (std::size_t i = 0; i < picks.size(); ++i) {
                const auto& o = picks[i].offer;
                std::string why;
                if (sweep->cj_amount < o.minsize || sweep->cj_amount > o.maxsize)
                    why = "the sweep amount " + std::to_string(sweep->cj_amount) + " is outside its offer (" +
                          std::to_string(o.minsize) + ".." + std::to_string(o.maxsize) + ")";
                else if (sweep->maker_fees[i] - o.txfee > feeLimit(0, sweep->cj_amount))
                    why = "its fee for the sweep amount is over the limits";
                if (why.empty()) {
                    fitting.push_back(picks[i]);
                    continue;
                }
                JM_LOG(m_ctx.logger(), info) << "not choosing " << picks[i].counterparty << ": " << why;
                unfit.insert(picks[i].counterparty);
                nicks.erase(picks[i].counterparty);
            }
            if (fitting.size() == picks.size()) break;
            std::vector<jm::taker::CandidateOffer> rest;
            std::set<std::string> rest_makers;
            for (const auto& c : candidates)
                if (!unfit.count(c.counterparty) && !nicks.count(c.counterparty)) {
                    rest.push_back(c);
                    rest_makers.insert(c.counterparty);
                }
            auto need = n - fitting.size();
            if (rest_makers.size() < need)
                return fail(errc::not_found, "the sweep amount " + std::to_string(sweep->cj_amount) +
                                                 " is outside the offers of " + std::to_string(unfit.size()) +
                                                 " maker(s) and only " + std::to_string(rest_makers.size()) +
                                                 " other(s) qualify, " + std::to_string(need) + " more needed");
            auto more = choose(rest, need, nicks);
            if (!more) return more.error();
            for (auto& c : *more)
                fitting.push_back(std::move(c));
            picks = std::move(fitting);
        }
        if (sweep->cj_amount < jm::protocol::DUST_THRESHOLD)
            return fail(errc::insufficient_funds, "the sweep leaves " + std::to_string(sweep->cj_amount) + " sat");
        run.cj_amount = sweep->cj_amount;
        run.taker_txfee = sweep->taker_txfee;
        run.sweep_total_txfee = sweep_txfee;
        run.own_coins = spendable;
        for (std::size_t i = 0; i < picks.size(); ++i) {
            MakerSession m;
            m.nick = picks[i].counterparty;
            m.offer = picks[i].offer;
            m.cjfee = sweep->maker_fees[i];
            m.bond_value = picks[i].bond_value;
            m.neutrino_compat = run.neutrino_compat.count(m.nick) != 0;
            run.makers.emplace(m.nick, std::move(m));
        }
        return {};
    }
    run.cj_amount = amount;
    std::int64_t fees = 0, txfees = 0;
    for (const auto& p : picks) {
        MakerSession m;
        m.nick = p.counterparty;
        m.offer = p.offer;
        m.cjfee = p.cjfee;
        m.bond_value = p.bond_value;
        m.neutrino_compat = run.neutrino_compat.count(m.nick) != 0;
        fees += p.cjfee;
        txfees += p.offer.txfee;
        run.makers.emplace(m.nick, std::move(m));
    }
    // Coins of ours that an earlier CoinJoin, signed and handed out, spent without confirming
    // (it left the mempool, or the maker given the !push kept it): whoever holds it can still
    // broadcast it. This one spends them too, so that at most one of the two can ever confirm
    // (a retry, e.g. the tumbler's, never pays the same destination twice). A sweep spends
    // every coin anyway.
    auto records = m_store.coinjoins();
    if (!records) return records.error().withContext("the taker's CoinJoin records");
    std::vector<WalletUtxo> encumbered;
    for (const auto& r : *records)
        for (const auto& o : r.inputs)
            for (const auto& u : spendable)
                if (u.outpoint == o &&
                    std::none_of(encumbered.begin(), encumbered.end(), [&](const auto& e) { return e.outpoint == o; }))
                    encumbered.push_back(u);
    if (!encumbered.empty())
        JM_LOG(m_ctx.logger(), info) << "spending " << encumbered.size()
                                     << " coin(s) of an earlier CoinJoin that was signed but never confirmed, so "
                                        "that at most one of them confirms";
    // Our coins: the amount, the fees and the mining fee with three inputs per maker (REF's
    // budget), re-estimated with the count of our own inputs.
    std::size_t own = 1;
    for (int round = 0; round < 3; ++round) {
        auto mining = std::max<std::int64_t>(estimateFee(own + 3 * n, 2 * n + 2) - txfees, 0);
        auto coins = m_utxos->selectCoins(run.request.mixdepth, amount + fees + mining);
        if (!coins) return coins.error();
        for (const auto& e : encumbered)
            if (std::none_of(coins->begin(), coins->end(), [&](const auto& c) { return c.outpoint == e.outpoint; }))
                coins->push_back(e);
        run.own_coins = std::move(*coins);
        run.taker_txfee = mining;
        if (run.own_coins.size() <= own) break;
        own = run.own_coins.size();
    }
    return {};
}

jm::sdk::Result<void> TakerPlugin::makeCommitment() {
    auto& run = *m_run;
    const auto& policy = m_settings.podle;
    auto min_value = jm::protocol::podleMinimumValue(run.cj_amount, policy.amount_percent);
    auto tryCoin = [&](const WalletUtxo& u) -> jm::sdk::Result<bool> {
        if (u.confirmations < policy.min_confirmations || u.value < min_value) return false;
        if (u.branch == jm::wallet::BRANCH_FIDELITY_BOND) return false;
        auto key = m_wallet->privateKey(u.mixdepth, u.branch, u.index);
        if (!key) return key.error();
        std::string failure;
        auto index = jm::protocol::podleNextIndex(
            [&](int i) {
                auto c = jm::protocol::podleCommitmentFor(*key, i);
                auto used = c ? m_store.isUsed(*c) : jm::sdk::Result<bool>(c.error());
                if (!used) failure = used.error().message;
                return !used || *used;
            },
            policy);
        if (!failure.empty()) return fail(errc::io_error, "commitment store: " + failure);
        if (!index) return false;
        auto proof = jm::protocol::generatePodle(*key, jm::protocol::formatUtxoString({u.outpoint, {}, {}}), *index);
        if (!proof) return proof.error();
        run.commitment = jm::protocol::podleCommitment(*proof);
        run.opening = jm::protocol::formatRevelation(*proof);
        // The utxo is not part of the proof: the same opening names the coin in NG's extended form
        // for neutrino_compat makers (its confirmations were counted at the wallet sync).
        proof->utxo = jm::protocol::formatUtxoString(
            {u.outpoint, u.script_pubkey, std::int64_t(run.tip.height) - u.confirmations + 1}, true);
        run.opening_extended = jm::protocol::formatRevelation(*proof);
        return true;
    };
    // REF make_commitment: the coins of this CoinJoin, then external openings, then every coin
    // of the mixdepth.
    for (const auto& u : run.own_coins) {
        auto r = tryCoin(u);
        if (!r) return r.error();
        if (*r) return {};
    }
    auto externals = m_store.externals();
    if (!externals) return externals.error();
    for (const auto& e : *externals)
        for (std::size_t i = 0; i < e.commitments.size() && static_cast<int>(i) < policy.retries; ++i) {
            auto used = m_store.isUsed(e.commitments[i]);
            if (!used) return used.error();
            if (*used) continue;
            run.commitment = e.commitments[i];
            run.opening = e.openings[i];
            run.opening_extended.clear();
            return {};
        }
    for (const auto& u : m_utxos->spendable(run.request.mixdepth)) {
        auto r = tryCoin(u);
        if (!r) return r.error();
        if (*r) return {};
    }
    return fail(errc::not_found, "no commitment left: every coin of mixdepth " + std::to_string(run.request.mixdepth) +
                                     " worth at least " + std::to_string(min_value) + " sat with " +
                                     std::to_string(policy.min_confirmations) + " confirmations has used its " +
                                     std::to_string(policy.retries) +
                                     " commitments (add external ones with `jmnode coinjoin add-utxos`)");
}

void TakerPlugin::sendFills() {
    auto& run = *m_run;
    // Persisted before it leaves: after a crash this commitment is never offered again.
    if (auto r = m_store.markUsed(run.commitment); !r)
        return failRun(r.error().code, "cannot record the commitment as used: " + r.error().message);
    // The attempt keeps the offers as they were chosen (REF): a later !cancel or changed offer in
    // the book, which another nick or a directory may have forged or replayed, must not drop an
    // honest maker, nor make us pay more than the user approved. A maker that really withdrew or
    // changed its offer refuses the !fill or the transaction and is replaced like any other.
    setStage(Stage::Fill, "fill", "!fill to " + std::to_string(run.makers.size()) + " makers");
    // Direct connections to the chosen makers start now (REF dials when it first writes to a
    // nick); the !fill goes through a directory unless one is up already, later messages take
    // the direct connection once it is (NG 14.2: makers accept the switch).
    for (auto& [nick, m] : run.makers)
        dialMaker(nick);
    for (auto& [nick, m] : run.makers) {
        sendTo(m, "fill",
               jm::protocol::formatFillArgs({m.offer.oid, run.cj_amount, run.keys.publicKeyHex(), run.commitment}));
    }
    armStageTimer(m_settings.maker_timeout);
    checkStage();
}

void TakerPlugin::sendAuths() {
    auto& run = *m_run;
    std::size_t n = 0;
    for (auto& [nick, m] : run.makers)
        if (m.state == State::PubkeyReceived) ++n;
    setStage(Stage::Auth, "auth", "!auth to " + std::to_string(n) + " makers");
    for (auto& [nick, m] : run.makers) {
        if (m.state != State::PubkeyReceived) continue;
        // Extended only to makers that said they read it: REF parses txid:vout only (14.1).
        bool extended = m.neutrino_compat && !run.opening_extended.empty();
        sendTo(m, "auth", m.box->encrypt(extended ? run.opening_extended : run.opening));
        m.state = State::AuthSent;
    }
    armStageTimer(m_settings.maker_timeout);
    checkStage();
}

// ---------------------------------------------------------------------------------------------
// !ioauth: the maker's coins, verified through the backend before anything depends on them.

void TakerPlugin::onIoauth(MakerSession& maker, std::string_view payload) {
    auto& run = *m_run;
    auto b64 = jm::protocol::parseBase64Payload(payload, 1 << 16);
    if (!b64) return failMaker(maker, "!ioauth is not base64");
    auto plain = maker.box->decrypt(*b64);
    if (!plain) return failMaker(maker, "!ioauth does not decrypt");
    auto msg = jm::protocol::parseIoauth(*plain, static_cast<std::size_t>(m_settings.max_maker_utxos) + 1);
    if (!msg) return failMaker(maker, "bad !ioauth: " + msg.error().message);
    // Outpoints and scripts already taken by us or by other makers of this attempt.
    std::set<jm::bitcoin::OutPoint> taken;
    std::set<jm::bitcoin::Script> scripts{run.destination};
    for (const auto& c : run.own_coins) {
        taken.insert(c.outpoint);
        scripts.insert(c.script_pubkey);
    }
    for (const auto& [nick, other] : run.makers) {
        if (nick == maker.nick || other.state == State::Failed) continue;
        if (other.state == State::CheckingCoins || other.state == State::Verified) {
            for (const auto& u : other.ioauth.utxos)
                taken.insert(u.outpoint);
            for (const auto* a : {&other.ioauth.cj_address, &other.ioauth.change_address})
                if (auto script = jm::bitcoin::addressToScript(*a, m_network)) scripts.insert(*script);
        }
    }
    auto checked =
        checkIoauth(*msg, maker.encpk, m_network, static_cast<std::size_t>(m_settings.max_maker_utxos), taken, scripts);
    if (!checked) return failMaker(maker, checked.error().message);
    bool light = !m_backend->capabilities().any_outpoint_lookup;
    if (light && std::any_of(msg->utxos.begin(), msg->utxos.end(), [](const auto& u) { return !u.extended(); }))
        return failMaker(maker, std::string(jm::protocol::NEUTRINO_INCOMPATIBLE_ERROR) +
                                    ": it listed legacy txid:vout coins, which our light-client backend cannot check "
                                    "(it needs each coin's script and block height)");
    maker.ioauth = std::move(*msg);
    maker.state = State::CheckingCoins;
    // Every coin through the backend; the answers are collected in order.
    auto results = std::make_shared<std::vector<std::optional<jm::chain::TxOutInfo>>>(maker.ioauth.utxos.size());
    auto pending = std::make_shared<std::size_t>(maker.ioauth.utxos.size());
    auto failed = std::make_shared<std::string>();
    for (std::size_t i = 0; i < maker.ioauth.utxos.size(); ++i) {
        // Through the maker's hint when it gave one: a full node ignores it (checkMakerCoins
        // compares the claimed script with the chain's), a light client needs it.
        const auto& u = maker.ioauth.utxos[i];
        std::optional<jm::chain::OutPointHint> hint;
        if (u.extended() && u.height && *u.height >= 0 && *u.height <= std::numeric_limits<std::int32_t>::max())
            hint = jm::chain::OutPointHint{*u.script_pubkey, static_cast<std::int32_t>(*u.height)};
        m_backend->getTxOutHinted(u.outpoint, std::move(hint), m_ctx.executor(),
                                  guarded([this, i, results, pending, failed, nick = maker.nick, attempt = run.attempt,
                                           id = run.id](jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin) {
                                      if (!coin)
                                          *failed = coin.error().message;
                                      else
                                          (*results)[i] = *coin;
                                      if (--*pending != 0 || !m_run || m_run->id != id) return;
                                      if (!failed->empty()) {
                                          auto it = m_run->makers.find(nick);
                                          if (it != m_run->makers.end() && m_run->attempt == attempt)
                                              failMaker(it->second, "cannot check its coins: " + *failed);
                                          return;
                                      }
                                      onMakerCoins(nick, attempt, std::move(*results));
                                  }));
    }
}

void TakerPlugin::onMakerCoins(const std::string& nick, int attempt,
                               std::vector<std::optional<jm::chain::TxOutInfo>> coins) {
    auto& run = *m_run;
    auto it = run.makers.find(nick);
    if (run.attempt != attempt || it == run.makers.end() || it->second.state != State::CheckingCoins) return;
    auto& maker = it->second;
    auto cj = jm::bitcoin::addressToScript(maker.ioauth.cj_address, m_network);
    auto change = jm::bitcoin::addressToScript(maker.ioauth.change_address, m_network);
    if (!cj || !change) return failMaker(maker, "bad address");
    auto part = checkMakerCoins(nick, maker.ioauth, coins, *cj, *change, run.cj_amount, maker.cjfee, maker.offer.txfee);
    if (!part) return failMaker(maker, part.error().message);
    maker.part = std::move(*part);
    maker.state = State::Verified;
    JM_LOG(m_ctx.logger(), info) << "!ioauth of " << nick << " verified: " << maker.part->inputs.size() << " input(s), "
                                 << maker.part->inputsTotal() << " sat";
    checkStage();
}

// ---------------------------------------------------------------------------------------------
// !tx: our change address persisted first, the money rules checked, then sent to each maker.

void TakerPlugin::buildAndSendTx() {
    auto& run = *m_run;
    std::vector<MakerSession*> verified;
    for (auto& [nick, m] : run.makers)
        if (m.state == State::Verified)
            verified.push_back(&m);
        else if (m.state != State::Failed)
            failMaker(m, "no verified !ioauth in time");
    if (verified.size() < m_settings.minimum_makers || verified.empty())
        return retry(std::to_string(verified.size()) + " maker(s) passed !ioauth, " +
                     std::to_string(m_settings.minimum_makers) + " needed");
    CoinjoinTerms terms;
    terms.cj_amount = run.cj_amount;
    terms.destination = run.destination;
    for (const auto& u : run.own_coins)
        terms.taker_inputs.push_back({u.outpoint, u.value, u.script_pubkey});
    std::int64_t fees = 0, txfees = 0;
    std::size_t maker_inputs = 0;
    for (auto* m : verified) {
        terms.makers.push_back(*m->part);
        terms.max_maker_fees += feeLimit(0, run.cj_amount);
        fees += m->cjfee;
        txfees += m->offer.txfee;
        maker_inputs += m->part->inputs.size();
    }
    auto inputs = terms.taker_inputs.size() + maker_inputs;
    if (run.request.sweep) {
        // REF: the fee for the real counts must be close to the estimate the amount was based on.
        auto real = estimateFee(inputs, 2 * verified.size() + 1);
        auto ratio = static_cast<double>(real) / static_cast<double>(std::max<std::int64_t>(run.sweep_total_txfee, 1));
        if (std::abs(ratio - 1) > m_settings.max_sweep_fee_change) {
            // Only the makers' input counts differ from the estimate (3 each, REF's budget): a
            // maker above it is dropped, or the next attempt chooses it again and fails alike.
            for (auto* m : verified)
                if (m->part->inputs.size() > 3)
                    failMaker(*m, std::to_string(m->part->inputs.size()) + " inputs break the sweep's fee estimate");
            return retry("the sweep's mining fee would be " + std::to_string(real) + " sat, estimated " +
                         std::to_string(run.sweep_total_txfee));
        }
        if (verified.size() != run.makers.size())
            return retry("a sweep needs every chosen maker (its amount depends on their fees)");
    } else {
        auto mining = std::max<std::int64_t>(estimateFee(inputs, 2 * verified.size() + 2) - txfees, 0);
        auto change = terms.takerInputsTotal() - run.cj_amount - fees - mining;
        if (change < 0) {
            // Our coins were chosen for 3 inputs per maker (REF's budget): makers above it are
            // replaced; only when none is does the run fail.
            bool dropped = false;
            for (auto* m : verified)
                if (m->part->inputs.size() > 3) {
                    failMaker(*m,
                              std::to_string(m->part->inputs.size()) + " inputs raise the mining fee beyond our coins");
                    dropped = true;
                }
            if (dropped) return retry("a maker's inputs raise the mining fee beyond our coins");
            return failRun(errc::insufficient_funds,
                           "the makers' inputs raise the mining fee beyond our coins (short of " +
                               std::to_string(-change) + " sat)");
        }
        run.taker_txfee = mining;
        if (change > TAKER_CHANGE_DUST) {
            // Persisted (synced) before the transaction reveals it.
            if (!run.change_address) {
                auto address = m_wallet->nextAddress(run.request.mixdepth, jm::wallet::BRANCH_INTERNAL);
                if (!address) return failRun(address.error().code, "change address: " + address.error().message);
                run.change_address = std::move(*address);
            }
            terms.taker_change = run.change_address->script_pubkey;
            terms.taker_change_value = change;
        }
    }
    auto locktime = static_cast<std::uint32_t>(std::max(run.tip.height, 0));
    auto tx = buildCoinjoinTx(terms, locktime);
    if (!tx) return failRun(errc::internal, tx.error().message);
    if (auto ok = checkCoinjoinTx(*tx, terms, m_settings.absurd_fee_per_kb); !ok)
        return failRun(ok.error().code, ok.error().message);
    run.terms = std::move(terms);
    run.tx = std::move(*tx);
    setStage(Stage::Signatures, "tx",
             "!tx to " + std::to_string(verified.size()) + " makers (" + std::to_string(run.tx.inputs.size()) +
                 " inputs, " + std::to_string(run.tx.outputs.size()) + " outputs)");
    auto payload = jm::protocol::formatTxPayload(run.tx);
    for (auto* m : verified) {
        sendTo(*m, "tx", m->box->encrypt(payload));
        m->state = State::TxSent;
    }
    armStageTimer(m_settings.maker_timeout);
}

// ---------------------------------------------------------------------------------------------
// !sig: each signature must verify for one of that maker's own inputs.

void TakerPlugin::onSig(MakerSession& maker, std::string_view payload) {
    auto& run = *m_run;
    auto b64 = jm::protocol::parseBase64Payload(payload, 4096);
    if (!b64) return failMaker(maker, "!sig is not base64");
    auto plain = maker.box->decrypt(*b64);
    if (!plain) return failMaker(maker, "!sig does not decrypt");
    auto items = jm::protocol::parseSigPayload(*plain);
    if (!items) return failMaker(maker, "bad !sig: " + items.error().message);
    bool placed = false;
    for (std::size_t i = 0; i < run.tx.inputs.size() && !placed; ++i) {
        if (run.signed_inputs.count(i)) continue;
        auto coin = std::find_if(maker.part->inputs.begin(), maker.part->inputs.end(),
                                 [&](const Coin& c) { return c.outpoint == run.tx.inputs[i].prevout; });
        if (coin == maker.part->inputs.end()) continue; // not this maker's input
        run.tx.inputs[i].witness = *items;
        if (jm::bitcoin::verifyP2wpkhInput(run.tx, i, coin->script_pubkey, coin->value) &&
            isRelayableMakerSig(run.tx, i, *coin)) {
            run.signed_inputs.insert(i);
            placed = true;
        } else {
            run.tx.inputs[i].witness.clear();
        }
    }
    if (!placed) return failMaker(maker, "a !sig verifies for none of its inputs");
    std::size_t mine = 0;
    for (const auto& c : maker.part->inputs)
        for (auto i : run.signed_inputs)
            if (run.tx.inputs[i].prevout == c.outpoint) ++mine;
    if (mine == maker.part->inputs.size()) maker.state = State::Signed;
    checkStage();
}

void TakerPlugin::finishSigned() {
    auto& run = *m_run;
    setStage(Stage::Signatures, "signatures",
             std::to_string(run.signed_inputs.size()) + " maker signature(s) verified, each against its own input");
    // Every maker input carries a verified signature; now ours, and only ours.
    for (std::size_t i = 0; i < run.tx.inputs.size(); ++i) {
        auto own = std::find_if(run.own_coins.begin(), run.own_coins.end(),
                                [&](const WalletUtxo& u) { return u.outpoint == run.tx.inputs[i].prevout; });
        if (own == run.own_coins.end()) {
            if (!run.signed_inputs.count(i)) return failRun(errc::internal, "a maker input is not signed");
            continue;
        }
        auto key = m_wallet->privateKey(own->mixdepth, own->branch, own->index);
        if (!key) return failRun(key.error().code, "signing key: " + key.error().message);
        if (auto r = jm::bitcoin::signP2wpkhInput(run.tx, i, *key, own->value); !r)
            return failRun(r.error().code, "signing: " + r.error().message);
    }
    if (auto ok = checkCoinjoinTx(run.tx, run.terms, m_settings.absurd_fee_per_kb); !ok)
        return failRun(ok.error().code, ok.error().message);
    run.txid = run.tx.txidHex();
    run.raw = run.tx.serialize();
    std::int64_t in_total = run.terms.takerInputsTotal(), out_total = 0;
    for (const auto& m : run.terms.makers)
        in_total += m.inputsTotal();
    for (const auto& o : run.tx.outputs)
        out_total += o.value;
    run.result.txid = run.txid;
    run.result.cj_amount = run.cj_amount;
    run.result.maker_fees = run.terms.makerFees();
    run.result.mining_fee = in_total - out_total;
    run.result.taker_mining_fee =
        run.terms.takerInputsTotal() - run.cj_amount - run.terms.taker_change_value - run.terms.makerFees() - [&] {
            std::int64_t t = 0;
            for (const auto& m : run.terms.makers)
                t += m.txfee;
            return t;
        }();
    run.result.makers = run.terms.makers.size();
    run.result.maker_nicks.clear();
    for (const auto& m : run.terms.makers)
        run.result.maker_nicks.push_back(m.nick);
    run.result.attempts = run.attempt;
    run.result.raw_tx = run.raw;
    CoinjoinRecord record{run.txid,
                          run.cj_amount,
                          run.result.maker_fees,
                          run.result.mining_fee,
                          run.request.mixdepth,
                          run.request.destination,
                          unixNow()};
    for (const auto& u : run.own_coins)
        record.inputs.push_back(u.outpoint);
    // Written before the transaction leaves us: a later CoinJoin must know which coins to spend
    // to void it should it never confirm (chooseMakers). Nothing was handed out yet.
    if (auto r = m_store.recordCoinjoin(record); !r)
        return failRun(r.error().code, "cannot record the CoinJoin before its broadcast: " + r.error().message);
    m_backend->watchTransaction(run.txid, std::max(1, m_settings.wait_confirmations));
    bool self = true;
    if (m_settings.tx_broadcast == BroadcastPolicy::NotSelf) {
        self = false;
    } else if (m_settings.tx_broadcast == BroadcastPolicy::RandomPeer) {
        // Uniformly among us and each maker (REF).
        self = randombytes_uniform(static_cast<std::uint32_t>(run.terms.makers.size() + 1)) == 0;
    }
    setStage(Stage::Broadcast, "broadcast", run.txid + (self ? " (by us)" : " (by a maker, !push)"));
    broadcast(self);
}

void TakerPlugin::broadcast(bool self) {
    auto& run = *m_run;
    ++run.broadcasts;
    if (self) {
        m_backend->broadcast(run.raw, m_ctx.executor(), guarded([this, id = run.id](jm::sdk::Result<std::string> r) {
                                 if (!m_run || m_run->id != id) return;
                                 if (r) {
                                     onTxStatus(m_run->txid, true, false, 0);
                                 } else {
                                     JM_LOG(m_ctx.logger(), warning) << "broadcast refused: " << r.error().message;
                                 }
                             }));
    } else {
        auto pick = randombytes_uniform(static_cast<std::uint32_t>(run.terms.makers.size()));
        auto& maker = run.makers.at(run.terms.makers[pick].nick);
        sendTo(maker, "push", jm::bitcoin::toBase64(run.raw));
        JM_LOG(m_ctx.logger(), info) << "!push of " << run.txid << " to " << maker.nick;
    }
    // Not seen in time: broadcast again, ourselves unless the policy forbids it.
    armStageTimer(m_settings.unconfirm_timeout);
}

void TakerPlugin::onTxStatus(const std::string& txid, bool mempool, bool confirmed, std::int32_t confirmations) {
    if (!m_run || m_run->txid != txid) return;
    auto& run = *m_run;
    if ((mempool || confirmed) && !run.seen) {
        run.seen = true;
        // /2 (with what it cost) first: message notifiers then skip the /1 of the same txid.
        // The cost is the makers' net fees plus the whole mining fee: the makers' txfee shares
        // of it came out of the gross fees the taker paid them.
        m_ctx.bus().publish(jm::sdk::events::CoinjoinCompletedV2{run.txid, run.cj_amount, "taker",
                                                                 std::string(m_ctx.instanceName()),
                                                                 run.result.maker_fees + run.result.mining_fee});
        m_ctx.bus().publish(jm::sdk::events::CoinjoinCompleted{run.txid, run.cj_amount, "taker"});
        JM_LOG(m_ctx.logger(), info) << "CoinJoin " << run.txid << " is on the network";
        if (m_settings.wait_confirmations == 0) return completeRun();
        setStage(Stage::Confirming, "seen", run.txid + " seen on the network");
        armStageTimer(m_settings.confirm_timeout);
    }
    if (confirmed && confirmations >= m_settings.wait_confirmations && run.stage == Stage::Confirming) {
        run.result.confirmed = true;
        setStage(Stage::Confirming, "confirmed", run.txid + " confirmed");
        completeRun();
    }
}

// ---------------------------------------------------------------------------------------------
// Stage bookkeeping.

void TakerPlugin::setStage(Stage stage, const std::string& name, const std::string& detail) {
    auto& run = *m_run;
    run.stage = stage;
    JM_LOG(m_ctx.logger(), info) << "[" << name << "] " << detail;
    if (name == "sync" || name == "bonds") return; // internal steps
    if (!run.orderbook_only) {
        m_ctx.bus().publish(jm::taker::events::Stage{std::string(m_ctx.instanceName()), run.identity->nick(), name,
                                                     std::max(run.attempt, 1), detail});
        if (run.observer.on_stage)
            boost::asio::post(run.ex, [f = run.observer.on_stage,
                                       u = jm::taker::StageUpdate{name, std::max(run.attempt, 1), detail}] { f(u); });
    }
}

void TakerPlugin::armStageTimer(std::chrono::milliseconds after) {
    auto generation = ++m_run->timer_generation;
    m_stageTimer.expires_after(after);
    m_stageTimer.async_wait(guarded([this, id = m_run->id, generation](boost::system::error_code ec) {
        if (ec || !m_run || m_run->id != id || m_run->timer_generation != generation) return;
        onStageTimeout();
    }));
}

void TakerPlugin::onStageTimeout() {
    auto& run = *m_run;
    switch (run.stage) {
    case Stage::Bonds:
        if (!run.bonds_done) {
            JM_LOG(m_ctx.logger(), warning) << run.bonds_pending << " bond check(s) unanswered by the backend";
            bondsVerified();
        }
        return;
    case Stage::Fill:
        for (auto& [nick, m] : run.makers)
            if (m.state == State::Filled && !run.refused_commitment.count(nick)) failMaker(m, "no !pubkey in time");
        break;
    case Stage::Auth:
        for (auto& [nick, m] : run.makers)
            if (m.state == State::AuthSent || m.state == State::CheckingCoins) failMaker(m, "no !ioauth in time");
        break;
    case Stage::Signatures:
        for (auto& [nick, m] : run.makers)
            if (m.state == State::TxSent) failMaker(m, "not every !sig in time");
        break;
    case Stage::Broadcast:
        if (run.seen) return;
        if (run.broadcasts >= MAX_BROADCASTS)
            return failRun(errc::timeout, run.txid + " was signed and handed out but never seen on the network (" +
                                              std::to_string(run.broadcasts) + " broadcasts); it may still appear");
        // A maker that took the !push and did nothing: ourselves now (another maker if we may not).
        JM_LOG(m_ctx.logger(), info) << run.txid << " not seen yet: broadcasting again";
        broadcast(m_settings.tx_broadcast != BroadcastPolicy::NotSelf);
        return;
    case Stage::Confirming:
        return failRun(errc::timeout, run.txid + " was broadcast but did not confirm in time");
    default:
        return;
    }
    checkStage(true);
}

void TakerPlugin::checkStage(bool timed_out) {
    if (!m_run) return;
    auto& run = *m_run;
    auto count = [&](auto pred) {
        std::size_t n = 0;
        for (const auto& [nick, m] : run.makers)
            n += pred(m.state) ? 1 : 0;
        return n;
    };
    auto alive = count([](State s) { return s != State::Failed; });
    switch (run.stage) {
    case Stage::Fill: {
        std::size_t waiting = 0;
        for (const auto& [nick, m] : run.makers)
            waiting += m.state == State::Filled && !run.refused_commitment.count(nick) ? 1 : 0;
        if (waiting > 0 && !timed_out) return;
        if (!run.refused_commitment.empty()) return retry("commitment " + run.commitment + " is blacklisted");
        if (alive < std::max<std::size_t>(m_settings.minimum_makers, 1))
            return retry(std::to_string(alive) + " maker(s) answered !fill");
        return sendAuths();
    }
    case Stage::Auth: {
        auto waiting = count([](State s) { return s == State::AuthSent || s == State::CheckingCoins; });
        if (waiting > 0 && !timed_out) return;
        return buildAndSendTx();
    }
    case Stage::Signatures: {
        auto waiting = count([](State s) { return s == State::TxSent; });
        auto failed_in_tx = false;
        for (const auto& m : run.terms.makers)
            failed_in_tx = failed_in_tx || run.makers.at(m.nick).state == State::Failed;
        // Every maker in the transaction must sign: one missing and the transaction is void.
        if (failed_in_tx) return retry("a maker of the transaction did not sign it correctly");
        if (waiting > 0 && !timed_out) return;
        return finishSigned();
    }
    default:
        return;
    }
}

void TakerPlugin::failMaker(MakerSession& maker, const std::string& reason) {
    if (maker.state == State::Failed) return;
    JM_LOG(m_ctx.logger(), info) << "maker " << maker.nick << " dropped: " << reason;
    maker.state = State::Failed;
    if (m_run->ignored.insert(maker.nick).second) // for the rest of the run
        m_run->failed_makers.push_back(
            {maker.nick, std::string(toString(m_run->stage)), reason, std::max(m_run->attempt, 1)});
    // Not re-entered from inside checkStage: the caller checks afterwards.
    boost::asio::post(m_ctx.executor(), guarded([this, id = m_run->id, attempt = m_run->attempt] {
                          if (m_run && m_run->id == id && m_run->attempt == attempt) checkStage();
                      }));
}

void TakerPlugin::retry(const std::string& reason) {
    auto& run = *m_run;
    ++run.timer_generation; // the stage timer of this attempt is void
    for (auto& [nick, m] : run.makers)
        run.directories->unpin(nick);
    if (run.attempt >= m_settings.max_attempts)
        return failRun(errc::timeout,
                       "attempt " + std::to_string(run.attempt) + " failed (" + reason + "); no attempts left");
    setStage(Stage::Bonds, "retry", "attempt " + std::to_string(run.attempt) + " abandoned: " + reason);
    startAttempt();
}

void TakerPlugin::failRun(boost::system::error_code code, const std::string& why) {
    if (!m_run) return;
    auto& run = *m_run;
    // Why each dropped maker was dropped: "too few makers" alone does not tell the user what to
    // change (e.g. a light client facing makers without neutrino_compat).
    std::string reason = why;
    if (!run.failed_makers.empty()) {
        constexpr std::size_t SHOWN = 8;
        const auto& failed = run.failed_makers;
        reason += "; makers dropped in this run: ";
        for (std::size_t i = 0; i < failed.size() && i < SHOWN; ++i)
            reason += (i ? "; " : "") + failed[i].nick + ": " + failed[i].reason;
        if (failed.size() > SHOWN) reason += "; and " + std::to_string(failed.size() - SHOWN) + " more";
    }
    JM_LOG(m_ctx.logger(), warning) << "CoinJoin failed at " << toString(run.stage) << ": " << reason;
    if (!run.orderbook_only && run.identity)
        m_ctx.bus().publish(jm::taker::events::Failed{std::string(m_ctx.instanceName()), run.identity->nick(),
                                                      std::string(toString(run.stage)), reason, run.failed_makers});
    if (!run.failed_makers.empty()) {
        std::string nicks;
        for (const auto& m : run.failed_makers)
            nicks += (nicks.empty() ? "" : ", ") + m.nick;
        JM_LOG(m_ctx.logger(), info) << "makers that failed this run: " << nicks;
    }
    // Before `done` on the same executor: a caller on a strand sees the makers first.
    if (run.done && run.observer.on_failed)
        boost::asio::post(run.ex, [f = run.observer.on_failed, failure = jm::taker::CoinjoinFailure{
                                                                   std::string(toString(run.stage)), reason,
                                                                   run.attempt, run.failed_makers}] { f(failure); });
    jm::sdk::Error error(code, reason);
    if (run.done) boost::asio::post(run.ex, [done = std::move(run.done), error] { done(error); });
    if (run.book_done) boost::asio::post(run.ex, [done = std::move(run.book_done), error] { done(error); });
    endRun();
}

void TakerPlugin::completeRun() {
    auto& run = *m_run;
    if (run.done) boost::asio::post(run.ex, [done = std::move(run.done), result = run.result] { done(result); });
    endRun();
}

void TakerPlugin::endRun() {
    if (!m_run) return;
    ++m_run->timer_generation;
    m_stageTimer.cancel();
    m_tickTimer.cancel();
    if (m_run->directories) m_run->directories->stop();
    if (m_run->direct) {
        m_run->direct->stop();
        if (m_run->direct_sent > 0)
            JM_LOG(m_ctx.logger(), info) << m_run->direct_sent << " private message(s) of this run went over "
                                         << m_run->direct->counters().handshakes << " direct connection(s)";
    }
    if (!m_run->txid.empty()) m_backend->unwatchTransaction(m_run->txid);
    m_run.reset();
}

} // namespace jm::plugins::taker
