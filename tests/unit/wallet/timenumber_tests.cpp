#include <jm/wallet/timenumber.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::wallet;

BOOST_AUTO_TEST_SUITE(timenumber_tests)

BOOST_AUTO_TEST_CASE(vector_tables) {
    auto v = jm::test::loadVectors("jm_fidelity_bond_addresses.json");
    for (const auto& row : v.at("timenumber_to_timestamp").as_array()) {
        auto ts = timenumberToLocktime(static_cast<int>(row.at("timenumber").as_int64()));
        if (row.at("timestamp").is_null())
            BOOST_CHECK_MESSAGE(!ts, row.at("timenumber").as_int64() << " accepted");
        else
            BOOST_CHECK_EQUAL(*ts, row.at("timestamp").as_int64());
    }
    for (const auto& row : v.at("timestamp_to_timenumber").as_array()) {
        auto t = locktimeToTimenumber(row.at("timestamp").as_int64());
        if (row.at("timenumber").is_null())
            BOOST_CHECK_MESSAGE(!t, row.at("timestamp").as_int64() << " accepted");
        else
            BOOST_CHECK_EQUAL(*t, row.at("timenumber").as_int64());
    }
    for (const auto& row : v.at("locktime_encodings").as_array()) {
        auto t = parseYearMonth(row.at("year_month").as_string());
        BOOST_REQUIRE(t);
        BOOST_CHECK_EQUAL(*t, row.at("timenumber").as_int64());
        BOOST_CHECK_EQUAL(*timenumberToLocktime(*t), row.at("locktime").as_int64());
    }
}

BOOST_AUTO_TEST_CASE(errors) {
    BOOST_CHECK(!timenumberToLocktime(-1));
    BOOST_CHECK(!timenumberToLocktime(960));
    for (auto bad : {"2019-12", "2100-01", "2024-13", "2024-00", "2024/01", "24-01", "2024-1", ""})
        BOOST_CHECK_MESSAGE(!parseYearMonth(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
