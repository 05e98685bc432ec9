#include <jm/sdk/service_registry.hpp>

#include <boost/test/unit_test.hpp>

namespace {
struct Greeter : jm::sdk::Service {
    static constexpr std::string_view service_kind = "test.greeter/1";
    std::string greeting = "hi";
};
struct Other : jm::sdk::Service {
    static constexpr std::string_view service_kind = "test.greeter/1"; // same kind, other type
};
} // namespace

BOOST_AUTO_TEST_SUITE(service_registry_tests)

BOOST_AUTO_TEST_CASE(provide_get_remove) {
    auto registry = jm::sdk::makeServiceRegistry();
    Greeter a, b;
    b.greeting = "hello";
    BOOST_REQUIRE(registry->provide("a", a));
    BOOST_REQUIRE(registry->provide("b", b));
    auto got = registry->get<Greeter>("b");
    BOOST_REQUIRE(got);
    BOOST_CHECK_EQUAL((*got)->greeting, "hello");
    BOOST_CHECK((registry->instances(Greeter::service_kind) == std::vector<std::string>{"a", "b"}));

    auto dup = registry->provide("a", b);
    BOOST_REQUIRE(!dup);
    BOOST_CHECK(dup.error().code == jm::sdk::errc::already_exists);

    registry->removeInstance("a");
    auto gone = registry->get<Greeter>("a");
    BOOST_REQUIRE(!gone);
    BOOST_CHECK(gone.error().code == jm::sdk::errc::not_found);
    BOOST_CHECK_NE(gone.error().message.find("available: b"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_type_is_an_error_not_a_crash) {
    auto registry = jm::sdk::makeServiceRegistry();
    Greeter g;
    BOOST_REQUIRE(registry->provide("x", g));
    auto r = registry->get<Other>("x");
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::internal);
}

BOOST_AUTO_TEST_SUITE_END()
