#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/protocol/coinjoin_messages.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::protocol;
using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(coinjoin_messages_tests)

BOOST_AUTO_TEST_CASE(ioauth_vectors) {
    auto v = jm::test::loadVectors("jm_ioauth_sig.json");
    for (const auto& row : v.at("vectors").as_array()) {
        auto msg = parseIoauth(row.at("ioauth_plaintext").as_string());
        BOOST_REQUIRE(msg);
        BOOST_CHECK_EQUAL(msg->auth_pub_hex, row.at("auth_pub").as_string());
        BOOST_CHECK_EQUAL(msg->cj_address, row.at("cj_addr").as_string());
        BOOST_CHECK_EQUAL(msg->utxos.size(), row.at("utxos").as_array().size());
        BOOST_CHECK_EQUAL(formatIoauth(*msg), row.at("ioauth_plaintext").as_string());
        BOOST_CHECK_EQUAL(toHex(signedMessageHash(asBytes(row.at("maker_encpk").as_string()))),
                          row.at("msghash").as_string());
        BOOST_CHECK(verifyIoauth(msg->auth_pub_hex, row.at("maker_encpk").as_string(), msg->btc_sig));
    }
    for (const auto& row : v.at("negative").as_array())
        BOOST_CHECK_MESSAGE(!verifyIoauth(row.at("auth_pub").as_string(), row.at("maker_encpk").as_string(),
                                          row.at("btc_sig").as_string()),
                            row.at("case").as_string());
    for (const auto& row : v.at("computed").as_array()) {
        auto key = PrivateKey::fromBytes(*fromHex(row.at("auth_private_key").as_string()));
        BOOST_CHECK_EQUAL(toHex(key->publicKey().compressed()), row.at("auth_pub").as_string());
        BOOST_CHECK_EQUAL(signIoauth(*key, row.at("maker_encpk").as_string()), row.at("btc_sig").as_string());
        BOOST_CHECK(verifyIoauth(row.at("auth_pub").as_string(), row.at("maker_encpk").as_string(),
                                 row.at("btc_sig").as_string()));
    }
}

BOOST_AUTO_TEST_CASE(ioauth_errors) {
    std::string utxo = std::string(64, 'a') + ":0";
    std::string pub = "02d18acce7d5a1f566e10d31c3b4600f45d913f31c8956993e792ed2289866faa1";
    BOOST_CHECK(parseIoauth(utxo + " " + pub + " addr1 addr2 sig"));
    BOOST_CHECK_NE(parseIoauth(utxo + "," + utxo + " " + pub + " a b s").error().message.find("twice"),
                   std::string::npos);
    BOOST_CHECK(!parseIoauth(utxo + " " + pub + " a b"));
    BOOST_CHECK(!parseIoauth(utxo + " 02ab a b s"));
    BOOST_CHECK(!parseIoauth("x:0 " + pub + " a b s"));
    BOOST_CHECK(!parseIoauth(" " + pub + " a b s"));
    std::string many;
    for (int i = 0; i < 5; ++i)
        many += (i ? "," : "") + std::string(63, 'a') + std::to_string(i) + ":0";
    BOOST_CHECK(!parseIoauth(many + " " + pub + " a b s", 4));
}

BOOST_AUTO_TEST_CASE(tx_and_sig_payloads) {
    auto key = PrivateKey::generate();
    Transaction tx;
    tx.inputs.resize(1);
    tx.outputs.push_back({5000, p2wpkhScript(key.publicKey())});
    auto payload = formatTxPayload(tx);
    auto back = parseTxPayload(payload);
    BOOST_REQUIRE(back);
    BOOST_CHECK(back->serialize() == tx.serialize());
    BOOST_CHECK(!parseTxPayload("AAAA"));
    BOOST_CHECK(!parseTxPayload("!!"));

    BOOST_REQUIRE(signP2wpkhInput(tx, 0, key, 10000));
    auto sig = formatSigPayload(tx.inputs[0].witness);
    auto items = parseSigPayload(sig);
    BOOST_REQUIRE(items);
    BOOST_CHECK(*items == tx.inputs[0].witness);
    BOOST_CHECK(!parseSigPayload(toBase64(Bytes{0x01, 0xaa})));       // one item
    BOOST_CHECK(!parseSigPayload(toBase64(Bytes{0x00, 0x01, 0xaa}))); // an empty push
    BOOST_CHECK(!parseSigPayload(toBase64(Bytes{0x05, 0xaa})));       // truncated push
    BOOST_CHECK(!parseSigPayload(toBase64(Bytes{0x01, 0xaa, 0xac}))); // an opcode
}

BOOST_AUTO_TEST_SUITE_END()
