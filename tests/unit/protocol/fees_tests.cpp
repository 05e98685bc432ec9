// Fee arithmetic against jm_fees.json: every cjfee row (including the ones binary floats get
// wrong), the recorded 3-maker round, REF and NG sweep rules; and against jm_fees_decimal.json:
// long cjfees near .5 where REF's 28-digit decimal context decides the satoshi, cjfee spellings.
#include <jm/protocol/basic_offers.hpp>
#include <jm/protocol/fees.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::protocol;

namespace {
Offer offerFrom(const boost::json::value& row) {
    Offer o;
    o.type = *offerTypeFromName(row.at("ordertype").as_string());
    o.cjfee = row.at("cjfee").as_string();
    if (row.as_object().contains("txfee")) o.txfee = row.at("txfee").as_int64();
    return o;
}
} // namespace

BOOST_AUTO_TEST_SUITE(fees_tests)

BOOST_AUTO_TEST_CASE(cjfee_rows) {
    auto v = jm::test::loadVectors("jm_fees.json");
    for (const auto& row : v.at("cjfee").as_array()) {
        auto fee =
            realCjfee(row.at("ordertype").as_string(), row.at("cjfee").as_string(), row.at("cj_amount").as_int64());
        BOOST_REQUIRE_MESSAGE(fee, row.at("cjfee").as_string() << ": " << fee.error().message);
        BOOST_CHECK_MESSAGE(*fee == row.at("real_cjfee").as_int64(),
                            row.at("cjfee").as_string() << " x " << row.at("cj_amount").as_int64() << " = " << *fee);
    }
    const auto& unknown = v.at("unknown_ordertype");
    BOOST_CHECK(!realCjfee(unknown.at("ordertype").as_string(), unknown.at("cjfee").as_string(),
                           unknown.at("cj_amount").as_int64()));
}

BOOST_AUTO_TEST_CASE(recorded_round) {
    auto v = jm::test::loadVectors("jm_fees.json");
    const auto& round = v.at("round_example");
    auto cj_amount = round.at("cj_amount").as_int64();
    std::int64_t cjfee_total = 0, contributions = 0;
    for (const auto& m : round.at("makers").as_array()) {
        auto fee = realCjfee(m.at("ordertype").as_string(), m.at("cjfee").as_string(), cj_amount);
        BOOST_REQUIRE(fee);
        BOOST_CHECK_EQUAL(*fee, m.at("real_cjfee").as_int64());
        auto txfee = m.at("txfee").as_int64();
        BOOST_CHECK_EQUAL(makerChange(m.at("inputs_total").as_int64(), cj_amount, txfee, *fee),
                          m.at("expected_change").as_int64());
        BOOST_CHECK_EQUAL(*fee - txfee, m.at("earned").as_int64());
        cjfee_total += *fee;
        contributions += txfee;
    }
    BOOST_CHECK_EQUAL(cjfee_total, round.at("cjfee_total").as_int64());
    BOOST_CHECK_EQUAL(contributions, round.at("maker_txfee_contributions").as_int64());
    auto taker_txfee = round.at("total_txfee").as_int64() - contributions;
    BOOST_CHECK_EQUAL(taker_txfee, round.at("taker_txfee").as_int64());
    BOOST_CHECK_EQUAL(round.at("taker_inputs_total").as_int64() - cj_amount - cjfee_total - taker_txfee,
                      round.at("taker_change").as_int64());
}

