#include <jm/bitcoin/descriptor.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(descriptor_tests)

BOOST_AUTO_TEST_CASE(bip380_checksums) {
    auto v = jm::test::loadVectors("bip380.json");
    for (const auto& c : v.at("valid").as_array()) {
        auto desc = std::string(c.at("descriptor").as_string());
        BOOST_CHECK_EQUAL(jm::bitcoin::withDescriptorChecksum(desc).value(), c.at("with_checksum").as_string());
    }
}

BOOST_AUTO_TEST_CASE(checksum_changes_with_the_text_and_refuses_foreign_characters) {
    auto a = jm::bitcoin::descriptorChecksum("wpkh("
                                             "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8"
                                             "ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/0/*)");
    auto b = jm::bitcoin::descriptorChecksum("wpkh("
                                             "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8"
                                             "ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1/*)");
    BOOST_REQUIRE(a && b);
    BOOST_CHECK_EQUAL(a->size(), 8u);
    BOOST_CHECK_NE(*a, *b);
    BOOST_CHECK(!jm::bitcoin::descriptorChecksum("raw(deadbeef)\n"));
    BOOST_CHECK(!jm::bitcoin::descriptorChecksum("raw(\xc3\xa9)"));
}

BOOST_AUTO_TEST_SUITE_END()
