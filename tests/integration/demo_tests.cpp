// `jmnode demo`, the README's first command: a directory, makers and a taker in one process on
// the simulated chain make two payments and a sweep through CoinJoins, each confirmed, and every
// maker earns from each; the data directory is removed afterwards unless --keep, and a demo never
// writes into a directory that holds something.
#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>

namespace {

using namespace jm::test;

std::string jmnode() { return (binDir() / "jmnode").string(); }

std::size_t count(const std::string& text, const std::regex& pattern) {
    return static_cast<std::size_t>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), pattern), std::sregex_iterator()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(demo_tests)

BOOST_AUTO_TEST_CASE(a_market_in_a_box_makes_payments_and_a_sweep) {
    TempDir dir;
    auto data = dir.path() / "market";
    auto r = runProcess({jmnode(), "demo", "--makers", "3", "--datadir", data.string()}, std::chrono::seconds(240));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
    // Three CoinJoins, each with the three makers, each confirmed; payments pay exactly.
    static const std::regex coinjoin(
        R"(CoinJoin [0-9a-f]{64}: ([0-9.]+) BTC to the destination, 3 makers, .* confirmed)");
    BOOST_CHECK_EQUAL(count(r.out, coinjoin), 3u);
    BOOST_CHECK(r.out.find(": 0.50000000 BTC to the destination") != std::string::npos);
    BOOST_CHECK(r.out.find(": 0.25000000 BTC to the destination") != std::string::npos);
    // The sweep leaves nothing: 0.8 BTC less the fees the taker paid for it.
    static const std::regex sweep(R"(CoinJoin [0-9a-f]{64}: 0\.799[0-9]{5} BTC)");
    BOOST_CHECK_EQUAL(count(r.out, sweep), 1u);
    static const std::regex earned(R"(maker[1-3] \(J5[1-9A-HJ-NP-Za-km-z]+O*\): [1-9][0-9]* sat in 3 CoinJoin\(s\))");
    BOOST_CHECK_EQUAL(count(r.out, earned), 3u);
    BOOST_CHECK(r.out.find("demo finished") != std::string::npos);
    // --datadir given without --keep: the market is left there to look at.
    BOOST_CHECK(std::filesystem::exists(data / "demo.json"));

    // A directory with something in it is never used.
    auto again = runProcess({jmnode(), "demo", "--datadir", data.string()}, std::chrono::seconds(60));
    BOOST_CHECK_EQUAL(again.exit_code, 2);
    BOOST_CHECK(again.err.find("is not empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_refused_with_the_reason) {
    auto r = runProcess({jmnode(), "demo", "--makers", "1"}, std::chrono::seconds(30));
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    BOOST_CHECK(r.err.find("--makers must be 2..10") != std::string::npos);
    r = runProcess({jmnode(), "demo", "--bogus"}, std::chrono::seconds(30));
    BOOST_CHECK_EQUAL(r.exit_code, 2);
}

BOOST_AUTO_TEST_SUITE_END()
