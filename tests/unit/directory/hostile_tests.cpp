#include "server_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace jm::test;

namespace {
constexpr auto SHORT = std::chrono::milliseconds(300);

std::size_t residentKiB() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            std::size_t kib = 0;
            status >> kib;
            return kib;
        }
        status.ignore(4096, '\n');
    }
    return 0;
}
} // namespace

BOOST_AUTO_TEST_SUITE(directory_hostile)

BOOST_AUTO_TEST_CASE(invalid_json_closes_only_that_connection) {
    ServerFixture f;
    RawPeer bad(f.port), good_a(f.port), good_b(f.port);
    BOOST_REQUIRE(bad.join(testNick(1)));
    BOOST_REQUIRE(good_a.join(testNick(2)));
    BOOST_REQUIRE(good_b.join(testNick(3)));
    bad.sendRaw("{\"type\": 687, \"line\": \r\n");
    BOOST_CHECK(bad.waitClosed());
    BOOST_CHECK_EQUAL(f.drops(Drop::invalid_envelope), 1u);
    good_a.send(687, testNick(2) + "!PUBLIC!hp2 00");
    auto msg = good_b.readType(687);
    BOOST_REQUIRE(msg);
    BOOST_CHECK_EQUAL(msg->line, testNick(2) + "!PUBLIC!hp2 00");
}

BOOST_AUTO_TEST_CASE(wrong_member_types_close_the_connection) {
    ServerFixture f;
    for (std::string line : {"[1, 2]", "{\"type\": \"687\", \"line\": \"x\"}", "{\"type\": 687}",
                             "{\"type\": 687, \"line\": 5}", "{\"type\": 99999999999999999999, \"line\": \"\"}"}) {
        RawPeer peer(f.port);
        BOOST_REQUIRE(peer.join(testNick(10)));
        peer.sendRaw(line + "\r\n");
        BOOST_CHECK_MESSAGE(peer.waitClosed(), line);
        BOOST_REQUIRE(waitFor([&] { return f.server->peers() == 0; }));
    }
}

