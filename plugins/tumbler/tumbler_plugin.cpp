#include "tumbler_plugin.hpp"

#include "schedule.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/log.hpp>
#include <jm/sdk/password_source.hpp>
#include <jm/tumbler/events.hpp>
#include <jm/wallet/utxo_set.hpp>

#include <boost/asio/post.hpp>

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <set>

namespace jm::plugins::tumbler {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::tumbler::StepState;
using jm::tumbler::TumblePlan;

namespace {

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string randomId() {
    unsigned char bytes[8];
    randombytes_buf(bytes, sizeof bytes);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (auto b : bytes) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

//! Satoshis per mixdepth the taker may spend: frozen coins and fidelity bonds stay where they
//! are (its coin selection and sweeps never take them), so no step may be planned on them nor a
//! fraction applied to them. The sync's UTXOs carry no freeze marks: UtxoSet applies them.
jm::sdk::Result<std::map<int, std::int64_t>> spendableBalances(jm::sdk::KvStore& store, int mixdepths,
                                                               std::vector<jm::wallet::WalletUtxo> utxos) {
    jm::wallet::UtxoSet set(store, 0);
    if (auto r = set.replace(std::move(utxos)); !r) return r.error();
    std::map<int, std::int64_t> out;
    for (int m = 0; m < mixdepths; ++m) {
        auto b = set.balance(m);
        if (b.confirmed + b.unconfirmed > 0) out[m] = b.confirmed + b.unconfirmed;
    }
    return out;
}

std::string joined(const std::vector<std::string>& nicks) {
    std::string out;
    for (const auto& n : nicks)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

//! Why the plan pauses when a step has used its round's attempts.
std::string limitReached(const jm::tumbler::TumbleStep& step, std::size_t index, int max_attempts) {
    return "step " + std::to_string(index + 1) + " failed " + std::to_string(step.round_attempts) +
           " time(s) (max_attempts " + std::to_string(max_attempts) + ")" +
           (step.reason.empty() ? std::string() : ", last: " + step.reason);
}

template <class T> void reply(jm::sdk::Executor ex, jm::chain::Callback<T> done, jm::sdk::Result<T> r) {
    boost::asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

} // namespace

TumblerPlugin::TumblerPlugin(jm::sdk::PluginContext& ctx, TumblerSettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)),
    m_store(ctx.store(), ctx.dataDir() / (std::string(ctx.instanceName()) + "-tumble.json")), m_timer(ctx.executor()) {}

TumblerPlugin::~TumblerPlugin() = default;

jm::sdk::Result<std::string> TumblerPlugin::readPassword() {
    if (!m_settings.password_file.empty()) {
        std::filesystem::path path = m_settings.password_file;
        if (path.is_relative()) path = m_ctx.dataDir() / path;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            return fail(errc::invalid_config, "password_file " + path.string() + " cannot be read");
        // Anyone else able to read it could spend the wallet.
        if (!S_ISREG(st.st_mode) || (st.st_mode & 0077) != 0)
            return fail(errc::permission_denied,
                        "password_file " + path.string() + " must be a file only its owner can read (chmod 600)");
        std::ifstream in(path);
        std::string line;
        std::getline(in, line);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) return fail(errc::invalid_config, "password_file " + path.string() + " is empty");
        return line;
    }
    auto source = m_ctx.services().get<jm::sdk::PasswordSource>(jm::sdk::PasswordSource::host_instance);
    if (!source)
        return fail(errc::invalid_config,
                    "the tumbler needs the wallet password: set password_file or give it with --password-fd N");
    return (*source)->read("Wallet password for tumbler '" + std::string(m_ctx.instanceName()) + "': ");
}

jm::sdk::Result<void> TumblerPlugin::start() {
    auto network = jm::bitcoin::parseNetwork(m_ctx.network());
    if (!network) return network.error();
    m_network = *network;
    auto backend = m_ctx.services().get<jm::chain::BlockchainBackend>(m_settings.backend);
    if (!backend) return backend.error();
    m_backend = *backend;
    auto taker = m_ctx.services().get<jm::taker::CoinjoinService>(m_settings.taker);
    if (!taker) return taker.error().withContext("taker '" + m_settings.taker + "'");
    m_taker = *taker;
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
    if (wallet->network() != m_network)
        return fail(errc::invalid_config,
                    "the wallet is for another network than the node's " + std::string(m_ctx.network()));
    m_wallet = std::make_shared<jm::wallet::Wallet>(std::move(*wallet));
    auto plan = m_store.load();
    if (!plan) return plan.error();
    m_plan = std::move(*plan);
    if (m_plan && m_plan->status != "finished")
        JM_LOG(m_ctx.logger(), info) << "tumble " << m_plan->id << " is " << m_plan->status << " at step "
                                     << m_plan->done() + 1 << " of " << m_plan->steps.size()
                                     << " (`jmnode tumble resume` continues it)";
    return {};
}

void TumblerPlugin::stop(std::function<void()> done) {
    m_stopped = true;
    m_timer.cancel();
    // The plan stays stored as it is: a running step is reconciled by the next resume.
    if (m_active) {
        auto active = std::move(*m_active);
        m_active.reset();
        reply<TumblePlan>(active.ex, std::move(active.done),
                          jm::sdk::Error(errc::cancelled, "the node is stopping; `jmnode tumble resume` continues"));
    }
    done();
}

// ---------------------------------------------------------------------------------------------
// The service.

void TumblerPlugin::sync(std::function<void(jm::sdk::Result<jm::wallet::SyncResult>)> then) {
    jm::wallet::SyncOptions options;
    if (m_settings.birthday_height > 0) options.rescan_from = m_settings.birthday_height;
    jm::wallet::WalletSync::run(*m_wallet, *m_backend, options, {}, m_ctx.executor(),
                                [keep = std::make_pair(m_walletStore, m_wallet), then = guarded(std::move(then))](
                                    jm::sdk::Result<jm::wallet::SyncResult> r) mutable { then(std::move(r)); });
}

void TumblerPlugin::propose(std::vector<std::string> destinations, std::optional<std::uint64_t> seed,
                            jm::sdk::Executor ex, jm::chain::Callback<TumblePlan> done) {
    boost::asio::post(
        m_ctx.executor(),
        guarded([this, destinations = std::move(destinations), seed, ex, done = std::move(done)]() mutable {
            if (m_active)
                return reply<TumblePlan>(ex, std::move(done), jm::sdk::Error(errc::unavailable, "a tumble is running"));
            if (m_plan && m_plan->status != "finished")
                return reply<TumblePlan>(
                    ex, std::move(done),
                    jm::sdk::Error(errc::already_exists,
                                   "tumble " + m_plan->id + " is " + m_plan->status +
                                       ": resume it (`jmnode tumble resume`) before starting another"));
            std::set<jm::bitcoin::Script> scripts;
            for (const auto& d : destinations) {
                auto script = jm::bitcoin::addressToScript(d, m_network);
                if (!script)
                    return reply<TumblePlan>(
                        ex, std::move(done),
                        jm::sdk::Error(errc::invalid_argument, "destination " + d + ": " + script.error().message));
                if (!scripts.insert(*script).second)
                    return reply<TumblePlan>(
                        ex, std::move(done),
                        jm::sdk::Error(errc::invalid_argument,
                                       "destination " + d + " is given twice (an address is paid once)"));
            }
            if (destinations.size() < MIN_DESTINATIONS)
                return reply<TumblePlan>(
                    ex, std::move(done),
                    jm::sdk::Error(errc::invalid_argument, "a tumble needs at least 3 destination addresses"));
            std::uint64_t s = 0;
            if (seed)
                s = *seed;
            else
                randombytes_buf(&s, sizeof s);
            sync([this, destinations = std::move(destinations), s, ex,
                  done = std::move(done)](jm::sdk::Result<jm::wallet::SyncResult> synced) mutable {
                if (!synced) return reply<TumblePlan>(ex, std::move(done), synced.error().withContext("wallet sync"));
                // One of the wallet's own addresses would bring the coins back in, where later
                // steps sweep them on: the user meant an address outside.
                for (const auto& d : destinations)
                    if (auto own = ownAddress(d); !own) return reply<TumblePlan>(ex, std::move(done), own.error());
                auto balances = spendableBalances(*m_walletStore, m_wallet->mixdepths(), synced->utxos);
                if (!balances) return reply<TumblePlan>(ex, std::move(done), balances.error());
                auto schedule =
                    makeTumbleSchedule(m_settings.schedule, destinations.size(), *balances, m_wallet->mixdepths(), s);
                if (!schedule) return reply<TumblePlan>(ex, std::move(done), schedule.error());
                TumblePlan plan;
                plan.id = randomId();
                plan.seed = s;
                plan.created = unixNow();
                plan.destinations = std::move(destinations);
                for (const auto& step : *schedule) {
                    jm::tumbler::TumbleStep t;
                    t.mixdepth = step.mixdepth;
                    t.amount_fraction = step.amount_fraction;
                    t.makers = std::min(step.makers, 100);
                    t.destination = step.destination;
                    t.wait_minutes = step.wait_minutes;
                    t.rounding = step.rounding;
                    plan.steps.push_back(std::move(t));
                }
                reply<TumblePlan>(ex, std::move(done), std::move(plan));
            });
        }));
}

jm::sdk::Result<void> TumblerPlugin::ownAddress(const std::string& address) const {
    auto script = jm::bitcoin::addressToScript(address, m_network);
    if (!script) return script.error();
    // The addresses a sync watches: every one handed out or seen used, plus the gap limit.
    for (int m = 0; m < m_wallet->mixdepths(); ++m)
        for (std::uint32_t branch : {jm::wallet::BRANCH_EXTERNAL, jm::wallet::BRANCH_INTERNAL}) {
            auto next = m_wallet->nextIndex(m, branch);
            if (!next) return next.error();
            auto end = *next + static_cast<std::uint32_t>(m_wallet->gapLimit());
            for (std::uint32_t i = 0; i < end; ++i) {
                auto a = m_wallet->addressAt(m, branch, i);
                if (!a) return a.error();
                if (a->script_pubkey == *script)
                    return fail(errc::invalid_argument, "destination " + address + " is this wallet's own address (" +
                                                            a->path + "): give addresses outside the wallet");
            }
        }
    return {};
}

void TumblerPlugin::start(TumblePlan plan, jm::tumbler::TumbleObserver observer, jm::sdk::Executor ex,
                          jm::chain::Callback<TumblePlan> done) {
    boost::asio::post(
        m_ctx.executor(),
        guarded([this, plan = std::move(plan), observer = std::move(observer), ex, done = std::move(done)]() mutable {
            if (m_active)
                return reply<TumblePlan>(ex, std::move(done), jm::sdk::Error(errc::unavailable, "a tumble is running"));
            if (m_plan && m_plan->status != "finished")
                return reply<TumblePlan>(
                    ex, std::move(done),
                    jm::sdk::Error(errc::already_exists,
                                   "tumble " + m_plan->id + " is " + m_plan->status + ": resume it first"));
            if (plan.status != "new" || plan.steps.empty() || plan.destinations.size() < MIN_DESTINATIONS)
                return reply<TumblePlan>(ex, std::move(done),
                                         jm::sdk::Error(errc::invalid_argument, "not a new plan from propose()"));
            if (m_plan)
                if (auto r = m_store.archive(*m_plan); !r) return reply<TumblePlan>(ex, std::move(done), r.error());
            plan.status = "running";
            m_plan = std::move(plan);
            m_active = Active{std::move(observer), ex, std::move(done)};
            if (!save()) return;
            JM_LOG(m_ctx.logger(), info) << "tumble " << m_plan->id << " starts: " << m_plan->steps.size()
                                         << " CoinJoins to " << m_plan->destinations.size() << " destinations";
            next();
        }));
}

void TumblerPlugin::resume(jm::tumbler::TumbleObserver observer, jm::sdk::Executor ex,
                           jm::chain::Callback<TumblePlan> done) {
    boost::asio::post(
        m_ctx.executor(), guarded([this, observer = std::move(observer), ex, done = std::move(done)]() mutable {
            if (m_active)
                return reply<TumblePlan>(ex, std::move(done), jm::sdk::Error(errc::unavailable, "a tumble is running"));
            if (!m_plan)
                return reply<TumblePlan>(ex, std::move(done), jm::sdk::Error(errc::not_found, "no tumble to resume"));
            if (m_plan->status == "finished") return reply<TumblePlan>(ex, std::move(done), *m_plan);
            // A paused plan: the user's new round (max_attempts more, every maker eligible again).
            // A plan found running (stopped or crashed) keeps its round: a node that keeps
            // crashing in a step still reaches the limit, and the retry still avoids its makers.
            if (m_plan->status == "paused")
                for (auto& step : m_plan->steps) {
                    step.round_attempts = 0;
                    step.avoid.clear();
                }
            m_plan->status = "running";
            m_plan->reason.clear();
            m_active = Active{std::move(observer), ex, std::move(done)};
            if (!save()) return;
            JM_LOG(m_ctx.logger(), info) << "tumble " << m_plan->id << " resumes at step " << m_plan->done() + 1;
            next();
        }));
}

void TumblerPlugin::status(jm::sdk::Executor ex, jm::chain::Callback<TumblePlan> done) {
    boost::asio::post(m_ctx.executor(), guarded([this, ex, done = std::move(done)]() mutable {
                          if (!m_plan)
                              return reply<TumblePlan>(ex, std::move(done),
                                                       jm::sdk::Error(errc::not_found, "no tumble plan"));
                          reply<TumblePlan>(ex, std::move(done), *m_plan);
                      }));
}

// ---------------------------------------------------------------------------------------------
// Running a plan.

bool TumblerPlugin::save() {
    auto r = m_store.save(*m_plan);
    if (r) return true;
    JM_LOG(m_ctx.logger(), error) << "cannot store the tumble plan: " << r.error().message;
    // A storage error is a stop: nothing may happen that the plan would not remember.
    finish(r.error().withContext("storing the tumble plan"));
    return false;
}

void TumblerPlugin::announce(std::size_t index) {
    const auto& s = m_plan->steps[index];
    m_ctx.bus().publish(jm::tumbler::events::Step{std::string(m_ctx.instanceName()), m_plan->id,
                                                  static_cast<int>(index) + 1, static_cast<int>(m_plan->steps.size()),
                                                  std::string(toString(s.state)), s.mixdepth, s.amount,
                                                  s.destination >= 0, std::max(s.attempts, 1), s.txid, s.reason});
    if (m_active && m_active->observer.on_step)
        boost::asio::post(m_active->ex, [f = m_active->observer.on_step, plan = *m_plan, index] { f(plan, index); });
}

void TumblerPlugin::finish(jm::sdk::Result<TumblePlan> result) {
    if (!m_active) return;
    auto active = std::move(*m_active);
    m_active.reset();
    reply<TumblePlan>(active.ex, std::move(active.done), std::move(result));
}

void TumblerPlugin::pause(const std::string& reason) {
    m_plan->status = "paused";
    m_plan->reason = reason;
    JM_LOG(m_ctx.logger(), warning) << "tumble " << m_plan->id << " paused: " << reason;
    if (!save()) return;
    m_ctx.bus().publish(jm::tumbler::events::Finished{std::string(m_ctx.instanceName()), m_plan->id, "paused",
                                                      m_plan->done(), static_cast<int>(m_plan->steps.size()), reason});
    finish(*m_plan);
}

void TumblerPlugin::waitThen(double seconds, std::size_t index) {
    if (m_active && m_active->observer.on_wait)
        boost::asio::post(m_active->ex, [f = m_active->observer.on_wait, index, seconds] { f(index, seconds); });
    m_timer.expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)));
    m_timer.async_wait(guarded([this](boost::system::error_code ec) {
        if (!ec && m_active) next();
    }));
}

