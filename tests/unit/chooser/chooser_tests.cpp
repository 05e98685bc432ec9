// The chooser plugin's four order choosers (REF support.py semantics), their distributions over
// 10,000 fixed seeds, REF's candidate ranking, refusals and configs.
#include <chooser_factories.hpp>
#include <chooser_settings.hpp>
#include <order_choosers.hpp>

#include <jm/sdk/testing/test_context.hpp>

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <set>

using namespace jm::plugins::chooser;
using jm::taker::CandidateOffer;
using jm::taker::ChooseRequest;
using jm::taker::OrderChooser;

namespace {

constexpr int SEEDS = 10'000;

CandidateOffer offer(std::string nick, std::int64_t cjfee, std::int64_t txfee = 0, double bond = 0) {
    CandidateOffer c;
    c.counterparty = std::move(nick);
    c.offer.type = jm::protocol::OfferType::Sw0Abs;
    c.offer.minsize = 100'000;
    c.offer.maxsize = 100'000'000;
    c.offer.txfee = txfee;
    c.offer.cjfee = std::to_string(cjfee);
    c.cjfee = cjfee;
    c.bond_value = bond;
    return c;
}

std::vector<std::size_t> choose(const OrderChooser& chooser, const std::vector<CandidateOffer>& offers,
                                std::size_t count, std::uint64_t seed, std::int64_t amount = 1'000'000) {
    auto r = chooser.choose(offers, ChooseRequest{amount, count, seed});
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
    return *r;
}

//! How often each offer index is chosen first (count 1) over SEEDS seeds.
std::vector<int> firstPicks(const OrderChooser& chooser, const std::vector<CandidateOffer>& offers) {
    std::vector<int> hits(offers.size(), 0);
    for (int seed = 0; seed < SEEDS; ++seed) {
        auto chosen = choose(chooser, offers, 1, static_cast<std::uint64_t>(seed));
        BOOST_REQUIRE_EQUAL(chosen.size(), 1u);
        ++hits.at(chosen[0]);
    }
    return hits;
}

//! Each count within 5 standard deviations of SEEDS × p (binomial): a correct chooser fails this
//! with probability below 1e-6 per offer, a wrong formula by a few percent does not pass.
void checkDistribution(const std::vector<int>& hits, const std::vector<double>& p) {
    BOOST_REQUIRE_EQUAL(hits.size(), p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        double expected = SEEDS * p[i];
        double sigma = std::sqrt(SEEDS * p[i] * (1 - p[i]));
        BOOST_TEST_CONTEXT("offer " << i << ": " << hits[i] << " picks, expected " << expected) {
            BOOST_TEST(std::abs(hits[i] - expected) <= 5 * sigma + 1);
        }
    }
}

boost::json::object validated(const jm::sdk::ConfigSchema& schema, boost::json::object config,
                              std::vector<jm::sdk::ConfigProblem>* problems_out = nullptr) {
    std::vector<jm::sdk::ConfigProblem> problems;
    bool ok = schema.validate(config, "$", problems);
    if (problems_out)
        *problems_out = problems;
    else
        BOOST_REQUIRE_MESSAGE(ok, (problems.empty() ? "" : problems[0].path + ": " + problems[0].message));
    return config;
}

FidelityBondWeightedChooser bondChooser(boost::json::object config = {}) {
    auto s = BondWeightSettings::fromConfig(validated(BondWeightSettings::schema(), std::move(config)));
    BOOST_REQUIRE(s.has_value());
    return FidelityBondWeightedChooser(*s);
}

} // namespace

BOOST_AUTO_TEST_SUITE(chooser_ranking_tests)

BOOST_AUTO_TEST_CASE(one_offer_per_maker_the_cheapest_by_fee_minus_txfee) {
    // REF choose_orders sorts by real cjfee - txfee: alice's second offer (300 - 280 = 20) is her
    // cheapest, and cheaper than bob's 100 although its cjfee is higher.
    std::vector<CandidateOffer> offers{offer("alice", 500), offer("bob", 100), offer("alice", 300, 280),
                                       offer("carol", 100, 0), offer("bob", 150)};
    auto ranked = RankedChooser::rank(offers, 1'000'000);
    BOOST_REQUIRE_EQUAL(ranked.size(), 3u);
    BOOST_TEST(ranked[0].index == 2u);
    BOOST_TEST(ranked[0].fee == 20);
    BOOST_TEST(ranked[1].index == 1u); // bob and carol tie at 100: the order given
    BOOST_TEST(ranked[2].index == 3u);
}

