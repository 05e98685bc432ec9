#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bech32.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace jm::bitcoin;

namespace {
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}
} // namespace

BOOST_AUTO_TEST_SUITE(bech32_tests)

BOOST_AUTO_TEST_CASE(bip173_and_bip350_strings) {
    auto v = jm::test::loadVectors("bech32.json");
    for (auto [key, variant] :
         {std::pair{"bech32_valid", Bech32Variant::Bech32}, std::pair{"bech32m_valid", Bech32Variant::Bech32m}}) {
        for (const auto& s : v.at(key).as_array()) {
            std::string text(s.as_string());
            auto d = bech32Decode(text);
            BOOST_REQUIRE_MESSAGE(d, text << ": " << d.error().message);
            BOOST_CHECK(d->variant == variant);
            BOOST_CHECK_EQUAL(bech32Encode(variant, d->hrp, d->data), lower(text));
        }
    }
    for (auto key : {"bech32_invalid", "bech32m_invalid"}) {
        auto expected = std::string(key) == "bech32_invalid" ? Bech32Variant::Bech32 : Bech32Variant::Bech32m;
        for (const auto& row : v.at(key).as_array()) {
            std::string text(row.at("string").as_string());
            auto d = bech32Decode(text);
            // Invalid for this variant: either rejected or decoded as the other variant.
            BOOST_CHECK_MESSAGE(!d || d->variant != expected,
                                text << " (" << row.at("reason").as_string() << ") accepted");
        }
    }
}

BOOST_AUTO_TEST_CASE(segwit_addresses) {
    auto v = jm::test::loadVectors("bech32.json");
    for (const auto& row : v.at("segwit_addresses_valid").as_array()) {
        std::string address(row.at("address").as_string()), hrp(row.at("hrp").as_string());
        auto wp = decodeSegwitAddress(hrp, address);
        BOOST_REQUIRE_MESSAGE(wp, address << ": " << wp.error().message);
        BOOST_CHECK_EQUAL(wp->version, row.at("witness_version").as_int64());
        BOOST_CHECK_EQUAL(toHex(wp->program), row.at("witness_program").as_string());
        BOOST_CHECK_EQUAL(*encodeSegwitAddress(hrp, *wp), lower(address));
        // The scriptPubKey through the address API, for the networks we know.
        for (auto net : {Network::Mainnet, Network::Testnet, Network::Regtest}) {
            if (params(net).bech32_hrp != hrp) continue;
            auto script = addressToScript(address, net);
            BOOST_REQUIRE(script);
            BOOST_CHECK_EQUAL(toHex(*script), row.at("scriptPubKey").as_string());
            BOOST_CHECK_EQUAL(*scriptToAddress(*script, net), lower(address));
        }
    }
    for (auto key : {"segwit_addresses_invalid", "bip173_segwit_addresses_invalid", "bip173_addresses_superseded"}) {
        for (const auto& row : v.at(key).as_array()) {
            std::string address(row.at("address").as_string());
            for (auto hrp : {"bc", "tb", "bcrt"})
                BOOST_CHECK_MESSAGE(!decodeSegwitAddress(hrp, address), address << " accepted for " << hrp);
        }
    }
}

BOOST_AUTO_TEST_CASE(base58_addresses_and_network_errors) {
    auto s = addressToScript("1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs", Network::Mainnet);
    BOOST_REQUIRE(s);
    BOOST_CHECK(classifyScript(*s) == ScriptType::P2PKH);
    auto wrong = addressToScript("1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs", Network::Regtest);
    BOOST_REQUIRE(!wrong);
    BOOST_CHECK_NE(wrong.error().message.find("not a regtest address"), std::string::npos);
    auto other = addressToScript("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Network::Regtest);
    BOOST_REQUIRE(!other);
    BOOST_CHECK_NE(other.error().message.find("is for mainnet"), std::string::npos);
    BOOST_CHECK(!scriptToAddress(*fromHex("6a0401020304"), Network::Mainnet)); // OP_RETURN has no address
}

BOOST_AUTO_TEST_SUITE_END()
