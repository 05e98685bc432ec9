#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/key.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

namespace {
Bytes scalar(std::uint8_t last) {
    Bytes s(32, 0);
    s[31] = last;
    return s;
}
} // namespace

BOOST_AUTO_TEST_SUITE(key_tests)

BOOST_AUTO_TEST_CASE(sign_verify_and_encodings) {
    auto key = PrivateKey::generate();
    auto pub = key.publicKey();
    auto hash = sha256(asBytes("jmnode"));
    auto der = key.signDer(hash);
    BOOST_CHECK(isStrictDer(der));
    BOOST_CHECK(pub.verifyDer(hash, der, true));
    auto other = sha256(asBytes("other"));
    BOOST_CHECK(!pub.verifyDer(other, der));
    auto compact = key.signCompact(hash);
    BOOST_CHECK(pub.verifyCompact(hash, compact));
    BOOST_CHECK(compactToDer(compact) == der); // RFC 6979: deterministic
    BOOST_CHECK(*derToCompact(der) == compact);
    BOOST_CHECK(!derToCompact(asBytes("not der")));
    Bytes bad = der;
    bad[0] = 0x31;
    BOOST_CHECK(!pub.verifyDer(hash, bad));

    auto parsed = PublicKey::parse(pub.compressed());
    BOOST_REQUIRE(parsed);
    BOOST_CHECK(*parsed == pub);
    BOOST_CHECK(*PublicKey::parse(pub.uncompressed()) == pub);
    Bytes x_too_large(33, 0xff); // x >= p: not a coordinate
    x_too_large[0] = 0x02;
    BOOST_CHECK(!PublicKey::parse(x_too_large));
    BOOST_CHECK(!PublicKey::parse(Bytes(32, 2)));
}

BOOST_AUTO_TEST_CASE(high_s_signatures) {
    auto key = *PrivateKey::fromBytes(scalar(7));
    auto hash = sha256(asBytes("x"));
    auto compact = key.signCompact(hash);
    // Negate s (n - s) to make the high-S twin.
    static const std::uint8_t N[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                       0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
    std::array<std::uint8_t, 64> high = compact;
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
        int d = N[i] - compact[32 + i] - borrow;
        borrow = d < 0;
        high[32 + i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
    }
    auto der_high = compactToDer(high);
    BOOST_CHECK(key.publicKey().verifyDer(hash, der_high, false));
    BOOST_CHECK(!key.publicKey().verifyDer(hash, der_high, true));
}

BOOST_AUTO_TEST_CASE(point_arithmetic) {
    auto one = *PrivateKey::fromBytes(scalar(1));
    auto two = *PrivateKey::fromBytes(scalar(2));
    auto three = *PrivateKey::fromBytes(scalar(3));
    auto g = one.publicKey();
    BOOST_CHECK(*g.add(two.publicKey()) == three.publicKey());
    BOOST_CHECK(*g.multiply(scalar(3)) == three.publicKey());
    BOOST_CHECK(*g.addTweak(scalar(2)) == three.publicKey());
    BOOST_CHECK(!g.add(g.negate()));     // infinity
    BOOST_CHECK(!g.multiply(scalar(0))); // zero scalar
    BOOST_CHECK(one.addTweak(scalar(2))->publicKey() == three.publicKey());
    BOOST_CHECK(one.negate().publicKey() == g.negate());
    BOOST_CHECK(two.multiplyTweak(scalar(3))->publicKey() == *g.multiply(scalar(6)));
    BOOST_CHECK(!PrivateKey::fromBytes(scalar(0)));
    BOOST_CHECK(!PrivateKey::fromBytes(Bytes(32, 0xff)));
}

BOOST_AUTO_TEST_CASE(wif_round_trip_and_errors) {
    auto key = *PrivateKey::fromBytes(scalar(9));
    auto wif = key.toWif(Network::Mainnet);
    bool compressed = false;
    auto back = PrivateKey::fromWif(wif, Network::Mainnet, &compressed);
    BOOST_REQUIRE(back);
    BOOST_CHECK(compressed);
    BOOST_CHECK(back->bytes() == key.bytes());
    auto wrong = PrivateKey::fromWif(wif, Network::Regtest);
    BOOST_REQUIRE(!wrong);
    BOOST_CHECK_NE(wrong.error().message.find("not for regtest"), std::string::npos);
    BOOST_CHECK(!PrivateKey::fromWif("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", Network::Testnet));
    BOOST_CHECK(
        PrivateKey::fromWif("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", Network::Mainnet, &compressed));
    BOOST_CHECK(!compressed);
}

BOOST_AUTO_TEST_CASE(signed_message_hash_layout) {
    // sha256d(0x18 "Bitcoin Signed Message:\n" varint(len) msg), built by hand here.
    std::string msg = "hello";
    std::string pre = "\x18"
                      "Bitcoin Signed Message:\n";
    pre.push_back(static_cast<char>(msg.size()));
    pre += msg;
    BOOST_CHECK(signedMessageHash(asBytes(msg)) == sha256d(asBytes(pre)));
    std::string long_msg(300, 'a');
    std::string pre2 = "\x18"
                       "Bitcoin Signed Message:\n";
    pre2 += std::string("\xfd\x2c\x01", 3) + long_msg;
    BOOST_CHECK(signedMessageHash(asBytes(long_msg)) == sha256d(asBytes(pre2)));
}

BOOST_AUTO_TEST_SUITE_END()