BOOST_AUTO_TEST_CASE(sweeps_ref_and_ng) {
    auto v = jm::test::loadVectors("jm_fees.json");
    for (const auto& row : v.at("sweeps").as_array()) {
        std::vector<Offer> offers;
        for (const auto& o : row.at("offers").as_array())
            offers.push_back(offerFrom(o));
        auto r = sweepAmount(row.at("total_input").as_int64(), row.at("total_txfee").as_int64(), offers);
        BOOST_REQUIRE(r);
        BOOST_CHECK_EQUAL(r->taker_txfee, row.at("taker_txfee").as_int64());
        BOOST_CHECK_EQUAL(r->cj_amount, row.at("cj_amount").as_int64());
        const auto& fees = row.at("maker_fees").as_array();
        BOOST_REQUIRE_EQUAL(r->maker_fees.size(), fees.size());
        for (std::size_t i = 0; i < fees.size(); ++i)
            BOOST_CHECK_EQUAL(r->maker_fees[i], fees[i].as_int64());
        BOOST_CHECK_EQUAL(r->taker_residual, row.at("taker_residual").as_int64());
    }
    for (const auto& row : v.at("ng_sweeps").as_array()) {
        std::vector<std::string> rel;
        for (const auto& f : row.at("relative_fees").as_array())
            rel.emplace_back(f.as_string());
        auto r = ngSweepAmount(row.at("available").as_int64(), rel);
        BOOST_REQUIRE(r);
        BOOST_CHECK_EQUAL(r->first, row.at("cj_amount").as_int64());
        const auto& fees = row.at("fees").as_array();
        BOOST_REQUIRE_EQUAL(r->second.size(), fees.size());
        for (std::size_t i = 0; i < fees.size(); ++i)
            BOOST_CHECK_EQUAL(r->second[i], fees[i].as_int64());
    }
}

BOOST_AUTO_TEST_CASE(basic_yield_generator_offers) {
    auto v = jm::test::loadVectors("jm_fees.json");
    for (const auto& row : v.at("maker_offers").as_array()) {
        BasicOfferParams p;
        p.type = *offerTypeFromName(row.at("ordertype").as_string());
        p.txfee_contribution = row.at("txfee_contribution").as_int64();
        p.cjfee_a = row.at("cjfee_a").as_int64();
        p.cjfee_r = row.at("cjfee_r").as_string();
        p.minsize = row.at("configured_minsize").as_int64();
        p.dust_threshold = row.at("dust_threshold").as_int64();
        std::vector<std::int64_t> balances;
        for (const auto& b : row.at("mixdepth_balances").as_array())
            balances.push_back(b.as_int64());
        auto offers = basicOffers(balances, p);
        BOOST_REQUIRE(offers);
        const auto& expected = row.at("expected_offers").as_array();
        BOOST_REQUIRE_EQUAL(offers->size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto& e = expected[i];
            const auto& o = (*offers)[i];
            BOOST_CHECK_EQUAL(o.oid, e.at("oid").as_int64());
            BOOST_CHECK_EQUAL(toString(o.type), e.at("ordertype").as_string());
            BOOST_CHECK_EQUAL(o.minsize, e.at("minsize").as_int64());
            BOOST_CHECK_EQUAL(o.maxsize, e.at("maxsize").as_int64());
            BOOST_CHECK_EQUAL(o.txfee, e.at("txfee").as_int64());
            BOOST_CHECK_EQUAL(o.cjfee, e.at("cjfee").as_string());
        }
    }
    BasicOfferParams zero;
    zero.cjfee_r = "0";
    BOOST_CHECK(!basicOffers({100000}, zero));
}

// Generated rows where REF's 28-digit context rounding and exact rounding part ways: the fee,
// the maker's change and the offer parser must all follow REF.
BOOST_AUTO_TEST_CASE(decimal_context_cjfee_rows) {
    auto v = jm::test::loadVectors("jm_fees_decimal.json");
    std::size_t rows = 0, differing = 0;
    for (const auto& row : v.at("cjfee").as_array()) {
        const std::string cjfee(row.at("cjfee").as_string());
        auto amount = row.at("cj_amount").as_int64();
        auto fee = realCjfee(row.at("ordertype").as_string(), cjfee, amount);
        BOOST_REQUIRE_MESSAGE(fee, cjfee << ": " << fee.error().message);
        BOOST_CHECK_MESSAGE(*fee == row.at("real_cjfee").as_int64(), cjfee << " x " << amount << " = " << *fee);
        BOOST_CHECK_EQUAL(
            makerChange(row.at("maker_inputs_total").as_int64(), amount, row.at("maker_txfee").as_int64(), *fee),
            row.at("expected_maker_change").as_int64());
        // The offer parser takes the same cjfee and the fee of the parsed offer is the same.
        auto offer = parseOffer(
            {std::string(row.at("ordertype").as_string()), "0 27300 " + std::to_string(MAX_MONEY) + " 0 " + cjfee});
        BOOST_REQUIRE_MESSAGE(offer, cjfee << ": " << offer.error().message);
        auto again = realCjfee(*offer, amount);
        BOOST_REQUIRE(again);
        BOOST_CHECK_EQUAL(*again, *fee);
        ++rows;
        if (row.as_object().contains("exact_rounding_would_give")) ++differing;
    }
    // The set must keep exercising the context rounding, not only agree where it does not matter.
    BOOST_CHECK_GE(rows, 200u);
    BOOST_CHECK_GE(differing, 50u);
}

