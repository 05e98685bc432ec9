#include "server_fixture.hpp"

#include <jm/protocol/peerlist.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::test;

namespace {
const boost::json::object NG_FEATURES{{"peerlist_features", true}, {"ping", true}};
constexpr auto SHORT = std::chrono::milliseconds(300);
} // namespace

BOOST_AUTO_TEST_SUITE(directory_routing)

BOOST_AUTO_TEST_CASE(pubmsg_reaches_every_other_peer_in_ref_form) {
    ServerFixture f;
    RawPeer maker(f.port), taker(f.port), watcher(f.port);
    BOOST_REQUIRE(maker.join(testNick(10), "makeronion.onion:5222"));
    BOOST_REQUIRE(taker.join(testNick(11)));
    BOOST_REQUIRE(watcher.join(testNick(12)));
    // Compact JSON from the sender is relayed in REF's json.dumps form.
    maker.sendRaw("{\"type\":687,\"line\":\"" + testNick(10) + "!PUBLIC!sw0reloffer 0 27300 99972700 0 0.00002\"}\n");
    std::string expected =
        "{\"type\": 687, \"line\": \"" + testNick(10) + "!PUBLIC!sw0reloffer 0 27300 99972700 0 0.00002\"}";
    for (auto* peer : {&taker, &watcher}) {
        auto msg = peer->read();
        BOOST_REQUIRE(msg);
        BOOST_CHECK_EQUAL(jm::protocol::formatEnvelope(*msg).value(), expected + "\r\n");
    }
    BOOST_CHECK(!maker.read(SHORT)); // not echoed to the sender
}

BOOST_AUTO_TEST_CASE(privmsg_goes_only_to_its_recipient_followed_by_the_senders_location_once) {
    ServerFixture f;
    RawPeer maker(f.port), taker(f.port), other(f.port);
    BOOST_REQUIRE(maker.join(testNick(20), "makeronion.onion:5222", NG_FEATURES));
    BOOST_REQUIRE(taker.join(testNick(21)));
    BOOST_REQUIRE(other.join(testNick(22)));
    auto line = testNick(20) + "!" + testNick(21) + "!pubkey abcdef 02aa c2ln";
    maker.send(685, line);
    maker.send(685, line);
    // REF order: the message, then the maker's location so the taker can connect directly
    // (no F: suffix: the taker did not ask for features); once per pair is enough.
    std::vector<jm::protocol::Envelope> got;
    while (auto msg = taker.read(SHORT))
        got.push_back(*msg);
    BOOST_REQUIRE_EQUAL(got.size(), 3u);
    BOOST_CHECK_EQUAL(got[0].type, 685);
    BOOST_CHECK_EQUAL(got[0].line, line);
    BOOST_CHECK_EQUAL(got[1].type, 789);
    BOOST_CHECK_EQUAL(got[1].line, testNick(20) + ";makeronion.onion:5222");
    BOOST_CHECK_EQUAL(got[2].type, 685);
    BOOST_CHECK_EQUAL(got[2].line, line);
    BOOST_CHECK(!other.read(SHORT));
    BOOST_CHECK_EQUAL(f.server->stats().privmsgs_routed, 2u);
}

BOOST_AUTO_TEST_CASE(location_carries_features_only_for_peers_that_understand_them) {
    auto settings = testSettings();
    settings.location = "directoryonion.onion:5222";
    ServerFixture f(settings);
    RawPeer maker(f.port), ng_taker(f.port);
    BOOST_REQUIRE(maker.join(testNick(30), "makeronion.onion:5222", NG_FEATURES));
    BOOST_REQUIRE(ng_taker.join(testNick(31), "NOT-SERVING-ONION", NG_FEATURES));
    maker.send(685, testNick(30) + "!" + testNick(31) + "!pubkey abc 02aa c2ln");
    auto peerlist = ng_taker.readType(789);
    BOOST_REQUIRE(peerlist);
    BOOST_CHECK_EQUAL(peerlist->line, testNick(30) + ";makeronion.onion:5222;F:peerlist_features+ping," +
                                          DIRECTORY_NICK + ";directoryonion.onion:5222");
}

