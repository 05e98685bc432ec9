#include <jm/wallet/wallet_sync.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/wallet/timenumber.hpp>

#include <boost/asio/post.hpp>

namespace jm::wallet {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr int MAX_ROUNDS = 64; // windows at least double each round; bounds a hostile backend
// How far past a requested window a backend's reported use is believed (Bitcoin Core watches
// 1000 scripts ahead); bounds the derivations a hostile backend can cause per round.
constexpr std::uint32_t MAX_USE_AHEAD = 10'000;
} // namespace

WalletSync::WalletSync(Wallet& wallet, jm::chain::BlockchainBackend& backend, SyncOptions options,
                       jm::chain::Progress progress, jm::sdk::Executor ex, jm::chain::Callback<SyncResult> done) :
    m_wallet(wallet),
    m_backend(backend), m_options(options), m_progress(std::move(progress)), m_ex(std::move(ex)),
    m_done(std::move(done)) {}

void WalletSync::run(Wallet& wallet, jm::chain::BlockchainBackend& backend, SyncOptions options,
                     jm::chain::Progress progress, jm::sdk::Executor ex, jm::chain::Callback<SyncResult> done) {
    std::shared_ptr<WalletSync> sync(
        new WalletSync(wallet, backend, options, std::move(progress), ex, std::move(done)));
    boost::asio::post(ex, [sync] {
        auto stored = sync->m_wallet.birthday();
        if (!stored) return sync->finish(stored.error());
        sync->m_stored = *stored;
        if (sync->m_options.rescan_from) {
            if (*sync->m_options.rescan_from < 0)
                return sync->finish(fail(errc::invalid_argument, "the rescan height cannot be negative"));
            sync->m_birthday = {*sync->m_options.rescan_from, 0};
        } else if (*stored) {
            sync->m_birthday = **stored;
        }
        sync->scan();
    });
}

jm::sdk::Result<std::string> WalletSync::walletId(const Wallet& wallet) {
    auto xpub = wallet.accountXpub(0);
    if (!xpub) return xpub.error();
    auto h = jm::bitcoin::sha256(jm::bitcoin::asBytes(*xpub));
    return "jm-" + jm::bitcoin::toHex(jm::bitcoin::ByteView(h.data(), 8));
}

jm::sdk::Result<jm::chain::WatchRequest> WalletSync::request() {
    jm::chain::WatchRequest req;
    auto id = walletId(m_wallet);
    if (!id) return id.error();
    req.wallet_id = *id;
    req.birthday_height = m_birthday.height;
    req.birthday_time = m_birthday.time;
    for (int m = 0; m < m_wallet.mixdepths(); ++m) {
        auto xpub = m_wallet.accountXpub(m);
        if (!xpub) return xpub.error();
        m_accounts[*xpub] = m;
        for (std::uint32_t b : {BRANCH_EXTERNAL, BRANCH_INTERNAL}) {
            auto next = m_wallet.nextIndex(m, b);
            if (!next) return next.error();
            auto gap = static_cast<std::uint32_t>(m_wallet.gapLimit());
            // Refused before anything is derived: deriving up to a damaged index would run for days.
            if (*next > MAX_SYNC_INDEX - gap)
                return fail(errc::corrupt_data, "mixdepth " + std::to_string(m) + ", branch " + std::to_string(b) +
                                                    ": the next address index " + std::to_string(*next) +
                                                    " is past what a sync can scan (" + std::to_string(MAX_SYNC_INDEX) +
                                                    " addresses per branch): the wallet's stored index is damaged");
            auto end = *next + gap;
            // A window that had to grow doubles, so a long run of used addresses takes a few
            // rounds, not one per gap limit; watching a few unused scripts more costs nothing.
            if (auto before = m_requested.find({m, b}); before != m_requested.end() && end > before->second)
                end = std::max(end, std::min(before->second * 2, MAX_SYNC_INDEX));
            auto& derived = m_derived[{m, b}];
            for (; derived < end; ++derived) {
                auto info = m_wallet.addressAt(m, b, derived);
                if (!info) return info.error();
                m_positions[info->script_pubkey] = {m, b, derived};
            }
            m_requested[{m, b}] = end;
            req.ranges.push_back({*xpub, b, end});
        }
    }
    if (m_options.fidelity_bonds) {
        if (m_derived.count({0, BRANCH_FIDELITY_BOND}) == 0) {
            for (int t = 0; t < TIMENUMBER_COUNT; ++t) {
                auto bond = m_wallet.bondAddress(t);
                if (!bond) return bond.error();
                m_positions[bond->info.script_pubkey] = {0, BRANCH_FIDELITY_BOND, static_cast<std::uint32_t>(t)};
            }
            m_derived[{0, BRANCH_FIDELITY_BOND}] = TIMENUMBER_COUNT;
        }
        for (const auto& [script, pos] : m_positions)
            if (pos.branch == BRANCH_FIDELITY_BOND) req.scripts.push_back(script);
    }
    return req;
}

