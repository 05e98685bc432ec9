// The tumble schedule: the reference's structure (stage-1 sweeps, stage-2 fractions ending in a
// sweep per mixdepth, one payout per destination, the last mixdepth all out), its defaults,
// reproducibility from a seed, and refusals.
#include <schedule.hpp>

#include <boost/test/unit_test.hpp>

#include <set>

using namespace jm::plugins::tumbler;

namespace {

std::vector<ScheduleStep> make(std::map<int, std::int64_t> balances, std::uint64_t seed, std::size_t dests = 3,
                               ScheduleOptions o = {}) {
    return makeTumbleSchedule(o, dests, balances, 5, seed).value();
}

bool same(const std::vector<ScheduleStep>& a, const std::vector<ScheduleStep>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].mixdepth != b[i].mixdepth || a[i].amount_fraction != b[i].amount_fraction ||
            a[i].makers != b[i].makers || a[i].destination != b[i].destination ||
            a[i].wait_minutes != b[i].wait_minutes || a[i].rounding != b[i].rounding)
            return false;
    return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tumble_schedule_tests)

BOOST_AUTO_TEST_CASE(defaults_are_the_reference_tumblers) {
    ScheduleOptions o;
    BOOST_TEST(o.mixdepthcount == 4);
    BOOST_TEST(o.makercount_mean == 9);
    BOOST_TEST(o.makercount_sd == 1);
    BOOST_TEST(o.minmakercount == 4);
    BOOST_TEST(o.txcount_mean == 2);
    BOOST_TEST(o.txcount_sd == 1);
    BOOST_TEST(o.mintxcount == 2);
    BOOST_TEST(o.timelambda == 60);
    BOOST_TEST(o.stage1_timelambda_increase == 3);
    BOOST_TEST(o.rounding_chance == 0.25);
    BOOST_TEST(o.rounding_sigfig_weights[3] == 65);
    BOOST_TEST(MIN_DESTINATIONS == 3u);
}

BOOST_AUTO_TEST_CASE(a_seed_gives_the_same_schedule_and_another_seed_another) {
    auto a = make({{0, 100'000'000}}, 42);
    auto b = make({{0, 100'000'000}}, 42);
    BOOST_TEST(same(a, b));
    int differing = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed)
        differing += same(a, make({{0, 100'000'000}}, seed)) ? 0 : 1;
    BOOST_TEST(differing == 5);
}

BOOST_AUTO_TEST_CASE(the_structure_holds_for_many_seeds) {
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        std::map<int, std::int64_t> balances{{0, 50'000'000}};
        if (seed % 3 == 1) balances[2] = 10'000'000;
        if (seed % 3 == 2) balances = {{1, 5'000'000}, {3, 7'000'000}};
        auto steps = make(balances, seed);
        BOOST_TEST_CONTEXT("seed " << seed) {
            // Stage 1: one sweep per funded mixdepth, highest first, into the next (internal).
            std::vector<int> funded;
            for (const auto& [m, v] : balances)
                funded.insert(funded.begin(), m);
            BOOST_REQUIRE(steps.size() > funded.size());
            for (std::size_t i = 0; i < funded.size(); ++i) {
                BOOST_TEST(steps[i].mixdepth == funded[i]);
                BOOST_TEST(steps[i].amount_fraction == 0);
                BOOST_TEST(steps[i].destination == -1);
            }
            // Every destination paid by exactly one step, and by a sweep.
            std::map<int, int> paid;
            for (const auto& s : steps) {
                if (s.destination >= 0) {
                    ++paid[s.destination];
                    BOOST_TEST(s.amount_fraction == 0);
                }
                BOOST_TEST(s.makers >= 4);
                BOOST_TEST(s.wait_minutes >= 0);
                BOOST_TEST(s.amount_fraction >= 0);
                BOOST_TEST(s.amount_fraction < 1);
                BOOST_TEST((s.rounding >= 0 && s.rounding <= 5));
                if (s.amount_fraction == 0) BOOST_TEST(s.rounding == 0);
            }
            BOOST_TEST(paid.size() == 3u);
            for (const auto& [d, n] : paid)
                BOOST_TEST(n == 1);
            // The last step pays the last destination; the last mixdepth keeps nothing back.
            BOOST_TEST(steps.back().destination == 2);
            int last = steps.back().mixdepth;
            for (auto it = steps.rbegin(); it != steps.rend() && it->mixdepth == last; ++it)
                BOOST_TEST(it->destination >= 0);
            // Stage 2 runs through 4 consecutive mixdepths, each run ending in a sweep.
            std::vector<int> runs;
            for (std::size_t i = funded.size(); i < steps.size(); ++i) {
                if (runs.empty() || runs.back() != steps[i].mixdepth) runs.push_back(steps[i].mixdepth);
                bool ends_run = i + 1 == steps.size() || steps[i + 1].mixdepth != steps[i].mixdepth;
                if (ends_run) BOOST_TEST(steps[i].amount_fraction == 0);
            }
            BOOST_TEST(runs.size() == 4u);
            for (std::size_t r = 1; r < runs.size(); ++r)
                BOOST_TEST(runs[r] == (runs[r - 1] + 1) % 5);
        }
    }
}

