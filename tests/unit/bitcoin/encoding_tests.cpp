#include <jm/bitcoin/encoding.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(encoding_tests)

BOOST_AUTO_TEST_CASE(hex_round_trip_and_errors) {
    auto b = fromHex("00ff10Ab");
    BOOST_REQUIRE(b);
    BOOST_CHECK_EQUAL(toHex(*b), "00ff10ab");
    BOOST_CHECK_EQUAL(toHexReversed(*b), "ab10ff00");
    BOOST_CHECK(!fromHex("abc"));
    BOOST_CHECK(!fromHex("zz"));
    BOOST_CHECK(!hashFromDisplayHex("00"));
    auto h = hashFromDisplayHex(std::string(62, '0') + "01");
    BOOST_REQUIRE(h);
    BOOST_CHECK_EQUAL((*h)[0], 1);
}

BOOST_AUTO_TEST_CASE(base64_strict) {
    BOOST_CHECK_EQUAL(toBase64(asBytes("foobar")), "Zm9vYmFy");
    BOOST_CHECK_EQUAL(toBase64(asBytes("fo")), "Zm8=");
    auto d = fromBase64("Zm8=");
    BOOST_REQUIRE(d);
    BOOST_CHECK_EQUAL(std::string(d->begin(), d->end()), "fo");
    for (auto bad : {"Zm8", "Zm8=====", "Z!8=", "Zm9v\nYmFy"})
        BOOST_CHECK_MESSAGE(!fromBase64(bad), bad);
    BOOST_CHECK(fromBase64("")->empty()); // found by fuzz_line: libsodium must not get a null buffer
}

BOOST_AUTO_TEST_CASE(base58_and_check) {
    BOOST_CHECK_EQUAL(toBase58(asBytes(std::string("\0\0abc", 5))), "11ZiCa");
    auto d = fromBase58("11ZiCa");
    BOOST_REQUIRE(d);
    BOOST_CHECK_EQUAL(d->size(), 5u);
    BOOST_CHECK_EQUAL(toBase58({}), "");
    auto payload = *fromHex("00f54a5851e9372b87810a8e60cdd2e7cfd80b6e31");
    auto s = toBase58Check(payload);
    BOOST_CHECK_EQUAL(s, "1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs");
    BOOST_CHECK(*fromBase58Check(s) == payload);
    BOOST_CHECK(!fromBase58Check("1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAt")); // checksum
    BOOST_CHECK(!fromBase58("0OIl"));                                    // not in the alphabet
    BOOST_CHECK(!fromBase58Check("1"));                                  // too short
    BOOST_CHECK(!fromBase58(std::string(201, '2')));                     // refused before decoding
}

BOOST_AUTO_TEST_SUITE_END()
