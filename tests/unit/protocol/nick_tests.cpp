// Nick derivation and private-message signatures against jm_nick.json and
// jm_privmsg_signature.json.
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/protocol/nick.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::protocol;
using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(nick_tests)

BOOST_AUTO_TEST_CASE(nick_vectors) {
    auto v = jm::test::loadVectors("jm_nick.json");
    for (const auto& row : v.at("vectors").as_array()) {
        auto key = PrivateKey::fromBytes(*fromHex(row.at("private_key").as_string()));
        BOOST_REQUIRE(key);
        BOOST_CHECK_EQUAL(toHex(key->publicKey().compressed()), row.at("pubkey").as_string());
        auto h = sha256(asBytes(row.at("pubkey").as_string()));
        BOOST_CHECK_EQUAL(toHex(ByteView(h.data(), 10)), row.at("sha256_of_pubkey_hex_first10").as_string());
        BOOST_CHECK_EQUAL(nickFromPubkey(key->publicKey()), row.at("nick").as_string());
        BOOST_CHECK_EQUAL(NickIdentity(*key).nick(), row.at("nick").as_string());
        BOOST_CHECK(nickMatchesPubkeyHex(row.at("nick").as_string(), row.at("pubkey").as_string()));
    }
    for (const auto& row : v.at("reference_recorded").as_array())
        BOOST_CHECK(nickMatchesPubkeyHex(row.at("nick").as_string(), row.at("pubkey").as_string()));
    for (const auto& row : v.at("negative").as_array())
        BOOST_CHECK(
            !nickMatchesPubkeyHex(row.at("claimed_nick").as_string(), row.at("pubkey_as_received").as_string()));
    BOOST_CHECK(
        !nickMatchesPubkeyHex("J5Ckon1LuuapPSB", "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"));
    BOOST_CHECK(!nickMatchesPubkeyHex("J6Ckon1LuuapPSBM",
                                      "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"));
}

BOOST_AUTO_TEST_CASE(privmsg_signature_vectors) {
    auto v = jm::test::loadVectors("jm_privmsg_signature.json");
    for (const auto& ex : v.at("examples").as_array()) {
        std::string text(ex.at("text").as_string()), hostid(ex.at("hostid").as_string());
        BOOST_CHECK_EQUAL(text + hostid, ex.at("signed_string").as_string());
        BOOST_CHECK_EQUAL(toHex(signedMessageHash(asBytes(text + hostid))), ex.at("msghash").as_string());
        auto key = PrivateKey::fromBytes(*fromHex(ex.at("signer_private_key").as_string()));
        BOOST_REQUIRE(key);
        auto sig = signPrivmsg(*key, text, hostid);
        BOOST_CHECK_EQUAL(sig.pubkey_hex, ex.at("pubkey").as_string());
        BOOST_CHECK_EQUAL(sig.signature_base64, ex.at("signature_base64").as_string());
        BOOST_CHECK(verifyPrivmsg(text, sig.pubkey_hex, sig.signature_base64, hostid));
        // The line's signed tail is exactly "<command> <text> <pubkey> <sig>".
        NickIdentity identity(*key);
        BOOST_CHECK_EQUAL(identity.nick(), ex.at("from_nick").as_string());
        std::string line = identity.nick() + "!" + std::string(ex.at("to_nick").as_string()) + "!" +
                           std::string(ex.at("command").as_string()) + " " + identity.signedText(text, hostid);
        BOOST_CHECK_EQUAL(line, ex.at("line").as_string());
    }
    for (const auto& row : v.at("reference_recorded").as_array()) {
        auto ok = verifyPrivmsg(row.at("text").as_string(), row.at("pubkey").as_string(),
                                row.at("signature_base64").as_string(), row.at("hostid").as_string());
        BOOST_CHECK_MESSAGE(ok, (ok ? "" : ok.error().message));
        BOOST_CHECK(!verifyPrivmsg(row.at("text").as_string(), row.at("pubkey").as_string(),
                                   row.at("signature_base64").as_string(), ONION_HOSTID));
    }
    for (const auto& row : v.at("negative").as_array()) {
        auto r = verifyPrivmsg(row.at("text").as_string(), row.at("pubkey").as_string(),
                               row.at("signature_base64").as_string(), row.at("hostid").as_string());
        BOOST_CHECK_MESSAGE(!r, row.at("case").as_string() << " verified");
    }
}

BOOST_AUTO_TEST_CASE(malformed_signature_fields) {
    NickIdentity id;
    auto tail = id.signedText("hello");
    BOOST_CHECK(!verifyPrivmsg("hello", "zz", "AAAA"));
    BOOST_CHECK_NE(verifyPrivmsg("hello", "zz", "AAAA").error().message.find("not hex"), std::string::npos);
    BOOST_CHECK(!verifyPrivmsg("hello", std::string(66, '0'), "AAAA"));
    auto pub = toHex(id.publicKey().compressed());
    BOOST_CHECK_NE(verifyPrivmsg("hello", pub, "!!!").error().message.find("not base64"), std::string::npos);
    BOOST_CHECK_NE(verifyPrivmsg("hello", pub, "AAAA").error().message.find("does not verify"), std::string::npos);
    BOOST_CHECK(verifyPrivmsg("hello", pub, tail.substr(tail.rfind(' ') + 1)));
}

BOOST_AUTO_TEST_SUITE_END()
