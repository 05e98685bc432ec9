// After a CoinJoin: the signed transaction is watched until the chain settles it, earnings are
// recorded, the wallet is synchronised again and the offers follow the new balances. Also the
// status file `jmnode maker status` reads.
#include "maker_plugin.hpp"

#include <jm/sdk/events.hpp>
#include <jm/sdk/files.hpp>

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>

namespace jm::plugins::maker {

namespace {

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Status writes are coalesced: at most one per this interval.
constexpr auto STATUS_DELAY = std::chrono::milliseconds(200);
// And made at least this often, so that `jmnode maker status` can tell a node that died
// without a word (kill -9) by the age of the file.
constexpr auto STATUS_HEARTBEAT = std::chrono::seconds(60);

} // namespace

void MakerPlugin::onTxSeen(const std::string& txid, bool confirmed) {
    auto it = m_signed.find(txid);
    if (it == m_signed.end()) return;
    auto& c = it->second;
    Earning e;
    e.time = c.signed_at;
    e.txid = c.txid;
    e.cj_amount = c.cj_amount;
    e.real_cjfee = c.real_cjfee;
    e.txfee = c.txfee;
    e.fee_earned = c.real_cjfee - c.txfee;
    e.mixdepth = c.mixdepth;
    e.cj_mixdepth = c.cj_mixdepth;
    e.inputs = static_cast<int>(c.inputs.size());
    e.confirmed = confirmed;
    if (auto r = m_store.recordEarning(e); !r) JM_LOG(m_ctx.logger(), error) << "earnings: " << r.error().message;
    if (!c.seen) {
        c.seen = true;
        (void)m_store.updateSigned(c);
        JM_LOG(m_ctx.logger(), info) << "CoinJoin " << txid << " is out: earned " << e.fee_earned << " sat on "
                                     << c.cj_amount << " sat";
        // /2 (with the fee earned) first: message notifiers then skip the /1 of the same txid.
        m_ctx.bus().publish(jm::sdk::events::CoinjoinCompletedV2{txid, c.cj_amount, "maker",
                                                                 std::string(m_ctx.instanceName()), e.fee_earned});
        m_ctx.bus().publish(jm::sdk::events::CoinjoinCompleted{txid, c.cj_amount, "maker"});
    }
    if (confirmed) {
        JM_LOG(m_ctx.logger(), info) << "CoinJoin " << txid << " confirmed";
        if (auto r = m_store.settle(c); !r) JM_LOG(m_ctx.logger(), error) << r.error().message;
        for (const auto& o : c.inputs)
            m_locks.erase(o);
        m_signed.erase(it);
    }
    // The balances changed: new offers (REF recomputes them at both steps).
    sync();
    scheduleStatus();
}

void MakerPlugin::onBlock(std::int32_t height) {
    m_tip.height = std::max(m_tip.height, height);
    if (m_settings.resync_blocks > 0 && height - m_lastSyncHeight >= m_settings.resync_blocks) sync();
}

void MakerPlugin::settleSigned() {
    auto now = unixNow();
    std::vector<std::string> done;
    for (auto& [txid, c] : m_signed) {
        bool inputs_gone =
            std::none_of(c.inputs.begin(), c.inputs.end(), [&](const auto& o) { return isWalletCoin(o); });
        if (inputs_gone && !c.seen) onTxSeen(txid, false); // the chain took them while we were not watching
        if (now >= c.expires) done.push_back(txid);
    }
    for (const auto& txid : done) {
        auto& c = m_signed.at(txid);
        if (!c.seen)
            JM_LOG(m_ctx.logger(), warning)
                << "CoinJoin " << txid << " was never seen; its coins are free again (signed_lock_timeout)";
        if (auto r = m_store.settle(c); !r) JM_LOG(m_ctx.logger(), error) << r.error().message;
        for (const auto& o : c.inputs)
            m_locks.erase(o);
        m_signed.erase(txid);
    }
}

void MakerPlugin::scheduleStatus() {
    if (m_statusScheduled || m_stopped) return;
    m_statusScheduled = true;
    m_statusTimer.expires_after(STATUS_DELAY);
    m_statusTimer.async_wait(guarded([this](boost::system::error_code ec) {
        m_statusScheduled = false;
        if (!ec) writeStatus();
    }));
}

void MakerPlugin::heartbeat() {
    if (std::chrono::steady_clock::now() - m_lastStatus >= STATUS_HEARTBEAT) scheduleStatus();
}

void MakerPlugin::writeStatus(bool running) {
    m_lastStatus = std::chrono::steady_clock::now();
    boost::json::object s;
    s["instance"] = m_ctx.instanceName();
    s["running"] = running;
    s["nick"] = nick();
    s["written_at"] = unixNow();
    s["synced"] = m_synced;
    s["height"] = m_tip.height;
    s["directories_ready"] = m_directories ? m_directories->readyCount() : 0;
    s["directories"] = m_settings.directories.size();
    boost::json::object direct{{"location", m_location.toString()},
                               {"received", m_counters.direct_received},
                               {"sent", m_counters.direct_sent}};
    if (m_direct) {
        const auto& c = m_direct->counters();
        direct["connections"] = m_direct->inboundCount();
        direct["accepted"] = c.accepted;
        direct["refused"] = c.refused;
        direct["dropped"] = c.dropped;
    }
    s["direct"] = std::move(direct);
    boost::json::array offers;
    for (const auto& o : m_offers)
        offers.push_back({{"oid", o.oid},
                          {"ordertype", jm::protocol::toString(o.type)},
                          {"minsize", o.minsize},
                          {"maxsize", o.maxsize},
                          {"txfee", o.txfee},
                          {"cjfee", o.cjfee}});
    s["offers"] = std::move(offers);
    boost::json::array sessions;
    auto now = std::chrono::steady_clock::now();
    for (const auto& [taker, session] : m_sessions)
        sessions.push_back(
            {{"taker", taker},
             {"state", toString(session.state)},
             {"oid", session.offer.oid},
             {"amount", session.amount},
             {"age_s", std::chrono::duration_cast<std::chrono::seconds>(now - session.started).count()}});
    s["sessions"] = std::move(sessions);
    s["locked_coins"] = m_locks.size();
    s["pending_coinjoins"] = m_signed.size();
    if (m_wallet) {
        boost::json::array balances;
        auto view = walletView();
        for (const auto& md : view.mixdepths)
            balances.push_back(
                {{"mixdepth", md.mixdepth}, {"available", md.available}, {"unconfirmed", md.unconfirmed}});
        s["mixdepths"] = std::move(balances);
    }
    if (auto n = m_store.blacklistSize()) s["blacklisted_commitments"] = *n;
    boost::json::array list;
    std::int64_t total = 0;
    if (auto earnings = m_store.earnings()) {
        for (const auto& e : *earnings) {
            total += e.fee_earned;
            list.push_back({{"time", e.time},
                            {"txid", e.txid},
                            {"cj_amount", e.cj_amount},
                            {"fee_earned", e.fee_earned},
                            {"mixdepth", e.mixdepth},
                            {"cj_mixdepth", e.cj_mixdepth},
                            {"confirmed", e.confirmed}});
        }
    }
    s["earnings"] = {{"coinjoins", list.size()}, {"total_earned", total}, {"list", std::move(list)}};
    s["counters"] = {{"fills", m_counters.fills},
                     {"refused", m_counters.refused},
                     {"signed", m_counters.signed_coinjoins},
                     {"pushes", m_counters.pushes},
                     {"ignored", m_counters.ignored}};
    if (!running) {
        // The last word, written before stop() returns (the host may not run posted work any
        // more); a write still queued must not overwrite it.
        std::lock_guard lock(m_statusWriter->mutex);
        m_statusWriter->final = true;
        if (auto r = jm::sdk::writeFileAtomically(statusPath(), boost::json::serialize(s)); !r)
            JM_LOG(m_ctx.logger(), warning) << "status file: " << r.error().message;
        return;
    }
    boost::asio::post(m_ctx.blockingExecutor(), [writer = m_statusWriter, path = statusPath(),
                                                 text = boost::json::serialize(s), logger = m_ctx.logger()]() mutable {
        std::lock_guard lock(writer->mutex);
        if (writer->final) return;
        if (auto r = jm::sdk::writeFileAtomically(path, text); !r)
            JM_LOG(logger, warning) << "status file: " << r.error().message;
    });
}

} // namespace jm::plugins::maker
