// The persisted plan: a round trip keeps every field, and a damaged plan is refused with the
// field named (never trusted, never a crash).
#include <plan_store.hpp>

#include <jm/sdk/testing/test_context.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using jm::tumbler::StepState;
using jm::tumbler::TumblePlan;

namespace {

TumblePlan samplePlan() {
    TumblePlan p;
    p.id = "00ff";
    p.seed = 18'000'000'000'000'000'000ULL;
    p.created = 1'700'000'000;
    p.destinations = {"a", "b", "c"};
    p.status = "running";
    p.next_at = 1'700'000'100;
    jm::tumbler::TumbleStep s;
    s.mixdepth = 1;
    s.amount_fraction = 0.25;
    s.makers = 5;
    s.destination = 2;
    s.wait_minutes = 1.5;
    s.rounding = 2;
    s.state = StepState::Failed;
    s.address = "c";
    s.amount = 12'345;
    s.base_balance = 50'000;
    s.reason = "no makers";
    s.attempts = 3;
    s.round_attempts = 2;
    s.avoid = {"J5makerA", "J5makerB"};
    s.failures = {"x", "no makers"};
    s.started = 5;
    p.steps.push_back(s);
    s.state = StepState::Done;
    s.txid = "ab";
    s.finished = 9;
    p.steps.push_back(s);
    return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tumble_plan_json_tests)

BOOST_AUTO_TEST_CASE(a_plan_round_trips) {
    auto p = samplePlan();
    auto back = jm::tumbler::planFromJson(boost::json::parse(boost::json::serialize(jm::tumbler::toJson(p)))).value();
    BOOST_TEST(back.id == p.id);
    BOOST_TEST(back.seed == p.seed);
    BOOST_TEST(back.destinations == p.destinations);
    BOOST_TEST(back.status == "running");
    BOOST_TEST(back.next_at == p.next_at);
    BOOST_REQUIRE(back.steps.size() == 2u);
    BOOST_TEST((back.steps[0].state == StepState::Failed));
    BOOST_TEST(back.steps[0].amount_fraction == 0.25);
    BOOST_TEST(back.steps[0].failures == p.steps[0].failures);
    BOOST_TEST(back.steps[0].base_balance == 50'000);
    BOOST_TEST(back.steps[0].attempts == 3);
    BOOST_TEST(back.steps[0].round_attempts == 2);
    BOOST_TEST(back.steps[0].avoid == p.steps[0].avoid);
    BOOST_TEST((back.steps[1].state == StepState::Done));
    BOOST_TEST(back.steps[1].txid == "ab");
    BOOST_TEST(back.done() == 1);
}

BOOST_AUTO_TEST_CASE(damaged_plans_are_refused_naming_the_field) {
    auto good = jm::tumbler::toJson(samplePlan());
    auto check = [&](std::function<void(boost::json::object&)> damage, const std::string& mentions) {
        auto o = good;
        damage(o);
        auto r = jm::tumbler::planFromJson(o);
        BOOST_REQUIRE_MESSAGE(!r, "accepted: " << mentions);
        BOOST_TEST((r.error().code == jm::sdk::errc::corrupt_data));
        BOOST_TEST(r.error().message.find(mentions) != std::string::npos, r.error().message);
    };
    auto step = [](boost::json::object& o) -> boost::json::object& { return o["steps"].as_array()[0].as_object(); };
    check([](auto& o) { o.erase("id"); }, "id");
    check([](auto& o) { o["status"] = "flying"; }, "status");
    check([](auto& o) { o["seed"] = -3; }, "seed");
    check([](auto& o) { o["steps"] = 5; }, "steps");
    check([](auto& o) { o["destinations"] = boost::json::array{1, 2}; }, "destinations");
    check([&](auto& o) { step(o)["state"] = "half"; }, "step 1: state");
    check([&](auto& o) { step(o)["destination"] = 3; }, "step 1: destination");
    check([&](auto& o) { step(o)["mixdepth"] = -1; }, "step 1: mixdepth");
    check([&](auto& o) { step(o)["amount_fraction"] = 1.5; }, "amount_fraction");
    check([&](auto& o) { step(o)["amount"] = "lots"; }, "amount");
    check([&](auto& o) { step(o)["makers"] = 0; }, "makers");
    check([&](auto& o) { step(o).erase("txid"); }, "txid");
    check([&](auto& o) { o["steps"].as_array()[1].as_object()["txid"] = ""; }, "done without a txid");
    check([](auto& o) { o["steps"].as_array().push_back(7); }, "step 3");
    // The retry fields: optional (older plans), but checked when present.
    check([&](auto& o) { step(o)["avoid"] = "J5makerA"; }, "step 1: avoid is not a list");
    check([&](auto& o) { step(o)["avoid"] = boost::json::array{"J5makerA", 3}; }, "step 1: avoid holds a non-string");
    check([&](auto& o) { step(o)["round_attempts"] = -1; }, "step 1: round_attempts is out of range");
    check([&](auto& o) { step(o)["round_attempts"] = "two"; }, "step 1: round_attempts is not an integer");
    check([&](auto& o) { step(o)["round_attempts"] = 4; }, "step 1: round_attempts is above attempts");
    BOOST_TEST(!jm::tumbler::planFromJson(boost::json::value(3)));
}

BOOST_AUTO_TEST_CASE(a_plan_stored_before_the_retry_fields_still_loads) {
    // What an older jmnode stored: no round_attempts, no avoid in any step.
    auto old = jm::tumbler::toJson(samplePlan());
    for (auto& step : old["steps"].as_array()) {
        BOOST_REQUIRE(step.as_object().erase("round_attempts") == 1u);
        BOOST_REQUIRE(step.as_object().erase("avoid") == 1u);
    }
    jm::sdk::testing::TestContext ctx("tumbler", "regtest");
    auto dir = std::filesystem::temp_directory_path() / ("jm-plan-old-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    jm::plugins::tumbler::PlanStore store(ctx.store(), dir / "status.json");
    BOOST_REQUIRE(ctx.store().put("plan", boost::json::serialize(old)).has_value());
    auto loaded = store.load();
    BOOST_REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().message));
    BOOST_REQUIRE(loaded->has_value());
    const auto& plan = **loaded;
    BOOST_REQUIRE(plan.steps.size() == 2u);
    BOOST_TEST(plan.steps[0].attempts == 3); // the total is kept
    BOOST_TEST(plan.steps[0].round_attempts == 0);
    BOOST_TEST(plan.steps[0].avoid.empty());
    BOOST_TEST(plan.steps[0].failures == samplePlan().steps[0].failures);
    // Saved again, it carries the new fields.
    BOOST_REQUIRE(store.save(plan).has_value());
    auto text = ctx.store().get("plan").value().value();
    auto again = boost::json::parse(text).as_object();
    const auto& step = again["steps"].as_array()[0].as_object();
    BOOST_TEST(step.at("round_attempts").as_int64() == 0);
    BOOST_TEST(step.at("avoid").as_array().empty());
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(the_store_keeps_the_retry_fields) {
    jm::sdk::testing::TestContext ctx("tumbler", "regtest");
    auto dir = std::filesystem::temp_directory_path() / ("jm-plan-retry-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    jm::plugins::tumbler::PlanStore store(ctx.store(), dir / "status.json");
    auto plan = samplePlan();
    BOOST_REQUIRE(store.save(plan).has_value());
    auto back = store.load().value().value();
    BOOST_TEST(back.steps[0].round_attempts == 2);
    BOOST_TEST(back.steps[0].avoid == plan.steps[0].avoid);
    // The status file `jmnode tumble status` reads has them too.
    std::ifstream in(dir / "status.json");
    std::stringstream text;
    text << in.rdbuf();
    auto file = jm::tumbler::planFromJson(boost::json::parse(text.str())).value();
    BOOST_TEST(file.steps[0].round_attempts == 2);
    BOOST_TEST(file.steps[0].avoid == plan.steps[0].avoid);
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(the_store_keeps_the_plan_and_refuses_garbage) {
    jm::sdk::testing::TestContext ctx("tumbler", "regtest");
    auto dir = std::filesystem::temp_directory_path() / ("jm-plan-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    jm::plugins::tumbler::PlanStore store(ctx.store(), dir / "status.json");
    BOOST_TEST(!store.load().value().has_value());
    auto plan = samplePlan();
    BOOST_TEST(store.save(plan).has_value());
    BOOST_TEST(store.load().value()->steps.size() == 2u);
    BOOST_TEST(std::filesystem::exists(dir / "status.json"));
    BOOST_TEST(store.archive(plan).has_value());
    BOOST_TEST(!store.load().value().has_value());
    BOOST_TEST(ctx.store().put("plan", "{not json").has_value());
    auto bad = store.load();
    BOOST_REQUIRE(!bad);
    BOOST_TEST((bad.error().code == jm::sdk::errc::corrupt_data));
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
