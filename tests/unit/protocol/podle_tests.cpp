// PoDLE: NUMS points derived here and compared with the reference table; every proof vector
// verifies exactly at its index; every negative vector is rejected; fresh proofs round-trip.
#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/podle.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <set>

using namespace jm::protocol;
using namespace jm::bitcoin;

namespace {
PodleProof fromRow(const boost::json::value& row) {
    PodleProof p;
    if (row.as_object().contains("utxo")) p.utxo = row.at("utxo").as_string();
    p.p = *fromHex(row.at("P").as_string());
    p.p2 = *fromHex(row.at("P2").as_string());
    auto s = *fromHex(row.at("s").as_string());
    auto e = *fromHex(row.at("e").as_string());
    std::copy(s.begin(), s.end(), p.s.begin());
    std::copy(e.begin(), e.end(), p.e.begin());
    return p;
}
} // namespace

BOOST_AUTO_TEST_SUITE(podle_tests)

BOOST_AUTO_TEST_CASE(nums_points_match_the_reference_table) {
    auto v = jm::test::loadVectors("jm_podle_nums.json");
    const auto& points = v.at("points").as_array();
    BOOST_REQUIRE_EQUAL(points.size(), 256u);
    for (const auto& row : points) {
        int index = static_cast<int>(row.at("index").as_int64());
        BOOST_CHECK_EQUAL(toHex(numsPoint(index)->compressed()), row.at("point").as_string());
        auto d = numsDerivation(index);
        BOOST_CHECK_EQUAL(d->counter, row.at("counter").as_int64());
        BOOST_CHECK_EQUAL(d->compressed_seed, row.at("generator_encoding").as_string() == "compressed");
    }
    BOOST_CHECK(!numsPoint(256));
    BOOST_CHECK(!numsPoint(-1));
}

BOOST_AUTO_TEST_CASE(proof_vectors) {
    auto v = jm::test::loadVectors("jm_podle_proofs.json");
    for (const auto& row : v.at("vectors").as_array()) {
        std::string name(row.at("name").as_string());
        auto proof = fromRow(row);
        int index = static_cast<int>(row.at("index").as_int64());
        BOOST_CHECK_EQUAL(podleCommitment(proof), row.at("commitment").as_string());
        BOOST_CHECK_EQUAL("P" + podleCommitment(proof), row.at("commitment_in_fill").as_string());
        BOOST_CHECK_EQUAL(formatRevelation(proof), row.at("revelation").as_string());
        auto parsed = parseRevelation(row.at("revelation").as_string());
        BOOST_REQUIRE(parsed);
        BOOST_CHECK_EQUAL(formatRevelation(*parsed), row.at("revelation").as_string());
        auto at = verifyPodle(proof, row.at("commitment").as_string(), 10);
        BOOST_REQUIRE_MESSAGE(at, name << ": " << at.error().message);
        BOOST_CHECK_EQUAL(*at, index);
        // Exactly at its index: not within a smaller allowed range.
        if (index > 0) BOOST_CHECK(!verifyPodle(proof, row.at("commitment").as_string(), index));
        if (row.as_object().contains("private_key")) {
            auto key = PrivateKey::fromBytes(*fromHex(row.at("private_key").as_string()));
            BOOST_CHECK_EQUAL(toHex(key->publicKey().compressed()), row.at("P").as_string());
            BOOST_CHECK_EQUAL(*podleCommitmentFor(*key, index), row.at("commitment").as_string());
        }
    }
}

BOOST_AUTO_TEST_CASE(negative_vectors_are_rejected) {
    auto v = jm::test::loadVectors("jm_podle_proofs.json");
    for (const auto& row : v.at("negative").as_array()) {
        int max_index = 3;
        if (row.as_object().contains("allowed_indices"))
            max_index = static_cast<int>(row.at("allowed_indices").as_array().size());
        auto r = verifyPodle(fromRow(row), row.at("commitment").as_string(), max_index);
        BOOST_CHECK_MESSAGE(!r, row.at("mutated_field").as_string() << " accepted");
    }
}

BOOST_AUTO_TEST_CASE(fresh_proofs_verify_and_are_randomised) {
    auto key = PrivateKey::generate();
    for (int index : {0, 1, 2, 9}) {
        auto proof = generatePodle(key, std::string(64, 'a') + ":1", index);
        BOOST_REQUIRE(proof);
        BOOST_CHECK_EQUAL(*verifyPodle(*proof, podleCommitment(*proof), 10), index);
        auto again = generatePodle(key, proof->utxo, index);
        BOOST_CHECK(again->s != proof->s);                                   // random nonce
        BOOST_CHECK_EQUAL(podleCommitment(*again), podleCommitment(*proof)); // same commitment
    }
    auto other = PrivateKey::generate();
    auto proof = *generatePodle(key, "x:0", 0);
    BOOST_CHECK(!verifyPodle(proof, *podleCommitmentFor(other, 0)));
    BOOST_CHECK(!verifyPodle(proof, "zz"));
    PodleProof zero_s = proof;
    zero_s.s.fill(0);
    BOOST_CHECK_NE(verifyPodle(zero_s, podleCommitment(proof)).error().message.find("s is zero"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(revelation_errors_and_policy) {
    for (const std::string& bad : std::vector<std::string>{"", "a|b|c|d", "a|b|c|d|e|f",
                                                           "|" + std::string(66, 'a') + "|" + std::string(66, 'a') +
                                                               "|" + std::string(64, 'a') + "|" + std::string(64, 'a'),
                                                           "u|" + std::string(65, 'a') + "|" + std::string(66, 'a') +
                                                               "|" + std::string(64, 'a') + "|" + std::string(64, 'a'),
                                                           "u|" + std::string(66, 'g') + "|" + std::string(66, 'a') +
                                                               "|" + std::string(64, 'a') + "|" + std::string(64, 'a')})
        BOOST_CHECK_MESSAGE(!parseRevelation(bad), bad);
    PodlePolicy policy;
    BOOST_CHECK_EQUAL(podleMinimumValue(1'000'001, 20), 200'000);
    BOOST_CHECK(podleEligible(200'000, 5, 1'000'000, policy));
    BOOST_CHECK(!podleEligible(199'999, 5, 1'000'000, policy));
    BOOST_CHECK(!podleEligible(500'000, 4, 1'000'000, policy));
    std::set<int> used;
    auto next = [&] { return podleNextIndex([&](int i) { return used.count(i) > 0; }, policy); };
    BOOST_CHECK_EQUAL(*next(), 0);
    used.insert(1); // a later index used means the earlier ones are burnt too
    BOOST_CHECK_EQUAL(*next(), 2);
    used.insert(2);
    BOOST_CHECK(!next());
}

BOOST_AUTO_TEST_SUITE_END()