void TumblerPlugin::next() {
    if (!m_active) return;
    std::size_t index = 0;
    while (index < m_plan->steps.size() && m_plan->steps[index].state == StepState::Done)
        ++index;
    if (index == m_plan->steps.size()) {
        m_plan->status = "finished";
        m_plan->reason.clear();
        if (!save()) return;
        JM_LOG(m_ctx.logger(), info) << "tumble " << m_plan->id << " finished: " << m_plan->steps.size()
                                     << " CoinJoins";
        m_ctx.bus().publish(jm::tumbler::events::Finished{std::string(m_ctx.instanceName()), m_plan->id, "finished",
                                                          m_plan->done(), static_cast<int>(m_plan->steps.size()), ""});
        return finish(*m_plan);
    }
    const auto& step = m_plan->steps[index];
    if (step.state == StepState::Running) return reconcile(index);
    // A round already used up: a crash between the last failure's write and the pause's, or a
    // max_attempts lowered since. One more attempt would break the limit.
    if (step.round_attempts >= m_settings.max_attempts)
        return pause(limitReached(step, index, m_settings.max_attempts));
    auto now = unixNow();
    if (now < m_plan->next_at) return waitThen(static_cast<double>(m_plan->next_at - now), index);
    prepare(index);
}

void TumblerPlugin::prepare(std::size_t index) {
    // A fresh sync: the balance a fraction applies to, and the coins the taker will see.
    sync([this, index](jm::sdk::Result<jm::wallet::SyncResult> synced) {
        if (m_active) prepared(index, std::move(synced));
    });
}

