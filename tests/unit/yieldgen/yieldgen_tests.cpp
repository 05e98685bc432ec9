// The yieldgen plugin's strategies: REF's basic offer vectors (jm_fees.json maker_offers), and
// the privacy-enhanced randomisation checked over many draws with fixed seeds.
#include <basic_yield_generator.hpp>
#include <privacy_enhanced_yield_generator.hpp>
#include <util/vectors.hpp>

#include <jm/maker/offer_rules.hpp>
#include <jm/protocol/fees.hpp>

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>

using namespace jm::plugins::yieldgen;
using jm::maker::FillContext;
using jm::maker::WalletView;
using jm::protocol::Offer;
using jm::protocol::OfferType;

namespace {

WalletView view(const std::vector<std::int64_t>& balances) {
    WalletView w;
    for (std::size_t i = 0; i < balances.size(); ++i)
        w.mixdepths.push_back({static_cast<int>(i), balances[i], balances[i] > 0 ? 1 : 0, balances[i], 0});
    return w;
}

YieldGenSettings settings(boost::json::object config) {
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(YieldGenSettings::schema().validate(config, "$", problems));
    auto s = YieldGenSettings::fromConfig(config);
    BOOST_REQUIRE_MESSAGE(s.has_value(), (s ? std::string() : s.error().message));
    return *s;
}

FillContext fill(std::vector<int> candidates) {
    FillContext f;
    f.candidates = std::move(candidates);
    return f;
}

} // namespace

BOOST_AUTO_TEST_SUITE(yieldgen_basic_tests)

