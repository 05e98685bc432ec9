#pragma once

#include <jm/chain/blockchain_backend.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>
#include <jm/sdk/service_registry.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

//! The tumbler role as a service: what `jmnode tumble` drives. Provided by the tumbler plugin's
//! instances (service kind "tumbler/1") under their instance name.
namespace jm::tumbler {

//! Where a step stands. Every change is persisted (synced) before what it announces happens:
//! a step is "running" on disk before the taker is asked for its CoinJoin.
enum class StepState { Pending, Running, Done, Failed };
JM_SDK_API std::string_view toString(StepState s) noexcept;

//! One CoinJoin of a plan.
struct TumbleStep {
    int mixdepth = 0;           //!< paying mixdepth
    double amount_fraction = 0; //!< of the mixdepth's balance when its run of steps began; 0 = sweep
    int makers = 0;
    int destination = -1;    //!< index into TumblePlan::destinations; -1 = the next mixdepth (internal)
    double wait_minutes = 0; //!< wait after it (before the next step), as scheduled
    int rounding = 0;        //!< significant figures of the amount; 0 = none
    StepState state = StepState::Pending;
    std::string address;           //!< the destination, fixed (persisted) before the step first runs
    std::int64_t amount = 0;       //!< satoshis asked for (0 = sweep); the CoinJoin's amount once done
    std::int64_t base_balance = 0; //!< the mixdepth balance the fraction applies to
    std::string txid;              //!< once broadcast (known as soon as the taker reports it)
    std::string reason;            //!< why the last attempt failed
    int attempts = 0;              //!< attempts started, all rounds (retries = attempts - 1)
    //! Attempts started in this round: since the plan started or a paused plan was resumed. Kept
    //! across stops and crashes (persisted before each attempt asks the taker), so a step whose
    //! node keeps crashing also reaches max_attempts and pauses the plan. Absent in plans
    //! stored before it existed: 0.
    int round_attempts = 0;
    //! Nicks of the makers that failed this step's attempts in this round (no answer, an
    //! !error, a failed check: jm::taker::CoinjoinFailure::makers), in the order they failed,
    //! each once: every retry asks the taker to avoid them (jm::taker::CoinjoinRequest::avoid).
    //! Persisted with the failure. Absent in older plans: none.
    std::vector<std::string> avoid;
    std::vector<std::string> failures; //!< every failed attempt's reason, in order
    std::int64_t started = 0;          //!< unix seconds of the last attempt's start
    std::int64_t finished = 0;         //!< unix seconds when done
};

//! A tumble plan. `status`: "new" (shown, not started), "running", "paused" (see `reason`),
//! "finished".
struct TumblePlan {
    std::string id;
    std::uint64_t seed = 0; //!< the schedule's seed (the same seed and balances give the same plan)
    std::int64_t created = 0;
    std::vector<std::string> destinations;
    std::vector<TumbleStep> steps;
    std::string status = "new";
    std::string reason;
    std::int64_t next_at = 0; //!< unix seconds before which the next step does not start (the wait)
    //! Steps done.
    int done() const {
        int n = 0;
        for (const auto& s : steps)
            n += s.state == StepState::Done ? 1 : 0;
        return n;
    }
};

//! The plan as JSON (what `jmnode tumble status --json` prints and the store keeps).
JM_SDK_API boost::json::object toJson(const TumblePlan& plan);
//! Reads toJson()'s form back. Errors: errc::corrupt_data naming the field that is missing or
//! of the wrong type or range (a damaged store or status file is reported, never trusted).
JM_SDK_API jm::sdk::Result<TumblePlan> planFromJson(const boost::json::value& value);

//! What the caller sees while a plan runs. Executor: the one given to the call.
struct TumbleObserver {
    //! A step changed state (after the change was persisted).
    std::function<void(const TumblePlan&, std::size_t step)> on_step;
    //! Waiting `seconds` before step `step` starts (the scheduled wait, or a retry's).
    std::function<void(std::size_t step, double seconds)> on_wait;
};

//! The tumbler service ("tumbler/1").
//! Executor: every member may be called from any thread; completions run on `ex`.
//! Ownership: provided by a tumbler plugin instance, borrowed until the node stops.
//! Errors: errc::already_exists when an unfinished plan is stored (resume it); errc::not_found
//! when there is no plan to resume or show; errc::unavailable while a plan runs;
//! errc::invalid_argument for bad destinations; errc::insufficient_funds for an empty wallet;
//! storage errors.
class JM_SDK_API TumblerService : public jm::sdk::Service {
public:
    static constexpr std::string_view service_kind = "tumbler/1";
    ~TumblerService() override;

    //! Syncs the wallet and draws a schedule for its balances to `destinations` (>= 3 addresses
    //! of the node's network, all different); nothing is stored. `seed` empty = random.
    virtual void propose(std::vector<std::string> destinations, std::optional<std::uint64_t> seed, jm::sdk::Executor ex,
                         jm::chain::Callback<TumblePlan> done) = 0;
    //! Stores `plan` (from propose(), status "new") and runs it; `done` gets the plan when it
    //! finished or paused, or the error that stopped it (the plan stays stored: resume it).
    virtual void start(TumblePlan plan, TumbleObserver observer, jm::sdk::Executor ex,
                       jm::chain::Callback<TumblePlan> done) = 0;
    //! Continues the stored plan after a stop, crash or pause: a step found running is first
    //! reconciled with the chain (its CoinJoin confirmed = done, unconfirmed = waited for, never
    //! repeated; gone unconfirmed, e.g. double-spent = run again). A plan that was running (a
    //! stop or crash) keeps each step's round of attempts and the makers it avoids; a paused plan
    //! gets a new round: max_attempts more attempts, every maker eligible again (the market may
    //! have changed since, and a restarted maker has a new nick anyway).
    virtual void resume(TumbleObserver observer, jm::sdk::Executor ex, jm::chain::Callback<TumblePlan> done) = 0;
    //! The stored plan.
    virtual void status(jm::sdk::Executor ex, jm::chain::Callback<TumblePlan> done) = 0;
};

} // namespace jm::tumbler
