// The directory's own location: read from `location` or, with tor.control, from its onion service
// once published; whichever it is, the peerlists the directory sends list it.
#include "server_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::test;

namespace {

const boost::json::object NG_FEATURES{{"peerlist_features", true}, {"ping", true}};
const std::string ONION = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd.onion:5222";

//! The config as the host hands it over (validated, defaults filled), read into settings.
jm::sdk::Result<DirectorySettings> settingsFrom(const std::string& text) {
    auto config = boost::json::parse(text).as_object();
    std::vector<jm::sdk::ConfigProblem> problems;
    if (!DirectorySettings::schema().validate(config, "config", problems))
        return jm::sdk::fail(jm::sdk::errc::invalid_config, problems.front().path + ": " + problems.front().message);
    return DirectorySettings::fromConfig(config);
}

} // namespace

BOOST_AUTO_TEST_SUITE(directory_location)

BOOST_AUTO_TEST_CASE(without_tor_nothing_changes) {
    auto s = settingsFrom(R"({"location": "abc.onion:5222"})");
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(!s->tor.hasControl());
    BOOST_TEST(s->location == "abc.onion:5222");
    BOOST_TEST(s->onion_port == 5222);
}

BOOST_AUTO_TEST_CASE(tor_control_asks_for_an_onion_of_our_own) {
    auto s = settingsFrom(R"({"tor": {"control": "127.0.0.1:9051", "onion": "ephemeral"}, "onion_port": 5223})");
    BOOST_REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
    BOOST_TEST(s->tor.hasControl());
    BOOST_TEST(s->tor.control_port == 9051);
    BOOST_TEST(s->tor.ephemeral_onion);
    BOOST_TEST(s->onion_port == 5223);
    BOOST_TEST(s->location.empty());
    auto persistent = settingsFrom(R"({"tor": {"control": "127.0.0.1:9051"}})");
    BOOST_REQUIRE(persistent.has_value());
    BOOST_TEST(!persistent->tor.ephemeral_onion);
}

BOOST_AUTO_TEST_CASE(bad_tor_configs_are_refused_with_the_key_named) {
    struct Case {
        const char* config;
        const char* expected;
    } cases[] = {
        {R"({"tor": {"control": "127.0.0.1:9051"}, "location": "abc.onion:5222"})", "location: leave it empty"},
        {R"({"tor": {"control": "nonsense"}})", "tor.control"},
        {R"({"tor": {"onion": "forever"}})", "tor.onion"},
        {R"({"tor": {"contrl": "127.0.0.1:9051"}})", "tor.contrl: unknown key"},
        {R"({"tor": {"control_password_file": "/nonexistent/jm-tor-password"}})", "cannot read"},
        {R"({"tor": "127.0.0.1:9051"})", "tor"},
        {R"({"onion_port": 0})", "onion_port"},
    };
    for (const auto& c : cases) {
        auto s = settingsFrom(c.config);
        BOOST_REQUIRE_MESSAGE(!s.has_value(), c.config);
        BOOST_TEST(s.error().message.find(c.expected) != std::string::npos, c.config << " -> " << s.error().message);
    }
}

BOOST_AUTO_TEST_CASE(a_location_set_later_is_listed_in_peerlists) {
    ServerFixture f; // no location configured: not listed until the onion is published
    RawPeer maker(f.port), taker(f.port), other(f.port);
    BOOST_REQUIRE(maker.join(testNick(60), "makeronion.onion:5222", NG_FEATURES));
    BOOST_REQUIRE(taker.join(testNick(61), "NOT-SERVING-ONION", NG_FEATURES));
    BOOST_REQUIRE(other.join(testNick(62)));
    maker.send(685, testNick(60) + "!" + testNick(61) + "!pubkey abc 02aa c2ln");
    auto before = taker.readType(789);
    BOOST_REQUIRE(before);
    BOOST_TEST(before->line == testNick(60) + ";makeronion.onion:5222;F:peerlist_features+ping");

    f.server->setLocation(ONION);
    BOOST_TEST(f.server->location() == ONION);
    maker.send(685, testNick(60) + "!" + testNick(62) + "!pubkey abc 02aa c2ln");
    auto after = other.readType(789);
    BOOST_REQUIRE(after);
    BOOST_TEST(after->line == testNick(60) + ";makeronion.onion:5222," + DIRECTORY_NICK + ";" + ONION);

    // Departures carry it too (REF directories add their own entry).
    {
        RawPeer gone(f.port);
        BOOST_REQUIRE(gone.join(testNick(63)));
    }
    auto departed = taker.readType(789);
    BOOST_REQUIRE(departed);
    BOOST_TEST(departed->line == testNick(63) + ";NOT-SERVING-ONION;D," + DIRECTORY_NICK + ";" + ONION);
}

BOOST_AUTO_TEST_SUITE_END()