void WalletSync::scan() {
    if (++m_rounds > MAX_ROUNDS) return finish(fail(errc::internal, "wallet sync did not settle"));
    auto req = request();
    if (!req) return finish(req.error());
    if (m_progress) m_progress(0.0, "scanning (round " + std::to_string(m_rounds) + ")");
    m_backend.scanWallet(
        std::move(*req), m_progress, m_ex,
        [self = shared_from_this()](jm::sdk::Result<jm::chain::WalletScan> r) { self->scanned(std::move(r)); });
}

void WalletSync::scanned(jm::sdk::Result<jm::chain::WalletScan> result) {
    if (!result) return finish(result.error());
    // Mark what the chain has seen as used (synced write), then check every window still reaches
    // gap_limit past the last used index.
    if (auto marked = markRangeUsage(result->ranges); !marked) return finish(marked.error());
    for (const auto& script : result->used_scripts) {
        auto it = m_positions.find(script);
        if (it == m_positions.end() || it->second.branch == BRANCH_FIDELITY_BOND) continue;
        auto marked = m_wallet.markUsed(it->second.mixdepth, it->second.branch, it->second.index);
        if (!marked) return finish(marked.error());
    }
    for (const auto& [key, end] : m_requested) {
        auto next = m_wallet.nextIndex(key.first, key.second);
        if (!next) return finish(next.error());
        if (*next + static_cast<std::uint32_t>(m_wallet.gapLimit()) > end) return scan();
    }
    // The birthday this sync rescanned from is the wallet's from now on.
    if (m_options.rescan_from || !m_stored)
        if (auto stored = m_wallet.setBirthday(m_birthday); !stored) return finish(stored.error());
    SyncResult out;
    out.tip = result->tip;
    out.birthday = m_birthday;
    out.history = std::move(result->history);
    out.rounds = m_rounds;
    out.watched = m_positions.size();
    for (const auto& u : result->utxos) {
        auto it = m_positions.find(u.script_pubkey);
        if (it == m_positions.end()) continue; // a backend may watch more than we asked for
        WalletUtxo w;
        w.outpoint = u.outpoint;
        w.value = u.value;
        w.script_pubkey = u.script_pubkey;
        w.mixdepth = it->second.mixdepth;
        w.branch = it->second.branch;
        w.index = it->second.index;
        w.confirmations = u.confirmations;
        out.utxos.push_back(std::move(w));
    }
    if (m_progress) m_progress(1.0, "synced");
    finish(std::move(out));
}

jm::sdk::Result<void> WalletSync::markRangeUsage(const std::vector<jm::chain::RangeUsage>& ranges) {
    for (const auto& r : ranges) {
        auto account = m_accounts.find(r.xpub);
        if (account == m_accounts.end() || r.used_end == 0) continue;
        if (r.branch != BRANCH_EXTERNAL && r.branch != BRANCH_INTERNAL) continue;
        auto requested = m_requested.find({account->second, r.branch});
        if (requested == m_requested.end()) continue;
        // Believed up to a bound: marking too far only skips addresses, never reuses one.
        auto last = std::min<std::uint64_t>(r.used_end - 1, std::uint64_t{requested->second} + MAX_USE_AHEAD);
        auto marked = m_wallet.markUsed(account->second, r.branch, static_cast<std::uint32_t>(last));
        if (!marked) return marked.error();
    }
    return {};
}

void WalletSync::finish(jm::sdk::Result<SyncResult> result) {
    auto done = std::move(m_done);
    if (done) done(std::move(result));
}

} // namespace jm::wallet
