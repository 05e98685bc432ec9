#include <jm/sdk/result.hpp>

#include <boost/test/unit_test.hpp>

using jm::sdk::errc;
using jm::sdk::Result;

namespace {
Result<int> half(int x) {
    if (x % 2) return jm::sdk::fail(errc::invalid_argument, std::to_string(x) + " is odd");
    return x / 2;
}
} // namespace

BOOST_AUTO_TEST_SUITE(result_tests)

BOOST_AUTO_TEST_CASE(value_and_error_paths) {
    auto ok = half(4);
    BOOST_REQUIRE(ok);
    BOOST_CHECK_EQUAL(*ok, 2);
    auto bad = half(3);
    BOOST_REQUIRE(!bad);
    BOOST_CHECK(bad.error().code == errc::invalid_argument);
    BOOST_CHECK_EQUAL(bad.error().message, "3 is odd");
    BOOST_CHECK_NE(bad.error().describe().find("jmnode"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(value_on_error_throws_sdk_exception) {
    auto bad = half(5);
    try {
        (void)bad.value();
        BOOST_FAIL("value() on an error must throw");
    } catch (const jm::sdk::Exception& e) {
        BOOST_CHECK(e.error().code == errc::invalid_argument);
        BOOST_CHECK_EQUAL(std::string(e.what()), "5 is odd");
    }
}

BOOST_AUTO_TEST_CASE(category_identity_and_messages) {
    auto ec = jm::sdk::make_error_code(errc::wrong_password);
    BOOST_CHECK(ec.category() == jm::sdk::category());
    BOOST_CHECK_EQUAL(ec.message(), "wrong password");
    BOOST_CHECK(ec != jm::sdk::make_error_code(errc::corrupt_data));
    auto with = jm::sdk::Error(errc::io_error, "disk full").withContext("saving wallet");
    BOOST_CHECK_EQUAL(with.message, "saving wallet: disk full");
    BOOST_CHECK(with.code == errc::io_error);
}

BOOST_AUTO_TEST_SUITE_END()
