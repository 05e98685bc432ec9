#include <fee_estimators.hpp>

#include <jm/sdk/testing/test_chain.hpp>
#include <jm/sdk/testing/test_context.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::plugins::fee;

namespace {

std::int64_t ask(jm::chain::FeeEstimator& estimator, int target = 0) {
    boost::asio::io_context io;
    std::optional<jm::sdk::Result<std::int64_t>> out;
    estimator.estimate(target, io.get_executor(), [&](jm::sdk::Result<std::int64_t> r) { out = std::move(r); });
    BOOST_CHECK(!out); // never completes inline
    io.run();
    BOOST_REQUIRE(out && *out);
    return **out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fee_tests)

BOOST_AUTO_TEST_CASE(policy_randomises_upwards_and_clamps) {
    FeePolicy p{1000, 50'000, 0.2};
    BOOST_CHECK_EQUAL(p.apply(10'000, [] { return 0.0; }), 10'000);
    BOOST_CHECK_EQUAL(p.apply(10'000, [] { return 0.5; }), 11'000);
    BOOST_CHECK_EQUAL(p.apply(10'000, [] { return 0.999999; }), 12'000);
    BOOST_CHECK_EQUAL(p.apply(10, [] { return 0.5; }), 1000);          // floor
    BOOST_CHECK_EQUAL(p.apply(1'000'000, [] { return 0.0; }), 50'000); // cap
    FeePolicy none{1000, 50'000, 0};
    BOOST_CHECK_EQUAL(none.apply(7'777, [] { return 0.9; }), 7'777);
}

BOOST_AUTO_TEST_CASE(backend_estimator_uses_the_backend_with_the_policy) {
    jm::sdk::testing::TestContext ctx("fee");
    jm::sdk::testing::TestChain chain;
    chain.setFeeRate(20'000);
    BOOST_REQUIRE(ctx.services().provide<jm::chain::BlockchainBackend>("core", chain));
    BackendFeeEstimator estimator(ctx, "core", 3, FeePolicy{1000, 350'000, 0.2});
    BOOST_REQUIRE(estimator.start());
    for (int i = 0; i < 20; ++i) {
        auto rate = ask(estimator);
        BOOST_CHECK_GE(rate, 20'000);
        BOOST_CHECK_LE(rate, 24'000);
    }
    chain.setFeeRate(500'000);
    BOOST_CHECK_EQUAL(ask(estimator), 350'000);
}

BOOST_AUTO_TEST_CASE(backend_estimator_reports_a_missing_backend) {
    jm::sdk::testing::TestContext ctx("fee");
    BackendFeeEstimator estimator(ctx, "nope", 3, FeePolicy{});
    auto started = estimator.start();
    BOOST_REQUIRE(!started);
    BOOST_CHECK(started.error().code == jm::sdk::errc::not_found);
}

BOOST_AUTO_TEST_CASE(fixed_estimator) {
    FixedFeeEstimator fixed(4'500);
    BOOST_CHECK_EQUAL(ask(fixed, 1), 4'500);
    BOOST_CHECK_EQUAL(ask(fixed, 100), 4'500);
}

BOOST_AUTO_TEST_SUITE_END()
