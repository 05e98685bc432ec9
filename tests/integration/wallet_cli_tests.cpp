// `jmnode wallet ...` as a user runs it, secrets on stdin (--password-fd 0), never in argv.
#include <util/process.hpp>
#include <util/setup.hpp>
#include <util/vectors.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>

namespace {

struct WalletCli {
    jm::test::TempDir dir;
    jm::test::ProcessResult run(std::vector<std::string> args, const std::string& input) {
        args.insert(args.begin(), {(jm::test::binDir() / "jmnode").string(), "wallet"});
        for (auto extra : {"--datadir", "DIR", "--network", "regtest", "--password-fd", "0"})
            args.push_back(std::string(extra) == "DIR" ? (dir.path() / "data").string() : extra);
        return jm::test::runProcess(args, std::chrono::seconds(60), {}, input);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(wallet_cli_tests)

BOOST_AUTO_TEST_CASE(recover_shows_the_vector_addresses_and_hands_out_new_ones) {
    auto v = jm::test::loadVectors("jm_wallet.json");
    std::string mnemonic(v.at("mnemonic").as_string());
    WalletCli cli;
    auto r = cli.run({"recover", "--kdf", "interactive"}, mnemonic + "\npw\npw\n");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_EQUAL(r.out.find(mnemonic), std::string::npos); // recover never echoes the words

    auto xpubs = cli.run({"xpubs", "--json"}, "pw\n");
    BOOST_REQUIRE_EQUAL(xpubs.exit_code, 0);
    auto list = boost::json::parse(xpubs.out).as_array();
    BOOST_REQUIRE_EQUAL(list.size(), 5u);
    BOOST_CHECK_EQUAL(list[0].at("xpub").as_string(),
                      v.at("mixdepth_accounts").as_array()[0].at("regtest_tpub").as_string());

    auto first = cli.run({"addresses", "--json", "--mixdepth", "0"}, "pw\n");
    BOOST_REQUIRE_EQUAL(first.exit_code, 0);
    auto a = boost::json::parse(first.out).as_array();
    BOOST_CHECK_EQUAL(a[0].at("address").as_string(),
                      v.at("addresses").as_array()[0].at("regtest").at("address").as_string());
    auto second = cli.run({"addresses", "--json", "--mixdepth", "0"}, "pw\n");
    auto b = boost::json::parse(second.out).as_array();
    BOOST_CHECK_EQUAL(b[0].at("index").as_int64(), 1); // the first one is never handed out again
    BOOST_CHECK_EQUAL(b[0].at("address").as_string(),
                      v.at("addresses").as_array()[1].at("regtest").at("address").as_string());

    auto bond = cli.run({"bond-address", "--locktime", "2020-01", "--json"}, "pw\n");
    BOOST_REQUIRE_EQUAL(bond.exit_code, 0);
    auto bonds = jm::test::loadVectors("jm_fidelity_bond_addresses.json");
    BOOST_CHECK_EQUAL(boost::json::parse(bond.out).at("address").as_string(),
                      bonds.at("bonds").as_array()[0].at("address").as_string());
}

BOOST_AUTO_TEST_CASE(create_needs_confirmation_and_matching_passwords) {
    WalletCli cli;
    auto unconfirmed = cli.run({"create", "--kdf", "interactive"}, "no\n");
    BOOST_CHECK_EQUAL(unconfirmed.exit_code, 1);
    BOOST_CHECK_NE(unconfirmed.err.find("no wallet was created"), std::string::npos);
    auto mismatch = cli.run({"create", "--kdf", "interactive"}, "yes\npw\npx\n");
    BOOST_CHECK_NE(mismatch.exit_code, 0);
    BOOST_CHECK_NE(mismatch.err.find("differ"), std::string::npos);
    auto created = cli.run({"create", "--kdf", "interactive", "--words", "24", "--json"}, "yes\npw\npw\n");
    BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    auto words =
        std::string(boost::json::parse(created.out.substr(0, created.out.find('\n'))).at("mnemonic").as_string());
    BOOST_CHECK_EQUAL(std::count(words.begin(), words.end(), ' '), 23);
    auto again = cli.run({"create", "--kdf", "interactive"}, "yes\npw\npw\n");
    BOOST_CHECK_EQUAL(again.exit_code, 1);
    BOOST_CHECK_NE(again.err.find("already exists"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_create_options_are_refused_before_any_words_are_shown) {
    // A typo in --kdf must not silently pick a KDF, and a bad --mixdepths must not be found out
    // after the user wrote down words of a wallet that is then never created.
    WalletCli cli;
    for (const std::vector<std::string>& args : {std::vector<std::string>{"create", "--kdf", "interactiv"},
                                                 std::vector<std::string>{"create", "--mixdepths", "0"},
                                                 std::vector<std::string>{"create", "--mixdepths", "33"},
                                                 std::vector<std::string>{"recover", "--kdf", "hunter2"},
                                                 std::vector<std::string>{"recover", "--mixdepths", "100000"}}) {
        auto r = cli.run(args, "yes\npw\npw\n");
        BOOST_CHECK_EQUAL(r.exit_code, 2);
        BOOST_CHECK_NE(r.err.find("error: --" + args[1].substr(2)), std::string::npos);
        BOOST_CHECK_EQUAL(r.out, "");                                          // no recovery words
        BOOST_CHECK(!std::filesystem::exists(cli.dir.path() / "data" / "db")); // nothing created
    }
}

BOOST_AUTO_TEST_CASE(wrong_password_change_password_and_errors) {
    WalletCli cli;
    BOOST_REQUIRE_EQUAL(cli.run({"create", "--kdf", "interactive", "--yes"}, "old\nold\n").exit_code, 0);
    auto wrong = cli.run({"xpubs"}, "nope\n");
    BOOST_CHECK_EQUAL(wrong.exit_code, 1);
    BOOST_CHECK_NE(wrong.err.find("wrong wallet password"), std::string::npos);
    BOOST_CHECK_EQUAL(cli.run({"change-password"}, "old\nnew\nnew\n").exit_code, 0);
    BOOST_CHECK_EQUAL(cli.run({"xpubs"}, "old\n").exit_code, 1);
    BOOST_CHECK_EQUAL(cli.run({"xpubs"}, "new\n").exit_code, 0);
    auto bad_month = cli.run({"bond-address", "--locktime", "2019-05"}, "new\n");
    BOOST_CHECK_EQUAL(bad_month.exit_code, 2);
    BOOST_CHECK_NE(bad_month.err.find("2020-01 to 2099-12"), std::string::npos);
    auto bad_words = cli.run({"recover"}, "abandon abandon about\n");
    BOOST_CHECK_EQUAL(bad_words.exit_code, 2);
    BOOST_CHECK_NE(bad_words.err.find("12, 15, 18, 21 or 24 words"), std::string::npos);
    auto no_input = cli.run({"xpubs"}, "");
    BOOST_CHECK_NE(no_input.exit_code, 0);
}

BOOST_AUTO_TEST_CASE(refuses_while_a_node_uses_the_data_directory) {
    WalletCli cli;
    // Hold the lock with a helper that keeps running: a wallet command started meanwhile.
    auto helper = (jm::test::binDir() / "jm_wallet_reveal").string();
    std::filesystem::create_directories(cli.dir.path() / "data");
    jm::test::ChildProcess holder({helper, (cli.dir.path() / "data").string()});
    BOOST_REQUIRE(holder.waitForOutput("revealed", std::chrono::seconds(60)));
    auto r = cli.run({"xpubs"}, "pw\n");
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK_NE(r.err.find("in use by another jmnode"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