void TumblerPlugin::prepared(std::size_t index, jm::sdk::Result<jm::wallet::SyncResult> synced) {
    auto& step = m_plan->steps[index];
    // Counted before anything can fail: a step that cannot even be prepared (backend down)
    // pauses the plan after max_attempts like any other failure, instead of retrying forever.
    // Persisted with the step's "running" below (before the taker is asked) or its failure.
    ++step.attempts;
    ++step.round_attempts;
    if (!synced) return failed(index, "wallet sync: " + synced.error().message);
    auto balances = spendableBalances(*m_walletStore, m_wallet->mixdepths(), std::move(synced->utxos));
    if (!balances) return failed(index, "wallet coins: " + balances.error().message);
    std::int64_t balance = balances->count(step.mixdepth) ? balances->at(step.mixdepth) : 0;
    if (step.amount_fraction > 0) {
        // The balance is fixed when a mixdepth's run of steps begins (REF): later fractions
        // apply to it, not to what the earlier ones left.
        if (step.base_balance == 0) {
            const auto* previous = index > 0 ? &m_plan->steps[index - 1] : nullptr;
            step.base_balance = previous && previous->mixdepth == step.mixdepth && previous->base_balance > 0
                                    ? previous->base_balance
                                    : balance;
        }
        auto amount = static_cast<std::int64_t>(step.amount_fraction * static_cast<double>(step.base_balance));
        if (step.rounding > 0) amount = roundToSignificantFigures(amount, step.rounding);
        step.amount = std::max(amount, m_settings.mincjamount);
    } else {
        step.amount = 0;
    }
    if (step.address.empty()) {
        if (step.destination >= 0) {
            step.address = m_plan->destinations[static_cast<std::size_t>(step.destination)];
        } else {
            // The wallet persists the index before it hands the address out; the plan keeps the
            // address, so a re-run of this step pays the same, still unpaid, address.
            auto address =
                m_wallet->nextAddress((step.mixdepth + 1) % m_wallet->mixdepths(), jm::wallet::BRANCH_INTERNAL);
            if (!address) return failed(index, "internal address: " + address.error().message);
            step.address = address->address;
        }
    }
    step.state = StepState::Running;
    step.started = unixNow();
    step.txid.clear();
    step.reason.clear();
    if (!save()) return; // written before the taker is asked
    announce(index);
    JM_LOG(m_ctx.logger(), info) << "tumble step " << index + 1 << "/" << m_plan->steps.size() << ": mixdepth "
                                 << step.mixdepth
                                 << (step.amount ? " pays " + std::to_string(step.amount) + " sat"
                                                 : std::string(" sweeps"))
                                 << " to " << step.address << " with " << step.makers << " makers"
                                 << (step.avoid.empty() ? std::string()
                                                        : ", avoiding " + std::to_string(step.avoid.size()) +
                                                              " that failed it: " + joined(step.avoid))
                                 << " (attempt " << step.round_attempts << " of " << m_settings.max_attempts << ")";
    jm::taker::CoinjoinRequest request;
    request.mixdepth = step.mixdepth;
    request.amount = step.amount;
    request.sweep = step.amount_fraction == 0;
    request.destination = step.address;
    request.makers = static_cast<std::size_t>(step.makers);
    request.avoid.insert(step.avoid.begin(), step.avoid.end());
    jm::taker::CoinjoinObserver observer;
    // The txid as soon as the taker has it (before its broadcast completes): a crash after this
    // point is reconciled by the txid directly.
    observer.on_stage = guarded([this, index](const jm::taker::StageUpdate& u) {
        if (!m_plan || u.stage != "broadcast" || index >= m_plan->steps.size()) return;
        auto& s = m_plan->steps[index];
        if (s.state != StepState::Running) return;
        s.txid = u.detail.substr(0, u.detail.find(' '));
        (void)save();
    });
    // The makers that failed this attempt, for the retry to avoid: posted before the error on
    // this strand, persisted with the failure (failed()).
    observer.on_failed = guarded([this, index](const jm::taker::CoinjoinFailure& f) {
        if (!m_plan || index >= m_plan->steps.size()) return;
        auto& s = m_plan->steps[index];
        if (s.state != StepState::Running) return;
        for (const auto& m : f.makers)
            if (std::find(s.avoid.begin(), s.avoid.end(), m.nick) == s.avoid.end()) s.avoid.push_back(m.nick);
    });
    m_taker->send(request, observer, m_ctx.executor(),
                  guarded([this, index](jm::sdk::Result<jm::taker::CoinjoinResult> r) { sent(index, std::move(r)); }));
}

