#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(bip32_tests)

BOOST_AUTO_TEST_CASE(derivation_vectors) {
    auto v = jm::test::loadVectors("bip32.json");
    std::size_t chains = 0;
    for (const auto& vec : v.at("vectors").as_array()) {
        auto seed = *fromHex(vec.at("seed").as_string());
        auto master = ExtendedKey::fromSeed(seed);
        BOOST_REQUIRE(master);
        for (const auto& chain : vec.at("chains").as_array()) {
            std::string path(chain.at("path").as_string());
            auto steps = parseDerivationPath(path);
            BOOST_REQUIRE_MESSAGE(steps, path);
            auto key = master->derivePath(*steps);
            BOOST_REQUIRE(key);
            BOOST_CHECK_EQUAL(key->toString(Network::Mainnet, true), chain.at("xprv").as_string());
            BOOST_CHECK_EQUAL(key->toString(Network::Mainnet, false), chain.at("xpub").as_string());
            // Parse back both forms.
            auto xprv = ExtendedKey::parse(chain.at("xprv").as_string());
            BOOST_REQUIRE(xprv);
            BOOST_CHECK(xprv->isPrivate());
            BOOST_CHECK_EQUAL(xprv->toString(Network::Mainnet, true), chain.at("xprv").as_string());
            auto xpub = ExtendedKey::parse(chain.at("xpub").as_string());
            BOOST_REQUIRE(xpub);
            BOOST_CHECK(!xpub->isPrivate());
            // Public derivation of a non-hardened last step agrees with private derivation.
            if (!steps->empty() && steps->back() < HARDENED) {
                std::vector<std::uint32_t> parent_path(steps->begin(), steps->end() - 1);
                auto parent = master->derivePath(parent_path)->neuter();
                BOOST_CHECK_EQUAL(parent.derive(steps->back())->toString(Network::Mainnet, false),
                                  chain.at("xpub").as_string());
            }
            ++chains;
        }
    }
    BOOST_CHECK_EQUAL(chains, 17u);
}

BOOST_AUTO_TEST_CASE(invalid_keys_are_rejected) {
    auto v = jm::test::loadVectors("bip32.json");
    for (const auto& row : v.at("invalid_keys").as_array()) {
        auto r = ExtendedKey::parse(row.at("key").as_string());
        BOOST_CHECK_MESSAGE(!r, row.at("reason").as_string() << " was accepted");
    }
}

BOOST_AUTO_TEST_CASE(paths_and_public_hardened) {
    BOOST_CHECK((*parseDerivationPath("m/84'/1h/0H/2/3") ==
                 std::vector<std::uint32_t>{84 | HARDENED, 1 | HARDENED, HARDENED, 2, 3}));
    BOOST_CHECK(parseDerivationPath("m")->empty());
    for (auto bad : {"", "84'/0", "m/", "m//1", "m/x", "m/2147483648", "m/1'/"})
        BOOST_CHECK_MESSAGE(!parseDerivationPath(bad), bad);
    BOOST_CHECK_EQUAL(formatDerivationPath({84 | HARDENED, 0, 5}), "m/84'/0/5");
    auto master = *ExtendedKey::fromSeed(*fromHex("000102030405060708090a0b0c0d0e0f"));
    BOOST_CHECK(!master.neuter().derive(HARDENED));
    BOOST_CHECK(!ExtendedKey::fromSeed(Bytes(8, 1)));
}

BOOST_AUTO_TEST_SUITE_END()
