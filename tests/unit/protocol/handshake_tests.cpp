#include <jm/protocol/envelope.hpp>
#include <jm/protocol/handshake.hpp>
#include <jm/protocol/peerlist.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::protocol;

BOOST_AUTO_TEST_SUITE(handshake_tests)

BOOST_AUTO_TEST_CASE(client_handshake_reference_layout) {
    ClientHandshake hs;
    hs.nick = "J5D7wbEWpGZCy3Zv";
    hs.network = "mainnet";
    // The exact bytes protocol.md 3.2 shows for REF.
    BOOST_CHECK_EQUAL(*formatEnvelope({793, formatClientHandshake(hs)}),
                      "{\"type\": 793, \"line\": \"{\\\"app-name\\\": \\\"joinmarket\\\", \\\"directory\\\": false, "
                      "\\\"location-string\\\": \\\"NOT-SERVING-ONION\\\", \\\"proto-ver\\\": 5, \\\"features\\\": {}, "
                      "\\\"nick\\\": \\\"J5D7wbEWpGZCy3Zv\\\", \\\"network\\\": \\\"mainnet\\\"}\"}\r\n");
    auto back = parseClientHandshake(formatClientHandshake(hs));
    BOOST_REQUIRE(back);
    BOOST_CHECK_EQUAL(back->nick, hs.nick);
    BOOST_CHECK(!back->location.serving());
    BOOST_CHECK(clientHandshakeRefusal(*back, "mainnet").empty());
    BOOST_CHECK_NE(clientHandshakeRefusal(*back, "regtest").find("network"), std::string::npos);
    hs.features = {{"peerlist_features", true}, {"ping", true}};
    hs.location = {"abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion", 5222};
    auto ng = parseClientHandshake(formatClientHandshake(hs));
    BOOST_REQUIRE(ng);
    BOOST_CHECK(hasFeature(ng->features, "peerlist_features"));
    BOOST_CHECK(!hasFeature(ng->features, "nick_auth"));
    BOOST_CHECK_EQUAL(ng->location.port, 5222);
}

BOOST_AUTO_TEST_CASE(client_handshake_errors) {
    std::string good =
        R"({"app-name": "joinmarket", "directory": false, "location-string": "127.0.0.1:5222", "proto-ver": 5, "features": {}, "nick": "J5x", "network": "regtest"})";
    BOOST_CHECK(parseClientHandshake(good));
    struct Case {
        std::string from, to, why;
    };
    for (const auto& c : std::vector<Case>{{"\"proto-ver\": 5", "\"proto-ver\": \"5\"", "proto-ver"},
                                           {"\"directory\": false", "\"directory\": 0", "directory"},
                                           {"\"features\": {}", "\"features\": []", "features"},
                                           {"\"nick\": \"J5x\"", "\"nick\": 5", "nick"},
                                           {"127.0.0.1:5222", "127.0.0.1", "host:port"},
                                           {"127.0.0.1:5222", "a:b:1", "host:port"},
                                           {"127.0.0.1:5222", "h:0", "port"},
                                           {"127.0.0.1:5222", "h:70000", "port"},
                                           {"\"network\": \"regtest\"", "\"net\": \"regtest\"", "network"}}) {
        auto text = good;
        text.replace(text.find(c.from), c.from.size(), c.to);
        auto r = parseClientHandshake(text);
        BOOST_REQUIRE_MESSAGE(!r, text);
        BOOST_CHECK_MESSAGE(r.error().message.find(c.why) != std::string::npos, r.error().message);
    }
    BOOST_CHECK(!parseClientHandshake("not json"));
    BOOST_CHECK(!parseClientHandshake("[]"));
    auto dir = *parseClientHandshake(good);
    dir.directory = true;
    BOOST_CHECK(!clientHandshakeRefusal(dir, "regtest").empty());
    auto old = *parseClientHandshake(good);
    old.proto_ver = 4;
    BOOST_CHECK_NE(clientHandshakeRefusal(old, "regtest").find("version 4"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(directory_handshake) {
    DirectoryHandshake hs;
    hs.accepted = true;
    hs.nick = "J5dir";
    hs.network = "regtest";
    hs.motd = "welcome";
    hs.features = {{"peerlist_features", true}};
    auto text = formatDirectoryHandshake(hs);
    BOOST_CHECK(text.starts_with(
        "{\"app-name\": \"joinmarket\", \"directory\": true, \"proto-ver-min\": 5, \"proto-ver-max\": 5, "));
    auto back = parseDirectoryHandshake(text);
    BOOST_REQUIRE(back);
    BOOST_CHECK(directoryHandshakeRefusal(*back, "regtest").empty());
    BOOST_CHECK(!directoryHandshakeRefusal(*back, "mainnet").empty());
    auto ng = parseDirectoryHandshake(
        R"({"app-name": "joinmarket", "directory": true, "proto-ver": 5, "features": {}, "accepted": false, "nick": "J5d", "network": "regtest", "motd": "Rejected: duplicate nick"})");
    BOOST_REQUIRE(ng);
    BOOST_CHECK_NE(directoryHandshakeRefusal(*ng, "regtest").find("duplicate nick"), std::string::npos);
    BOOST_CHECK(!parseDirectoryHandshake(
        R"({"app-name": "joinmarket", "directory": true, "features": {}, "accepted": true, "nick": "J5d", "network": "regtest"})"));
}

BOOST_AUTO_TEST_CASE(peerlists) {
    std::size_t skipped = 0;
    auto list = parsePeerlist("J5a;abc.onion:5222,J5b;NOT-SERVING-ONION;D,J5c;def.onion:5222;F:peerlist_features+ping,"
                              "J5d;ghi.onion:5222;F:ping;D,bad,J5e;NOT-SERVING-ONION,J5f;x:1;Q",
                              &skipped);
    BOOST_REQUIRE(list);
    // NG lists non-serving peers (REF drops them); they are kept, marked by their location.
    BOOST_REQUIRE_EQUAL(list->size(), 5u);
    BOOST_CHECK_EQUAL(skipped, 2u); // "bad" and an unknown field
    BOOST_CHECK((*list)[1].disconnected);
    BOOST_CHECK(((*list)[2].features == std::vector<std::string>{"peerlist_features", "ping"}));
    BOOST_CHECK((*list)[3].disconnected);
    BOOST_CHECK_EQUAL((*list)[4].location, "NOT-SERVING-ONION");
    list->pop_back();
    BOOST_CHECK_EQUAL(formatPeerlist(*list, false),
                      "J5a;abc.onion:5222,J5b;NOT-SERVING-ONION;D,J5c;def.onion:5222,J5d;ghi.onion:5222;D");
    BOOST_CHECK_EQUAL(formatPeerlist(*list, true),
                      "J5a;abc.onion:5222,J5b;NOT-SERVING-ONION;D,"
                      "J5c;def.onion:5222;F:peerlist_features+ping,J5d;ghi.onion:5222;D;F:ping");
    BOOST_CHECK(parsePeerlist("")->empty());
    std::string huge;
    for (int i = 0; i < 20; ++i)
        huge += "J5a;h:1,";
    BOOST_CHECK(!parsePeerlist(huge, nullptr, 10));
}

BOOST_AUTO_TEST_SUITE_END()
