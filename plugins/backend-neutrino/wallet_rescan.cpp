// NeutrinoBackend::scanWallet and the following of new blocks: a wallet's scripts matched
// against the block filters from its birthday, in passes. A pass goes through a height range in
// order with a fixed set of scripts, so that an output is found before the transactions
// spending it. Scripts added while a pass runs (the gap limit moving as used scripts are found,
// a request widening a range) are "uncovered": another pass matches them from the birthday to
// where the scan stands before the scan goes on.
#include "neutrino_backend.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/log.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace jm::plugins::backend_neutrino {

using jm::sdk::errc;
using jm::sdk::fail;

class NeutrinoBackend::Rescan : public std::enable_shared_from_this<NeutrinoBackend::Rescan> {
public:
    Rescan(NeutrinoBackend& backend, std::string wallet_id, std::optional<jm::chain::WatchRequest> request,
           jm::chain::Progress progress, std::function<void(jm::sdk::Result<jm::chain::WalletScan>)> done) :
        m_b(backend),
        m_id(std::move(wallet_id)), m_request(std::move(request)), m_progress(std::move(progress)),
        m_done(std::move(done)) {}

    void run() {
        if (m_b.m_stopped) return finish(fail(errc::cancelled, "the backend is stopping"));
        if (m_request) {
            if (!m_b.m_source.synced()) {
                // A node just started (each `jmnode wallet` command is one) has not heard from
                // its peers yet: wait for the sync a while, polling, then tell the user.
                auto now = std::chrono::steady_clock::now();
                if (!m_waitingSince) {
                    m_waitingSince = now;
                    report(0, "waiting for the light client to sync");
                }
                if (now - *m_waitingSince >= m_b.m_settings.sync_wait) {
                    // The last peer's failure when none is connected (a refused service says
                    // what to change), else the usual suspects.
                    auto why = m_b.m_source.unavailableReason();
                    return finish(fail(
                        errc::unavailable,
                        "the light client has not synced headers and filters (at block " +
                            std::to_string(m_b.tipHeight()) + " after waiting " +
                            std::to_string(
                                std::chrono::duration_cast<std::chrono::seconds>(m_b.m_settings.sync_wait).count()) +
                            "s): " +
                            (why.empty() ? "are the configured peers up and serving compact filters "
                                           "(-peerblockfilters=1)?"
                                         : why)));
                }
                m_timer = std::make_shared<boost::asio::steady_timer>(m_b.m_ctx.executor());
                m_timer->expires_after(std::chrono::milliseconds(200));
                m_timer->async_wait(
                    m_b.guarded([self = shared_from_this()](boost::system::error_code) { self->run(); }));
                return;
            }
            auto birthday = m_request->birthday_time > 0
                                ? m_b.heightAtTime(m_request->birthday_time)
                                : std::clamp(m_request->birthday_height, 0, m_b.tipHeight() + 1);
            auto wallet = m_b.loadWallet(m_id, birthday);
            if (!wallet) return finish(wallet.error());
            if (auto tracked = (*wallet)->track(*m_request); !tracked) return finish(tracked.error());
        } else if (!m_b.m_wallets.count(m_id)) {
            return finish(fail(errc::not_found, "wallet not loaded"));
        }
        step();
    }

private:
    WalletState& wallet() { return *m_b.m_wallets.at(m_id); }

    void report(double fraction, const std::string& what) {
        if (m_progress) m_progress(std::clamp(fraction, 0.0, 1.0), what);
    }

    void finish(jm::sdk::Result<jm::chain::WalletScan> result) {
        if (auto done = std::move(m_done)) done(std::move(result));
    }

    void saveOrFinish(const std::function<void()>& next) {
        if (auto saved = wallet().save(m_b.m_ctx.store()); !saved) return finish(saved.error());
        next();
    }

    //! After a pass: a reorganisation meanwhile starts the step again (the wallet was moved back
    //! to the fork by then); other errors end the scan.
    bool failed(const jm::sdk::Result<void>& r) {
        if (r) return false;
        if (r.error().code == errc::cancelled && !m_b.m_stopped && ++m_restarts < 100) {
            step();
            return true;
        }
        finish(r.error());
        return true;
    }

