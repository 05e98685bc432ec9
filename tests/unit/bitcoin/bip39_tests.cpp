#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(bip39_tests)

BOOST_AUTO_TEST_CASE(word_list_matches_the_bip) {
    auto v = jm::test::loadVectors("bip39_english_wordlist.json");
    const auto& words = v.at("words").as_array();
    BOOST_REQUIRE_EQUAL(words.size(), 2048u);
    for (std::size_t i = 0; i < words.size(); ++i)
        BOOST_REQUIRE_EQUAL(bip39EnglishWords()[i], words[i].as_string());
}

BOOST_AUTO_TEST_CASE(trezor_vectors) {
    auto v = jm::test::loadVectors("bip39.json");
    for (const auto& row : v.at("vectors").as_array()) {
        auto entropy = *fromHex(row.at("entropy").as_string());
        std::string mnemonic(row.at("mnemonic").as_string());
        BOOST_CHECK_EQUAL(*entropyToMnemonic(entropy), mnemonic);
        auto back = mnemonicToEntropy(mnemonic);
        BOOST_REQUIRE(back);
        BOOST_CHECK_EQUAL(toHex(back->view()), row.at("entropy").as_string());
        auto seed = mnemonicToSeed(mnemonic, row.at("passphrase").as_string());
        BOOST_CHECK_EQUAL(toHex(seed.view()), row.at("seed").as_string());
        BOOST_CHECK_EQUAL(ExtendedKey::fromSeed(seed.view())->toString(Network::Mainnet, true),
                          row.at("xprv").as_string());
    }
}

BOOST_AUTO_TEST_CASE(errors_name_the_problem) {
    std::string twelve =
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    BOOST_CHECK(mnemonicToEntropy(twelve));
    BOOST_CHECK(mnemonicToEntropy(
        "  abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about "));
    auto bad_word = mnemonicToEntropy(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandn about");
    BOOST_REQUIRE(!bad_word);
    BOOST_CHECK_NE(bad_word.error().message.find("word 11 is not in the BIP39 English list"), std::string::npos);
    auto checksum = mnemonicToEntropy(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon");
    BOOST_REQUIRE(!checksum);
    BOOST_CHECK_NE(checksum.error().message.find("checksum"), std::string::npos);
    auto count = mnemonicToEntropy("abandon abandon about");
    BOOST_REQUIRE(!count);
    BOOST_CHECK_NE(count.error().message.find("12, 15, 18, 21 or 24 words"), std::string::npos);
    BOOST_CHECK(!mnemonicToEntropy(""));
    BOOST_CHECK(!mnemonicToEntropy(
        "Abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"));
    BOOST_CHECK(!entropyToMnemonic(Bytes(15, 0)));
}

BOOST_AUTO_TEST_SUITE_END()
