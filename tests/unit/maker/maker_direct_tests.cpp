// The maker's direct connections in plain-TCP testing mode: it announces its location in its 793,
// serves a taker's private messages arriving directly with the same session logic as through a
// directory (answering over the same connection), bounds how many it accepts, drops hostile
// peers, and refuses a listening address that is not loopback.
#include "maker_harness.hpp"

#include <maker_settings.hpp>

#include <jm/protocol/coinjoin_messages.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nacl_box.hpp>
#include <jm/protocol/peerlist.hpp>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

using namespace jm::test;
using namespace std::chrono_literals;

namespace {

struct DirectMaker {
    ChainHub hub;
    TestDirectory directory;
    std::unique_ptr<MakerUnderTest> maker;
    std::string maker_nick;
    std::uint16_t port = 0;

    explicit DirectMaker(boost::json::object extra = {}) {
        MakerOptions o;
        o.directories = {directory.port()};
        o.config = {{"direct_listen", "127.0.0.1:0"}, {"session_timeout", "5s"}};
        for (const auto& [k, v] : extra)
            o.config[k] = v;
        maker = std::make_unique<MakerUnderTest>(hub, o);
        hub.mine(1);
        maker->start();
        maker_nick = maker->nick();
        auto location = maker->onStrand([&] { return maker->plugin().location(); });
        BOOST_REQUIRE(location.serving());
        BOOST_REQUIRE_EQUAL(location.host, "127.0.0.1");
        port = location.port;
    }
};

//! The next 685 from `from` on `peer`: (command, text), signature checked.
std::optional<std::pair<std::string, std::string>> nextPrivate(RawPeer& peer, const std::string& from) {
    for (int i = 0; i < 20; ++i) {
        auto e = peer.readType(685, 3000ms);
        if (!e) return std::nullopt;
        auto line = jm::protocol::parseChannelLine(e->line);
        if (!line || line->from != from) continue;
        auto body = jm::protocol::parseSignedBody(line->body);
        if (!body || !jm::protocol::verifyPrivmsg(body->text, body->pubkey_hex, body->signature_base64)) continue;
        return std::make_pair(body->first_command, body->text);
    }
    return std::nullopt;
}

void sendSigned(RawPeer& peer, const jm::protocol::NickIdentity& id, const std::string& to, const std::string& command,
                const std::string& text) {
    peer.send(685, jm::protocol::formatPrivateLine(id.nick(), to, command, id.signedText(text)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(maker_direct)

BOOST_AUTO_TEST_CASE(a_taker_connecting_directly_is_served_over_that_connection) {
    DirectMaker m;
    jm::protocol::NickIdentity taker;
    RawPeer peer(m.port);
    // The maker's 793 comes first, with the location it announces to the directories too.
    auto hs_line = peer.readType(793);
    BOOST_REQUIRE(hs_line);
    auto hs = jm::protocol::parseClientHandshake(hs_line->line);
    BOOST_REQUIRE(hs);
    BOOST_CHECK_EQUAL(hs->nick, m.maker_nick);
    BOOST_CHECK_EQUAL(hs->location.toString(), "127.0.0.1:" + std::to_string(m.port));
    peer.handshake(taker.nick(), NETWORK);

    // !orderbook and !fill directly: the offers and the !pubkey come back on this connection.
    sendSigned(peer, taker, m.maker_nick, "orderbook", "x");
    auto offers = nextPrivate(peer, m.maker_nick);
    BOOST_REQUIRE(offers);
    BOOST_CHECK(jm::protocol::offerTypeFromName(offers->first).has_value());
    auto coin = ScriptedTaker(m.hub, m.directory.port()).fund(20'000'000);
    m.hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    auto keys = jm::protocol::BoxKeyPair::generate();
    auto offer = m.maker->offers().front();
    sendSigned(peer, taker, m.maker_nick, "fill",
               jm::protocol::formatFillArgs({offer.oid, 10'000'000, keys.publicKeyHex(), commitment}));
    auto pubkey = nextPrivate(peer, m.maker_nick);
    BOOST_REQUIRE(pubkey);
    BOOST_CHECK_EQUAL(pubkey->first, "pubkey");
    BOOST_CHECK_EQUAL(m.maker->liveSessions(), 1u);
    auto counters = m.maker->counters();
    BOOST_CHECK_EQUAL(counters.direct_received, 2u);
    BOOST_CHECK_EQUAL(counters.direct_sent, 2u);
    BOOST_CHECK_EQUAL(counters.fills, 1u);
}

BOOST_AUTO_TEST_CASE(direct_connections_are_bounded_and_hostile_ones_dropped) {
    DirectMaker m({{"max_direct_connections", 2}});
    jm::protocol::NickIdentity taker, other;
    RawPeer a(m.port), b(m.port);
    BOOST_REQUIRE(a.readType(793));
    BOOST_REQUIRE(b.readType(793));
    RawPeer c(m.port);
    BOOST_CHECK(c.waitClosed());
    // A forged sender and a huge line: dropped, and nothing reaches the session logic.
    a.handshake(taker.nick(), NETWORK);
    sendSigned(a, other, m.maker_nick, "orderbook", "x");
    BOOST_CHECK(a.waitClosed());
    b.sendRaw(std::string(60'000, '{'));
    BOOST_CHECK(b.waitClosed());
    BOOST_CHECK_EQUAL(m.maker->counters().direct_received, 0u);
    // Room again for an honest one.
    RawPeer d(m.port);
    BOOST_REQUIRE(d.readType(793));
    d.handshake(taker.nick(), NETWORK);
    sendSigned(d, taker, m.maker_nick, "orderbook", "x");
    BOOST_CHECK(nextPrivate(d, m.maker_nick));
    auto direct = m.maker->onStrand([&] { return m.maker->plugin().directPeers()->counters(); });
    BOOST_CHECK_EQUAL(direct.refused, 1u);
    BOOST_CHECK_GE(direct.dropped, 2u);
}

BOOST_AUTO_TEST_CASE(a_peer_spoofing_a_takers_nick_with_replayed_messages_cannot_end_its_session) {
    // A 793 proves nothing and a signature binds neither the recipient nor the session: a peer
    // holding messages the taker signed for someone else (another maker of its CoinJoin, an
    // earlier round) connects directly under the taker's nick and replays them. Junk that does
    // not decrypt must not end the taker's session (REF skips such messages too).
    DirectMaker m;
    jm::protocol::NickIdentity taker;
    RawPeer honest(m.port);
    BOOST_REQUIRE(honest.readType(793));
    honest.handshake(taker.nick(), NETWORK);
    auto coin = ScriptedTaker(m.hub, m.directory.port()).fund(20'000'000);
    m.hub.mine(6);
    auto [commitment, opening] = ScriptedTaker::podle(coin);
    auto keys = jm::protocol::BoxKeyPair::generate();
    auto offer = m.maker->offers().front();
    sendSigned(honest, taker, m.maker_nick, "fill",
               jm::protocol::formatFillArgs({offer.oid, 10'000'000, keys.publicKeyHex(), commitment}));
    auto pubkey = nextPrivate(honest, m.maker_nick);
    BOOST_REQUIRE(pubkey && pubkey->first == "pubkey");
    auto maker_key = jm::protocol::parsePubkey(pubkey->second);
    BOOST_REQUIRE(maker_key);
    jm::protocol::BoxSession box(keys, jm::protocol::parseBoxPublicKey(maker_key->maker_encpk).value());

    // What the taker signed in another session: an !auth and a !tx boxed for someone else.
    jm::protocol::BoxSession elsewhere(jm::protocol::BoxKeyPair::generate(),
                                       jm::protocol::BoxKeyPair::generate().publicKey());
    RawPeer spoofer(m.port);
    BOOST_REQUIRE(spoofer.readType(793));
    spoofer.handshake(taker.nick(), NETWORK);
    sendSigned(spoofer, taker, m.maker_nick, "auth", elsewhere.encrypt(opening));
    sendSigned(spoofer, taker, m.maker_nick, "tx", elsewhere.encrypt("replayed"));
    BOOST_REQUIRE(eventually([&] { return m.maker->counters().direct_received >= 3; }));
    BOOST_CHECK_EQUAL(m.maker->liveSessions(), 1u);
    BOOST_CHECK(m.maker->events("maker.session_failed/1").empty());

    // The taker's own !auth still gets its !ioauth, on its own connection.
    sendSigned(honest, taker, m.maker_nick, "auth", box.encrypt(opening));
    auto ioauth = nextPrivate(honest, m.maker_nick);
    BOOST_REQUIRE(ioauth);
    BOOST_CHECK_EQUAL(ioauth->first, "ioauth");
}

BOOST_AUTO_TEST_CASE(with_tor_control_the_maker_serves_and_announces_its_onion) {
    // A fake Tor control port: NULL authentication, ADD_ONION answered with a service id; it
    // records the ADD_ONION line (whose target is the maker's listener).
    const std::string service_id = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd";
    boost::asio::io_context tor_context;
    boost::asio::ip::tcp::acceptor acceptor(tor_context, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto tor_port = acceptor.local_endpoint().port();
    std::promise<std::string> add_onion;
    std::thread tor([&] {
        boost::asio::ip::tcp::socket s(tor_context);
        acceptor.accept(s);
        boost::asio::streambuf buffer;
        bool added = false;
        for (;;) {
            boost::system::error_code ec;
            boost::asio::read_until(s, buffer, "\r\n", ec);
            if (ec) break;
            std::istream in(&buffer);
            std::string line;
            std::getline(in, line);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            std::string reply = "250 OK\r\n";
            if (line.starts_with("PROTOCOLINFO"))
                reply = "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor=\"0.4.7.16\"\r\n250 OK\r\n";
            if (line.starts_with("ADD_ONION")) {
                reply = "250-ServiceID=" + service_id +
                        "\r\n250-PrivateKey=ED25519-V3:aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSByZWFsIGtleQ==\r\n250 OK\r\n";
                if (!added) add_onion.set_value(line);
                added = true;
            }
            boost::asio::write(s, boost::asio::buffer(reply), ec);
            if (ec) break;
        }
    });

    ChainHub hub;
    TestDirectory directory;
    MakerOptions o;
    o.directories = {directory.port()};
    o.config = {{"tor", {{"control", "127.0.0.1:" + std::to_string(tor_port)}}}};
    MakerUnderTest maker(hub, o);
    hub.mine(1);
    maker.start(); // waits for the offers on the directory: after the onion was published
    auto added = add_onion.get_future().get();
    BOOST_CHECK_MESSAGE(added.find("Port=5222,127.0.0.1:") != std::string::npos, added);
    auto location = maker.onStrand([&] { return maker.plugin().location(); });
    BOOST_CHECK_EQUAL(location.toString(), service_id + ".onion:5222");
    // The directory has it as the maker's location (what its peerlists give takers).
    RawPeer watcher(directory.port());
    BOOST_REQUIRE(watcher.join(testNick(77)));
    watcher.send(791, "");
    auto list = watcher.readType(789);
    BOOST_REQUIRE(list);
    auto entries = jm::protocol::parsePeerlist(list->line).value();
    auto entry = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.nick == maker.nick(); });
    BOOST_REQUIRE(entry != entries.end());
    BOOST_CHECK_EQUAL(entry->location, service_id + ".onion:5222");
    // The ADD_ONION target is the maker's listener: a connection there gets its 793.
    auto target = std::stoi(added.substr(added.find("127.0.0.1:") + 10));
    RawPeer peer(static_cast<std::uint16_t>(target));
    auto hs = peer.readType(793);
    BOOST_REQUIRE(hs);
    BOOST_CHECK_EQUAL(jm::protocol::parseClientHandshake(hs->line).value().location.toString(),
                      service_id + ".onion:5222");
    maker.stop(); // DEL_ONION, then the control connection closes
    tor.join();
}

BOOST_AUTO_TEST_CASE(direct_settings_are_checked) {
    using jm::plugins::maker::MakerSettings;
    auto read = [](boost::json::object extra) {
        boost::json::object c{{"backend", "b"}, {"yieldgen", "y"}, {"directories", boost::json::array{"127.0.0.1:1"}}};
        for (const auto& [k, v] : extra)
            c[k] = v;
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(MakerSettings::schema().validate(c, "$", problems));
        return MakerSettings::fromConfig(c);
    };
    auto ok = read({{"direct_listen", "127.0.0.1:0"}});
    BOOST_REQUIRE(ok);
    BOOST_CHECK_EQUAL(ok->direct_listen->port, 0);
    BOOST_CHECK(read({{"direct_listen", "127.0.0.1:27183"}, {"direct_announce", "abc.onion:5222"}}));
    auto public_ip = read({{"direct_listen", "0.0.0.0:27183"}});
    BOOST_CHECK(!public_ip && public_ip.error().message.find("loopback") != std::string::npos);
    BOOST_CHECK(!read({{"direct_listen", "nonsense"}}));
    BOOST_CHECK(!read({{"direct_listen", "127.0.0.1:0"}, {"direct_announce", "NOT-SERVING-ONION"}}));
    auto lonely = read({{"direct_announce", "127.0.0.1:5222"}});
    BOOST_CHECK(!lonely && lonely.error().message.find("needs direct_listen") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
