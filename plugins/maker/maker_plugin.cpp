// The maker role: startup, the wallet and the offers. The CoinJoin protocol itself is in
// maker_protocol.cpp, what happens after a CoinJoin in maker_chain.cpp.
#include "maker_plugin.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/maker/events.hpp>
#include <jm/maker/offer_rules.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/files.hpp>
#include <jm/sdk/password_source.hpp>
#include <jm/wallet/balance_report.hpp>
#include <jm/wallet/timenumber.hpp>

#include <boost/asio/post.hpp>

#include <sodium.h>

#include <map>
#include <mutex>
#include <set>

namespace jm::plugins::maker {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::wallet::WalletUtxo;

namespace {

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A failed sync is tried again after this long.
constexpr auto RETRY_DELAY = std::chrono::seconds(30);

// The wallets makers of this process trade with (data directory and wallet name -> instance).
// Two makers on one wallet would each lock coins only for themselves, offering the same coins to
// two takers, and race each other for the wallet's next addresses.
std::mutex g_walletsMutex;
std::map<std::string, std::string> g_wallets;

} // namespace

//! The fidelity bond announced with the offers, and the certificate key signing for it.
struct MakerPlugin::Bond {
    jm::bitcoin::OutPoint outpoint;
    std::int64_t value = 0;
    std::int64_t locktime = 0;
    int confirmations = 0;
    jm::bitcoin::PrivateKey utxo_key;
    jm::bitcoin::PrivateKey cert_key;
    std::uint16_t cert_expiry = 0;
};

MakerPlugin::MakerPlugin(jm::sdk::PluginContext& ctx, MakerSettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)),
    m_store(ctx.store(), static_cast<std::size_t>(m_settings.max_learned_commitments)),
    m_onionTimer(ctx.executor()),
    m_limiter(m_settings.message_rate, m_settings.message_burst, m_settings.orderbook_interval),
    m_sessionTimer(ctx.executor()), m_retryTimer(ctx.executor()), m_statusTimer(ctx.executor()) {}

MakerPlugin::~MakerPlugin() {
    // Destroyed without stop() (the host failed mid-start, or a test simulating a crash): close
    // the sockets, write nothing.
    m_stopped = true;
    if (m_directories) m_directories->stop();
    if (m_broadcaster) m_broadcaster->stop();
    if (m_direct) m_direct->stop();
    if (m_onion) m_onion->stop();
    releaseWallet();
}

jm::sdk::Result<void> MakerPlugin::claimWallet() {
    std::error_code ec;
    auto dir = std::filesystem::weakly_canonical(m_ctx.dataDir(), ec);
    auto key = (ec ? m_ctx.dataDir() : dir).string() + '\0' + m_settings.wallet;
    std::lock_guard lock(g_walletsMutex);
    auto [it, inserted] = g_wallets.emplace(key, std::string(m_ctx.instanceName()));
    if (!inserted)
        return fail(errc::invalid_config, "wallet '" + m_settings.wallet + "' is already traded by maker instance '" +
                                              it->second + "': run one maker per wallet");
    m_walletClaim = key;
    return {};
}

void MakerPlugin::releaseWallet() {
    if (m_walletClaim.empty()) return;
    std::lock_guard lock(g_walletsMutex);
    g_wallets.erase(m_walletClaim);
    m_walletClaim.clear();
}

const std::string& MakerPlugin::nick() const {
    static const std::string none;
    return m_identity ? m_identity->nick() : none;
}

std::filesystem::path MakerPlugin::statusPath() const {
    auto name =
        m_settings.status_file.empty() ? std::string(m_ctx.instanceName()) + "-status.json" : m_settings.status_file;
    return m_ctx.dataDir() / name;
}

jm::sdk::Result<std::string> MakerPlugin::readPassword() {
    return jm::sdk::readWalletPassword(m_ctx, m_settings.password_file, "maker");
}

