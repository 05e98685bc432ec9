#include <jm/tumbler/tumbler_service.hpp>

#include <cmath>

namespace jm::tumbler {

using jm::sdk::errc;
using jm::sdk::fail;

std::string_view toString(StepState s) noexcept {
    switch (s) {
    case StepState::Pending:
        return "pending";
    case StepState::Running:
        return "running";
    case StepState::Done:
        return "done";
    case StepState::Failed:
        return "failed";
    }
    return "pending";
}

boost::json::object toJson(const TumblePlan& plan) {
    boost::json::array steps;
    for (const auto& s : plan.steps) {
        boost::json::array failures;
        for (const auto& f : s.failures)
            failures.push_back(boost::json::string(f));
        boost::json::array avoid;
        for (const auto& nick : s.avoid)
            avoid.push_back(boost::json::string(nick));
        steps.push_back(boost::json::object{{"mixdepth", s.mixdepth},
                                            {"amount_fraction", s.amount_fraction},
                                            {"makers", s.makers},
                                            {"destination", s.destination},
                                            {"wait_minutes", s.wait_minutes},
                                            {"rounding", s.rounding},
                                            {"state", toString(s.state)},
                                            {"address", s.address},
                                            {"amount", s.amount},
                                            {"base_balance", s.base_balance},
                                            {"txid", s.txid},
                                            {"reason", s.reason},
                                            {"attempts", s.attempts},
                                            {"round_attempts", s.round_attempts},
                                            {"avoid", std::move(avoid)},
                                            {"failures", std::move(failures)},
                                            {"started", s.started},
                                            {"finished", s.finished}});
    }
    boost::json::array destinations;
    for (const auto& d : plan.destinations)
        destinations.push_back(boost::json::string(d));
    return {{"id", plan.id},
            {"seed", plan.seed},
            {"created", plan.created},
            {"destinations", std::move(destinations)},
            {"steps", std::move(steps)},
            {"status", plan.status},
            {"reason", plan.reason},
            {"next_at", plan.next_at},
            {"done", plan.done()}};
}

namespace {

// Each reader names the field it could not read; the caller adds where it was.
struct Reader {
    const boost::json::object& o;
    std::string where;
    std::string bad;

    const boost::json::value* field(std::string_view key) {
        auto* v = o.if_contains(key);
        if (!v && bad.empty()) bad = where + std::string(key) + " is missing";
        return v;
    }
    std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi) {
        auto* v = field(key);
        if (!v) return 0;
        std::int64_t x = 0;
        if (v->is_int64())
            x = v->as_int64();
        else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
            x = static_cast<std::int64_t>(v->as_uint64());
        else {
            if (bad.empty()) bad = where + std::string(key) + " is not an integer";
            return 0;
        }
        if ((x < lo || x > hi) && bad.empty()) bad = where + std::string(key) + " is out of range";
        return x;
    }
    double real(std::string_view key, double lo, double hi) {
        auto* v = field(key);
        if (!v) return 0;
        double x = 0;
        if (v->is_double())
            x = v->as_double();
        else if (v->is_int64())
            x = static_cast<double>(v->as_int64());
        else if (v->is_uint64())
            x = static_cast<double>(v->as_uint64());
        else if (bad.empty())
            bad = where + std::string(key) + " is not a number";
        if ((!std::isfinite(x) || x < lo || x > hi) && bad.empty()) bad = where + std::string(key) + " is out of range";
        return x;
    }
    std::string string(std::string_view key) {
        auto* v = field(key);
        if (!v) return {};
        if (!v->is_string()) {
            if (bad.empty()) bad = where + std::string(key) + " is not a string";
            return {};
        }
        return std::string(v->as_string());
    }
    //! Fields added after plans were first stored: absent = `fallback`, present = checked.
    std::int64_t optionalInteger(std::string_view key, std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
        return o.contains(key) ? integer(key, lo, hi) : fallback;
    }
    std::vector<std::string> optionalStrings(std::string_view key) {
        return o.contains(key) ? strings(key) : std::vector<std::string>{};
    }
    std::vector<std::string> strings(std::string_view key) {
        std::vector<std::string> out;
        auto* v = field(key);
        if (!v) return out;
        if (!v->is_array()) {
            if (bad.empty()) bad = where + std::string(key) + " is not a list";
            return out;
        }
        for (const auto& x : v->as_array()) {
            if (!x.is_string()) {
                if (bad.empty()) bad = where + std::string(key) + " holds a non-string";
                return {};
            }
            out.emplace_back(x.as_string());
        }
        return out;
    }
};

constexpr std::int64_t MAX_SATS = 21'000'000LL * 100'000'000LL;

} // namespace

