// `jmnode coinjoin send|add-utxos` and `jmnode orderbook`: bad arguments and configs are refused
// with a usage error before any node starts (the full commands run against Bitcoin Core in
// tests/bitcoind/regtest_taker_tests.cpp).
#include <cli/commands.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using jm::host::EXIT_USAGE;

BOOST_AUTO_TEST_SUITE(taker_cli_tests)

BOOST_AUTO_TEST_CASE(coinjoin_send_refuses_bad_arguments) {
    const std::string absent = "/nonexistent/taker.json";
    auto send = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"--config", absent, "--mixdepth", "0", "--to", "bcrt1qxyz"};
        args.insert(args.end(), extra.begin(), extra.end());
        return jm::host::coinjoinSendCommand(args);
    };
    BOOST_CHECK_EQUAL(send({}), EXIT_USAGE);                                // neither --amount nor --sweep
    BOOST_CHECK_EQUAL(send({"--amount", "100000", "--sweep"}), EXIT_USAGE); // both
    BOOST_CHECK_EQUAL(send({"--amount", "lots"}), EXIT_USAGE);              // not a number
    BOOST_CHECK_EQUAL(send({"--amount", "100000", "--makers", "101"}), EXIT_USAGE);
    BOOST_CHECK_EQUAL(send({"--amount", "100000", "--bogus"}), EXIT_USAGE);               // unknown option
    BOOST_CHECK_EQUAL(send({"--amount", "100000"}), EXIT_USAGE);                          // the config cannot be read
    BOOST_CHECK_EQUAL(jm::host::coinjoinSendCommand({"--amount", "100000"}), EXIT_USAGE); // no --config
    BOOST_CHECK_EQUAL(jm::host::coinjoinSendCommand({"--help"}), 0);
}

BOOST_AUTO_TEST_CASE(coinjoin_send_refuses_makers_outside_the_range_its_error_names) {
    // --makers 0 must not be taken as "the default": it is refused with the same text as 101,
    // and that text names the range the check accepts.
    const std::string absent = "/nonexistent/taker.json";
    auto send = [&](const std::string& makers) {
        std::ostringstream captured;
        auto* old = std::cerr.rdbuf(captured.rdbuf());
        auto code = jm::host::coinjoinSendCommand(
            {"--config", absent, "--mixdepth", "0", "--to", "bcrt1qxyz", "--amount", "100000", "--makers", makers});
        std::cerr.rdbuf(old);
        return std::make_pair(code, captured.str());
    };
    for (const std::string bad : {"0", "-1", "101"}) {
        auto [code, err] = send(bad);
        BOOST_CHECK_EQUAL(code, EXIT_USAGE);
        BOOST_CHECK_MESSAGE(err.find("--makers must be 1..100") != std::string::npos, bad + ": " + err);
    }
    for (const std::string good : {"1", "100"}) {
        auto [code, err] = send(good);
        BOOST_CHECK_EQUAL(code, EXIT_USAGE); // the config cannot be read, which is checked next
        BOOST_CHECK_MESSAGE(err.find("--makers") == std::string::npos, good + ": " + err);
    }
}

BOOST_AUTO_TEST_CASE(orderbook_and_add_utxos_refuse_bad_arguments) {
    BOOST_CHECK_EQUAL(jm::host::orderbookCommand({"--config", "/nonexistent/taker.json"}), EXIT_USAGE);
    BOOST_CHECK_EQUAL(jm::host::orderbookCommand({}), EXIT_USAGE);
    BOOST_CHECK_EQUAL(
        jm::host::coinjoinAddUtxosCommand({"--config", "/nonexistent/taker.json", "--file", "x", "--retries", "0"}),
        EXIT_USAGE);
    BOOST_CHECK_EQUAL(
        jm::host::coinjoinAddUtxosCommand({"--config", "/nonexistent/taker.json", "--file", "/nonexistent/coins.txt"}),
        EXIT_USAGE);
}

BOOST_AUTO_TEST_SUITE_END()