jm::sdk::Result<void> MakerPlugin::start() {
    auto network = jm::bitcoin::parseNetwork(m_ctx.network());
    if (!network) return network.error();
    if (auto claimed = claimWallet(); !claimed) return claimed.error();
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
    auto yieldgen = m_ctx.services().get<jm::maker::YieldGenerator>(m_settings.yieldgen);
    if (!yieldgen) return yieldgen.error();
    m_yieldgen = *yieldgen;
    if (!m_settings.fee.empty()) {
        auto fee = m_ctx.services().get<jm::chain::FeeEstimator>(m_settings.fee);
        if (!fee) return fee.error();
        m_fee = *fee;
    }
    loadPersistedState();

    // A fresh nick per run, as REF and NG makers do.
    m_identity = std::make_shared<const jm::protocol::NickIdentity>();
    auto& bus = m_ctx.bus();
    m_subscriptions.push_back(
        bus.subscribe<jm::sdk::events::RoleNick>(m_ctx.executor(), guarded([this](const jm::sdk::events::RoleNick& e) {
                                                     if (e.role == "taker" && !m_settings.serve_own_takers)
                                                         m_ownTakerNicks.insert(e.nick);
                                                 })));
    // One ordered topic for a watched transaction's states; conflicts and drops are found from
    // the coins themselves at each block (onBlock).
    m_subscriptions.push_back(bus.subscribe<jm::sdk::events::TxStatusChanged>(
        m_ctx.executor(), guarded([this](const jm::sdk::events::TxStatusChanged& e) {
            if (e.state == jm::sdk::events::TxState::Mempool) onTxSeen(e.txid, false);
            if (e.state == jm::sdk::events::TxState::Confirmed) onTxSeen(e.txid, true);
        })));
    m_subscriptions.push_back(bus.subscribe<jm::sdk::events::BlockConnected>(
        m_ctx.executor(), guarded([this](const jm::sdk::events::BlockConnected& e) { onBlock(e.height); })));
    bus.publish(jm::sdk::events::RoleNick{std::string(m_ctx.instanceName()), "maker", m_identity->nick()});

    for (const auto& d : m_settings.directories) {
        jm::net::DirectoryClientSettings s;
        s.host = d.host;
        s.port = d.port;
        s.network = m_settings.directory_network.empty() ? std::string(m_ctx.network()) : m_settings.directory_network;
        s.connect_timeout = m_settings.connect_timeout;
        s.handshake_timeout = m_settings.connect_timeout;
        // Checked when the config was read: a .onion directory has a SOCKS proxy.
        if (auto proxy = m_settings.tor.proxyFor(d.host, d.host)) s.socks = *proxy;
        m_directorySettings.push_back(s);
    }
    // The throw-away nicks of !hp2 broadcasts never announce a location.
    m_broadcaster = std::make_shared<CommitmentBroadcaster>(m_ctx.executor(), m_directorySettings);
    if (auto r = startDirect(); !r) return r;

    expireSessions();
    JM_LOG(m_ctx.logger(), info) << "maker " << nick() << " starting: wallet '" << m_settings.wallet << "', "
                                 << m_wallet->mixdepths() << " mixdepths, yield generator '" << m_settings.yieldgen
                                 << "', " << m_settings.directories.size() << " directories";
    sync();
    return {};
}

void MakerPlugin::stop(std::function<void()> done) {
    m_stopped = true;
    m_sessionTimer.cancel();
    m_retryTimer.cancel();
    m_statusTimer.cancel();
    m_onionTimer.cancel();
    m_subscriptions.clear();
    if (m_directories) m_directories->stop();
    if (m_broadcaster) m_broadcaster->stop();
    if (m_direct) m_direct->stop();
    if (m_onion) m_onion->stop(); // DEL_ONION
    // Coins of unsigned sessions are free again; signed ones stay locked (persisted).
    std::vector<jm::bitcoin::OutPoint> free;
    for (const auto& [op, lock] : m_locks)
        if (!lock.isSigned()) free.push_back(op);
    (void)m_store.unlock(free);
    m_sessions.clear();
    if (m_wallet) writeStatus(false);
    releaseWallet();
    JM_LOG(m_ctx.logger(), info) << "maker stopped";
    done();
}

