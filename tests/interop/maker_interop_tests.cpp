// A reference taker (sendpayment.py from joinmarket-clientserver 0.9.12) completes CoinJoins
// with two jmnode makers (`jmnode run`: backend-core, a yield generator, the maker plugin),
// through a reference directory and through a jmnode directory; the makers record what they
// earned. Then a mixed market (two jmnode makers and a reference maker) side by side: both
// kinds serve the same taker, and their resident memory is printed. Needs the reference
// install ($JMREF_HOME) and Bitcoin Core; without them: a SKIPPED line and exit 77.
#include "coinjoin_checks.hpp"
#include "jmnode_directory.hpp"
#include "jmnode_maker.hpp"
#include "network_fixture.hpp"
#include "reference_network.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <thread>

using namespace jm::test;
using namespace jm::test::interop;

namespace {

BOOST_TEST_GLOBAL_FIXTURE(SkipWithoutReference);

constexpr std::int64_t AMOUNT = 20'000'000;
//! The jmnode makers' relative fee (JmnodeMakerOptions' default yieldgen settings).
constexpr std::int64_t EXPECTED_FEE = AMOUNT * 2 / 10'000;

const std::vector<Funding> MAKER_FUNDING{{0, 100'000'000}, {0, 50'000'000}, {1, 200'000'000}};

std::vector<std::unique_ptr<JmnodeMaker>> startJmnodeMakers(ReferenceNetwork& network, std::size_t count,
                                                            const std::vector<std::string>& directories) {
    std::vector<std::unique_ptr<JmnodeMaker>> makers;
    for (std::size_t i = 0; i < count; ++i)
        makers.push_back(std::make_unique<JmnodeMaker>(network, directories, MAKER_FUNDING));
    for (auto& m : makers)
        m->start();
    return makers;
}

std::string makerLogs(const std::vector<std::unique_ptr<JmnodeMaker>>& makers) {
    std::string out;
    for (const auto& m : makers)
        out += "--- jmnode maker ---\n" + tail(m->output()) + "\n";
    return out;
}

//! Waits until the maker's status file lists `txid` among its earnings, confirmed.
boost::json::object confirmedEarning(JmnodeMaker& maker, const std::string& txid) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        auto status = maker.status();
        if (auto* earnings = status.if_contains("earnings"))
            for (const auto& e : earnings->at("list").as_array())
                if (e.at("txid").as_string() == txid && e.at("confirmed").as_bool()) return e.as_object();
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    throw std::runtime_error("no confirmed earning for " + txid + ":\n" + maker.output());
}

//! Each jmnode maker signed the CoinJoin and earned its fee (cjfee_r 0.0002, no txfee share).
void checkMakersEarned(std::vector<std::unique_ptr<JmnodeMaker>>& makers, const std::string& txid) {
    for (auto& m : makers) {
        auto earning = confirmedEarning(*m, txid);
        BOOST_CHECK_EQUAL(earning.at("cj_amount").to_number<std::int64_t>(), AMOUNT);
        BOOST_CHECK_EQUAL(earning.at("fee_earned").to_number<std::int64_t>(), EXPECTED_FEE);
    }
}

//! Resident memory of a process, KiB (0 when it is gone).
long residentKiB(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    return 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(maker_interop)

BOOST_FIXTURE_TEST_CASE(a_reference_taker_coinjoins_with_jmnode_makers_through_a_reference_directory, NetworkFixture) {
    auto dir = network.startDirectory();
    auto makers = startJmnodeMakers(network, 2, {dir});
    auto run = network.runTaker({dir}, AMOUNT, 2);
    BOOST_REQUIRE_MESSAGE(run.completed, "no CoinJoin\n" << tail(run.log) << "\n" << makerLogs(makers));
    requireCoinjoin(network, run, 2);
    checkMakersEarned(makers, run.txid);
}

BOOST_FIXTURE_TEST_CASE(a_reference_taker_coinjoins_with_jmnode_makers_through_a_jmnode_directory, NetworkFixture) {
    JmnodeDirectory directory;
    directory.start();
    auto makers = startJmnodeMakers(network, 2, {directory.location()});
    BOOST_REQUIRE(directory.waitForPeers(2, std::chrono::seconds(10)));
    auto run = network.runTaker({directory.location()}, AMOUNT, 2);
    BOOST_REQUIRE_MESSAGE(run.completed, "no CoinJoin\n" << tail(run.log) << "\n" << makerLogs(makers));
    requireCoinjoin(network, run, 2);
    checkMakersEarned(makers, run.txid);

    // A second CoinJoin with the same makers: they re-announced offers from their new balances.
    auto again = network.runTaker({directory.location()}, AMOUNT, 2);
    BOOST_REQUIRE_MESSAGE(again.completed, "no second CoinJoin\n" << tail(again.log) << "\n" << makerLogs(makers));
    requireCoinjoin(network, again, 2);
    checkMakersEarned(makers, again.txid);
}

BOOST_FIXTURE_TEST_CASE(jmnode_and_reference_makers_serve_one_reference_taker_side_by_side, NetworkFixture) {
    auto dir = network.startDirectory();
    auto makers = startJmnodeMakers(network, 2, {dir});
    auto reference = network.startMakers(1, {dir});
    auto run = network.runTaker({dir}, AMOUNT, 3);
    BOOST_REQUIRE_MESSAGE(run.completed, "no CoinJoin\n" << tail(run.log) << "\n" << makerLogs(makers));
    requireCoinjoin(network, run, 3);
    checkMakersEarned(makers, run.txid);
    // The reference maker's resident memory counts its daemon, which it runs in-process
    // (no_daemon = 1), as a jmnode maker's counts its directory connections.
    auto ours = residentKiB(makers.at(0)->pid());
    auto theirs = residentKiB(reference.at(0)->process().pid());
    std::printf("resident memory after a CoinJoin, one directory: jmnode maker %.1f MiB, reference maker %.1f MiB\n",
                ours / 1024.0, theirs / 1024.0);
    BOOST_CHECK_GT(ours, 0);
    BOOST_CHECK_LT(ours, 30 * 1024); // the goal
}

BOOST_AUTO_TEST_SUITE_END()