BOOST_AUTO_TEST_CASE(sweeps_rank_by_the_real_cjfee_alone) {
    // choose_sweep_orders ranks by calc_cj_fee at the total input, without the txfee.
    std::vector<CandidateOffer> offers{offer("alice", 300, 280), offer("bob", 100)};
    auto ranked = RankedChooser::rank(offers, 0);
    BOOST_REQUIRE_EQUAL(ranked.size(), 2u);
    BOOST_TEST(ranked[0].index == 1u);
    BOOST_TEST(ranked[1].fee == 300);
}

BOOST_AUTO_TEST_CASE(hostile_numbers_do_not_break_ranking) {
    auto huge =
        offer("mallory", std::numeric_limits<std::int64_t>::min() + 5, std::numeric_limits<std::int64_t>::max());
    auto nan_bond = offer("nan", 10, 0, std::nan(""));
    auto neg_bond = offer("neg", 10, 0, -5e8);
    auto inf_bond = offer("inf", 10, 0, std::numeric_limits<double>::infinity());
    auto ranked = RankedChooser::rank({huge, nan_bond, neg_bond, inf_bond}, 1'000'000);
    BOOST_REQUIRE_EQUAL(ranked.size(), 4u);
    BOOST_TEST(ranked[0].fee == std::numeric_limits<std::int64_t>::min()); // saturated, not wrapped
    for (const auto& r : ranked)
        BOOST_TEST(r.bond_value == 0); // none of those is a usable bond
    // No chooser reads past the end or throws on them.
    auto bond = bondChooser({{"bondless_makers_allowance", 0}});
    std::vector<CandidateOffer> all{huge, nan_bond, neg_bond, inf_bond};
    for (const OrderChooser* c : std::initializer_list<const OrderChooser*>{&bond}) {
        auto chosen = choose(*c, all, 4, 7);
        BOOST_TEST(std::set<std::size_t>(chosen.begin(), chosen.end()).size() == 4u);
    }
    WeightedChooser weighted;
    auto chosen = choose(weighted, all, 4, 7);
    BOOST_TEST(std::set<std::size_t>(chosen.begin(), chosen.end()).size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(chooser_rule_tests)

BOOST_AUTO_TEST_CASE(too_few_counterparties_is_not_found) {
    // Three offers but two makers: three makers cannot be chosen.
    std::vector<CandidateOffer> offers{offer("alice", 100), offer("alice", 50), offer("bob", 70)};
    RandomChooser random;
    CheapestChooser cheapest;
    WeightedChooser weighted;
    auto bond = bondChooser();
    for (const OrderChooser* c : std::initializer_list<const OrderChooser*>{&random, &cheapest, &weighted, &bond}) {
        auto r = c->choose(offers, ChooseRequest{1'000'000, 3, 1});
        BOOST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == jm::sdk::errc::not_found));
        BOOST_TEST(r.error().message.find("3 makers wanted, 2 suitable counterparties") != std::string::npos);
        auto none = c->choose({}, ChooseRequest{1'000'000, 1, 1});
        BOOST_TEST((!none && none.error().code == jm::sdk::errc::not_found));
        auto two = choose(*c, offers, 2, 1);
        BOOST_TEST(two.size() == 2u);
        BOOST_TEST(offers[two[0]].counterparty != offers[two[1]].counterparty);
        BOOST_TEST(choose(*c, offers, 0, 1).empty());
        auto negative = c->choose(offers, ChooseRequest{-1, 1, 1});
        BOOST_TEST((!negative && negative.error().code == jm::sdk::errc::invalid_argument));
    }
}