void MakerPlugin::loadPersistedState() {
    auto now = unixNow();
    // Locks of sessions that never signed are void after a restart: nothing of ours can be spent
    // with them. Locks of signed CoinJoins stay until the chain settles them.
    std::vector<jm::bitcoin::OutPoint> stale;
    if (auto locks = m_store.locks(now)) {
        for (auto& l : *locks) {
            if (l.isSigned() && l.expires > now)
                m_locks[l.outpoint] = l;
            else
                stale.push_back(l.outpoint);
        }
    } else {
        JM_LOG(m_ctx.logger(), error) << "cannot read coin locks: " << locks.error().message;
    }
    if (auto r = m_store.unlock(stale); !r) JM_LOG(m_ctx.logger(), error) << r.error().message;
    if (auto list = m_store.signedCoinjoins()) {
        for (auto& c : *list) {
            m_backend->watchTransaction(c.txid, WATCH_DEPTH);
            m_signed[c.txid] = std::move(c);
        }
    } else {
        JM_LOG(m_ctx.logger(), error) << "cannot read signed CoinJoins: " << list.error().message;
    }
    if (!m_locks.empty() || !m_signed.empty())
        JM_LOG(m_ctx.logger(), info) << m_locks.size() << " coin(s) still locked by " << m_signed.size()
                                     << " signed CoinJoin(s) waiting for the chain";
}

void MakerPlugin::sync() {
    if (m_syncing) {
        m_resyncWanted = true;
        return;
    }
    m_syncing = true;
    jm::wallet::SyncOptions options;
    // The configured height is where the wallet's history starts (stored as its birthday).
    if (m_settings.birthday_height > 0) options.rescan_from = m_settings.birthday_height;
    // The completion holds the wallet and its store: WalletSync uses them until it completes.
    jm::wallet::WalletSync::run(*m_wallet, *m_backend, options, {}, m_ctx.executor(),
                                [keep = std::make_pair(m_walletStore, m_wallet),
                                 done = guarded([this](jm::sdk::Result<jm::wallet::SyncResult> r) {
                                     synced(std::move(r));
                                 })](jm::sdk::Result<jm::wallet::SyncResult> r) mutable { done(std::move(r)); });
}

void MakerPlugin::synced(jm::sdk::Result<jm::wallet::SyncResult> result) {
    m_syncing = false;
    if (!result) {
        JM_LOG(m_ctx.logger(), warning) << "wallet sync failed (retrying in " << RETRY_DELAY.count()
                                        << " s): " << result.error().message;
        m_retryTimer.expires_after(RETRY_DELAY);
        m_retryTimer.async_wait(guarded([this](boost::system::error_code ec) {
            if (!ec) sync();
        }));
        return;
    }
    // Compared before the coins move into the set. Ours: the CoinJoins still watched and those
    // recorded as earnings (read only when the sync found a transaction it did not know).
    std::optional<std::set<std::string, std::less<>>> earned;
    auto own = [this, &earned](std::string_view txid) {
        if (m_signed.count(std::string(txid))) return true;
        if (!earned) {
            earned.emplace();
            if (auto list = m_store.earnings())
                for (auto& e : *list)
                    earned->insert(std::move(e.txid));
        }
        return earned->count(txid) > 0;
    };
    auto report = jm::wallet::reportBalance(*m_walletStore, *result, m_ctx.instanceName(), own);
    if (auto r = m_utxos->replace(std::move(result->utxos)); !r) {
        JM_LOG(m_ctx.logger(), error) << "wallet coins: " << r.error().message;
        return;
    }
    if (!report)
        JM_LOG(m_ctx.logger(), warning) << "wallet balance record: " << report.error().message;
    else if (*report)
        m_ctx.bus().publish(**report);
    m_tip = result->tip;
    m_lastSyncHeight = m_tip.height;
    bool first = !m_synced;
    m_synced = true;
    settleSigned();
    prepareBond();
    auto ask = [this](jm::chain::Callback<std::int64_t> done) {
        if (m_fee)
            m_fee->estimate(3, m_ctx.executor(), std::move(done));
        else
            m_backend->estimateFee(3, m_ctx.executor(), std::move(done));
    };
    ask(guarded([this, first](jm::sdk::Result<std::int64_t> rate) {
        if (rate) m_feeRate = *rate;
        refreshOffers();
        if (first) {
            JM_LOG(m_ctx.logger(), info) << "wallet synced at height " << m_tip.height << "; connecting to "
                                         << m_settings.directories.size() << " directories";
            m_walletReady = true;
            maybeConnectDirectories();
        }
        if (m_resyncWanted) {
            m_resyncWanted = false;
            sync();
        }
    }));
}