BOOST_AUTO_TEST_CASE(oversize_line_closes_without_buffering_it) {
    auto settings = testSettings();
    settings.max_line_length = 4096;
    ServerFixture f(settings);
    RawPeer peer(f.port);
    BOOST_REQUIRE(peer.join(testNick(20)));
    peer.sendRaw(std::string(100'000, 'x')); // no line end at all
    BOOST_CHECK(peer.waitClosed());
    BOOST_CHECK_EQUAL(f.drops(Drop::line_too_long), 1u);
}

BOOST_AUTO_TEST_CASE(unknown_and_forbidden_types_are_ignored) {
    ServerFixture f;
    RawPeer peer(f.port), other(f.port);
    BOOST_REQUIRE(peer.join(testNick(30)));
    BOOST_REQUIRE(other.join(testNick(31)));
    // REF's local-only codes (which would rewrite a REF peer's table), directory-only ones,
    // NG nick-auth codes and nonsense: none is relayed, none closes the connection.
    for (int type : {785, 787, 797, 795, 789, 801, 803, 805, 807, 12345, 0})
        peer.send(type, testNick(30) + ";evil.onion:5222");
    BOOST_CHECK(!other.read(SHORT));
    BOOST_CHECK_EQUAL(f.drops(Drop::ignored_type), 11u);
    peer.send(687, testNick(30) + "!PUBLIC!cancel 1");
    BOOST_CHECK(other.readType(687));
}

BOOST_AUTO_TEST_CASE(flooding_peer_is_limited_then_closed_while_others_are_served) {
    auto settings = testSettings();
    settings.message_rate = 50;
    settings.message_burst = 50;
    settings.violations_before_ban = 100;
    ServerFixture f(settings);
    RawPeer flooder(f.port), a(f.port), b(f.port);
    BOOST_REQUIRE(flooder.join(testNick(40)));
    BOOST_REQUIRE(a.join(testNick(41)));
    BOOST_REQUIRE(b.join(testNick(42)));
    std::string burst;
    for (int i = 0; i < 1000; ++i)
        burst += jm::protocol::formatEnvelope(
                     {685, testNick(40) + "!" + testNick(42) + "!error flood " + std::to_string(i) + " 02aa c2ln"})
                     .value();
    flooder.sendRaw(burst);
    BOOST_CHECK(flooder.waitClosed());
    BOOST_CHECK_GE(f.drops(Drop::rate_limited), 100u);
    // b got at most the burst, never the flood.
    std::size_t got = 0;
    while (b.readType(685, std::chrono::milliseconds(200)))
        ++got;
    BOOST_CHECK_LE(got, 60u);
    // The well-behaved peers still talk.
    a.send(685, testNick(41) + "!" + testNick(42) + "!fill 0 100 abc P00 02aa c2ln");
    auto msg = b.readType(685);
    BOOST_REQUIRE(msg);
    BOOST_CHECK(msg->line.starts_with(testNick(41)));
}

BOOST_AUTO_TEST_CASE(a_flooding_address_is_banned_unless_it_is_loopback) {
    auto settings = testSettings();
    settings.limit_loopback = true; // as for a directory reached without Tor
    settings.message_rate = 50;
    settings.message_burst = 50;
    settings.violations_before_ban = 20;
    ServerFixture f(settings);
    RawPeer flooder(f.port);
    BOOST_REQUIRE(flooder.join(testNick(43)));
    std::string burst;
    for (int i = 0; i < 200; ++i)
        burst += jm::protocol::formatEnvelope({687, testNick(43) + "!PUBLIC!cancel " + std::to_string(i)}).value();
    flooder.sendRaw(burst);
    BOOST_CHECK(flooder.waitClosed());
    BOOST_CHECK_EQUAL(f.drops(Drop::banned), 1u);
    RawPeer again(f.port);
    BOOST_CHECK(again.waitClosed()); // the address is refused at accept
    BOOST_CHECK_EQUAL(f.drops(Drop::banned), 2u);
}

BOOST_AUTO_TEST_CASE(orderbook_requests_have_their_own_limit) {
    ServerFixture f;
    RawPeer taker(f.port), maker(f.port);
    BOOST_REQUIRE(taker.join(testNick(50)));
    BOOST_REQUIRE(maker.join(testNick(51), "maker.onion:5222"));
    taker.send(687, testNick(50) + "!PUBLIC!orderbook!orderbook"); // REF drops these outright
    for (int i = 0; i < 10; ++i)
        taker.send(687, testNick(50) + "!PUBLIC!orderbook");
    std::size_t got = 0;
    while (maker.readType(687, SHORT))
        ++got;
    BOOST_CHECK_EQUAL(got, 3u); // the default burst
    BOOST_CHECK_EQUAL(f.drops(Drop::orderbook_limited), 8u);
}

BOOST_AUTO_TEST_CASE(per_address_limit_and_banned_addresses) {
    auto settings = testSettings();
    settings.limit_loopback = true;
    settings.max_connections_per_address = 3;
    ServerFixture f(settings);
    std::vector<std::unique_ptr<RawPeer>> peers;
    for (int i = 0; i < 3; ++i)
        peers.push_back(std::make_unique<RawPeer>(f.port));
    BOOST_REQUIRE(waitFor([&] { return f.server->connections() == 3; }));
    RawPeer fourth(f.port);
    BOOST_CHECK(fourth.waitClosed());
    BOOST_CHECK_EQUAL(f.drops(Drop::address_limit), 1u);

    settings.banned = {"127.0.0.1"};
    ServerFixture banned(settings);
    RawPeer refused(banned.port);
    BOOST_CHECK(refused.waitClosed());
    BOOST_CHECK_EQUAL(banned.drops(Drop::banned), 1u);
}

BOOST_AUTO_TEST_CASE(peer_that_never_reads_is_disconnected_at_the_queue_limit) {
    auto settings = testSettings();
    settings.max_send_queue = 65536;
    settings.message_rate = 1e6;
    settings.message_burst = 1e6;
    settings.relay_byte_rate = 1e12; // the queue limit is under test, not the sender's byte rate
    settings.relay_byte_burst = 1e12;
    ServerFixture f(settings);
    RawPeer sender(f.port), sink(f.port);
    BOOST_REQUIRE(sender.join(testNick(60)));
    BOOST_REQUIRE(sink.join(testNick(61))); // reads nothing from here on
    std::string text(30'000, 'a');
    std::string burst;
    for (int i = 0; i < 20; ++i)
        burst +=
            jm::protocol::formatEnvelope({685, testNick(60) + "!" + testNick(61) + "!error " + text + " 02aa c2ln"})
                .value();
    for (int round = 0; round < 100 && f.drops(Drop::send_queue_overflow) == 0; ++round)
        sender.sendRaw(burst);
    BOOST_CHECK(waitFor([&] { return f.drops(Drop::send_queue_overflow) == 1; }));
    BOOST_CHECK(waitFor([&] { return f.server->peers() == 1; }));
}

BOOST_AUTO_TEST_CASE(five_thousand_connections_opened_and_dropped) {
    auto settings = testSettings();
    settings.max_pending_handshakes = 20000;
    ServerFixture f(settings);
    RawPeer keeper(f.port);
    BOOST_REQUIRE(keeper.join(testNick(70)));
    auto rss_before = residentKiB();
    for (int round = 0; round < 10; ++round) {
        std::vector<std::unique_ptr<RawPeer>> wave;
        for (int i = 0; i < 500; ++i) {
            wave.push_back(std::make_unique<RawPeer>(f.port));
            if (i % 2) wave.back()->sendRaw("{\"type\": 793, \"line\": \"{\\\"app"); // half a handshake
        }
    }
    BOOST_CHECK(waitFor([&] { return f.server->connections() == 1; }, std::chrono::milliseconds(10000)));
    BOOST_CHECK_EQUAL(f.server->stats().connections, 5001u);
    // The surviving peer is still served and memory did not grow with the churn.
    RawPeer other(f.port);
    BOOST_REQUIRE(other.join(testNick(71)));
    other.send(685, testNick(71) + "!" + testNick(70) + "!fill 0 100 abc P00 02aa c2ln");
    BOOST_CHECK(keeper.readType(685));
    BOOST_CHECK_LT(residentKiB(), rss_before + 20 * 1024);
}

BOOST_AUTO_TEST_SUITE_END()
