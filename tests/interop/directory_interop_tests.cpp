// Unmodified reference JoinMarket bots (0.9.12: yg-privacyenhanced makers, a sendpayment taker)
// complete CoinJoins through a jmnode directory, through a jmnode and a reference directory
// together, and across a jmnode directory restart; and they start up as fast through jmnode's
// directory as through the reference's. Needs the reference install ($JMREF_HOME) and Bitcoin
// Core; without them this runner prints a SKIPPED line and exits 77 (ctest: skipped).
#include "coinjoin_checks.hpp"
#include "jmnode_directory.hpp"
#include "network_fixture.hpp"
#include "reference_network.hpp"

#include <util/raw_peer.hpp>

#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

using namespace jm::test;
using namespace jm::test::interop;

namespace {

BOOST_TEST_GLOBAL_FIXTURE(SkipWithoutReference);

constexpr std::int64_t AMOUNT = 20'000'000;

//! Start-up seconds of a maker that joined while another maker was there, and of the taker.
struct StartupTimes {
    double maker = -1;
    double taker = -1;
};
std::map<std::string, StartupTimes> g_startup; // by which directory the bots used

//! One maker alone, then a second maker and a taker that join while peers are there (the case
//! that stalled reference bots for 60 s); their start-up times go into g_startup[label].
std::vector<ReferenceBot*> makersJoiningOneByOne(ReferenceNetwork& network, const std::vector<std::string>& dirs,
                                                 const std::string& label) {
    auto makers = network.startMakers(1, dirs);
    auto second = network.startMakers(1, dirs);
    makers.push_back(second.at(0));
    g_startup[label].maker = second.at(0)->startupSeconds();
    std::printf("%s: a maker joining a directory with peers started up in %.2f s\n", label.c_str(),
                g_startup[label].maker);
    return makers;
}

void recordTaker(const std::string& label, const TakerRun& run) {
    g_startup[label].taker = run.startup_seconds;
    std::printf("%s: the taker started up in %.2f s\n", label.c_str(), run.startup_seconds);
}

} // namespace

BOOST_AUTO_TEST_SUITE(directory_interop)

BOOST_FIXTURE_TEST_CASE(reference_bots_coinjoin_through_the_reference_directory, NetworkFixture) {
    // The baseline the jmnode directory is compared with.
    auto dir = network.startDirectory();
    makersJoiningOneByOne(network, {dir}, "reference directory");
    auto run = network.runTaker({dir}, AMOUNT, 2);
    recordTaker("reference directory", run);
    requireCoinjoin(network, run, 2);
}

BOOST_FIXTURE_TEST_CASE(reference_bots_coinjoin_through_a_jmnode_directory_and_after_its_restart, NetworkFixture) {
    JmnodeDirectory jmnode;
    jmnode.start();
    makersJoiningOneByOne(network, {jmnode.location()}, "jmnode directory");
    auto first = network.runTaker({jmnode.location()}, AMOUNT, 2);
    recordTaker("jmnode directory", first);
    requireCoinjoin(network, first, 2);

    // Restarted between two CoinJoins. Reference bots in their plain-TCP testing mode cannot
    // reconnect to any restarted directory, reference or jmnode: OnionPeer.register_disconnection
    // calls reconnecting_service.stopService(), which only the Tor path ever creates, and the
    // AttributeError skips the reconnect (over Tor they do reconnect). So the second CoinJoin is
    // made by makers that join the restarted directory, as restarted reference bots would.
    jmnode.restart();
    network.startMakers(2, {jmnode.location()});
    BOOST_REQUIRE(jmnode.waitForPeers(2, std::chrono::seconds(10)));
    auto second = network.runTaker({jmnode.location()}, AMOUNT, 2);
    requireCoinjoin(network, second, 2);
}