void TumblerPlugin::sent(std::size_t index, jm::sdk::Result<jm::taker::CoinjoinResult> result) {
    if (!m_active) return;
    auto& step = m_plan->steps[index];
    if (result && !result->maker_nicks.empty())
        JM_LOG(m_ctx.logger(), info) << "tumble step " << index + 1 << ": CoinJoin " << result->txid << " with makers "
                                     << joined(result->maker_nicks);
    if (result && result->confirmed) return markDone(index, result->txid, result->cj_amount);
    if (result) {
        // On the network but in no block yet (the taker does not wait for confirmations): a
        // CoinJoin a maker double-spends never confirms, so only a confirmation makes it done.
        step.txid = result->txid;
        if (!save()) return;
        return reconcile(index);
    }
    // Broadcast but failed afterwards (e.g. not confirmed in time): it may still pay, so the
    // chain decides, never a second CoinJoin.
    if (!step.txid.empty()) return reconcile(index);
    failed(index, result.error().message);
}

void TumblerPlugin::markDone(std::size_t index, const std::string& txid, std::int64_t amount) {
    auto& step = m_plan->steps[index];
    step.state = StepState::Done;
    step.txid = txid;
    if (amount > 0) step.amount = amount;
    step.reason.clear();
    step.finished = unixNow();
    m_plan->next_at =
        step.finished + static_cast<std::int64_t>(std::ceil(step.wait_minutes * 60 * m_settings.wait_scale));
    if (!save()) return;
    announce(index);
    JM_LOG(m_ctx.logger(), info) << "tumble step " << index + 1 << " done: " << txid;
    next();
}