    void step() {
        if (m_b.m_stopped) return finish(fail(errc::cancelled, "the backend is stopping"));
        if (!m_b.m_wallets.count(m_id)) return finish(fail(errc::cancelled, "wallet unloaded"));
        auto& w = wallet();
        auto tip = m_b.tipHeight();
        auto self = shared_from_this();
        auto visit = [self](const jm::bitcoin::Block& block, std::int32_t height) {
            self->m_b.applyBlock(self->wallet(), block, height);
        };
        // Nothing scanned yet: every script starts with the first pass.
        if (w.scannedHeight() < w.fromHeight()) w.coverAll();
        if (w.hasUncovered()) {
            auto mark = w.uncovered();
            auto from = w.fromHeight();
            auto to = w.scannedHeight();
            report(0.0, "matching " + std::to_string(mark.scripts.size()) + " new scripts from block " +
                            std::to_string(from));
            // Live: scripts the gap rule adds during the pass are matched from the block that
            // used the one before them on (as in the main pass), and covered with the rest.
            m_b.scanRange(
                from, to, [self] { return self->wallet().uncovered().scripts; }, visit, nullptr,
                [self, from, to](double f) {
                    self->report(f * 0.5, "matching new scripts: block " +
                                              std::to_string(from + static_cast<std::int32_t>(f * (to - from))));
                },
                [self](jm::sdk::Result<void> r) {
                    if (self->failed(r)) return;
                    self->wallet().coverAll();
                    self->saveOrFinish([self] { self->step(); });
                });
            return;
        }
        if (w.scannedHeight() < tip) {
            auto from = w.scannedHeight() + 1;
            report(0.0, "scanning blocks " + std::to_string(from) + " to " + std::to_string(tip));
            m_b.scanRange(
                from, tip, [self] { return self->wallet().coveredScripts(); }, visit,
                [self](std::int32_t h) {
                    self->wallet().setScanned(h, self->m_b.hashAt(h));
                    if (auto saved = self->wallet().save(self->m_b.m_ctx.store()); !saved)
                        JM_LOG(self->m_b.m_ctx.logger(), error)
                            << "cannot store the wallet scan: " << saved.error().message;
                },
                [self, from, tip](double f) {
                    self->report(f, "scanning block " +
                                        std::to_string(from + static_cast<std::int32_t>(f * (tip - from))) + " of " +
                                        std::to_string(tip));
                },
                [self](jm::sdk::Result<void> r) {
                    if (self->failed(r)) return;
                    self->saveOrFinish([self] { self->step(); });
                });
            return;
        }
        if (auto saved = w.save(m_b.m_ctx.store()); !saved) return finish(saved.error());
        report(1.0, "scanned");
        auto scan = m_request ? w.result({tip, jm::bitcoin::toHexReversed(m_b.hashAt(tip))}, *m_request)
                              : jm::chain::WalletScan{};
        finish(std::move(scan));
    }

    NeutrinoBackend& m_b;
    std::string m_id;
    std::optional<jm::chain::WatchRequest> m_request;
    jm::chain::Progress m_progress;
    std::function<void(jm::sdk::Result<jm::chain::WalletScan>)> m_done;
    int m_restarts = 0;
    std::optional<std::chrono::steady_clock::time_point> m_waitingSince;
    std::shared_ptr<boost::asio::steady_timer> m_timer;
};

jm::sdk::Result<WalletState*> NeutrinoBackend::loadWallet(const std::string& id, std::int32_t birthday) {
    auto it = m_wallets.find(id);
    if (it == m_wallets.end()) {
        auto stored = WalletState::load(m_ctx.store(), id, m_settings.watch_ahead);
        if (!stored) return stored.error();
        if (*stored) {
            // Blocks it scanned that left the best chain while the node was off: their
            // transactions go, and the scan continues from before them. (A reorganisation
            // deeper than REORG_SAFETY blocks below the last scanned block is not looked for.)
            constexpr std::int32_t REORG_SAFETY = 144;
            auto& s = **stored;
            auto inBest = [this](const jm::bitcoin::Hash256& block, std::int32_t height) {
                auto h = m_source.heightOf(block);
                return h && static_cast<std::int32_t>(*h) == height;
            };
            if (s.scannedHeight() >= s.fromHeight() && !inBest(s.scannedHash(), s.scannedHeight())) {
                auto back = std::max(s.fromHeight() - 1, std::min(s.scannedHeight(), tipHeight()) - REORG_SAFETY);
                s.dropStale(inBest);
                s.disconnectAbove(back, hashAt(back));
            }
        }
        auto state = *stored ? std::make_unique<WalletState>(std::move(**stored))
                             : std::make_unique<WalletState>(id, birthday, m_settings.watch_ahead);
        it = m_wallets.emplace(id, std::move(state)).first;
    }
    if (birthday < it->second->fromHeight()) {
        // An earlier birthday: spends of coins from before the old one were passed over, so the
        // whole history is scanned again.
        JM_LOG(m_ctx.logger(), info) << "wallet " << id << ": birthday moved to block " << birthday
                                     << ", rescanning from there";
        if (auto erased = WalletState::erase(m_ctx.store(), id); !erased) return erased.error();
        it->second = std::make_unique<WalletState>(id, birthday, m_settings.watch_ahead);
    }
    return it->second.get();
}

void NeutrinoBackend::scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                                 jm::chain::Callback<jm::chain::WalletScan> done) {
    boost::asio::post(m_ctx.executor(), guarded([this, request = std::move(request), progress = std::move(progress), ex,
                                                 done = std::move(done)]() mutable {
                          enqueue([this, request = std::move(request), progress = std::move(progress), ex,
                                   done = std::move(done)](std::function<void()> next) mutable {
                              auto id = request.wallet_id;
                              std::make_shared<Rescan>(
                                  *this, std::move(id), std::move(request), std::move(progress),
                                  [this, ex, done = std::move(done),
                                   next = std::move(next)](jm::sdk::Result<jm::chain::WalletScan> r) mutable {
                                      updateWatches();
                                      boost::asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable {
                                          done(std::move(r));
                                      });
                                      next();
                                  })
                                  ->run();
                          });
                      }));
}

void NeutrinoBackend::followWallets(std::vector<std::string> ids, std::function<void()> next) {
    if (ids.empty() || m_stopped) return next();
    auto id = ids.back();
    ids.pop_back();
    std::make_shared<Rescan>(
        *this, id, std::nullopt, nullptr,
        [this, id, ids = std::move(ids), next = std::move(next)](jm::sdk::Result<jm::chain::WalletScan> r) mutable {
            if (!r && r.error().code != errc::cancelled)
                JM_LOG(m_ctx.logger(), warning)
                    << "following new blocks for wallet " << id << ": " << r.error().message;
            followWallets(std::move(ids), std::move(next));
        })
        ->run();
}

} // namespace jm::plugins::backend_neutrino