BOOST_FIXTURE_TEST_CASE(reference_bots_coinjoin_through_jmnode_and_reference_directories_together, NetworkFixture) {
    JmnodeDirectory jmnode;
    jmnode.start();
    auto ref = network.startDirectory();
    std::vector<std::string> both{jmnode.location(), ref};
    network.startMakers(2, both);
    BOOST_REQUIRE(jmnode.waitForPeers(2, std::chrono::seconds(10)));
    auto run = network.runTaker(both, AMOUNT, 2);
    requireCoinjoin(network, run, 2);
    // The taker could not have finished without every channel up: it used both directories.
    BOOST_CHECK_GE(jmnode.status().at("handshakes").to_number<std::int64_t>(), 3);
}

BOOST_FIXTURE_TEST_CASE(reference_bots_keep_their_connections_through_hostile_traffic_and_idleness, NetworkFixture) {
    // Probes and idle timeouts in seconds, so that a reference taker waiting for offers (silent
    // for maker_timeout_sec = 10 s) would be evicted if the directory dropped unprobeable peers.
    JmnodeDirectory jmnode("testnet", "\"idle_probe\": \"1s\", \"idle_timeout\": \"3s\"");
    jmnode.start();
    auto makers = network.startMakers(2, {jmnode.location()});
    BOOST_REQUIRE(jmnode.waitForPeers(2, std::chrono::seconds(10)));
    auto port = static_cast<std::uint16_t>(std::stoi(jmnode.location().substr(jmnode.location().find(':') + 1)));

    // A line reference clients cannot read (they disconnect past 40,000 bytes): its sender goes.
    RawPeer hostile(port);
    BOOST_REQUIRE(hostile.join(testNick(900)));
    hostile.send(687, testNick(900) + "!PUBLIC!interopnoise " + std::string(45'000, 'a'));
    BOOST_CHECK(hostile.waitClosed());
    // A flood of lines they can read, faster than anybody reads.
    RawPeer flooder(port);
    BOOST_REQUIRE(flooder.join(testNick(901)));
    std::string burst;
    for (int i = 0; i < 300; ++i)
        burst += jm::protocol::formatEnvelope({687, testNick(901) + "!PUBLIC!interopnoise " + std::string(30'000, 'b')})
                     .value();
    flooder.sendRaw(burst);
    std::this_thread::sleep_for(std::chrono::seconds(5)); // past idle_timeout

    // Both makers are still there, never reconnected, and serve a CoinJoin.
    BOOST_CHECK_GE(jmnode.peers(), 2u);
    for (auto* maker : makers)
        BOOST_CHECK_MESSAGE(maker->process().output().find("Attempting to reconnect") == std::string::npos,
                            maker->name() << " lost its directory connection");
    auto run = network.runTaker({jmnode.location()}, AMOUNT, 2);
    requireCoinjoin(network, run, 2);
    BOOST_CHECK_EQUAL(jmnode.status().at("drops").at("idle_timeout").to_number<std::int64_t>(), 0);
}

BOOST_AUTO_TEST_CASE(
    reference_bots_start_up_as_fast_through_jmnode_as_through_the_reference,
    *boost::unit_test::depends_on("directory_interop/reference_bots_coinjoin_through_the_reference_directory") *
        boost::unit_test::depends_on("directory_interop/"
                                     "reference_bots_coinjoin_through_a_jmnode_directory_and_"
                                     "after_its_restart")) {
    const auto& ref = g_startup.at("reference directory");
    const auto& jm = g_startup.at("jmnode directory");
    std::printf("start-up through the reference directory: maker %.2f s, taker %.2f s\n", ref.maker, ref.taker);
    std::printf("start-up through the jmnode directory:    maker %.2f s, taker %.2f s\n", jm.maker, jm.taker);
    for (double t : {ref.maker, ref.taker, jm.maker, jm.taker})
        BOOST_REQUIRE_GE(t, 0.0);
    BOOST_CHECK_LE(std::abs(jm.maker - ref.maker), 2.0);
    BOOST_CHECK_LE(std::abs(jm.taker - ref.taker), 2.0);
}

BOOST_AUTO_TEST_SUITE_END()