BOOST_AUTO_TEST_CASE(decimal_context_sweeps) {
    auto v = jm::test::loadVectors("jm_fees_decimal.json");
    std::size_t differing = 0;
    for (const auto& row : v.at("sweeps").as_array()) {
        std::vector<Offer> offers;
        for (const auto& o : row.at("offers").as_array())
            offers.push_back(offerFrom(o));
        auto r = sweepAmount(row.at("total_input").as_int64(), row.at("total_txfee").as_int64(), offers);
        BOOST_REQUIRE_MESSAGE(r, r.error().message);
        BOOST_CHECK_EQUAL(r->taker_txfee, row.at("taker_txfee").as_int64());
        BOOST_CHECK_EQUAL(r->cj_amount, row.at("cj_amount").as_int64());
        const auto& fees = row.at("maker_fees").as_array();
        BOOST_REQUIRE_EQUAL(r->maker_fees.size(), fees.size());
        for (std::size_t i = 0; i < fees.size(); ++i)
            BOOST_CHECK_EQUAL(r->maker_fees[i], fees[i].as_int64());
        BOOST_CHECK_EQUAL(r->taker_residual, row.at("taker_residual").as_int64());
        if (row.as_object().contains("exact_rounding_would_give")) ++differing;
    }
    BOOST_CHECK_GE(differing, 10u);
}

// cjfee spellings: the fee function and the offer parser accept exactly the same ones, those
// REF's int() / Decimal() accept, less the few jmnode refuses on purpose.
BOOST_AUTO_TEST_CASE(cjfee_spellings) {
    auto v = jm::test::loadVectors("jm_fees_decimal.json");
    for (const auto& row : v.at("grammar").as_array()) {
        const std::string type(row.at("ordertype").as_string());
        const std::string cjfee(row.at("cjfee").as_string());
        auto amount = row.at("cj_amount").as_int64();
        auto fee = realCjfee(type, cjfee, amount);
        auto offer = parseOffer({type, "0 27300 100000000 0 " + cjfee});
        if (row.as_object().contains("real_cjfee")) {
            BOOST_REQUIRE_MESSAGE(fee, "'" << cjfee << "': " << fee.error().message);
            BOOST_CHECK_EQUAL(*fee, row.at("real_cjfee").as_int64());
            BOOST_REQUIRE_MESSAGE(offer, "'" << cjfee << "': " << offer.error().message);
            BOOST_CHECK_EQUAL(offer->cjfee, cjfee);
            BOOST_CHECK_EQUAL(*realCjfee(*offer, amount), *fee);
        } else {
            BOOST_CHECK_MESSAGE(!fee, "'" << cjfee << "' gave a fee");
            BOOST_CHECK_MESSAGE(!offer, "'" << cjfee << "' gave an offer");
        }
    }
}

BOOST_AUTO_TEST_CASE(errors) {
    BOOST_CHECK(!realCjfee("sw0absoffer", "1.5", 1000));
    BOOST_CHECK(!realCjfee("sw0reloffer", "abc", 1000));
    BOOST_CHECK_EQUAL(*realCjfee("sw0reloffer", "0.5", 1000), 500);
    BOOST_CHECK(!realCjfee("sw0reloffer", "0.5", -1000));
    BOOST_CHECK(!realCjfee("sw0absoffer", "2100000000000001", 1000));
    // REF's quantize signals InvalidOperation past 28 digits; far beyond MAX_MONEY either way.
    BOOST_CHECK(!realCjfee("sw0reloffer", "1E+32", 2'100'000'000'000'000));
    Offer huge;
    huge.type = OfferType::Sw0Abs;
    huge.cjfee = "2000000";
    BOOST_CHECK(!sweepAmount(1'000'000, 10'000, {huge}));
    BOOST_CHECK(!ngSweepAmount(0, {"0.001"}));
}

BOOST_AUTO_TEST_SUITE_END()
