// The SDK's yield-generator helpers: the wallet view and the rules the maker applies to offers.
#include <jm/maker/offer_rules.hpp>
#include <jm/maker/wallet_view.hpp>

#include <boost/test/unit_test.hpp>

using jm::maker::WalletView;
using jm::protocol::Offer;
using jm::protocol::OfferType;

namespace {

WalletView view(std::vector<std::int64_t> balances) {
    WalletView w;
    for (std::size_t i = 0; i < balances.size(); ++i)
        w.mixdepths.push_back({static_cast<int>(i), balances[i], balances[i] > 0 ? 1 : 0, balances[i], 0});
    return w;
}

Offer rel(std::int64_t min, std::int64_t max, std::string fee, std::int64_t txfee = 0, std::int64_t oid = 0) {
    return Offer{OfferType::Sw0Rel, oid, min, max, txfee, std::move(fee)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(offer_rules_tests)

BOOST_AUTO_TEST_CASE(wallet_view_finds_the_largest_mixdepth) {
    auto w = view({100, 300, 300, 0});
    BOOST_CHECK_EQUAL(*w.largestMixdepth(), 1); // the lowest of equal ones
    BOOST_CHECK_EQUAL(w.available(2), 300);
    BOOST_CHECK_EQUAL(w.available(7), 0);
    BOOST_CHECK_EQUAL(w.available(-1), 0);
    BOOST_CHECK(!view({0, 0}).largestMixdepth());
    BOOST_CHECK(view({}).balances().empty());
    BOOST_CHECK((w.balances() == std::vector<std::int64_t>{100, 300, 300, 0}));
}

BOOST_AUTO_TEST_CASE(fill_requirement_keeps_the_change_above_dust) {
    // REF oid_to_order: amount + txfee + dust + 1 - real_cjfee.
    auto o = rel(0, 1'000'000, "0.001", 100);
    BOOST_CHECK_EQUAL(*jm::maker::fillRequirement(o, 500'000), 500'000 + 100 + 27'300 + 1 - 500);
    Offer abs{OfferType::Sw0Abs, 0, 0, 1'000'000, 0, "1000"};
    BOOST_CHECK_EQUAL(*jm::maker::fillRequirement(abs, 500'000, 10), 500'000 + 10 + 1 - 1000);
    BOOST_CHECK(!jm::maker::fillRequirement(o, 0));
    BOOST_CHECK(!jm::maker::fillRequirement(rel(0, 10, "x"), 5));
}

BOOST_AUTO_TEST_CASE(good_offers_pass) {
    auto w = view({0, 2'000'000});
    BOOST_CHECK(jm::maker::checkOffers({}, w));
    BOOST_CHECK(jm::maker::checkOffers({rel(100'000, 1'972'700, "0.00002")}, w));
    BOOST_CHECK(jm::maker::checkOffers(
        {rel(100'000, 1'000'000, "0.00002"), Offer{OfferType::Sw0Abs, 1, 50'000, 1'900'000, 300, "800"}}, w));
}

BOOST_AUTO_TEST_CASE(each_rule_refuses_with_a_reason) {
    auto w = view({0, 2'000'000});
    auto refused = [&](std::vector<Offer> offers, const std::string& why) {
        auto r = jm::maker::checkOffers(offers, w);
        BOOST_REQUIRE_MESSAGE(!r, "accepted although " + why);
        BOOST_CHECK_MESSAGE(r.error().message.find(why) != std::string::npos, r.error().message);
    };
    refused({rel(0, 10, "0.1", 0, -1)}, "negative");
    refused({rel(30000, 100000, "0.1"), rel(30000, 100000, "0.1")}, "twice");
    refused({Offer{OfferType::SwRel, 0, 0, 10, 0, "0.1"}}, "native segwit");
    refused({rel(20, 10, "0.1")}, "minsize");
    refused({rel(30000, 100000, "0.1", -5)}, "txfee is negative");
    refused({rel(0, 1'972'701, "0.1")}, "more than the wallet can fill");
    refused({rel(0, 10, "1.5")}, "takers would refuse");
    refused({rel(0, 10, "abc")}, "takers would refuse");
    refused({Offer{OfferType::Sw0Abs, 0, 0, 10, 0, "1.5"}}, "takers would refuse");
    // 0.00002 x 100000 = 2 sat, below a txfee of 3: a negative earning at minsize.
    refused({rel(100'000, 1'000'000, "0.00002", 3)}, "less than its txfee");
    refused({Offer{OfferType::Sw0Abs, 0, 30000, 100000, 500, "499"}}, "less than its txfee");
    refused({rel(0, 10, "0.1")}, "below the dust threshold");
    BOOST_CHECK(!jm::maker::checkOffers({rel(0, 10, "0.1")}, view({})));
}

BOOST_AUTO_TEST_SUITE_END()
