#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/nacl_box.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <array>
#include <cstring>

using namespace jm::protocol;
using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(nacl_box_tests)

BOOST_AUTO_TEST_CASE(vectors_both_directions_and_tampering) {
    auto v = jm::test::loadVectors("jm_nacl_box.json");
    for (const auto& row : v.at("vectors").as_array()) {
        std::string name(row.at("name").as_string());
        auto sender = *BoxKeyPair::fromSecret(*fromHex(row.at("sender_sk").as_string()));
        auto receiver = *BoxKeyPair::fromSecret(*fromHex(row.at("receiver_sk").as_string()));
        BOOST_CHECK_EQUAL(sender.publicKeyHex(), row.at("sender_pk").as_string());
        BOOST_CHECK_EQUAL(receiver.publicKeyHex(), row.at("receiver_pk").as_string());
        BoxSession out(sender, *parseBoxPublicKey(row.at("receiver_pk").as_string()));
        BoxSession in(receiver, *parseBoxPublicKey(row.at("sender_pk").as_string()));
        BOOST_CHECK_EQUAL(toHex(out.sharedKey().view()), row.at("shared_key_beforenm").as_string());
        BOOST_CHECK(in.sharedKey() == out.sharedKey());
        auto box =
            out.encryptWithNonce(std::string(row.at("plaintext").as_string()), *fromHex(row.at("nonce").as_string()));
        BOOST_CHECK_EQUAL(toHex(box), row.at("box_hex").as_string());
        BOOST_CHECK_EQUAL(toBase64(box), row.at("wire_base64").as_string());
        auto plain = in.decrypt(row.at("wire_base64").as_string());
        BOOST_REQUIRE_MESSAGE(plain, name << ": " << plain.error().message);
        BOOST_CHECK_EQUAL(*plain, row.at("plaintext").as_string());
        // The same box again is a replay.
        auto replay = in.decrypt(row.at("wire_base64").as_string());
        BOOST_REQUIRE(!replay);
        BOOST_CHECK_NE(replay.error().message.find("replayed"), std::string::npos);
        BoxSession fresh(receiver, *parseBoxPublicKey(row.at("sender_pk").as_string()));
        auto tampered = fresh.decryptBox(*fromHex(row.at("tampered_box_hex").as_string()));
        BOOST_REQUIRE(!tampered);
        BOOST_CHECK_NE(tampered.error().message.find("authentication"), std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(random_nonces_and_malformed_input) {
    auto a = BoxKeyPair::generate(), b = BoxKeyPair::generate(), c = BoxKeyPair::generate();
    BoxSession ab(a, b.publicKey()), ba(b, a.publicKey());
    auto w1 = ab.encrypt("same text");
    auto w2 = ab.encrypt("same text");
    BOOST_CHECK_NE(w1, w2); // fresh nonce each time
    BOOST_CHECK_EQUAL(*ba.decrypt(w1), "same text");
    BOOST_CHECK_EQUAL(*ba.decrypt(w2), "same text");
    BoxSession bc(b, c.publicKey());
    BOOST_CHECK(!bc.decrypt(ab.encrypt("for b from a"))); // wrong sender key
    BOOST_CHECK_NE(ba.decrypt("not base64!").error().message.find("not base64"), std::string::npos);
    BOOST_CHECK_NE(ba.decrypt("AAAA").error().message.find("too short"), std::string::npos);
    BOOST_CHECK(!parseBoxPublicKey("abcd"));
    BOOST_CHECK(!parseBoxPublicKey(std::string(64, 'g')));
    BOOST_CHECK(!BoxKeyPair::fromSecret(Bytes(31, 1)));
}

BOOST_AUTO_TEST_CASE(a_low_order_public_key_gives_a_session_nobody_can_use) {
    // The all-zero point is of low order: X25519 with it yields zero, which libsodium refuses.
    // A peer announcing it must not get a session keyed with a value anyone can compute.
    auto ours = BoxKeyPair::generate();
    std::array<std::uint8_t, 32> low_order{};
    BoxSession session(ours, low_order);
    const std::array<std::uint8_t, crypto_box_BEFORENMBYTES> zero_key{};
    std::array<std::uint8_t, crypto_box_NONCEBYTES> nonce{};
    nonce[0] = 7;
    const std::string forged = "!ioauth forged by whoever knows the zero key";
    Bytes box(nonce.size() + crypto_box_MACBYTES + forged.size());
    std::memcpy(box.data(), nonce.data(), nonce.size());
    crypto_box_easy_afternm(box.data() + nonce.size(), reinterpret_cast<const unsigned char*>(forged.data()),
                            forged.size(), nonce.data(), zero_key.data());
    BOOST_CHECK(!session.decryptBox(box));

    auto sent = session.encryptWithNonce("our secret", ByteView(nonce.data(), nonce.size()));
    std::string opened(sent.size() - nonce.size() - crypto_box_MACBYTES, '\0');
    BOOST_CHECK_NE(crypto_box_open_easy_afternm(reinterpret_cast<unsigned char*>(opened.data()),
                                                sent.data() + nonce.size(), sent.size() - nonce.size(),
                                                nonce.data(), zero_key.data()),
                   0);
}

BOOST_AUTO_TEST_SUITE_END()
