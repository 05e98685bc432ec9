#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/bitcoin/size_estimator.hpp>
#include <jm/bitcoin/transaction.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

namespace {
Bytes signedTx() {
    auto v = jm::test::loadVectors("bip143.json");
    return *fromHex(v.at("examples").as_array()[0].at("signed_tx").as_string());
}
} // namespace

BOOST_AUTO_TEST_SUITE(transaction_tests)

BOOST_AUTO_TEST_CASE(round_trip_with_and_without_witness) {
    auto raw = signedTx();
    auto tx = parseTransaction(raw);
    BOOST_REQUIRE(tx);
    BOOST_CHECK(tx->hasWitness());
    BOOST_CHECK(tx->serialize() == raw);
    auto stripped = parseTransaction(tx->serialize(false));
    BOOST_REQUIRE(stripped);
    BOOST_CHECK(!stripped->hasWitness());
    BOOST_CHECK(stripped->txid() == tx->txid());
    BOOST_CHECK(tx->wtxid() != tx->txid());
    BOOST_CHECK_EQUAL(tx->weight(), tx->serialize(false).size() * 3 + raw.size());
}

BOOST_AUTO_TEST_CASE(malformed_transactions_are_rejected) {
    auto raw = signedTx();
    for (std::size_t cut : {0ul, 3ul, 5ul, 40ul, raw.size() - 1}) {
        Bytes t(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(cut));
        BOOST_CHECK_MESSAGE(!parseTransaction(t), "truncated at " << cut);
    }
    Bytes trailing = raw;
    trailing.push_back(0);
    auto r = parseTransaction(trailing);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("trailing"), std::string::npos);
    // A huge input count must be refused without allocating for it.
    auto huge = *fromHex("01000000"
                         "ffffffffffffffff7f");
    BOOST_CHECK(!parseTransaction(huge));
    // Non-canonical compact size (0xfd encoding a value below 0xfd).
    auto noncanon = *fromHex("01000000"
                             "fd0100");
    BOOST_CHECK(!parseTransaction(noncanon));
    // Witness marker but every witness empty.
    Transaction t;
    t.inputs.resize(1);
    t.outputs.push_back({1000, *fromHex("0014" + std::string(40, '1'))});
    Bytes with_marker = t.serialize();
    with_marker.insert(with_marker.begin() + 4, {0x00, 0x01});
    with_marker.insert(with_marker.end() - 4, 0x00); // one empty witness
    auto empty = parseTransaction(with_marker);
    BOOST_REQUIRE(!empty);
    BOOST_CHECK_NE(empty.error().message.find("superfluous"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(p2wpkh_and_timelock_signing_verify) {
    auto key = PrivateKey::generate();
    Transaction tx;
    tx.inputs.resize(2);
    tx.inputs[1].sequence = 0xfffffffe;
    tx.outputs.push_back({90'000, p2wpkhScript(key.publicKey())});
    auto spk = p2wpkhScript(key.publicKey());
    BOOST_REQUIRE(signP2wpkhInput(tx, 0, key, 100'000));
    BOOST_CHECK(verifyP2wpkhInput(tx, 0, spk, 100'000));
    BOOST_CHECK(!verifyP2wpkhInput(tx, 0, spk, 100'001)); // the amount is signed

    auto ws = timelockScript(1'577'836'800, key.publicKey());
    auto bond_spk = p2wshScript(ByteView(ws));
    tx.locktime = 1'577'836'799;
    auto early = signTimelockInput(tx, 1, key, ws, 50'000);
    BOOST_REQUIRE(!early);
    BOOST_CHECK_NE(early.error().message.find("does not reach"), std::string::npos);
    tx.locktime = 1'577'836'800;
    BOOST_REQUIRE(signTimelockInput(tx, 1, key, ws, 50'000));
    BOOST_CHECK(verifyP2wshSingleKeyInput(tx, 1, bond_spk, 50'000));
    BOOST_CHECK(!verifyP2wshSingleKeyInput(tx, 1, bond_spk, 49'999));
    // Signing input 1 changed nothing input 0 signed over except its own witness.
    BOOST_CHECK(!verifyP2wpkhInput(tx, 0, spk, 100'000)); // locktime changed after signing input 0
    BOOST_REQUIRE(signP2wpkhInput(tx, 0, key, 100'000));
    BOOST_CHECK(verifyP2wpkhInput(tx, 0, spk, 100'000));
    BOOST_CHECK(!signP2wpkhInput(tx, 5, key, 1));
}

BOOST_AUTO_TEST_CASE(size_estimates_cover_real_signatures) {
    auto key = PrivateKey::generate();
    Transaction tx;
    tx.inputs.resize(3);
    for (int i = 0; i < 3; ++i)
        tx.outputs.push_back({1000, p2wpkhScript(key.publicKey())});
    for (std::size_t i = 0; i < 3; ++i)
        BOOST_REQUIRE(signP2wpkhInput(tx, i, key, 5000));
    auto estimate = estimateVsize({3, InputType::P2WPKH}, {3, ScriptType::P2WPKH});
    BOOST_CHECK_GE(estimate, tx.vsize());
    BOOST_CHECK_LE(estimate, tx.vsize() + 3);                   // at most a byte per input of slack
    BOOST_CHECK_EQUAL(inputWeight(InputType::P2PKH), 149u * 4); // 148 with a 71-byte signature; we assume 72
    BOOST_CHECK_EQUAL(outputWeight(ScriptType::P2WPKH), 31u * 4);
}

BOOST_AUTO_TEST_SUITE_END()