BOOST_AUTO_TEST_CASE(fractions_of_a_mixdepth_keep_the_closing_sweep_appreciable) {
    ScheduleOptions o;
    o.txcount_mean = 6;
    o.txcount_sd = 0;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        auto steps = makeTumbleSchedule(o, 3, {{0, 1'000'000}}, 5, seed).value();
        // Stage 2's first mixdepth: fractions of it sum below 0.95 (the sweep takes > 5%).
        double sum = 0;
        int m = steps[1].mixdepth;
        for (std::size_t i = 1; i < steps.size() && steps[i].mixdepth == m; ++i)
            sum += steps[i].amount_fraction;
        BOOST_TEST(sum < 0.95);
        BOOST_TEST(sum > 0);
    }
}

BOOST_AUTO_TEST_CASE(destination_mixdepths_make_at_least_two_coinjoins) {
    // txcount 1 everywhere: the mixdepths paying a destination (not the last) still make 2, so
    // coins go on to the next mixdepth.
    ScheduleOptions o;
    o.txcount_mean = 1;
    o.txcount_sd = 0;
    o.mintxcount = 1;
    o.mixdepthcount = 3;
    auto steps = makeTumbleSchedule(o, 3, {{0, 10'000'000}}, 5, 7).value();
    // sweep 0->1; md1: fraction, sweep->dest0; md2: fraction, sweep->dest1; md3: sweep->dest2
    BOOST_REQUIRE(steps.size() == 6u);
    int expected_md[] = {0, 1, 1, 2, 2, 3};
    int expected_dest[] = {-1, -1, 0, -1, 1, 2};
    for (std::size_t i = 0; i < 6; ++i) {
        BOOST_TEST(steps[i].mixdepth == expected_md[i]);
        BOOST_TEST(steps[i].destination == expected_dest[i]);
    }
    BOOST_TEST(steps[1].amount_fraction > 0);
    BOOST_TEST(steps[3].amount_fraction > 0);
}

BOOST_AUTO_TEST_CASE(waits_follow_timelambda) {
    ScheduleOptions o;
    o.timelambda = 10;
    o.txcount_mean = 30;
    o.txcount_sd = 0;
    auto steps = makeTumbleSchedule(o, 3, {{0, 10'000'000}}, 5, 11).value();
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t i = 1; i < steps.size(); ++i, ++n)
        sum += steps[i].wait_minutes;
    // Exponential with mean 10 over ~90 draws: the mean lies well within 6..14.
    BOOST_TEST(sum / static_cast<double>(n) > 6);
    BOOST_TEST(sum / static_cast<double>(n) < 14);
    // Stage 1 waits 3 times longer on average: not checked per draw, only that it is not zero.
    o.timelambda = 0;
    for (const auto& s : makeTumbleSchedule(o, 3, {{0, 10'000'000}}, 5, 11).value())
        BOOST_TEST(s.wait_minutes == 0);
}

BOOST_AUTO_TEST_CASE(refusals) {
    ScheduleOptions o;
    auto two = makeTumbleSchedule(o, 2, {{0, 1}}, 5, 1);
    BOOST_REQUIRE(!two);
    BOOST_TEST((two.error().code == jm::sdk::errc::invalid_argument));
    auto empty = makeTumbleSchedule(o, 3, {{0, 0}}, 5, 1);
    BOOST_REQUIRE(!empty);
    BOOST_TEST((empty.error().code == jm::sdk::errc::insufficient_funds));
    auto none = makeTumbleSchedule(o, 3, {}, 5, 1);
    BOOST_TEST((none.error().code == jm::sdk::errc::insufficient_funds));
    auto too_many = makeTumbleSchedule(o, 5, {{0, 1000}}, 5, 1);
    BOOST_REQUIRE(!too_many);
    BOOST_TEST((too_many.error().code == jm::sdk::errc::invalid_argument));
    // Two payouts would land on one mixdepth of a 2-mixdepth wallet: a destination would be lost.
    ScheduleOptions wide;
    wide.mixdepthcount = 6;
    auto wrap = makeTumbleSchedule(wide, 3, {{0, 1000}}, 2, 1);
    BOOST_REQUIRE(!wrap);
    BOOST_TEST((wrap.error().code == jm::sdk::errc::invalid_argument));
    ScheduleOptions bad;
    bad.rounding_sigfig_weights = {0, 0, 0, 0, 0};
    BOOST_TEST(!makeTumbleSchedule(bad, 3, {{0, 1000}}, 5, 1));
    bad = {};
    bad.makercount_sd = -1;
    BOOST_TEST(!makeTumbleSchedule(bad, 3, {{0, 1000}}, 5, 1));
}

BOOST_AUTO_TEST_CASE(rounding_to_significant_figures) {
    BOOST_TEST(roundToSignificantFigures(123'456'789, 2) == 120'000'000);
    BOOST_TEST(roundToSignificantFigures(155, 2) == 160);
    BOOST_TEST(roundToSignificantFigures(149, 1) == 100);
    BOOST_TEST(roundToSignificantFigures(999, 1) == 1000);
    BOOST_TEST(roundToSignificantFigures(12'345, 5) == 12'345);
    BOOST_TEST(roundToSignificantFigures(7, 3) == 7);
    BOOST_TEST(roundToSignificantFigures(0, 3) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