std::vector<WalletUtxo> MakerPlugin::availableCoins(int mixdepth) const {
    std::vector<WalletUtxo> out;
    for (auto& u : m_utxos->spendable(mixdepth))
        if (u.branch != jm::wallet::BRANCH_FIDELITY_BOND && !m_locks.count(u.outpoint)) out.push_back(u);
    return out;
}

bool MakerPlugin::isWalletCoin(const jm::bitcoin::OutPoint& outpoint) const {
    for (int m = 0; m < m_wallet->mixdepths(); ++m)
        for (const auto& u : m_utxos->utxos(m))
            if (u.outpoint == outpoint) return true;
    return false;
}

jm::maker::WalletView MakerPlugin::walletView() const {
    jm::maker::WalletView view;
    view.block_height = m_tip.height;
    for (int m = 0; m < m_wallet->mixdepths(); ++m) {
        jm::maker::MixdepthView md;
        md.mixdepth = m;
        for (const auto& u : availableCoins(m)) {
            md.available += u.value;
            ++md.coins;
            md.largest_coin = std::max(md.largest_coin, u.value);
        }
        for (const auto& u : m_utxos->utxos(m))
            if (!u.frozen && u.branch != jm::wallet::BRANCH_FIDELITY_BOND &&
                u.confirmations < m_settings.min_confirmations)
                md.unconfirmed += u.value;
        view.mixdepths.push_back(md);
    }
    if (m_bond) view.bond = jm::maker::BondView{m_bond->value, m_bond->locktime, m_bond->confirmations};
    return view;
}

void MakerPlugin::prepareBond() {
    // The most valuable confirmed bond of mixdepth 0 (REF get_fidelity_bond_template).
    auto now = unixNow();
    std::optional<WalletUtxo> best;
    double best_value = -1;
    for (const auto& u : m_utxos->utxos(0)) {
        if (u.branch != jm::wallet::BRANCH_FIDELITY_BOND || u.confirmations < 1) continue;
        auto locktime = jm::wallet::timenumberToLocktime(static_cast<int>(u.index));
        if (!locktime) continue;
        // Block times are not at hand: ten minutes a block is close enough to rank bonds.
        auto confirmed_at = now - static_cast<std::int64_t>(u.confirmations - 1) * 600;
        auto value = jm::protocol::bondValue(u.value, confirmed_at, *locktime, now);
        if (value > best_value) {
            best_value = value;
            best = u;
        }
    }
    if (!best) {
        m_bond.reset();
        return;
    }
    // REF: valid for the current retarget period and the next one.
    auto expiry = static_cast<std::uint16_t>((m_tip.height + 2) / 2016 + 1);
    if (m_bond && m_bond->outpoint == best->outpoint && m_bond->cert_expiry == expiry) {
        m_bond->confirmations = best->confirmations;
        return;
    }
    auto key = m_wallet->privateKey(0, jm::wallet::BRANCH_FIDELITY_BOND, best->index);
    if (!key) {
        JM_LOG(m_ctx.logger(), error) << "fidelity bond key: " << key.error().message;
        return;
    }
    m_bond = std::make_unique<Bond>(
        Bond{best->outpoint, best->value, jm::wallet::timenumberToLocktime(static_cast<int>(best->index)).value(),
             best->confirmations, std::move(*key), jm::bitcoin::PrivateKey::generate(), expiry});
    JM_LOG(m_ctx.logger(), info) << "announcing fidelity bond " << best->outpoint.toString() << " (" << best->value
                                 << " sat)";
}