void TumblerPlugin::failed(std::size_t index, const std::string& reason) {
    auto& step = m_plan->steps[index];
    step.state = StepState::Failed;
    step.reason = reason;
    step.failures.push_back(reason);
    if (!save()) return;
    announce(index);
    JM_LOG(m_ctx.logger(), warning) << "tumble step " << index + 1 << " failed: " << reason;
    if (step.round_attempts >= m_settings.max_attempts)
        return pause(limitReached(step, index, m_settings.max_attempts));
    waitThen(static_cast<double>(m_settings.retry_wait.count()) / 1000.0, index);
}

// ---------------------------------------------------------------------------------------------
// Reconciling a step that was running when the node stopped.

std::int64_t TumblerPlugin::paidTo(const jm::bitcoin::Bytes& raw, const jm::bitcoin::Script& script) {
    auto tx = jm::bitcoin::parseTransaction(raw);
    if (!tx) return 0;
    std::int64_t paid = 0;
    for (const auto& out : tx->outputs)
        if (out.script_pubkey == script) paid += out.value;
    return paid;
}

void TumblerPlugin::reconcile(std::size_t index) {
    auto& step = m_plan->steps[index];
    JM_LOG(m_ctx.logger(), info) << "tumble step " << index + 1 << " was running: checking the chain"
                                 << (step.txid.empty() ? std::string() : " for " + step.txid);
    // The wallet's history holds every transaction that spent its coins and can still confirm
    // (backends leave out replaced and conflicted ones), so the step's CoinJoin, if any is on
    // the network, with its confirmations; the one paying the step's destination is it.
    sync([this, index](jm::sdk::Result<jm::wallet::SyncResult> synced) {
        if (!m_active) return;
        if (!synced)
            return pause("cannot check step " + std::to_string(index + 1) +
                         " against the chain (wallet sync: " + synced.error().message + ")");
        const auto& step = m_plan->steps[index];
        std::set<std::string> known;
        for (const auto& s : m_plan->steps)
            if (s.state == StepState::Done) known.insert(s.txid);
        // The recorded txid first (checked last: candidates are taken from the back), then every
        // transaction that spent the wallet's coins and is no done step's: few, and a
        // clock-based filter could miss the one that counts.
        std::vector<jm::chain::WalletTx> candidates;
        for (const auto& tx : synced->history)
            if (tx.txid != step.txid && !known.count(tx.txid) && tx.spent > 0) candidates.push_back(tx);
        for (const auto& tx : synced->history)
            if (!step.txid.empty() && tx.txid == step.txid) candidates.push_back(tx);
        checkCandidates(index, std::move(candidates));
    });
}

