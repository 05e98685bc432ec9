#include "server_fixture.hpp"

#include <jm/protocol/handshake.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::test;

BOOST_AUTO_TEST_SUITE(directory_handshake)

BOOST_AUTO_TEST_CASE(accepts_a_ref_client_with_the_ref_reply) {
    ServerFixture f;
    RawPeer peer(f.port);
    peer.handshake(testNick(1));
    auto reply = peer.read();
    BOOST_REQUIRE(reply);
    BOOST_CHECK_EQUAL(reply->type, 795);
    // REF key order and separators, NG's features.
    BOOST_CHECK_EQUAL(reply->line,
                      "{\"app-name\": \"joinmarket\", \"directory\": true, \"proto-ver-min\": 5, \"proto-ver-max\": 5, "
                      "\"features\": {\"peerlist_features\": true, \"ping\": true}, \"accepted\": true, \"nick\": "
                      "\"J5DirectoryNick1\", \"network\": \"testnet\", \"motd\": \"Default MOTD, replace with "
                      "information for the directory.\"}");
    BOOST_CHECK(waitFor([&] { return f.server->peers() == 1; }));
}

BOOST_AUTO_TEST_CASE(refuses_wrong_network_version_app_and_directory_claims) {
    ServerFixture f;
    struct Case {
        std::string network;
        int proto_ver;
        std::string app;
        bool directory;
    };
    for (const auto& c : {Case{"mainnet", 5, "joinmarket", false}, Case{"testnet", 4, "joinmarket", false},
                          Case{"testnet", 5, "bitcoin", false}, Case{"testnet", 5, "joinmarket", true}}) {
        RawPeer peer(f.port);
        boost::json::object hs{
            {"app-name", c.app},        {"directory", c.directory},          {"location-string", "NOT-SERVING-ONION"},
            {"proto-ver", c.proto_ver}, {"features", boost::json::object{}}, {"nick", testNick(2)},
            {"network", c.network}};
        peer.send(793, jm::protocol::pythonJsonDumps(hs));
        auto reply = peer.readType(795);
        BOOST_REQUIRE_MESSAGE(reply, "no reply for network " << c.network << " version " << c.proto_ver);
        auto parsed = jm::protocol::parseDirectoryHandshake(reply->line);
        BOOST_REQUIRE(parsed);
        BOOST_CHECK(!parsed->accepted);
        BOOST_CHECK(parsed->motd.starts_with("Rejected: "));
        BOOST_CHECK(peer.waitClosed());
    }
    BOOST_CHECK_EQUAL(f.drops(Drop::handshake_refused), 4u);
    BOOST_CHECK_EQUAL(f.server->peers(), 0u);
}

BOOST_AUTO_TEST_CASE(refuses_nicks_and_locations_that_would_break_peerlists) {
    ServerFixture f;
    for (const auto& [nick, location] :
         std::vector<std::pair<std::string, std::string>>{{"J5bad;nick,xx!", "NOT-SERVING-ONION"},
                                                          {"", "NOT-SERVING-ONION"},
                                                          {std::string(40, 'a'), "NOT-SERVING-ONION"},
                                                          {testNick(3), "evil;host,x:5222"}}) {
        RawPeer peer(f.port);
        peer.handshake(nick, "testnet", location);
        auto reply = peer.readType(795);
        if (reply) BOOST_CHECK(!jm::protocol::parseDirectoryHandshake(reply->line)->accepted);
        BOOST_CHECK(peer.waitClosed());
    }
    BOOST_CHECK_EQUAL(f.server->peers(), 0u);
}

BOOST_AUTO_TEST_CASE(duplicate_live_nick_is_refused_and_freed_after_disconnect) {
    ServerFixture f;
    auto first = std::make_unique<RawPeer>(f.port);
    BOOST_REQUIRE(first->join(testNick(4)));
    RawPeer second(f.port);
    second.handshake(testNick(4));
    auto reply = second.readType(795);
    BOOST_REQUIRE(reply);
    auto parsed = jm::protocol::parseDirectoryHandshake(reply->line);
    BOOST_CHECK(!parsed->accepted);
    BOOST_CHECK_EQUAL(parsed->motd, "Rejected: nick already in use");
    BOOST_CHECK(second.waitClosed());
    BOOST_CHECK_EQUAL(f.drops(Drop::duplicate_nick), 1u);
    first.reset();
    BOOST_REQUIRE(waitFor([&] { return f.server->peers() == 0; }));
    RawPeer third(f.port);
    BOOST_CHECK(third.join(testNick(4)));
}

BOOST_AUTO_TEST_CASE(malformed_handshake_closes_without_reply) {
    ServerFixture f;
    RawPeer peer(f.port);
    peer.send(793, "{\"app-name\": \"joinmarket\", \"nick\": 5}");
    BOOST_CHECK(peer.waitClosed());
    BOOST_CHECK_EQUAL(f.drops(Drop::handshake_malformed), 1u);
}

BOOST_AUTO_TEST_CASE(message_before_handshake_closes) {
    ServerFixture f;
    RawPeer peer(f.port);
    peer.send(687, testNick(5) + "!PUBLIC!orderbook");
    BOOST_CHECK(peer.waitClosed());
    BOOST_CHECK_EQUAL(f.drops(Drop::no_handshake), 1u);
}

BOOST_AUTO_TEST_CASE(handshake_never_sent_times_out) {
    auto settings = testSettings();
    settings.handshake_timeout = std::chrono::milliseconds(300);
    ServerFixture f(settings);
    RawPeer silent(f.port);
    RawPeer slow_loris(f.port);
    slow_loris.sendRaw("{\"type\": 793, \"li"); // a line that never ends
    BOOST_CHECK(silent.waitClosed(std::chrono::milliseconds(3000)));
    BOOST_CHECK(slow_loris.waitClosed(std::chrono::milliseconds(3000)));
    BOOST_CHECK_EQUAL(f.drops(Drop::handshake_timeout), 2u);
    BOOST_CHECK(waitFor([&] { return f.server->connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(max_peers_refuses_with_directory_full) {
    auto settings = testSettings();
    settings.max_peers = 2;
    ServerFixture f(settings);
    RawPeer a(f.port), b(f.port), c(f.port);
    BOOST_REQUIRE(a.join(testNick(6)));
    BOOST_REQUIRE(b.join(testNick(7)));
    c.handshake(testNick(8));
    auto reply = c.readType(795);
    BOOST_REQUIRE(reply);
    BOOST_CHECK_EQUAL(jm::protocol::parseDirectoryHandshake(reply->line)->motd, "Rejected: directory full");
    BOOST_CHECK_EQUAL(f.drops(Drop::directory_full), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