BOOST_AUTO_TEST_CASE(a_new_peer_is_sent_nothing_after_the_handshake_reply) {
    // A REF client starting up waits until every peer it knows is handshaked: a peerlist of
    // makers it has no connection to would hold it for 60 s. REF directories send none.
    ServerFixture f;
    RawPeer maker(f.port), taker(f.port), ng(f.port);
    BOOST_REQUIRE(maker.join(testNick(35), "makeronion.onion:5222", NG_FEATURES));
    BOOST_REQUIRE(taker.join(testNick(36)));
    BOOST_REQUIRE(ng.join(testNick(37), "makertwo.onion:5222", NG_FEATURES));
    BOOST_CHECK(!taker.read(SHORT));
    BOOST_CHECK(!ng.read(SHORT));
    BOOST_CHECK(!maker.read(SHORT));
    // An NG peer gets the peers when it asks.
    ng.send(791, "");
    auto list = ng.readType(789);
    BOOST_REQUIRE(list);
    BOOST_CHECK_EQUAL(jm::protocol::parsePeerlist(list->line).value().size(), 2u);
}

BOOST_AUTO_TEST_CASE(not_serving_sender_location_is_not_sent) {
    ServerFixture f;
    RawPeer maker(f.port), taker(f.port);
    BOOST_REQUIRE(maker.join(testNick(40), "makeronion.onion:5222"));
    BOOST_REQUIRE(taker.join(testNick(41)));
    taker.send(685, testNick(41) + "!" + testNick(40) + "!fill 0 100 abc P00 02aa c2ln");
    BOOST_REQUIRE(maker.readType(685));
    BOOST_CHECK(!maker.readType(789, SHORT));
}

BOOST_AUTO_TEST_CASE(spoofed_from_nick_is_dropped) {
    ServerFixture f;
    RawPeer attacker(f.port), victim(f.port), target(f.port);
    BOOST_REQUIRE(attacker.join(testNick(50)));
    BOOST_REQUIRE(victim.join(testNick(51)));
    BOOST_REQUIRE(target.join(testNick(52)));
    attacker.send(685, testNick(51) + "!" + testNick(52) + "!fill 0 100 abc P00 02aa c2ln");
    attacker.send(687, testNick(51) + "!PUBLIC!cancel 0");
    BOOST_CHECK(!target.read(SHORT));
    BOOST_CHECK(!victim.read(SHORT));
    BOOST_CHECK_EQUAL(f.drops(Drop::spoofed_nick), 2u);
    // The attacker's own messages still go through.
    attacker.send(685, testNick(50) + "!" + testNick(52) + "!fill 0 100 abc P00 02aa c2ln");
    BOOST_CHECK(target.readType(685));
}

BOOST_AUTO_TEST_CASE(unknown_recipient_and_bad_lines_are_dropped) {
    ServerFixture f;
    RawPeer peer(f.port), other(f.port);
    BOOST_REQUIRE(peer.join(testNick(60)));
    BOOST_REQUIRE(other.join(testNick(61)));
    peer.send(685, testNick(60) + "!" + testNick(99) + "!fill 0 100 abc P00 02aa c2ln");
    peer.send(685, testNick(60) + "!PUBLIC!orderbook");            // a privmsg to PUBLIC
    peer.send(687, testNick(60) + "!" + testNick(61) + "!fill x"); // a pubmsg to a nick
    peer.send(687, "no bangs at all");
    BOOST_CHECK(!other.read(SHORT));
    BOOST_CHECK_EQUAL(f.drops(Drop::unknown_recipient), 1u);
    BOOST_CHECK_EQUAL(f.drops(Drop::bad_line), 3u);
    BOOST_CHECK(!peer.closed());
}

