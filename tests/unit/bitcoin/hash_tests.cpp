#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(hash_tests)

// RIPEMD-160 is hand-written: check it against the algorithm authors' published test strings.
BOOST_AUTO_TEST_CASE(ripemd160_reference_strings) {
    BOOST_CHECK_EQUAL(toHex(ripemd160(asBytes(""))), "9c1185a5c5e9fc54612808977ee8f548b2258d31");
    BOOST_CHECK_EQUAL(toHex(ripemd160(asBytes("abc"))), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
    BOOST_CHECK_EQUAL(toHex(ripemd160(asBytes("message digest"))), "5d0689ef49d2fae572b881b123a85ffa21595f36");
    BOOST_CHECK_EQUAL(toHex(ripemd160(asBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
                      "12a053384a9c0c88e405a06c27dcf49ada62eb2b");
    BOOST_CHECK_EQUAL(toHex(ripemd160(asBytes(std::string(1000000, 'a')))), "52783243c1697bdbe16d37f97f68f08325dc1528");
    // Lengths around the padding boundary (55, 56, 64 bytes) must not crash and must differ.
    BOOST_CHECK(ripemd160(asBytes(std::string(55, 'x'))) != ripemd160(asBytes(std::string(56, 'x'))));
    BOOST_CHECK(ripemd160(asBytes(std::string(64, 'x'))) != ripemd160(asBytes(std::string(63, 'x'))));
}

BOOST_AUTO_TEST_CASE(sha_and_hmac_known_answers) {
    BOOST_CHECK_EQUAL(toHex(sha256(asBytes("abc"))),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_CHECK_EQUAL(toHex(sha256d(asBytes("hello"))),
                      "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
    BOOST_CHECK_EQUAL(toHex(hash160(asBytes("hello"))), "b6a9c8c230722b7c748331a8b450f05566dc7d0f");
    // RFC 4231 test case 2.
    BOOST_CHECK_EQUAL(toHex(hmacSha256(asBytes("Jefe"), asBytes("what do ya want for nothing?"))),
                      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    BOOST_CHECK_EQUAL(toHex(hmacSha512(asBytes("Jefe"), asBytes("what do ya want for nothing?"))),
                      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
                      "caeab1a34d4a6b4b636e070a38bce737");
}

BOOST_AUTO_TEST_SUITE_END()
