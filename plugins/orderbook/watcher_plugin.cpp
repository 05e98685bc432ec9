#include "watcher_plugin.hpp"

#include "page.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/market/bond_check.hpp>
#include <jm/protocol/fidelity_bond.hpp>

#include <chrono>

namespace jm::plugins::orderbook {

namespace {

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

//! Features kept per nick, at most (a peerlist is network input).
constexpr std::size_t MAX_FEATURES = 16;
constexpr std::size_t MAX_FEATURE_NICKS = 2 * jm::market::Orderbook::MAX_NICKS;

} // namespace

WatcherPlugin::WatcherPlugin(jm::sdk::PluginContext& ctx, WatcherSettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)), m_identity(std::make_shared<const jm::protocol::NickIdentity>()),
    m_book(m_identity->nick()), m_refreshTimer(ctx.executor()) {}

WatcherPlugin::~WatcherPlugin() {
    m_stopped = true;
    if (m_directories) m_directories->stop();
    if (m_server) m_server->stop();
}

jm::sdk::Result<void> WatcherPlugin::start() {
    auto backend = m_ctx.services().get<jm::chain::BlockchainBackend>(m_settings.backend);
    if (!backend) return backend.error();
    m_backend = *backend;

    HttpLimits limits;
    limits.request_timeout = m_settings.header_timeout;
    limits.max_connections = m_settings.max_connections;
    auto server = HttpServer::start(
        m_ctx.executor(), m_settings.http_host, m_settings.http_port, limits,
        [this, alive = std::weak_ptr<int>(m_alive)](const HttpRequestInfo& request) {
            if (alive.expired()) return HttpReply{503, "text/plain; charset=utf-8", "stopping\n", "", "no-store", {}};
            return m_replies.answer(request, view(), m_settings.page_refresh);
        },
        m_ctx.logger());
    if (!server) return server.error();
    m_server = std::move(*server);

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
        directories.push_back(s);
    }
    jm::net::MultiDirectoryHandler handler;
    handler.on_message = guarded([this](const jm::net::RoutedMessage& m) { onMessage(m); });
    handler.on_directory = guarded([this](std::size_t directory, bool ready) { onDirectory(directory, ready); });
    handler.on_nick_gone = guarded([this](const std::string& nick) { onNickGone(nick); });
    handler.on_peer_entry = guarded([this](const jm::protocol::PeerlistEntry& e, std::size_t) {
        if (e.disconnected) return;
        if (!m_features.count(e.nick) && m_features.size() >= MAX_FEATURE_NICKS) return;
        auto& f = m_features[e.nick];
        f.clear();
        for (const auto& feature : e.features)
            if (f.size() < MAX_FEATURES && shownFeature(feature)) f.push_back(feature);
        m_dirty = true;
    });
    m_directories =
        jm::net::MultiDirectoryClient::create(m_ctx.executor(), std::move(directories), m_identity, handler);
    m_directories->start();
    m_updated = unixNow();
    // Bonds are checked once the tip is known (certificates expire by height).
    m_backend->tip(m_ctx.executor(), guarded([this](jm::sdk::Result<jm::chain::ChainTip> tip) { onTip(tip); }));
    scheduleRefresh();
    JM_LOG(m_ctx.logger(), info) << "orderbook watcher " << nick() << " on http://" << m_settings.http_host << ":"
                                 << m_server->port() << "/, watching " << m_settings.directories.size() << " director"
                                 << (m_settings.directories.size() == 1 ? "y" : "ies");
    return {};
}

void WatcherPlugin::stop(std::function<void()> done) {
    m_stopped = true;
    m_refreshTimer.cancel();
    if (m_directories) m_directories->stop();
    if (m_server) m_server->stop();
    JM_LOG(m_ctx.logger(), info) << "orderbook watcher stopped";
    done();
}

void WatcherPlugin::onDirectory(std::size_t directory, bool ready) {
    changed();
    if (!ready) return;
    // Makers seen only on this directory answer through it.
    auto& d = m_directories->directory(directory);
    (void)d.sendPublic({{"orderbook", ""}});
    (void)d.requestPeerlist();
}

void WatcherPlugin::onMessage(const jm::net::RoutedMessage& message) {
    auto intake = m_book.onMessage(message.message);
    if (intake == jm::market::BookIntake::Ignored) return;
    changed();
    if (intake != jm::market::BookIntake::Public) checkBonds(false);
}

void WatcherPlugin::onNickGone(const std::string& nick) {
    m_book.remove(nick);
    m_bonds.erase(nick);
    m_features.erase(nick);
    changed();
}

void WatcherPlugin::scheduleRefresh() {
    m_refreshTimer.expires_after(m_settings.refresh);
    m_refreshTimer.async_wait(guarded([this](boost::system::error_code ec) {
        if (ec) return;
        refresh();
        scheduleRefresh();
    }));
}

void WatcherPlugin::refresh() {
    pruneBonds();
    // The tip first (certificate expiry), then every bond again: a bond coin can be spent.
    m_backend->tip(m_ctx.executor(), guarded([this](jm::sdk::Result<jm::chain::ChainTip> tip) {
                       if (tip) m_tipHeight = tip->height;
                       checkBonds(true);
                   }));
    (void)m_directories->sendPublic({{"orderbook", ""}});
    m_directories->requestPeerlists();
}