jm::sdk::Result<TumblePlan> planFromJson(const boost::json::value& value) {
    if (!value.is_object()) return fail(errc::corrupt_data, "the tumble plan is not a JSON object");
    Reader r{value.as_object(), "", ""};
    TumblePlan plan;
    plan.id = r.string("id");
    auto* seed = r.field("seed");
    if (seed && seed->is_uint64())
        plan.seed = seed->as_uint64();
    else if (seed && seed->is_int64() && seed->as_int64() >= 0)
        plan.seed = static_cast<std::uint64_t>(seed->as_int64());
    else if (seed && r.bad.empty())
        r.bad = "seed is not an unsigned integer";
    plan.created = r.integer("created", 0, INT64_MAX);
    plan.destinations = r.strings("destinations");
    plan.status = r.string("status");
    plan.reason = r.string("reason");
    plan.next_at = r.integer("next_at", 0, INT64_MAX);
    if (r.bad.empty() && plan.status != "new" && plan.status != "running" && plan.status != "paused" &&
        plan.status != "finished")
        r.bad = "status \"" + plan.status + "\" is unknown";
    auto* steps = r.field("steps");
    if (steps && !steps->is_array() && r.bad.empty()) r.bad = "steps is not a list";
    if (!r.bad.empty()) return fail(errc::corrupt_data, "tumble plan: " + r.bad);
    const auto destinations = static_cast<std::int64_t>(plan.destinations.size());
    std::size_t i = 0;
    for (const auto& sv : steps->as_array()) {
        ++i;
        if (!sv.is_object())
            return fail(errc::corrupt_data, "tumble plan: step " + std::to_string(i) + " is not an object");
        Reader s{sv.as_object(), "step " + std::to_string(i) + ": ", ""};
        TumbleStep step;
        step.mixdepth = static_cast<int>(s.integer("mixdepth", 0, 31));
        step.amount_fraction = s.real("amount_fraction", 0, 1);
        step.makers = static_cast<int>(s.integer("makers", 1, 100));
        step.destination = static_cast<int>(s.integer("destination", -1, destinations - 1));
        step.wait_minutes = s.real("wait_minutes", 0, 1e9);
        step.rounding = static_cast<int>(s.integer("rounding", 0, 5));
        auto state = s.string("state");
        if (state == "pending")
            step.state = StepState::Pending;
        else if (state == "running")
            step.state = StepState::Running;
        else if (state == "done")
            step.state = StepState::Done;
        else if (state == "failed")
            step.state = StepState::Failed;
        else if (s.bad.empty())
            s.bad = s.where + "state \"" + state + "\" is unknown";
        step.address = s.string("address");
        step.amount = s.integer("amount", 0, MAX_SATS);
        step.base_balance = s.integer("base_balance", 0, MAX_SATS);
        step.txid = s.string("txid");
        step.reason = s.string("reason");
        step.attempts = static_cast<int>(s.integer("attempts", 0, 1'000'000));
        step.round_attempts = static_cast<int>(s.optionalInteger("round_attempts", 0, 1'000'000, 0));
        step.avoid = s.optionalStrings("avoid");
        step.failures = s.strings("failures");
        step.started = s.integer("started", 0, INT64_MAX);
        step.finished = s.integer("finished", 0, INT64_MAX);
        if (s.bad.empty() && step.round_attempts > step.attempts) s.bad = s.where + "round_attempts is above attempts";
        if (!s.bad.empty()) return fail(errc::corrupt_data, "tumble plan: " + s.bad);
        if (step.state == StepState::Done && step.txid.empty())
            return fail(errc::corrupt_data, "tumble plan: step " + std::to_string(i) + " is done without a txid");
        plan.steps.push_back(std::move(step));
    }
    return plan;
}

} // namespace jm::tumbler
