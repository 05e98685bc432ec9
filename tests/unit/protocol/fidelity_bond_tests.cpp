// Fidelity-bond proofs against jm_fidelity_bond_proofs.json, UTXO strings, and bond values.
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/utxo_string.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace jm::protocol;
using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(fidelity_bond_tests)

BOOST_AUTO_TEST_CASE(valid_proofs) {
    auto v = jm::test::loadVectors("jm_fidelity_bond_proofs.json");
    for (const auto& row : v.at("valid").as_array()) {
        auto proof = parseBondProof(row.at("proof_base64").as_string());
        BOOST_REQUIRE(proof);
        const auto& parsed = row.at("parsed");
        BOOST_CHECK_EQUAL(toHex(proof->nick_sig), parsed.at("nick_sig").as_string());
        BOOST_CHECK_EQUAL(toHex(proof->cert_sig), parsed.at("cert_sig").as_string());
        BOOST_CHECK_EQUAL(toHex(proof->cert_pub), parsed.at("cert_pub").as_string());
        BOOST_CHECK_EQUAL(proof->cert_expiry, parsed.at("cert_expiry").as_int64());
        BOOST_CHECK_EQUAL(toHex(proof->utxo_pub), parsed.at("utxo_pub").as_string());
        BOOST_CHECK_EQUAL(toHex(proof->txid_display), parsed.at("txid").as_string());
        BOOST_CHECK_EQUAL(proof->vout, parsed.at("vout").as_int64());
        BOOST_CHECK_EQUAL(proof->locktime, parsed.at("locktime").as_int64());
        BOOST_CHECK(verifyBondProof(*proof, row.at("taker_nick").as_string(), row.at("maker_nick").as_string()));
        // Bound to the taker: another taker's nick fails.
        BOOST_CHECK(!verifyBondProof(*proof, "J5someoneElse000", row.at("maker_nick").as_string()));
        BOOST_CHECK_EQUAL(toHex(*bondScriptPubKey(*proof)), row.at("derived").at("scriptPubKey").as_string());
        BOOST_CHECK_EQUAL(*serializeBondProof(*proof), row.at("proof_base64").as_string());
        bool ascii = row.at("cert_msg_form").as_string() == "ascii";
        BOOST_CHECK_EQUAL(toHex(bondCertificateMessage(proof->cert_pub, proof->cert_expiry, ascii)),
                          row.at("cert_msg_hex").as_string());
    }
}

BOOST_AUTO_TEST_CASE(invalid_proofs_fail_with_the_reference_reason) {
    auto v = jm::test::loadVectors("jm_fidelity_bond_proofs.json");
    for (const auto& row : v.at("invalid").as_array()) {
        std::string reason(row.at("reference_error").as_string());
        auto proof = parseBondProof(row.at("proof_base64").as_string());
        std::string got;
        if (!proof)
            got = proof.error().message;
        else if (auto r = verifyBondProof(*proof, row.at("taker_nick").as_string(), row.at("maker_nick").as_string());
                 !r)
            got = r.error().message;
        BOOST_CHECK_MESSAGE(got == reason, row.at("name").as_string()
                                               << ": got '" << got << "', expected '" << reason << "'");
    }
    for (const auto& row : v.at("signature_only_valid").as_array()) {
        auto proof = parseBondProof(row.at("proof_base64").as_string());
        BOOST_REQUIRE(proof);
        BOOST_CHECK_EQUAL(static_cast<bool>(verifyBondProof(*proof, row.at("taker_nick").as_string(),
                                                            row.at("maker_nick").as_string())),
                          row.at("expected_signatures_valid").as_bool());
    }
}

BOOST_AUTO_TEST_CASE(created_proofs_are_byte_identical) {
    auto v = jm::test::loadVectors("jm_fidelity_bond_proofs.json");
    for (const auto& row : v.at("computed").as_array()) {
        auto utxo_key = PrivateKey::fromBytes(*fromHex(row.at("utxo_private_key").as_string()));
        auto cert_key = PrivateKey::fromBytes(*fromHex(row.at("cert_private_key").as_string()));
        const auto& parsed = row.at("parsed");
        auto txid = *fromHex(parsed.at("txid").as_string());
        Hash256 txid_display;
        std::copy(txid.begin(), txid.end(), txid_display.begin());
        auto proof =
            createBondProof(*utxo_key, *cert_key, static_cast<std::uint16_t>(parsed.at("cert_expiry").as_int64()),
                            row.at("taker_nick").as_string(), row.at("maker_nick").as_string(), txid_display,
                            static_cast<std::uint32_t>(parsed.at("vout").as_int64()),
                            static_cast<std::uint32_t>(parsed.at("locktime").as_int64()));
        BOOST_CHECK_EQUAL(toHex(proof.nick_sig), row.at("nick_sig").as_string());
        if (row.at("cert_msg_form").as_string() == "binary") {
            BOOST_CHECK_EQUAL(toHex(proof.cert_sig), row.at("cert_sig").as_string());
            BOOST_CHECK_EQUAL(*serializeBondProof(proof), row.at("proof_base64").as_string());
        }
        auto back = parseBondProof(row.at("proof_base64").as_string());
        BOOST_REQUIRE(back);
        BOOST_CHECK(verifyBondProof(*back, row.at("taker_nick").as_string(), row.at("maker_nick").as_string()));
    }
}

BOOST_AUTO_TEST_CASE(bond_values) {
    // protocol.md 10.4 examples: 1 BTC confirmed 2023-01-01 (1672531200).
    const std::int64_t btc = 100'000'000, confirmed = 1672531200;
    BOOST_CHECK_CLOSE(bondValue(btc, confirmed, 1704067200, confirmed), 1.0784016e8, 1e-4);  // locked until 2024-01-01
    BOOST_CHECK_CLOSE(bondValue(btc, confirmed, 1767225600, confirmed), 4.5927266e8, 1e-4);  // until 2026-01-01
    BOOST_CHECK_CLOSE(bondValue(btc, confirmed, 1767225600, 1769904000), 4.4282088e8, 1e-4); // a month after expiry
    BOOST_CHECK_EQUAL(bondValue(btc, confirmed, 1704067200, 1767225600), 0.0); // 1-year bond, 2 years later
}

BOOST_AUTO_TEST_CASE(utxo_strings) {
    std::string txid = "84c88fafe0bb75f507fe3bfb29a93d10b2e80c15a63b2943c1a5fecb5a55cba2";
    auto legacy = parseUtxoString(txid + ":3");
    BOOST_REQUIRE(legacy);
    BOOST_CHECK(!legacy->extended());
    BOOST_CHECK_EQUAL(formatUtxoString(*legacy), txid + ":3");
    auto ext = parseUtxoString(txid + ":0:0014aabbccddeeff00112233445566778899aabbccdd:812345");
    BOOST_REQUIRE(ext);
    BOOST_CHECK(ext->extended());
    BOOST_CHECK_EQUAL(*ext->height, 812345);
    BOOST_CHECK_EQUAL(formatUtxoString(*ext, true), txid + ":0:0014aabbccddeeff00112233445566778899aabbccdd:812345");
    BOOST_CHECK_EQUAL(formatUtxoString(*ext, false), txid + ":0"); // never extended to REF peers
    for (const std::string& bad : std::vector<std::string>{
             "", txid, txid + ":", txid + ":x", txid + ":01", txid.substr(1) + ":0", txid + ":0:zz:1",
             txid + ":0:00:", txid + ":0:00", txid + ":0:00:1:2", txid + ":4294967296"})
        BOOST_CHECK_MESSAGE(!parseUtxoString(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