BOOST_AUTO_TEST_CASE(every_chooser_picks_distinct_makers_and_is_deterministic) {
    // Seven makers, several with two offers: over many seeds every choice names distinct makers
    // (and only their cheapest offer), the same seed gives the same choice, seeds differ.
    std::vector<CandidateOffer> offers;
    for (int m = 0; m < 7; ++m) {
        offers.push_back(offer("maker" + std::to_string(m), 100 + 37 * m, 0, m % 2 ? 1e6 * (m + 1) : 0));
        if (m % 3 == 0) offers.push_back(offer("maker" + std::to_string(m), 1000 + m));
    }
    std::set<std::size_t> cheapest_of_each;
    for (const auto& r : RankedChooser::rank(offers, 1'000'000))
        cheapest_of_each.insert(r.index);
    RandomChooser random;
    CheapestChooser cheapest;
    WeightedChooser weighted;
    auto bond = bondChooser();
    for (const OrderChooser* c : std::initializer_list<const OrderChooser*>{&random, &cheapest, &weighted, &bond}) {
        std::set<std::vector<std::size_t>> distinct;
        for (std::uint64_t seed = 0; seed < 500; ++seed) {
            auto chosen = choose(*c, offers, 4, seed);
            BOOST_REQUIRE_EQUAL(chosen.size(), 4u);
            std::set<std::string> makers;
            for (auto i : chosen) {
                makers.insert(offers.at(i).counterparty);
                BOOST_TEST(cheapest_of_each.count(i) == 1u);
            }
            BOOST_TEST(makers.size() == 4u);
            BOOST_TEST(choose(*c, offers, 4, seed) == chosen);
            distinct.insert(chosen);
        }
        if (c == &cheapest)
            BOOST_TEST(distinct.size() == 1u);
        else
            BOOST_TEST(distinct.size() > 50u); // the seed drives the choice
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(chooser_distribution_tests)

BOOST_AUTO_TEST_CASE(cheapest_always_picks_the_lowest_fees_in_order) {
    std::vector<CandidateOffer> offers{offer("a", 900),      offer("b", 300), offer("c", 700),
                                       offer("d", 500, 450), offer("e", 100), offer("b", 250)};
    CheapestChooser cheapest;
    // d's fee is 500 - 450 = 50, e's 100, b's cheapest 250.
    std::vector<std::size_t> expected{3, 4, 5};
    for (int seed = 0; seed < SEEDS; ++seed)
        BOOST_REQUIRE(choose(cheapest, offers, 3, static_cast<std::uint64_t>(seed)) == expected);
}

BOOST_AUTO_TEST_CASE(random_is_uniform) {
    std::vector<CandidateOffer> offers{offer("a", 900), offer("b", 300), offer("c", 700), offer("d", 500),
                                       offer("e", 100)};
    RandomChooser random;
    checkDistribution(firstPicks(random, offers), std::vector<double>(5, 0.2));
}

BOOST_AUTO_TEST_CASE(weighted_follows_the_reference_exponential) {
    // Fees 100..500 with n = 1: M = 3n = 3 < 5 candidates, so phi = fee[3] - fee[0] = 300 and
    // P(i) ∝ exp(-(fee_i - 100) / 300).
    std::vector<CandidateOffer> offers{offer("e", 500), offer("a", 100), offer("d", 400), offer("b", 200),
                                       offer("c", 300)};
    std::vector<double> p;
    double sum = 0;
    for (const auto& o : offers)
        sum += std::exp(-(o.cjfee - 100) / 300.0);
    for (const auto& o : offers)
        p.push_back(std::exp(-(o.cjfee - 100) / 300.0) / sum);
    WeightedChooser weighted;
    auto hits = firstPicks(weighted, offers);
    checkDistribution(hits, p);
    BOOST_TEST(hits[1] > hits[3]); // cheaper is likelier
    BOOST_TEST(hits[3] > hits[0]);
}

BOOST_AUTO_TEST_CASE(weighted_with_few_candidates_spans_to_the_last_fee) {
    // Three candidates, n = 1: not more than M = 3, so phi = last - first = 1000 (with the txfee
    // subtracted: 1100 - 100).
    std::vector<CandidateOffer> offers{offer("a", 200, 100), offer("b", 600), offer("c", 1100)};
    std::vector<double> w{1.0, std::exp(-0.5), std::exp(-1.0)};
    double sum = w[0] + w[1] + w[2];
    WeightedChooser weighted;
    checkDistribution(firstPicks(weighted, offers), {w[0] / sum, w[1] / sum, w[2] / sum});
}

BOOST_AUTO_TEST_CASE(weighted_with_equal_fees_is_uniform) {
    std::vector<CandidateOffer> offers{offer("a", 250), offer("b", 250), offer("c", 250), offer("d", 250)};
    WeightedChooser weighted;
    checkDistribution(firstPicks(weighted, offers), std::vector<double>(4, 0.25));
}

BOOST_AUTO_TEST_CASE(fidelity_bond_weighted_follows_bond_value_to_the_exponent) {
    // Two bondless makers and bonds 1, 2 and 4 (× 1e8) before the exponent 1.3. A pick is uniform
    // with probability 0.125, else ∝ value^1.3 among the bonded:
    // P(bondless) = 0.125 / 5 each; P(bonded i) = 0.025 + 0.875 × v_i^1.3 / Σ v^1.3.
    std::vector<CandidateOffer> offers{offer("x", 100), offer("y", 200), offer("b1", 300, 0, 1e8),
                                       offer("b2", 300, 0, 2e8), offer("b4", 300, 0, 4e8)};
    double w1 = 1, w2 = std::pow(2.0, 1.3), w4 = std::pow(4.0, 1.3), sum = w1 + w2 + w4;
    std::vector<double> p{0.025, 0.025, 0.025 + 0.875 * w1 / sum, 0.025 + 0.875 * w2 / sum, 0.025 + 0.875 * w4 / sum};
    auto chooser = bondChooser();
    auto hits = firstPicks(chooser, offers);
    checkDistribution(hits, p);
    // The bondless makers together get about the allowance's share of their count (2 of 5).
    double bondless_share = static_cast<double>(hits[0] + hits[1]) / SEEDS;
    BOOST_TEST(std::abs(bondless_share - 0.125 * 2 / 5) < 0.01);
    // And the exponent matters: 4× the bond is more than 4× as likely, beyond noise.
    BOOST_TEST(static_cast<double>(hits[4] - 250) / (hits[2] - 250) > 4.5);
}

BOOST_AUTO_TEST_CASE(fidelity_bond_weighted_settings_change_the_distribution) {
    std::vector<CandidateOffer> offers{offer("x", 100), offer("b1", 300, 0, 1e8), offer("b3", 300, 0, 3e8)};
    // Exponent 1 and no allowance: exactly proportional to the bonds; the bondless never chosen.
    auto linear = bondChooser({{"bond_value_exponent", 1.0}, {"bondless_makers_allowance", 0.0}});
    auto hits = firstPicks(linear, offers);
    BOOST_TEST(hits[0] == 0);
    checkDistribution(hits, {0.0, 0.25, 0.75});
    // Allowance 1: always uniform, bonds ignored.
    auto uniform = bondChooser({{"bondless_makers_allowance", 1}});
    checkDistribution(firstPicks(uniform, offers), std::vector<double>(3, 1.0 / 3));
    // Allowance 0.5 with exponent 2: P = 0.5/3 + 0.5 × v²/Σv² → bondless 1/6, b1 1/6 + 0.05, b3 1/6 + 0.45.
    auto half = bondChooser({{"bond_value_exponent", 2}, {"bondless_makers_allowance", 0.5}});
    checkDistribution(firstPicks(half, offers), {1.0 / 6, 1.0 / 6 + 0.05, 1.0 / 6 + 0.45});
}

BOOST_AUTO_TEST_CASE(fidelity_bond_weighted_without_any_bond_is_uniform) {
    std::vector<CandidateOffer> offers{offer("a", 100), offer("b", 900), offer("c", 500), offer("d", 300)};
    auto chooser = bondChooser({{"bondless_makers_allowance", 0}});
    checkDistribution(firstPicks(chooser, offers), std::vector<double>(4, 0.25));
}

BOOST_AUTO_TEST_CASE(fidelity_bond_weighted_handles_extreme_bond_values) {
    // A whale's bond raised to the exponent would overflow a naive v^x at exponent 10: the
    // weights stay finite and the whale is (nearly) always chosen when bonds decide.
    std::vector<CandidateOffer> offers{offer("whale", 100, 0, 1e300), offer("minnow", 100, 0, 1e-300)};
    auto chooser = bondChooser({{"bond_value_exponent", 10}, {"bondless_makers_allowance", 0}});
    auto hits = firstPicks(chooser, offers);
    BOOST_TEST(hits[0] == SEEDS);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(chooser_config_tests)

BOOST_AUTO_TEST_CASE(reference_defaults) {
    auto config = validated(BondWeightSettings::schema(), {});
    auto s = BondWeightSettings::fromConfig(config);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->bond_value_exponent == 1.3);
    BOOST_TEST(s->bondless_makers_allowance == 0.125);
}

BOOST_AUTO_TEST_CASE(bad_configs_are_refused_with_a_clear_message) {
    struct Case {
        boost::json::object config;
        std::string path;
        std::string message;
    };
    std::vector<Case> cases{
        {{{"bond_value_exponent", 0.5}}, "$.bond_value_exponent", "must be at least 1"},
        {{{"bond_value_exponent", 11}}, "$.bond_value_exponent", "must be at most 10"},
        {{{"bondless_makers_allowance", 1.5}}, "$.bondless_makers_allowance", "must be at most 1"},
        {{{"bondless_makers_allowance", -0.1}}, "$.bondless_makers_allowance", "must be at least 0"},
        {{{"bondless_makers_allowance", "lots"}}, "$.bondless_makers_allowance", "expected"},
        {{{"bond_value_exponnent", 1.3}}, "$.bond_value_exponnent", "did you mean 'bond_value_exponent'?"},
    };
    for (const auto& c : cases) {
        std::vector<jm::sdk::ConfigProblem> problems;
        validated(BondWeightSettings::schema(), c.config, &problems);
        BOOST_TEST_CONTEXT(c.path) {
            BOOST_REQUIRE_EQUAL(problems.size(), 1u);
            BOOST_TEST(problems[0].path == c.path);
            BOOST_TEST(problems[0].message.find(c.message) != std::string::npos, problems[0].message);
        }
    }
    // A config that skipped the schema still cannot build a chooser with a bad value.
    auto unvalidated =
        BondWeightSettings::fromConfig({{"bond_value_exponent", 0.2}, {"bondless_makers_allowance", 0.1}});
    BOOST_REQUIRE(!unvalidated.has_value());
    BOOST_TEST((unvalidated.error().code == jm::sdk::errc::invalid_config));
    BOOST_TEST(unvalidated.error().message.find("bond_value_exponent") != std::string::npos);
    // The choosers without settings take no key at all.
    std::vector<jm::sdk::ConfigProblem> problems;
    validated(emptyChooserSchema(), {{"bond_value_exponent", 1.3}}, &problems);
    BOOST_REQUIRE_EQUAL(problems.size(), 1u);
    BOOST_TEST(problems[0].message.find("takes no configuration") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(factories_provide_the_chooser_service_under_the_instance_name) {
    std::map<std::string, std::size_t> expected_first{
        {"random", 99}, {"cheapest", 1}, {"weighted", 99}, {"fidelity_bond_weighted", 99}};
    std::vector<CandidateOffer> offers{offer("a", 500), offer("b", 100), offer("c", 300)};
    std::set<std::string> names;
    for (auto* factory : chooserFactories()) {
        std::string name(factory->name());
        names.insert(name);
        BOOST_TEST(factory->kind() == "chooser");
        BOOST_TEST((factory->provides() == std::vector<std::string>{"chooser/1"}));
        BOOST_TEST(!factory->description().empty());
        for (const auto& f : factory->configSchema().fields())
            BOOST_TEST(!f.description.empty(), name << "." << f.name << " has no description");
        jm::sdk::testing::TestContext ctx("choose-" + name);
        auto config = validated(factory->configSchema(), {});
        auto instance = factory->create(ctx, config);
        BOOST_REQUIRE_MESSAGE(instance.has_value(), name);
        BOOST_REQUIRE((*instance)->start().has_value());
        auto service = ctx.services().get<OrderChooser>("choose-" + name);
        BOOST_REQUIRE_MESSAGE(service.has_value(), name);
        auto chosen = choose(**service, offers, 2, 42);
        BOOST_TEST(chosen.size() == 2u);
        if (expected_first.at(name) != 99) BOOST_TEST(chosen[0] == expected_first.at(name));
        bool stopped = false;
        (*instance)->stop([&] { stopped = true; });
        BOOST_TEST(stopped);
    }
    BOOST_TEST((names == std::set<std::string>{"random", "cheapest", "weighted", "fidelity_bond_weighted"}));
    // The factory refuses a bad value that bypassed the host's validation, with the key named.
    for (auto* factory : chooserFactories())
        if (factory->name() == "fidelity_bond_weighted") {
            jm::sdk::testing::TestContext ctx("bad");
            auto r = factory->create(ctx, {{"bond_value_exponent", 1.3}, {"bondless_makers_allowance", 2.0}});
            BOOST_REQUIRE(!r.has_value());
            BOOST_TEST(r.error().message.find("bondless_makers_allowance") != std::string::npos);
            BOOST_TEST(!ctx.services().get<OrderChooser>("bad").has_value());
        }
}

BOOST_AUTO_TEST_SUITE_END()
