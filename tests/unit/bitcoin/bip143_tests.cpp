// Every BIP143 example: intermediate hashes, preimage, sighash, RFC 6979 signatures, and the
// signed transaction's witnesses and txid.
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/sighash.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(bip143_tests)

BOOST_AUTO_TEST_CASE(examples) {
    auto v = jm::test::loadVectors("bip143.json");
    std::size_t signatures = 0;
    for (const auto& ex : v.at("examples").as_array()) {
        std::string name(ex.at("name").as_string());
        auto tx = parseTransaction(*fromHex(ex.at("unsigned_tx").as_string()));
        BOOST_REQUIRE_MESSAGE(tx, name);
        BOOST_CHECK_EQUAL(toHex(tx->serialize()), ex.at("unsigned_tx").as_string());
        auto signed_tx = parseTransaction(*fromHex(ex.at("signed_tx").as_string()));
        BOOST_REQUIRE_MESSAGE(signed_tx, name);
        BOOST_CHECK_EQUAL(toHex(signed_tx->serialize()), ex.at("signed_tx").as_string());
        BOOST_CHECK_EQUAL(signed_tx->txidHex(), ex.at("txid").as_string());
        for (const auto& sig : ex.at("signatures").as_array()) {
            auto index = static_cast<std::size_t>(sig.at("input_index").as_int64());
            auto code_with_len = *fromHex(sig.at("scriptCode").as_string());
            // The vector's scriptCode carries its compact-size length prefix; strip it.
            Bytes length_prefix;
            std::size_t prefix = code_with_len[0] < 0xfd ? 1 : 3;
            Bytes code(code_with_len.begin() + static_cast<std::ptrdiff_t>(prefix), code_with_len.end());
            auto amount = sig.at("amount").as_int64();
            auto type = static_cast<std::uint32_t>(sig.at("hashtype").as_int64());
            auto pre = segwitSighashPreimage(*tx, index, code, amount, type);
            BOOST_REQUIRE(pre);
            BOOST_CHECK_EQUAL(toHex(*pre), sig.at("preimage").as_string());
            // The preimage's fixed layout: version(4) hashPrevouts(32) hashSequence(32) ...
            BOOST_CHECK_EQUAL(toHex(ByteView(*pre).subspan(4, 32)), sig.at("hashPrevouts").as_string());
            BOOST_CHECK_EQUAL(toHex(ByteView(*pre).subspan(36, 32)), sig.at("hashSequence").as_string());
            BOOST_CHECK_EQUAL(toHex(ByteView(*pre).subspan(pre->size() - 40, 32)), sig.at("hashOutputs").as_string());
            auto hash = segwitSighash(*tx, index, code, amount, type);
            BOOST_CHECK_EQUAL(toHex(*hash), sig.at("sighash").as_string());

            auto key = PrivateKey::fromBytes(*fromHex(sig.at("private_key").as_string()));
            BOOST_REQUIRE(key);
            BOOST_CHECK_EQUAL(toHex(key->publicKey().compressed()), sig.at("public_key").as_string());
            auto expected = *fromHex(sig.at("signature").as_string());
            Bytes der(expected.begin(), expected.end() - 1);
            BOOST_CHECK_EQUAL(expected.back(), type);
            BOOST_CHECK(key->publicKey().verifyDer(*hash, der));
            if (sig.at("signature_is_rfc6979").as_bool()) BOOST_CHECK_EQUAL(toHex(key->signDer(*hash)), toHex(der));
            // The signature appears in the signed transaction's witness of that input.
            const auto& witness = signed_tx->inputs[index].witness;
            BOOST_CHECK(std::find(witness.begin(), witness.end(), expected) != witness.end());
            ++signatures;
        }
    }
    BOOST_CHECK_EQUAL(signatures, 12u);
}

BOOST_AUTO_TEST_CASE(index_out_of_range) {
    Transaction tx;
    tx.inputs.resize(1);
    BOOST_CHECK(!segwitSighash(tx, 1, {}, 0, SIGHASH_ALL));
}

BOOST_AUTO_TEST_SUITE_END()
