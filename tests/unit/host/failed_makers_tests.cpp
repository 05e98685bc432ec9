// The line `jmnode coinjoin send` prints after a failed CoinJoin: every failed maker's nick.
#include <cli/failed_makers.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(failed_makers_tests)

BOOST_AUTO_TEST_CASE(every_failed_maker_is_named_in_order) {
    jm::taker::CoinjoinFailure failure{"auth", "attempt 1 failed", 2, {}};
    BOOST_CHECK_EQUAL(jm::host::failedMakersLine(failure), ""); // none failed: no line
    // More than the error message names (it stops after eight, with their reasons).
    for (int i = 1; i <= 10; ++i)
        failure.makers.push_back({"J5maker" + std::to_string(i), "auth", "no !ioauth in time", i > 5 ? 2 : 1});
    auto line = jm::host::failedMakersLine(failure);
    BOOST_CHECK_EQUAL(line.rfind("makers that failed it (10): J5maker1, J5maker2, ", 0), 0u);
    BOOST_CHECK(line.size() >= 9 && line.compare(line.size() - 9, 9, "J5maker10") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
