// How the maker starts: the wallet password (a 0600 file or the host's prompt, never the
// config), the wallet and services it needs, the status file and its fidelity bond.
#include "maker_harness.hpp"

#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/line.hpp>
#include <jm/sdk/password_source.hpp>
#include <jm/wallet/timenumber.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace jm::test;
namespace fs = std::filesystem;

namespace {

class FixedPassword final : public jm::sdk::PasswordSource {
public:
    explicit FixedPassword(std::string p) : m_password(std::move(p)) {}
    jm::sdk::Result<std::string> read(std::string_view prompt) override {
        ++asked;
        last_prompt = prompt;
        return m_password;
    }
    int asked = 0;
    std::string last_prompt;

private:
    std::string m_password;
};

std::string startError(MakerUnderTest& maker) {
    try {
        maker.start();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(maker_start_tests)

BOOST_AUTO_TEST_CASE(a_password_file_others_can_read_is_refused) {
    ChainHub hub;
    TestDirectory directory;
    for (auto perms : {fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read,
                       fs::perms::owner_read | fs::perms::others_read}) {
        MakerOptions o;
        o.directories = {directory.port()};
        o.password_perms = perms;
        MakerUnderTest maker(hub, o);
        auto error = startError(maker);
        BOOST_CHECK_MESSAGE(error.find("chmod 600") != std::string::npos, error);
    }
}

BOOST_AUTO_TEST_CASE(without_a_file_the_password_comes_from_the_host) {
    ChainHub hub;
    TestDirectory directory;
    {
        MakerOptions o;
        o.directories = {directory.port()};
        o.password_perms.reset();
        MakerUnderTest maker(hub, o);
        auto error = startError(maker);
        BOOST_CHECK_MESSAGE(error.find("--password-fd") != std::string::npos, error);
    }
    {
        MakerOptions o;
        o.directories = {directory.port()};
        o.password_perms.reset();
        MakerUnderTest maker(hub, o);
        FixedPassword wrong("not it");
        BOOST_REQUIRE(maker.ctx().services().provide<jm::sdk::PasswordSource>("host", wrong));
        auto error = startError(maker);
        BOOST_CHECK_MESSAGE(error.find("password") != std::string::npos, error);
        BOOST_CHECK_EQUAL(wrong.asked, 1);
    }
    MakerOptions o;
    o.directories = {directory.port()};
    o.password_perms.reset();
    MakerUnderTest maker(hub, o);
    FixedPassword right("password");
    BOOST_REQUIRE(maker.ctx().services().provide<jm::sdk::PasswordSource>("host", right));
    hub.mine(1);
    BOOST_CHECK_EQUAL(startError(maker), "");
    BOOST_CHECK(right.last_prompt.find("maker") != std::string::npos);
}

// A node keeps one wallet: a second maker on it would offer the same coins to other takers and
// race the first for its addresses.
BOOST_AUTO_TEST_CASE(a_second_maker_on_the_same_wallet_is_refused) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    boost::json::object config{{"backend", "chain"},
                               {"yieldgen", "yg"},
                               {"directories", {"127.0.0.1:" + std::to_string(directory.port())}},
                               {"password_file", (maker.dir() / "password").string()}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(jm::plugins::maker::MakerSettings::schema().validate(config, "$", problems));
    auto settings = jm::plugins::maker::MakerSettings::fromConfig(config).value();
    auto error = maker.onStrand([&] {
        jm::plugins::maker::MakerPlugin second(maker.ctx(), settings);
        auto started = second.start();
        if (started) second.stop([] {});
        return started ? std::string() : started.error().message;
    });
    BOOST_CHECK_MESSAGE(error.find("already") != std::string::npos, "a second maker started: '" + error + "'");
    // The first one goes on serving; once it is gone, a maker may use the wallet again.
    ScriptedTaker taker(hub, directory.port());
    BOOST_CHECK(tryCoinjoin(hub, taker, {&maker}, 5'000'000).error.empty());
    maker.stop();
    maker.start();
}

BOOST_AUTO_TEST_CASE(missing_services_are_named) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.config = {{"yieldgen", "nosuch"}};
    MakerUnderTest maker(hub, o);
    auto error = startError(maker);
    BOOST_CHECK_MESSAGE(error.find("nosuch") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(the_status_file_lists_offers_sessions_and_earnings) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start();
    ScriptedTaker taker(hub, directory.port());
    auto done = completeCoinjoin(hub, taker, {&maker}, 10'000'000);
    hub.mine(1);
    auto path = maker.dir() / "maker-status.json";
    boost::json::value status;
    BOOST_CHECK(eventually([&] {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        status = boost::json::parse(text.str(), ec);
        return !ec && status.is_object() && status.at("earnings").at("coinjoins").to_number<int>() == 1 &&
               status.at("earnings").at("list").at(0).at("confirmed").as_bool();
    }));
    BOOST_REQUIRE(status.is_object());
    const auto& s = status.as_object();
    BOOST_CHECK_EQUAL(s.at("nick").as_string(), maker.nick());
    BOOST_CHECK_EQUAL(s.at("offers").as_array().size(), 1u);
    BOOST_CHECK_EQUAL(s.at("earnings").at("total_earned").to_number<std::int64_t>(), done.fee);
    BOOST_CHECK_EQUAL(s.at("earnings").at("list").at(0).at("txid").as_string(), done.txid);
    BOOST_CHECK_EQUAL(s.at("directories_ready").to_number<int>(), 1);
}

BOOST_AUTO_TEST_CASE(a_confirmed_fidelity_bond_is_proven_to_each_taker_and_never_offered) {
    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.coins = {{0, 20'000'000}};
    MakerUnderTest maker(hub, o);
    // A bond in the maker's wallet: 5 BTC locked until 2030-01.
    {
        auto wallet = jm::wallet::Wallet::open(maker.walletStore(), "password").value();
        auto t = jm::wallet::parseYearMonth("2030-01").value();
        auto bond = wallet.bondAddress(t).value();
        hub.chain().fund(bond.info.script_pubkey, 500'000'000);
    }
    hub.mine(1);
    maker.start();
    // The bond is not liquidity: the offer is sized on the 0.2 BTC coin only.
    BOOST_CHECK_EQUAL(maker.offers().front().maxsize, 20'000'000 - 27'300);

    ScriptedTaker taker(hub, directory.port());
    taker.sendPublic("orderbook");
    auto listed = taker.waitFor(maker.nick(), "sw0reloffer");
    BOOST_REQUIRE(listed);
    auto commands = jm::protocol::splitCommands("sw0reloffer " + listed->text).value();
    BOOST_REQUIRE_EQUAL(commands.size(), 2u);
    BOOST_REQUIRE_EQUAL(commands[1].name, "tbond");
    auto proof = jm::protocol::parseBondProof(commands[1].args);
    BOOST_REQUIRE(proof);
    BOOST_CHECK(jm::protocol::verifyBondProof(*proof, taker.nick(), maker.nick()));
    BOOST_CHECK(!jm::protocol::verifyBondProof(*proof, "J5someoneElse1234", maker.nick()));
    BOOST_CHECK_EQUAL(proof->locktime,
                      jm::wallet::timenumberToLocktime(jm::wallet::parseYearMonth("2030-01").value()).value());
}

BOOST_AUTO_TEST_SUITE_END()
