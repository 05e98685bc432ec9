#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

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
        BOOST_REQUIRE(seed);
        BOOST_CHECK_EQUAL(toHex(seed->view()), row.at("seed").as_string());
        BOOST_CHECK_EQUAL(ExtendedKey::fromSeed(seed->view())->toString(Network::Mainnet, true),
                          row.at("xprv").as_string());
    }
}

// Seeds computed by Python's hashlib + unicodedata (bip39_nfkd.py): non-ASCII passphrases and
// mnemonics in precomposed, decomposed and compatibility spellings.
BOOST_AUTO_TEST_CASE(non_ascii_input_is_nfkd_normalised) {
    auto v = jm::test::loadVectors("bip39_nfkd.json");
    std::map<std::string, std::set<std::string>> seeds_of_group;
    std::size_t rows = 0;
    for (const auto& row : v.at("vectors").as_array()) {
        std::string mnemonic(row.at("mnemonic").as_string()), passphrase(row.at("passphrase").as_string());
        auto seed = mnemonicToSeed(mnemonic, passphrase);
        BOOST_REQUIRE_MESSAGE(seed, row.at("group").as_string());
        BOOST_CHECK_MESSAGE(toHex(seed->view()) == row.at("seed").as_string(),
                            row.at("group").as_string() << ": " << row.at("note").as_string());
        seeds_of_group[std::string(row.at("group").as_string())].insert(toHex(seed->view()));
        ++rows;
    }
    BOOST_CHECK_GE(rows, 15u);
    for (const auto& [group, seeds] : seeds_of_group)
        BOOST_CHECK_MESSAGE(seeds.size() == 1, group << ": spellings give different seeds");
    // The same words typed with compatibility characters are the same wallet.
    for (const auto& row : v.at("vectors").as_array()) {
        std::string group(row.at("group").as_string());
        if (group != "ideographic-space" && group != "fullwidth-words") continue;
        auto entropy = mnemonicToEntropy(row.at("mnemonic").as_string());
        BOOST_REQUIRE_MESSAGE(entropy, group << ": " << entropy.error().message);
        BOOST_CHECK_EQUAL(toHex(entropy->view()), group == "ideographic-space" ? "00000000000000000000000000000000"
                                                                               : "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f");
    }
    BOOST_CHECK_EQUAL(toHex(mnemonicToEntropy("ａｂａｎｄｏｎ　abandon abandon abandon abandon abandon abandon abandon "
                                              "abandon abandon abandon about")
                                ->view()),
                      "00000000000000000000000000000000");
}

// The BIP39 Japanese vectors: words and passphrase are given un-normalised on purpose.
BOOST_AUTO_TEST_CASE(japanese_vectors) {
    auto v = jm::test::loadVectors("bip39_japanese.json");
    BOOST_REQUIRE_EQUAL(v.at("vectors").as_array().size(), 24u);
    for (const auto& row : v.at("vectors").as_array()) {
        auto seed = mnemonicToSeed(row.at("mnemonic").as_string(), row.at("passphrase").as_string());
        BOOST_REQUIRE(seed);
        BOOST_CHECK_EQUAL(toHex(seed->view()), row.at("seed").as_string());
        BOOST_CHECK_EQUAL(ExtendedKey::fromSeed(seed->view())->toString(Network::Mainnet, true),
                          row.at("xprv").as_string());
    }
}

BOOST_AUTO_TEST_CASE(text_that_is_not_utf8_is_refused) {
    std::string twelve =
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    for (std::string bad : {std::string("caf\xe9"), std::string("\xc3"), std::string("\xed\xa0\x80"),
                            std::string("\xf4\x90\x80\x80"), std::string("\xc0\xaf"), std::string("ok\xff")}) {
        auto seed = mnemonicToSeed(twelve, bad);
        BOOST_REQUIRE(!seed);
        BOOST_CHECK(seed.error().code == jm::sdk::errc::invalid_argument);
        BOOST_CHECK_NE(seed.error().message.find("passphrase is not valid UTF-8"), std::string::npos);
        auto words = mnemonicToEntropy(twelve + bad);
        BOOST_REQUIRE(!words);
        BOOST_CHECK_NE(words.error().message.find("not valid UTF-8"), std::string::npos);
    }
    BOOST_CHECK(!mnemonicToSeed(twelve + "\x80", ""));
    // An embedded NUL is text (as in Python): kept, not a terminator.
    BOOST_CHECK(mnemonicToSeed(twelve, std::string("a\0b", 3)).value() != mnemonicToSeed(twelve, "a").value());
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
    // Words pasted with tabs (or other ASCII white space) between them are the same words; a
    // tab was reported as a wrong word ("word 5 is not in the BIP39 English list").
    auto tabbed = mnemonicToEntropy(
        "abandon abandon abandon abandon\tabandon abandon abandon abandon \t abandon\vabandon\fabandon\r\nabout\t");
    BOOST_REQUIRE_MESSAGE(tabbed, tabbed.error().message);
    BOOST_CHECK(*tabbed == mnemonicToEntropy(twelve).value());
    BOOST_CHECK(!mnemonicToEntropy(""));
    BOOST_CHECK(!mnemonicToEntropy(" \t "));
    BOOST_CHECK(!mnemonicToEntropy(
        "Abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"));
    BOOST_CHECK(!entropyToMnemonic(Bytes(15, 0)));
}

BOOST_AUTO_TEST_SUITE_END()