BOOST_AUTO_TEST_CASE(reference_maker_offer_vectors) {
    auto v = jm::test::loadVectors("jm_fees.json");
    for (const auto& row : v.at("maker_offers").as_array()) {
        YieldGenSettings s;
        s.ordertype = *jm::protocol::offerTypeFromName(row.at("ordertype").as_string());
        s.txfee_contribution = row.at("txfee_contribution").as_int64();
        s.cjfee_a = row.at("cjfee_a").as_int64();
        s.cjfee_r = row.at("cjfee_r").as_string();
        s.minsize = row.at("configured_minsize").as_int64();
        s.dust_threshold = row.at("dust_threshold").as_int64();
        std::vector<std::int64_t> balances;
        for (const auto& b : row.at("mixdepth_balances").as_array())
            balances.push_back(b.as_int64());
        BasicYieldGenerator yg(s);
        auto offers = yg.createOffers(view(balances), {});
        BOOST_REQUIRE(offers);
        const auto& expected = row.at("expected_offers").as_array();
        BOOST_TEST_CONTEXT(row.at("origin").as_string()) {
            BOOST_REQUIRE_EQUAL(offers->size(), expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i) {
                const auto& e = expected[i];
                const auto& o = (*offers)[i];
                BOOST_CHECK_EQUAL(o.oid, e.at("oid").as_int64());
                BOOST_CHECK_EQUAL(jm::protocol::toString(o.type), e.at("ordertype").as_string());
                BOOST_CHECK_EQUAL(o.minsize, e.at("minsize").as_int64());
                BOOST_CHECK_EQUAL(o.maxsize, e.at("maxsize").as_int64());
                BOOST_CHECK_EQUAL(o.txfee, e.at("txfee").as_int64());
                BOOST_CHECK_EQUAL(o.cjfee, e.at("cjfee").as_string());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(reference_defaults_and_config_names) {
    // [YIELDGENERATOR] defaults: reloffer 0.00002, minsize 100000, txfee_contribution 0.
    auto s = settings({});
    BOOST_CHECK(s.ordertype == OfferType::Sw0Rel);
    BOOST_CHECK_EQUAL(s.cjfee_r, "0.00002");
    BOOST_CHECK_EQUAL(s.cjfee_a, 500);
    BOOST_CHECK_EQUAL(s.minsize, 100'000);
    BOOST_CHECK_EQUAL(s.txfee_contribution, 0);
    BOOST_CHECK_CLOSE(s.cjfee_factor, 0.1, 1e-9);
    BOOST_CHECK_CLOSE(s.txfee_contribution_factor, 0.3, 1e-9);
    BOOST_CHECK_CLOSE(s.size_factor, 0.1, 1e-9);
    BasicYieldGenerator yg(s);
    auto offers = yg.createOffers(view({0, 50'000'000, 20'000'000}), {});
    BOOST_REQUIRE(offers && offers->size() == 1);
    BOOST_CHECK((offers->front() == Offer{OfferType::Sw0Rel, 0, 100'000, 50'000'000 - 27'300, 0, "0.00002"}));
    BOOST_CHECK(jm::maker::checkOffers(*offers, view({0, 50'000'000, 20'000'000})));

    auto a = settings({{"ordertype", "absoffer"}, {"cjfee_a", "700sat"}, {"txfee_contribution", 100}});
    auto abs = BasicYieldGenerator(a).createOffers(view({1'000'000}), {});
    BOOST_REQUIRE(abs && abs->size() == 1);
    BOOST_CHECK_EQUAL(jm::protocol::toString(abs->front().type), "sw0absoffer");
    BOOST_CHECK_EQUAL(abs->front().cjfee, "800"); // txfee + cjfee_a, as REF announces it
    // Scientific notation in the config is written fixed-point for takers.
    BOOST_CHECK_EQUAL(settings({{"cjfee_r", "2E-5"}}).cjfee_r, "0.00002");
}

BOOST_AUTO_TEST_CASE(bad_configs_are_refused_with_the_key) {
    for (auto bad : {"abc", "1.5", "0", "-0.1"}) {
        boost::json::object config{{"cjfee_r", bad}};
        std::vector<jm::sdk::ConfigProblem> problems;
        YieldGenSettings::schema().validate(config, "$", problems);
        auto s = YieldGenSettings::fromConfig(config);
        BOOST_CHECK_MESSAGE(!s, bad);
        if (!s) BOOST_CHECK(s.error().message.find("cjfee_r") != std::string::npos);
    }
    boost::json::object typo{{"ordertype", "sw0relofer"}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_CHECK(!YieldGenSettings::schema().validate(typo, "$", problems));
    boost::json::object factor{{"size_factor", 1.5}};
    problems.clear();
    BOOST_CHECK(!YieldGenSettings::schema().validate(factor, "$", problems));
}

BOOST_AUTO_TEST_CASE(no_coins_no_offer_and_fills_from_the_lowest_mixdepth) {
    BasicYieldGenerator yg(settings({}));
    BOOST_CHECK(yg.createOffers(view({0, 0, 0}), {})->empty());
    BOOST_CHECK(yg.createOffers(view({27'000}), {})->empty()); // below dust + minsize
    BOOST_CHECK_EQUAL(*yg.chooseMixdepth(fill({1, 3, 4}), view({0, 5, 0, 5, 5})), 1);
    BOOST_CHECK_EQUAL(*yg.chooseMixdepth(fill({4, 2}), view({0, 0, 5, 0, 5})), 2);
    BOOST_CHECK(!yg.chooseMixdepth(fill({}), view({0})));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(yieldgen_privacy_enhanced_tests)

BOOST_AUTO_TEST_CASE(offers_stay_within_the_reference_ranges) {
    // Fee x minsize stays above the txfee, so REF's halving never applies here.
    auto s = settings({{"txfee_contribution", 1000}, {"cjfee_r", "0.002"}, {"minsize", 2'000'000}});
    auto w = view({3'000'000, 40'000'000, 150'000, 0, 9'000'000});
    const double M = 40'000'000 - 27'300.0; // the largest balance less max(dust, txfee)
    for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
        PrivacyEnhancedYieldGenerator yg(s, seed);
        auto offers = yg.createOffers(w, {});
        BOOST_REQUIRE(offers);
        BOOST_REQUIRE_EQUAL(offers->size(), 1u);
        const auto& o = offers->front();
        BOOST_TEST_CONTEXT("seed " << seed) {
            BOOST_CHECK(o.type == OfferType::Sw0Rel);
            BOOST_CHECK_EQUAL(o.oid, 0);
            BOOST_CHECK(o.txfee >= 700 && o.txfee <= 1300);
            BOOST_CHECK(o.minsize >= 1'800'000 && o.minsize <= 2'200'000);
            BOOST_CHECK(o.maxsize >= static_cast<std::int64_t>(M * 0.9) && o.maxsize <= M);
            double fee = std::strtod(o.cjfee.c_str(), nullptr);
            BOOST_CHECK(fee >= 0.0018 - 1e-9 && fee <= 0.0022 + 1e-9);
            BOOST_CHECK_EQUAL(o.cjfee.size(), std::string("0.002000").size()); // six decimals
            BOOST_CHECK(jm::maker::checkOffers(*offers, w));
        }
    }
}

BOOST_AUTO_TEST_CASE(draws_spread_over_the_whole_range_and_repeat_with_the_seed) {
    auto s = settings({{"ordertype", "absoffer"}, {"cjfee_a", 1000}, {"txfee_contribution", 500}});
    auto w = view({0, 10'000'000});
    double fee_sum = 0, min_fee = 1e18, max_fee = 0;
    const int N = 4000;
    PrivacyEnhancedYieldGenerator yg(s, 42);
    for (int i = 0; i < N; ++i) {
        auto o = yg.createOffers(w, {})->front();
        auto cjfee = std::stoll(o.cjfee);
        // absolute: int(uniform(900, 1100)) + txfee
        auto base = cjfee - o.txfee;
        BOOST_REQUIRE(base >= 900 && base <= 1100);
        fee_sum += static_cast<double>(base);
        min_fee = std::min<double>(min_fee, static_cast<double>(base));
        max_fee = std::max<double>(max_fee, static_cast<double>(base));
    }
    // Uniform on [900, 1100): mean ~ 999.5 (int truncation), both ends reached.
    BOOST_CHECK_CLOSE(fee_sum / N, 999.5, 0.5);
    BOOST_CHECK(min_fee <= 905 && max_fee >= 1095);

    PrivacyEnhancedYieldGenerator a(s, 7), b(s, 7), c(s, 8);
    auto oa = a.createOffers(w, {})->front(), ob = b.createOffers(w, {})->front(), oc = c.createOffers(w, {})->front();
    BOOST_CHECK(oa == ob);
    BOOST_CHECK(!(oa == oc));
}

BOOST_AUTO_TEST_CASE(only_mixdepths_above_minsize_count) {
    PrivacyEnhancedYieldGenerator yg(settings({}), 3);
    BOOST_CHECK(yg.createOffers(view({100'000, 90'000}), {})->empty()); // none above minsize 100000
    auto offers = yg.createOffers(view({100'001 + 1'000'000, 0}), {});
    BOOST_REQUIRE_EQUAL(offers->size(), 1u);
}

BOOST_AUTO_TEST_CASE(too_high_a_txfee_is_halved_then_refused) {
    // 0.00002 x ~100000 = ~2 sat: a txfee of 20 is halved until below it (REF's loop).
    auto s = settings(
        {{"txfee_contribution", 20}, {"txfee_contribution_factor", 0.0}, {"size_factor", 0.0}, {"cjfee_factor", 0.0}});
    PrivacyEnhancedYieldGenerator yg(s, 5);
    auto o = yg.createOffers(view({5'000'000}), {});
    BOOST_REQUIRE(o && o->size() == 1);
    BOOST_CHECK_EQUAL(o->front().txfee, 1); // 20 -> 10 -> 5 -> 2 -> 1 (< 2)
    BOOST_CHECK(jm::maker::checkOffers(*o, view({5'000'000})));
    // A fee that rounds to 0.000000 can never pay a txfee: REF gives up.
    auto tiny = settings({{"cjfee_r", "0.0000001"},
                          {"txfee_contribution", 1'000'000},
                          {"cjfee_factor", 0.0},
                          {"txfee_contribution_factor", 0.0}});
    PrivacyEnhancedYieldGenerator bad(tiny, 5);
    BOOST_CHECK(!bad.createOffers(view({500'000'000}), {}));
}

BOOST_AUTO_TEST_CASE(fills_come_after_the_largest_cyclic_gap) {
    using PE = PrivacyEnhancedYieldGenerator;
    BOOST_CHECK_EQUAL(PE::afterLargestGap({0, 1, 2, 3, 4}, 5), 0); // all gaps 1: the first
    BOOST_CHECK_EQUAL(PE::afterLargestGap({1, 3}, 5), 1);          // gaps 3 (4,0 unavailable), 2
    BOOST_CHECK_EQUAL(PE::afterLargestGap({0, 4}, 5), 4);          // gaps 1, 4
    BOOST_CHECK_EQUAL(PE::afterLargestGap({2}, 5), 2);
    BOOST_CHECK_EQUAL(PE::afterLargestGap({0, 2, 3}, 5), 0); // gaps 2 (4 and 1..), 2, 1: first
    PE yg(settings({}), 1);
    BOOST_CHECK_EQUAL(*yg.chooseMixdepth(fill({3, 1}), view({0, 9, 0, 9, 0})), 1);
    BOOST_CHECK(!yg.chooseMixdepth(fill({}), view({0})));
}

BOOST_AUTO_TEST_SUITE_END()
