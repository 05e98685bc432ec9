// checkFilterAgainstBlock: what a light client can prove about a peer's filter from the block.
#include "filter_check.hpp"
#include "p2p_test_node.hpp"

#include <jm/bitcoin/block_filter.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::plugins::backend_neutrino;
using jm::test::neutrino::TestBlockChain;

namespace {

const TestBlockChain& chain() {
    static const TestBlockChain c = [] {
        auto c = TestBlockChain::genesis();
        c.extend(105);
        return c;
    }();
    return c;
}

jm::bitcoin::Bytes filterOf(std::uint32_t height, const std::function<void(std::vector<jm::bitcoin::Bytes>&)>& edit) {
    const auto& block = chain().blocks[height];
    auto elements = jm::bitcoin::basicFilterElements(block, chain().spentScripts(block));
    edit(elements);
    return jm::bitcoin::GcsFilter::build(jm::bitcoin::basicFilterParams(chain().hashes[height]), elements).encoded();
}

std::string reason(std::uint32_t height, const jm::bitcoin::Bytes& filter) {
    auto why = checkFilterAgainstBlock(chain().blocks[height], chain().hashes[height], filter);
    return why ? *why : "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(filter_check_tests)

BOOST_AUTO_TEST_CASE(honest_filters_pass) {
    BOOST_CHECK_EQUAL(reason(0, chain().filters[0]), "");
    BOOST_CHECK_EQUAL(reason(7, chain().filters[7]), "");
    BOOST_REQUIRE_EQUAL(chain().blocks[105].transactions.size(), 2u); // a block with a spend
    BOOST_CHECK_EQUAL(reason(105, chain().filters[105]), "");
}

BOOST_AUTO_TEST_CASE(a_filter_that_does_not_decode_fails) {
    BOOST_CHECK(reason(7, {}).find("does not decode") != std::string::npos);
    BOOST_CHECK(reason(7, {0x05, 0x01}).find("does not decode") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missing_output_script_fails) {
    auto drop_output = [](std::uint32_t h) {
        return filterOf(h, [h](auto& e) {
            e.erase(std::find(e.begin(), e.end(), chain().blocks[h].transactions[0].outputs[0].script_pubkey));
        });
    };
    BOOST_CHECK(reason(7, drop_output(7)).find("without an output script") != std::string::npos);
    BOOST_CHECK(reason(105, drop_output(105)).find("without an output script") != std::string::npos);
    // A filter of another block (its key differs) misses them too.
    BOOST_CHECK(!reason(7, chain().filters[8]).empty());
}

BOOST_AUTO_TEST_CASE(too_many_elements_fail) {
    auto padded = filterOf(105, [](auto& e) {
        e.push_back({0x51});
        e.push_back({0x52});
    });
    BOOST_CHECK(reason(105, padded).find("elements") != std::string::npos);
    auto coinbase_only = filterOf(7, [](auto& e) { e.push_back({0x51}); });
    BOOST_CHECK(reason(7, coinbase_only).find("elements") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_wrong_spent_script_cannot_be_seen_in_the_block) {
    // The limit of the check (and why disputes about spent scripts are decided by a majority).
    auto swapped = filterOf(105, [](auto& e) {
        auto spent = chain().spentScripts(chain().blocks[105]).at(0);
        e.erase(std::find(e.begin(), e.end(), spent));
        e.push_back({0x00, 0x14, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
    });
    BOOST_CHECK(swapped != chain().filters[105]);
    BOOST_CHECK_EQUAL(reason(105, swapped), "");
}

BOOST_AUTO_TEST_SUITE_END()