BOOST_AUTO_TEST_CASE(getpeerlist_answers_in_chunks_of_twenty_and_is_rate_limited) {
    ServerFixture f;
    std::vector<std::unique_ptr<RawPeer>> peers;
    for (std::size_t i = 0; i < 25; ++i) {
        peers.push_back(std::make_unique<RawPeer>(f.port));
        BOOST_REQUIRE(peers.back()->join(testNick(100 + i), "peer" + std::to_string(i) + ".onion:5222",
                                         i == 0 ? NG_FEATURES : boost::json::object{}));
    }
    RawPeer asker(f.port);
    BOOST_REQUIRE(asker.join(testNick(200), "NOT-SERVING-ONION", NG_FEATURES));
    asker.send(791, "");
    std::size_t entries = 0, messages = 0;
    bool saw_features = false;
    while (auto msg = asker.readType(789, SHORT)) {
        auto list = jm::protocol::parsePeerlist(msg->line).value();
        BOOST_CHECK_LE(list.size(), 20u);
        entries += list.size();
        ++messages;
        for (const auto& e : list)
            saw_features = saw_features || !e.features.empty();
    }
    BOOST_CHECK_EQUAL(entries, 25u);
    BOOST_CHECK_EQUAL(messages, 2u);
    BOOST_CHECK(saw_features);
    asker.send(791, "");
    BOOST_CHECK(!asker.readType(789, SHORT));
    BOOST_CHECK_EQUAL(f.drops(Drop::getpeerlist_limited), 1u);
}

BOOST_AUTO_TEST_CASE(departure_is_announced_to_the_others) {
    ServerFixture f;
    RawPeer stayer(f.port);
    BOOST_REQUIRE(stayer.join(testNick(300)));
    {
        RawPeer leaver(f.port);
        BOOST_REQUIRE(leaver.join(testNick(301), "leaver.onion:5222"));
    }
    auto msg = stayer.readType(789);
    BOOST_REQUIRE(msg);
    BOOST_CHECK_EQUAL(msg->line, testNick(301) + ";leaver.onion:5222;D");
}

BOOST_AUTO_TEST_CASE(ping_is_answered_only_for_peers_that_advertised_it) {
    ServerFixture f;
    RawPeer ng(f.port), ref(f.port);
    BOOST_REQUIRE(ng.join(testNick(400), "NOT-SERVING-ONION", NG_FEATURES));
    BOOST_REQUIRE(ref.join(testNick(401)));
    ng.send(798, "");
    auto pong = ng.read();
    BOOST_REQUIRE(pong);
    BOOST_CHECK_EQUAL(pong->type, 799);
    ref.send(798, ""); // REF never sends it; and must never get 799 (it would crash)
    BOOST_CHECK(!ref.read(SHORT));
}

BOOST_AUTO_TEST_CASE(idle_peers_are_probed_and_kept_while_they_answer) {
    auto settings = testSettings();
    settings.idle_probe = std::chrono::milliseconds(1000);
    settings.idle_timeout = std::chrono::milliseconds(3000);
    ServerFixture f(settings);
    RawPeer taker(f.port);
    BOOST_REQUIRE(taker.join(testNick(502))); // silent from here on
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    RawPeer ng(f.port), maker(f.port);
    BOOST_REQUIRE(ng.join(testNick(500), "NOT-SERVING-ONION", NG_FEATURES));
    BOOST_REQUIRE(maker.join(testNick(501), "maker.onion:5222"));
    auto ping = ng.readType(798, std::chrono::milliseconds(3000));
    BOOST_REQUIRE(ping);
    ng.send(799, ""); // alive
    auto probe = maker.readType(687, std::chrono::milliseconds(3000));
    BOOST_REQUIRE(probe);
    BOOST_CHECK_EQUAL(probe->line, std::string(DIRECTORY_NICK) + "!PUBLIC!orderbook");
    maker.send(685, testNick(501) + "!" + DIRECTORY_NICK + "!sw0reloffer 0 27300 99972700 0 0.00002 02aa c2ln");
    // Past idle_timeout for the taker, within it for the two that answered. The taker cannot be
    // probed (no ping, no onion) and is kept, as REF directories keep it.
    BOOST_CHECK(!taker.waitClosed(std::chrono::milliseconds(2000)));
    BOOST_CHECK(!ng.closed());
    BOOST_CHECK(!maker.closed());
    BOOST_CHECK_EQUAL(f.drops(Drop::idle_timeout), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