void WatcherPlugin::onTip(const jm::sdk::Result<jm::chain::ChainTip>& tip) {
    if (!tip) {
        JM_LOG(m_ctx.logger(), warning) << "backend tip: " << tip.error().message << "; bonds are checked later";
        return;
    }
    m_tipHeight = tip->height;
    m_tipKnown = true;
    checkBonds(true);
}

void WatcherPlugin::checkBonds(bool all) {
    if (!m_tipKnown) return;
    for (const auto& nick : m_book.makers()) {
        auto proof = m_book.bondProof(nick);
        if (!proof || m_bondsPending.count(nick)) continue;
        auto known = m_bonds.find(nick);
        if (!all && known != m_bonds.end() && known->second.proof == *proof) continue;
        auto parsed = jm::protocol::parseBondProof(*proof);
        if (!parsed) continue; // the book keeps only proofs that parse and verify
        m_bondsPending.insert(nick);
        // A bond proof names no block height, so there is no hint to give: a full node looks the
        // coin up as before, a light client answers errc::unsupported (shown as unverified).
        m_backend->getTxOutHinted(
            jm::market::bondOutpoint(*parsed), std::nullopt, m_ctx.executor(),
            guarded([this, nick, proof = *proof](auto coin) { onBondCoin(nick, proof, std::move(coin)); }));
    }
}

void WatcherPlugin::onBondCoin(const std::string& nick, const std::string& proof_b64,
                               jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin) {
    m_bondsPending.erase(nick);
    // The nick may have left, or sent another proof, while the backend answered.
    if (m_book.bondProof(nick) != proof_b64) return checkBonds(false);
    auto proof = jm::protocol::parseBondProof(proof_b64);
    if (!proof) return;
    pruneBonds();
    // Only bonds the book still holds count as taken: the same bond under a maker's new nick
    // replaced the old nick in the book, and the old nick's check must not refuse it.
    std::set<jm::bitcoin::OutPoint> taken;
    for (const auto& [other, check] : m_bonds)
        if (other != nick && check.outpoint) taken.insert(*check.outpoint);
    auto bond =
        jm::market::checkBondCoin(*proof, coin, m_tipHeight, unixNow(), taken, 0.015, m_settings.bond_value_exponent);
    BondCheck check;
    check.proof = proof_b64;
    auto& v = check.view;
    v.counterparty = nick;
    v.txid = jm::bitcoin::toHex(proof->txid_display);
    v.vout = proof->vout;
    v.locktime = proof->locktime;
    v.utxo_pub = jm::bitcoin::toHex(proof->utxo_pub);
    v.cert_expiry = proof->cert_expiry;
    if (bond) {
        v.verified = true;
        v.amount = bond->amount;
        v.script = jm::bitcoin::toHex(bond->script_pubkey);
        v.confirmations = bond->confirmations;
        v.confirmation_time = bond->confirmed_at;
        v.value = bond->value;
        check.outpoint = bond->outpoint;
    } else if (!coin && coin.error().code == jm::sdk::errc::unsupported) {
        v.refusal = "unverified: the backend is a light client and cannot look up a bond coin without its block";
    } else {
        v.refusal = bond.error().message;
        JM_LOG(m_ctx.logger(), debug) << "bond of " << nick << " not counted: " << v.refusal;
    }
    m_book.setBondVerified(nick, v.verified);
    m_bonds[nick] = std::move(check);
    changed();
}

void WatcherPlugin::pruneBonds() {
    // Nicks leave the book without leaving the directories (their last offer cancelled, evicted
    // from a full book, their bond taken over by a new nick): their checks go with them, or a
    // long-running watcher would keep one per nick ever seen.
    std::erase_if(m_bonds, [&](const auto& entry) { return m_book.bondProof(entry.first) != entry.second.proof; });
}

void WatcherPlugin::changed() {
    m_dirty = true;
    m_updated = unixNow();
}

std::shared_ptr<const MarketView> WatcherPlugin::view() {
    if (!m_dirty && m_view) return m_view;
    auto v = std::make_shared<MarketView>();
    v->network = std::string(m_ctx.network());
    v->tip_height = m_tipHeight;
    v->updated = m_updated;
    for (const auto& d : m_settings.directories)
        v->directories.push_back(d.text());
    v->directories_ready = m_directories ? m_directories->readyCount() : 0;
    std::map<std::string, double> values;
    pruneBonds();
    for (const auto& [nick, check] : m_bonds) {
        v->bonds.push_back(check.view);
        if (check.view.verified) values[nick] = check.view.value;
    }
    for (const auto& o : m_book.offers()) {
        OfferView ov;
        ov.counterparty = o.counterparty;
        ov.offer = o.offer;
        if (auto it = values.find(o.counterparty); it != values.end()) ov.bond_value = it->second;
        if (m_directories)
            for (auto i : m_directories->seenOn(o.counterparty))
                ov.directories.push_back(v->directories.at(i));
        if (auto f = m_features.find(o.counterparty); f != m_features.end()) ov.features = f->second;
        v->offers.push_back(std::move(ov));
    }
    m_view = std::move(v);
    m_dirty = false;
    return m_view;
}

} // namespace jm::plugins::orderbook
