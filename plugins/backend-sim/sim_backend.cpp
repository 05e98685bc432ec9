#include "sim_backend.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/log.hpp>

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>

namespace jm::plugins::backend_sim {

SimBackend::State::State(jm::sdk::PluginContext& ctx, const SimSettings& settings) :
    chain(&ctx.bus()), timer(ctx.executor()) {
    chain.setFeeRate(settings.fee_rate);
}

SimBackend::SimBackend(jm::sdk::PluginContext& ctx, SimSettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)), m_state(std::make_shared<State>(ctx, m_settings)) {
    std::int64_t total = 0;
    for (const auto& coin : m_settings.premine) {
        m_state->chain.fund(coin.script, coin.sats);
        total += coin.sats;
    }
    m_state->chain.mine(m_settings.initial_blocks);
    JM_LOG(m_ctx.logger(), info) << "simulated regtest chain at height " << m_state->chain.height() << ": "
                                 << m_settings.premine.size() << " premined coins, " << total << " sats";
}

SimBackend::~SimBackend() = default;

namespace {
constexpr std::string_view JOURNAL = "journal/";
constexpr std::string_view GENESIS = "genesis";

std::string entryKey(std::uint64_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llu", static_cast<unsigned long long>(n));
    return std::string(JOURNAL) + buf;
}
} // namespace

jm::sdk::Result<void> SimBackend::State::record(std::string_view entry) {
    if (!journal) return {};
    return journal->put(entryKey(next_entry++), entry, {.sync = true});
}

jm::sdk::Result<void> SimBackend::State::mine() {
    std::lock_guard lock(journal_mutex);
    if (auto r = record("mine"); !r) return r;
    chain.mine(1);
    return {};
}

jm::sdk::Result<std::string> SimBackend::State::submit(const jm::bitcoin::Bytes& tx) {
    std::lock_guard lock(journal_mutex);
    auto txid = chain.submit(tx);
    // Journaled before anyone learns the txid: what was reported is what a restart replays.
    if (txid)
        if (auto r = record("tx " + jm::bitcoin::toHex(tx)); !r) return r.error();
    return txid;
}

jm::sdk::Result<void> SimBackend::replay() {
    auto& store = m_ctx.store();
    // The journal only makes sense on the chain it began on.
    boost::json::array premine;
    for (const auto& c : m_settings.premine)
        premine.push_back({{"address", c.address}, {"sats", c.sats}});
    auto genesis = boost::json::serialize(
        boost::json::object{{"premine", std::move(premine)}, {"initial_blocks", m_settings.initial_blocks}});
    auto stored = store.get(GENESIS);
    if (!stored) return stored.error();
    if (*stored && **stored != genesis)
        return jm::sdk::fail(jm::sdk::errc::invalid_config,
                             "persist: the premine or initial_blocks changed since this chain was saved (use a new "
                             "data directory)");
    if (!*stored)
        if (auto r = store.put(GENESIS, genesis, {.sync = true}); !r) return r;
    std::uint64_t entries = 0;
    jm::sdk::Result<void> bad;
    auto r = store.iterate(JOURNAL, [&](std::string_view key, std::string_view value) {
        if (key != entryKey(entries)) {
            bad = jm::sdk::fail(jm::sdk::errc::corrupt_data,
                                "backend-sim journal: entry " + std::string(key) + " out of sequence");
            return false;
        }
        ++entries;
        if (value == "mine") {
            m_state->chain.mine(1);
            return true;
        }
        auto raw =
            value.starts_with("tx ")
                ? jm::bitcoin::fromHex(value.substr(3))
                : jm::sdk::Result<jm::bitcoin::Bytes>(jm::sdk::fail(jm::sdk::errc::corrupt_data, "unknown entry"));
        auto txid = raw ? m_state->chain.submit(*raw) : jm::sdk::Result<std::string>(raw.error());
        if (!txid) {
            bad = jm::sdk::fail(jm::sdk::errc::corrupt_data, "backend-sim journal: " + std::string(key) +
                                                                 " cannot be replayed: " + txid.error().message);
            return false;
        }
        return true;
    });
    if (!r) return r;
    if (!bad) return bad;
    m_state->next_entry = entries;
    m_state->journal = &store;
    JM_LOG(m_ctx.logger(), info) << "simulated chain restored from its journal (" << entries << " entries): height "
                                 << m_state->chain.height();
    return {};
}

jm::sdk::Result<void> SimBackend::start() {
    if (m_settings.persist)
        if (auto r = replay(); !r) return r;
    if (m_settings.block_interval.count() > 0) scheduleBlock(m_state, m_settings.block_interval);
    return {};
}

void SimBackend::stop(std::function<void()> done) {
    m_state->stopped = true;
    m_state->timer.cancel();
    done();
}

jm::sdk::testing::TestChain& SimBackend::chain() { return m_state->chain; }

void SimBackend::scheduleBlock(const std::shared_ptr<State>& state, std::chrono::milliseconds interval) {
    state->timer.expires_after(interval);
    state->timer.async_wait([weak = std::weak_ptr<State>(state), interval](const boost::system::error_code& ec) {
        if (ec) return;
        auto s = weak.lock();
        if (!s || s->stopped) return;
        (void)s->mine(); // a journal write error leaves the block unmined, tried again next time
        scheduleBlock(s, interval);
    });
}

void SimBackend::mineOne(const std::weak_ptr<State>& state) {
    auto s = state.lock();
    if (s && !s->stopped) (void)s->mine();
}

void SimBackend::tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) {
    m_state->chain.tip(std::move(ex), std::move(done));
}

void SimBackend::scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                            jm::chain::Callback<jm::chain::WalletScan> done) {
    m_state->chain.scanWallet(std::move(request), std::move(progress), std::move(ex), std::move(done));
}

void SimBackend::getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                          jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    m_state->chain.getTxOut(outpoint, std::move(ex), std::move(done));
}

void SimBackend::getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) {
    m_state->chain.getTransaction(std::move(txid), std::move(ex), std::move(done));
}

void SimBackend::broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) {
    auto txid = m_state->submit(tx);
    if (txid) {
        JM_LOG(m_ctx.logger(), debug) << "accepted " << *txid;
    } else {
        JM_LOG(m_ctx.logger(), info) << "refused a transaction: " << txid.error().message;
    }
    bool mine_now = txid && m_settings.block_interval.count() == 0;
    boost::asio::post(ex, [done = std::move(done), txid = std::move(txid)]() mutable { done(std::move(txid)); });
    // Queued after the completion, on the instance's strand: the caller learns the txid first,
    // as with a real node, and the block follows at once.
    if (mine_now) boost::asio::post(m_ctx.executor(), [weak = std::weak_ptr<State>(m_state)] { mineOne(weak); });
}

void SimBackend::estimateFee(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) {
    m_state->chain.estimateFee(target_blocks, std::move(ex), std::move(done));
}

void SimBackend::watchTransaction(std::string txid, std::int32_t final_depth) {
    m_state->chain.watchTransaction(std::move(txid), final_depth);
}

void SimBackend::unwatchTransaction(std::string txid) { m_state->chain.unwatchTransaction(std::move(txid)); }

} // namespace jm::plugins::backend_sim