void TumblerPlugin::checkCandidates(std::size_t index, std::vector<jm::chain::WalletTx> txs) {
    if (txs.empty()) {
        // Nothing on the network pays it: the CoinJoin never got out, or left unconfirmed
        // (double-spent by a maker, evicted). Run it again (same destination: never paid). A
        // signed one may still be broadcast by whoever holds it (a maker given the !push, anyone
        // who saw it relayed): the taker's next CoinJoin spends its coins too, so that at most
        // one of the two confirms (TakerPlugin::chooseMakers).
        auto& step = m_plan->steps[index];
        auto reason = step.txid.empty() ? std::string("interrupted before its CoinJoin was broadcast")
                                        : "its CoinJoin " + step.txid +
                                              " is no longer on the network and never confirmed (double-spent or "
                                              "evicted)";
        JM_LOG(m_ctx.logger(), info) << "tumble step " << index + 1 << ": no CoinJoin of it on the network";
        step.txid.clear();
        return failed(index, reason);
    }
    auto tx = txs.back();
    txs.pop_back();
    m_backend->getTransaction(
        tx.txid, m_ctx.executor(),
        guarded([this, index, tx, txs = std::move(txs)](jm::sdk::Result<jm::bitcoin::Bytes> raw) mutable {
            if (!m_active) return;
            auto& s = m_plan->steps[index];
            auto script = jm::bitcoin::addressToScript(s.address, m_network);
            std::int64_t paid = raw && script ? paidTo(*raw, *script) : 0;
            if (paid <= 0) return checkCandidates(index, std::move(txs));
            if (tx.confirmations >= 1) return markDone(index, tx.txid, paid);
            awaitConfirmation(index, tx.txid);
        }));
}

void TumblerPlugin::awaitConfirmation(std::size_t index, const std::string& txid) {
    auto& step = m_plan->steps[index];
    if (step.txid != txid) {
        step.txid = txid;
        if (!save()) return;
    }
    auto poll = std::max<std::chrono::milliseconds>(m_settings.retry_wait, std::chrono::seconds(1));
    JM_LOG(m_ctx.logger(), info) << "tumble step " << index + 1 << ": " << txid
                                 << " is not confirmed yet; checking again in " << poll.count() << " ms";
    m_timer.expires_after(poll);
    m_timer.async_wait(guarded([this, index](boost::system::error_code ec) {
        if (!ec && m_active) reconcile(index);
    }));
}

} // namespace jm::plugins::tumbler
