// A jmnode taker (`jmnode coinjoin send`) completes CoinJoins with unmodified reference makers
// (yg-privacyenhanced.py, joinmarket-clientserver 0.9.12) through a reference directory, and
// with a mix of reference and jmnode makers through a jmnode directory: a payment pays the
// destination exactly and a sweep empties the mixdepth; every transaction confirms on a real
// Bitcoin Core. Needs the reference install ($JMREF_HOME) and Bitcoin Core; without them: a
// SKIPPED line and exit 77.
#include "jmnode_directory.hpp"
#include "jmnode_maker.hpp"
#include "jmnode_taker.hpp"
#include "network_fixture.hpp"
#include "reference_network.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>

using namespace jm::test;
using namespace jm::test::interop;

namespace {

BOOST_TEST_GLOBAL_FIXTURE(SkipWithoutReference);

constexpr std::int64_t AMOUNT = 30'000'000;
const std::vector<Funding> TAKER_FUNDING{{0, 60'000'000}, {0, 25'000'000}, {1, 40'000'000}};

std::string tail(const std::string& text) { return text.size() > 8000 ? text.substr(text.size() - 8000) : text; }

//! The CoinJoin `txid` confirms and pays `destination` exactly `amount` (with `makers` more
//! outputs of the same amount); returns the transaction as Core decodes it.
boost::json::object requireConfirmedCoinjoin(ReferenceNetwork& network, const std::string& txid,
                                             const std::string& destination, std::int64_t amount, int makers) {
    BOOST_REQUIRE_GE(network.confirm(txid), 1);
    // The destination is the miner wallet's, so that wallet decodes the transaction (no txindex).
    auto tx = network.core().cliJson({"gettransaction", txid, "true", "true"}, "miner").at("decoded").as_object();
    int equal = 0;
    bool paid = false;
    for (const auto& out : tx.at("vout").as_array()) {
        auto sats = std::llround(out.at("value").to_number<double>() * 1e8);
        if (sats != amount) continue;
        ++equal;
        const auto& spk = out.at("scriptPubKey").as_object();
        paid = paid || (spk.contains("address") && spk.at("address").as_string() == destination);
    }
    BOOST_CHECK(paid);
    BOOST_CHECK_EQUAL(equal, makers + 1);
    return tx;
}

std::string newAddress(ReferenceNetwork& network) {
    return network.core().cli({"getnewaddress", "", "bech32"}, "miner");
}

} // namespace

BOOST_AUTO_TEST_SUITE(taker_interop)

BOOST_FIXTURE_TEST_CASE(a_jmnode_taker_pays_and_sweeps_with_reference_makers_through_a_reference_directory,
                        NetworkFixture) {
    auto dir = network.startDirectory();
    auto makers = network.startMakers(2, {dir});
    JmnodeTaker taker(network, {dir}, TAKER_FUNDING);

    auto destination = newAddress(network);
    auto paid = taker.send(0, AMOUNT, destination, 2);
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0 && paid.result.contains("txid"), "jmnode coinjoin send failed:\n"
                                                                                   << tail(paid.output) << "\n"
                                                                                   << network.logs());
    auto txid = std::string(paid.result.at("txid").as_string());
    std::printf("payment %s with 2 reference makers: %.1f s\n", txid.c_str(), paid.seconds);
    requireConfirmedCoinjoin(network, txid, destination, AMOUNT, 2);
    // Reference makers update their coins a few seconds after a block (a polling loop): until
    // then they would offer coins the first CoinJoin spent, and the taker would rightly drop
    // them.
    for (auto* maker : makers)
        BOOST_REQUIRE_MESSAGE(maker->process().waitForOutput("tx in a block: " + txid, std::chrono::seconds(60)),
                              maker->name() << " never saw the CoinJoin confirm");

    // The sweep of mixdepth 1: one CoinJoin output of everything less the fees, no change.
    auto sweep_to = newAddress(network);
    auto swept = taker.send(1, 0, sweep_to, 2);
    BOOST_REQUIRE_MESSAGE(swept.exit_code == 0 && swept.result.contains("txid"), "sweep failed:\n"
                                                                                     << tail(swept.output) << "\n"
                                                                                     << network.logs());
    auto cj_amount = swept.result.at("cj_amount").to_number<std::int64_t>();
    requireConfirmedCoinjoin(network, std::string(swept.result.at("txid").as_string()), sweep_to, cj_amount, 2);
    auto total_cost = swept.result.at("total_cost").to_number<std::int64_t>();
    BOOST_CHECK_EQUAL(cj_amount + total_cost, 40'000'000);
    auto info = taker.wallet({"sync"});
    BOOST_CHECK_EQUAL(info.at("mixdepths").as_array().at(1).at("confirmed").to_number<std::int64_t>(), 0);
}

BOOST_FIXTURE_TEST_CASE(a_jmnode_taker_coinjoins_with_reference_and_jmnode_makers_through_a_jmnode_directory,
                        NetworkFixture) {
    JmnodeDirectory directory;
    directory.start();
    network.startMakers(1, {directory.location()});
    JmnodeMaker maker(network, {directory.location()}, {{0, 100'000'000}, {1, 50'000'000}});
    maker.start();
    BOOST_REQUIRE(directory.waitForPeers(2, std::chrono::seconds(10)));
    JmnodeTaker taker(network, {directory.location()}, TAKER_FUNDING);
    auto destination = newAddress(network);
    auto paid = taker.send(0, AMOUNT, destination, 2);
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0 && paid.result.contains("txid"), "jmnode coinjoin send failed:\n"
                                                                                   << tail(paid.output)
                                                                                   << "\n--- jmnode maker ---\n"
                                                                                   << tail(maker.output()) << "\n"
                                                                                   << network.logs());
    std::printf("payment %s with a reference and a jmnode maker: %.1f s\n",
                std::string(paid.result.at("txid").as_string()).c_str(), paid.seconds);
    requireConfirmedCoinjoin(network, std::string(paid.result.at("txid").as_string()), destination, AMOUNT, 2);
}

// Reference makers in testing mode serve 127.0.0.1:PORT (regtest_count) and announce it; the
// reference directory tells the taker that location after relaying the maker's first private
// message. The jmnode taker in plain-TCP mode dials it, and the CoinJoin's later private
// messages go over the direct connections.
BOOST_FIXTURE_TEST_CASE(a_jmnode_taker_connects_directly_to_reference_makers, NetworkFixture) {
    auto dir = network.startDirectory();
    auto makers = network.startMakers(2, {dir});
    JmnodeTaker taker(network, {dir}, TAKER_FUNDING, "\"direct_connections\": \"tcp\"");
    auto destination = newAddress(network);
    auto paid = taker.send(0, AMOUNT, destination, 2);
    BOOST_REQUIRE_MESSAGE(paid.exit_code == 0 && paid.result.contains("txid"), "jmnode coinjoin send failed:\n"
                                                                                   << tail(paid.output) << "\n"
                                                                                   << network.logs());
    requireConfirmedCoinjoin(network, std::string(paid.result.at("txid").as_string()), destination, AMOUNT, 2);
    BOOST_CHECK_MESSAGE(paid.output.find("went over 2 direct connection(s)") != std::string::npos, tail(paid.output));
    // Each reference maker took an inbound connection (its log line for a new inbound peer).
    for (auto* maker : makers)
        BOOST_CHECK_MESSAGE(maker->process().output().find("Updating status of peer: 127.0.0.1:") != std::string::npos,
                            maker->name() << " took no direct connection:\n"
                                          << tail(maker->process().output()));
}

BOOST_AUTO_TEST_SUITE_END()
