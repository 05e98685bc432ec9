#include <jm/bitcoin/encoding.hpp>
#include <jm/wallet/seed_vault.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::wallet;

BOOST_AUTO_TEST_SUITE(seed_vault_tests)

BOOST_AUTO_TEST_CASE(round_trip_wrong_password_and_corruption) {
    WalletSecrets secrets;
    secrets.entropy = jm::bitcoin::SecretBytes(jm::bitcoin::Bytes(16, 7));
    secrets.passphrase = "extension words";
    auto blob = sealSecrets(secrets, "hunter2", KdfStrength::Interactive);
    BOOST_REQUIRE(!blob.empty());
    // The plaintext never appears in the blob.
    std::string text(blob.begin(), blob.end());
    BOOST_CHECK_EQUAL(text.find("extension words"), std::string::npos);

    auto opened = openSecrets(blob, "hunter2");
    BOOST_REQUIRE(opened);
    BOOST_CHECK(opened->entropy == secrets.entropy);
    BOOST_CHECK_EQUAL(opened->passphrase, "extension words");

    auto wrong = openSecrets(blob, "hunter3");
    BOOST_REQUIRE(!wrong);
    BOOST_CHECK(wrong.error().code == jm::sdk::errc::wrong_password);

    auto flipped = blob;
    flipped.back() ^= 1; // damage inside the box is indistinguishable from a wrong password
    BOOST_CHECK(!openSecrets(flipped, "hunter2"));
    auto truncated = jm::bitcoin::Bytes(blob.begin(), blob.begin() + 20);
    auto t = openSecrets(truncated, "hunter2");
    BOOST_REQUIRE(!t);
    BOOST_CHECK(t.error().code == jm::sdk::errc::corrupt_data);
    auto newer = blob;
    newer[3] = '2';
    BOOST_CHECK(openSecrets(newer, "hunter2").error().code == jm::sdk::errc::unsupported);
    auto limits = blob;
    limits[11] = 0xff; // absurd opslimit
    BOOST_CHECK(openSecrets(limits, "hunter2").error().code == jm::sdk::errc::corrupt_data);
    // Two seals of the same secret differ (random salt and nonce).
    BOOST_CHECK(sealSecrets(secrets, "hunter2", KdfStrength::Interactive) != blob);
}

BOOST_AUTO_TEST_SUITE_END()
