// BIP84 and the JoinMarket wallet layout (m/84'/coin'/mixdepth'/branch/index) from the vector
// files: keys, WIFs, scripts and addresses on mainnet and regtest.
#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::bitcoin;

BOOST_AUTO_TEST_SUITE(wallet_derivation_tests)

BOOST_AUTO_TEST_CASE(bip84_vectors) {
    auto v = jm::test::loadVectors("bip84.json");
    auto seed = mnemonicToSeed(v.at("mnemonic").as_string(), v.at("passphrase").as_string()).value();
    BOOST_CHECK_EQUAL(toHex(seed.view()), v.at("computed_seed").as_string());
    auto root = *ExtendedKey::fromSeed(seed.view());
    BOOST_CHECK_EQUAL(root.toString(Network::Mainnet, true), v.at("computed_root_xprv").as_string());
    BOOST_CHECK_EQUAL(root.toString(Network::Mainnet, false), v.at("computed_root_xpub").as_string());
    for (const auto& row : v.at("addresses").as_array()) {
        auto key = root.derivePath(*parseDerivationPath(row.at("path").as_string()));
        BOOST_REQUIRE(key);
        BOOST_CHECK_EQUAL(toHex(key->publicKey().compressed()), row.at("pubkey").as_string());
        BOOST_CHECK_EQUAL(toHex(key->privateKey().bytes().view()), row.at("private_key_hex").as_string());
        BOOST_CHECK_EQUAL(key->privateKey().toWif(Network::Mainnet), row.at("privkey_wif").as_string());
        auto script = p2wpkhScript(key->publicKey());
        BOOST_CHECK_EQUAL(toHex(script), row.at("scriptPubKey").as_string());
        BOOST_CHECK_EQUAL(*scriptToAddress(script, Network::Mainnet), row.at("address").as_string());
    }
}

BOOST_AUTO_TEST_CASE(joinmarket_wallet_vectors) {
    auto v = jm::test::loadVectors("jm_wallet.json");
    auto entropy = *fromHex(v.at("entropy").as_string());
    auto mnemonic = *entropyToMnemonic(entropy);
    BOOST_CHECK_EQUAL(mnemonic, v.at("mnemonic").as_string());
    auto seed = mnemonicToSeed(mnemonic, "").value();
    BOOST_CHECK_EQUAL(toHex(seed.view()), v.at("seed").as_string());
    auto root = *ExtendedKey::fromSeed(seed.view());
    BOOST_CHECK_EQUAL(root.toString(Network::Mainnet, true), v.at("root_xprv_mainnet").as_string());
    BOOST_CHECK_EQUAL(root.toString(Network::Regtest, true), v.at("root_tprv_testnet").as_string());
    std::size_t checked = 0;
    for (const auto& row : v.at("addresses").as_array()) {
        for (auto [net_key, net] : {std::pair{"regtest", Network::Regtest}, std::pair{"mainnet", Network::Mainnet}}) {
            const auto& r = row.at(net_key).as_object();
            auto key = root.derivePath(*parseDerivationPath(r.at("path").as_string()));
            BOOST_REQUIRE(key);
            BOOST_CHECK_EQUAL(toHex(key->publicKey().compressed()), r.at("pubkey").as_string());
            BOOST_CHECK_EQUAL(key->privateKey().toWif(net), r.at("wif").as_string());
            auto script = p2wpkhScript(key->publicKey());
            BOOST_CHECK_EQUAL(toHex(script), r.at("scriptPubKey").as_string());
            BOOST_CHECK_EQUAL(*scriptToAddress(script, net), r.at("address").as_string());
            BOOST_CHECK(*addressToScript(r.at("address").as_string(), net) == script);
            if (r.contains("address_testnet_signet"))
                BOOST_CHECK_EQUAL(*scriptToAddress(script, Network::Signet),
                                  r.at("address_testnet_signet").as_string());
            ++checked;
        }
    }
    BOOST_CHECK_EQUAL(checked, 60u);
    for (const auto& acct : v.at("mixdepth_accounts").as_array()) {
        auto reg = root.derivePath(*parseDerivationPath(acct.at("regtest_path").as_string()));
        BOOST_CHECK_EQUAL(reg->toString(Network::Regtest, false), acct.at("regtest_tpub").as_string());
        BOOST_CHECK_EQUAL(reg->toString(Network::Regtest, true), acct.at("regtest_tprv").as_string());
        auto main = root.derivePath(*parseDerivationPath(acct.at("mainnet_path").as_string()));
        BOOST_CHECK_EQUAL(main->toString(Network::Mainnet, false), acct.at("mainnet_xpub").as_string());
        BOOST_CHECK_EQUAL(main->toString(Network::Mainnet, true), acct.at("mainnet_xprv").as_string());
    }
    for (const auto& row : v.at("bip49_p2sh_p2wpkh").as_array()) {
        auto key = root.derivePath(*parseDerivationPath(row.at("path").as_string()));
        BOOST_CHECK_EQUAL(toHex(p2wpkhRedeemScript(key->publicKey())), row.at("redeemScript").as_string());
        BOOST_CHECK_EQUAL(toHex(p2shP2wpkhScript(key->publicKey())), row.at("scriptPubKey").as_string());
    }
    const auto& pp = v.at("passphrase_example").as_object();
    auto pp_seed = mnemonicToSeed(mnemonic, pp.at("passphrase").as_string()).value();
    BOOST_CHECK_EQUAL(toHex(pp_seed.view()), pp.at("seed").as_string());
}

BOOST_AUTO_TEST_SUITE_END()