void MakerPlugin::refreshOffers() {
    if (!m_synced) return;
    auto view = walletView();
    auto created = m_yieldgen->createOffers(view, jm::maker::FeeView{m_feeRate});
    if (!created) {
        JM_LOG(m_ctx.logger(), error) << "yield generator '" << m_settings.yieldgen
                                      << "' made no offers: " << created.error().message;
        return;
    }
    auto offers = std::move(*created);
    if (auto ok = jm::maker::checkOffers(offers, view); !ok) {
        // Never announce what the maker would refuse to honour.
        JM_LOG(m_ctx.logger(), error) << "yield generator '" << m_settings.yieldgen
                                      << "' made an invalid offer, withdrawing all: " << ok.error().message;
        offers.clear();
    }
    std::vector<jm::protocol::Offer> changed;
    std::vector<std::int64_t> cancelled;
    for (const auto& o : offers) {
        auto old = std::find_if(m_offers.begin(), m_offers.end(), [&](const auto& x) { return x.oid == o.oid; });
        if (old == m_offers.end() || !(*old == o)) changed.push_back(o);
    }
    for (const auto& old : m_offers)
        if (std::none_of(offers.begin(), offers.end(), [&](const auto& o) { return o.oid == old.oid; }))
            cancelled.push_back(old.oid);
    m_offers = std::move(offers);
    if (!changed.empty() || !cancelled.empty()) announce(changed, cancelled);
    scheduleStatus();
}

void MakerPlugin::announce(const std::vector<jm::protocol::Offer>& changed,
                           const std::vector<std::int64_t>& cancelled) {
    // REF: each offer its own public message; the cancels together in one.
    if (m_directories && m_directories->readyCount() > 0) {
        for (const auto& o : changed)
            (void)m_directories->sendPublic({jm::protocol::formatOffer(o)});
        if (!cancelled.empty()) {
            std::vector<jm::protocol::Command> cancels;
            for (auto oid : cancelled)
                cancels.push_back({"cancel", std::to_string(oid)});
            (void)m_directories->sendPublic(cancels);
        }
    }
    ++m_counters.offers_announced;
    for (const auto& o : m_offers)
        JM_LOG(m_ctx.logger(), info) << "offer " << jm::protocol::toString(o.type) << " " << o.oid << ": " << o.minsize
                                     << ".." << o.maxsize << " sat, fee " << o.cjfee << ", txfee " << o.txfee;
    m_ctx.bus().publish(
        jm::maker::events::OffersAnnounced{std::string(m_ctx.instanceName()), nick(), m_offers, cancelled});
}

void MakerPlugin::sendOfferList(const std::string& taker, std::optional<std::size_t> directory) {
    if (m_offers.empty()) return;
    // REF: one private message, the first offer as its command, the others and the bond proof
    // (signed for this taker's nick) appended as further commands.
    const auto first = jm::protocol::formatOffer(m_offers.front());
    std::string text = first.args;
    for (std::size_t i = 1; i < m_offers.size(); ++i) {
        auto c = jm::protocol::formatOffer(m_offers[i]);
        text += "!" + c.name + " " + c.args;
    }
    if (m_bond) {
        jm::bitcoin::Hash256 txid_display;
        std::reverse_copy(m_bond->outpoint.txid.begin(), m_bond->outpoint.txid.end(), txid_display.begin());
        auto proof = jm::protocol::createBondProof(m_bond->utxo_key, m_bond->cert_key, m_bond->cert_expiry, taker,
                                                   nick(), txid_display, m_bond->outpoint.vout,
                                                   static_cast<std::uint32_t>(m_bond->locktime));
        if (auto b64 = jm::protocol::serializeBondProof(proof))
            text += "!tbond " + *b64;
        else
            JM_LOG(m_ctx.logger(), error) << "fidelity bond proof: " << b64.error().message;
    }
    auto sent = sendVia(taker, directory, first.name, text);
    if (!sent) JM_LOG(m_ctx.logger(), debug) << "offers to " << taker << " not sent: " << sent.error().message;
}

} // namespace jm::plugins::maker
