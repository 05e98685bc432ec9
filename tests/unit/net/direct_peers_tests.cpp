// Direct peer connections (protocol.md 3.4): DirectInbox's judgement of each line (every error
// path), and DirectPeers over loopback: a maker-like listener against raw hostile peers, a
// taker-like dialler against a listener, a dead location and a peer that never answers.
#include "test_server.hpp"

#include <util/raw_peer.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/net/direct_inbox.hpp>
#include <jm/net/direct_peers.hpp>
#include <jm/protocol/envelope.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <mutex>
#include <thread>

using namespace jm::test;
using jm::net::DirectInbox;
using jm::net::DirectPeers;
using jm::net::DirectVerdict;
using jm::protocol::NickIdentity;
using jm::sdk::errc;
using Kind = DirectVerdict::Kind;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const std::string NET = "testnet";

std::string envelope(int type, const std::string& line) {
    auto wire = jm::protocol::formatEnvelope({type, line}, 1 << 20).value();
    return wire.substr(0, wire.size() - 2); // without CRLF: one line as the framer gives it
}

std::string handshakeLine(const std::string& nick, const std::string& network = NET, bool directory = false,
                          const std::string& location = "NOT-SERVING-ONION") {
    jm::protocol::ClientHandshake hs;
    hs.nick = nick;
    hs.network = network;
    hs.directory = directory;
    hs.location = jm::protocol::parseLocation(location).value();
    return jm::protocol::formatClientHandshake(hs);
}

std::string privmsg(const NickIdentity& from, const std::string& to, const std::string& command = "fill",
                    const std::string& text = "0 1000000 abc P00") {
    return jm::protocol::formatPrivateLine(from.nick(), to, command, from.signedText(text));
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

BOOST_AUTO_TEST_SUITE(direct_inbox)

BOOST_AUTO_TEST_CASE(a_signed_message_after_the_handshake_is_delivered_and_proves_the_nick) {
    NickIdentity us, peer;
    DirectInbox inbox(NET, us.nick(), "");
    auto hs = inbox.onLine(envelope(793, handshakeLine(peer.nick())));
    BOOST_REQUIRE(hs.kind == Kind::handshake);
    BOOST_CHECK_EQUAL(hs.handshake->nick, peer.nick());
    BOOST_CHECK(!inbox.proven());
    // REF handles one 793 per connection: a later one changes nothing.
    BOOST_CHECK(inbox.onLine(envelope(793, handshakeLine(NickIdentity().nick()))).kind == Kind::ignore);
    BOOST_CHECK_EQUAL(inbox.peer().nick, peer.nick());
    auto m = inbox.onLine(envelope(685, privmsg(peer, us.nick())));
    BOOST_REQUIRE(m.kind == Kind::message);
    BOOST_CHECK_EQUAL(m.message->line.from, peer.nick());
    BOOST_CHECK(m.message->is_private);
    BOOST_CHECK(inbox.proven());
}

BOOST_AUTO_TEST_CASE(every_bad_line_drops_the_connection_with_its_reason) {
    NickIdentity us, peer, other;
    struct Case {
        std::string name;
        std::vector<std::string> lines; // the last one must be dropped
        std::string expect;
    };
    auto hs = envelope(793, handshakeLine(peer.nick()));
    std::vector<Case> cases{
        {"not json", {"{\"type\": 793, \"line\": "}, "malformed line"},
        {"type not an integer", {"{\"type\": \"793\", \"line\": \"x\"}"}, "malformed line"},
        {"line not a string", {"{\"type\": 685, \"line\": 5}"}, "malformed line"},
        {"handshake not json", {envelope(793, "{nope")}, "invalid handshake"},
        {"handshake missing nick", {envelope(793, "{\"app-name\": \"joinmarket\"}")}, "invalid handshake"},
        {"other network", {envelope(793, handshakeLine(peer.nick(), "mainnet"))}, "handshake refused"},
        {"a directory", {envelope(793, handshakeLine(peer.nick(), NET, true))}, "handshake refused"},
        {"bad nick", {envelope(793, handshakeLine("J5!bad\nnick"))}, "invalid nick"},
        {"our own nick", {envelope(793, handshakeLine(us.nick()))}, "our own nick"},
        {"privmsg before handshake", {envelope(685, privmsg(peer, us.nick()))}, "before the handshake"},
        {"forged sender", {hs, envelope(685, privmsg(other, us.nick()))}, "forged nick"},
        {"no signature", {hs, envelope(685, peer.nick() + "!" + us.nick() + "!fill 0 1000")}, "malformed private"},
        {"bad signature",
         {hs, envelope(685, peer.nick() + "!" + us.nick() + "!fill 0 1000 " +
                                jm::bitcoin::toHex(peer.publicKey().compressed()) +
                                " MEUCIQDAuI7CV5gDTyNVYwEPEAZoAd"
                                "AmLA0mnpohH62cwFyV6wIgDJnlZJzCtpb"
                                "PQqNnzLNfibu0ggOniHVYqT6JKONpdMI=")},
         "bad signature"},
        {"signed by another key",
         {hs, envelope(685, peer.nick() + "!" + us.nick() + "!fill " + other.signedText("0 1000"))},
         "not the nick's"},
        {"public message as private", {hs, envelope(685, peer.nick() + "!PUBLIC!orderbook")}, "public message"},
        {"no nicks", {hs, envelope(685, "garbage")}, "malformed private message"},
    };
    for (const auto& c : cases) {
        DirectInbox inbox(NET, us.nick(), "");
        DirectVerdict v;
        for (const auto& line : c.lines)
            v = inbox.onLine(line);
        BOOST_TEST_CONTEXT(c.name) {
            BOOST_CHECK(v.kind == Kind::drop);
            BOOST_CHECK_MESSAGE(has(v.reason, c.expect), v.reason);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_dialled_nick_must_answer_as_itself) {
    NickIdentity us, maker, impostor;
    DirectInbox inbox(NET, us.nick(), maker.nick());
    auto v = inbox.onLine(envelope(793, handshakeLine(impostor.nick())));
    BOOST_CHECK(v.kind == Kind::drop);
    BOOST_CHECK(has(v.reason, "not " + maker.nick()));
    DirectInbox ok(NET, us.nick(), maker.nick());
    BOOST_CHECK(ok.onLine(envelope(793, handshakeLine(maker.nick(), NET, false, "127.0.0.1:5222"))).kind ==
                Kind::handshake);
}

BOOST_AUTO_TEST_CASE(useless_lines_are_ignored_up_to_a_limit_and_long_lines_refused) {
    NickIdentity us, peer;
    DirectInbox inbox(NET, us.nick(), "", 1000, 3);
    BOOST_CHECK(inbox.onLine(envelope(793, handshakeLine(peer.nick()))).kind == Kind::handshake);
    BOOST_CHECK(inbox.onLine(envelope(687, peer.nick() + "!PUBLIC!orderbook")).kind == Kind::ignore);
    BOOST_CHECK(inbox.onLine(envelope(797, "127.0.0.1:1")).kind == Kind::ignore); // REF-local: never acted on
    BOOST_CHECK(inbox.onLine(envelope(685, privmsg(peer, NickIdentity().nick()))).kind == Kind::ignore);
    auto v = inbox.onLine(envelope(12345, ""));
    BOOST_CHECK(v.kind == Kind::drop);
    BOOST_CHECK(has(v.reason, "of no use"));
    DirectInbox small(NET, us.nick(), "", 1000);
    auto long_line = small.onLine(envelope(793, std::string(2000, 'x')));
    BOOST_CHECK(long_line.kind == Kind::drop);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

//! DirectPeers on a background io thread; the test calls it through run().
struct Node {
    explicit Node(jm::net::DirectPeersSettings settings = {}) : strand(asio::make_strand(context)) {
        if (settings.network.empty()) settings.network = NET;
        jm::net::DirectPeersHandler h;
        h.on_message = [this](const jm::net::ChannelMessage& m) {
            std::lock_guard lock(mutex);
            messages.push_back(m);
        };
        h.on_peer = [this](const std::string& nick, bool up) {
            std::lock_guard lock(mutex);
            (up ? ups : downs).push_back(nick);
        };
        h.on_closed = [this](const std::string& who, const std::string& reason) {
            std::lock_guard lock(mutex);
            closed.push_back(who + ": " + reason);
        };
        peers = DirectPeers::create(strand, settings, identity, h);
        thread = std::thread([this] {
            auto guard = asio::make_work_guard(context);
            context.run();
        });
    }
    ~Node() {
        run([&] {
            peers->stop();
            return 0;
        });
        context.stop();
        thread.join();
    }
    template <class F> auto run(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        asio::post(strand, [&] { task(); });
        return future.get();
    }
    std::uint16_t listen() {
        return run([&] { return peers->listen({asio::ip::make_address("127.0.0.1"), 0}).value().port(); });
    }
    bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            {
                std::lock_guard lock(mutex);
                if (done()) return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::lock_guard lock(mutex);
        return done();
    }
    std::string closedText() {
        std::lock_guard lock(mutex);
        std::string all;
        for (const auto& c : closed)
            all += c + "\n";
        return all;
    }

    asio::io_context context;
    asio::strand<asio::io_context::executor_type> strand;
    std::shared_ptr<const NickIdentity> identity = std::make_shared<const NickIdentity>();
    std::shared_ptr<DirectPeers> peers;
    std::thread thread;
    std::mutex mutex;
    std::vector<jm::net::ChannelMessage> messages;
    std::vector<std::string> ups, downs, closed;
};

jm::net::DirectPeersSettings serving(std::size_t max_inbound = 32) {
    jm::net::DirectPeersSettings s;
    s.network = NET;
    s.location = {"127.0.0.1", 5222};
    s.max_inbound = max_inbound;
    s.handshake_timeout = std::chrono::milliseconds(1500);
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(direct_peers)

BOOST_AUTO_TEST_CASE(an_inbound_peer_is_answered_only_once_its_nick_is_proven) {
    Node maker(serving());
    auto port = maker.listen();
    NickIdentity taker;
    RawPeer raw(port);
    // We send our 793 at once (REF), with our location.
    auto ours = raw.readType(793);
    BOOST_REQUIRE(ours);
    auto hs = jm::protocol::parseClientHandshake(ours->line);
    BOOST_REQUIRE(hs);
    BOOST_CHECK_EQUAL(hs->nick, maker.identity->nick());
    BOOST_CHECK_EQUAL(hs->location.toString(), "127.0.0.1:5222");
    raw.handshake(taker.nick(), NET);
    // A 793 is not signed: the nick it claims is not trusted with our replies yet.
    BOOST_CHECK(maker.waitFor([&] { return maker.peers->counters().handshakes == 1; }) ||
                maker.run([&] { return maker.peers->counters().handshakes; }) == 1);
    BOOST_CHECK(!maker.run([&] { return maker.peers->isUp(taker.nick()); }));
    auto refused = maker.run([&] { return maker.peers->sendPrivate(taker.nick(), "pubkey", "abc"); });
    BOOST_CHECK(!refused && refused.error().code == jm::sdk::make_error_code(errc::unavailable));
    raw.send(685, privmsg(taker, maker.identity->nick()));
    BOOST_REQUIRE(maker.waitFor([&] { return maker.messages.size() == 1; }));
    BOOST_CHECK_EQUAL(maker.messages.front().line.from, taker.nick());
    BOOST_CHECK(maker.waitFor([&] { return maker.ups.size() == 1; }));
    BOOST_REQUIRE(maker.run([&] { return maker.peers->sendPrivate(taker.nick(), "pubkey", "abc").has_value(); }));
    auto reply = raw.readType(685);
    BOOST_REQUIRE(reply);
    auto line = jm::protocol::parseChannelLine(reply->line).value();
    BOOST_CHECK_EQUAL(line.from, maker.identity->nick());
    BOOST_CHECK_EQUAL(line.to, taker.nick());
    auto body = jm::protocol::parseSignedBody(line.body).value();
    BOOST_CHECK(jm::protocol::verifyPrivmsg(body.text, body.pubkey_hex, body.signature_base64).has_value());
    BOOST_CHECK_EQUAL(maker.run([&] { return maker.peers->counters().sent; }), 1u);
}

BOOST_AUTO_TEST_CASE(hostile_peers_are_dropped_with_the_reason_and_the_listener_keeps_serving) {
    Node maker(serving());
    auto port = maker.listen();
    NickIdentity taker, other;
    {
        RawPeer silent(port); // never handshakes
        BOOST_CHECK(silent.waitClosed(std::chrono::milliseconds(6000)));
    }
    {
        RawPeer huge(port);
        huge.sendRaw(std::string(50'000, 'a')); // no line end, over REF's 40000
        BOOST_CHECK(huge.waitClosed());
    }
    {
        RawPeer junk(port);
        junk.sendRaw("this is not json\r\n");
        BOOST_CHECK(junk.waitClosed());
    }
    {
        RawPeer forger(port);
        forger.handshake(taker.nick(), NET);
        forger.send(685, privmsg(other, maker.identity->nick()));
        BOOST_CHECK(forger.waitClosed());
    }
    {
        RawPeer unsigned_peer(port);
        unsigned_peer.handshake(taker.nick(), NET);
        unsigned_peer.send(685, taker.nick() + "!" + maker.identity->nick() + "!fill 0 100 " +
                                    jm::bitcoin::toHex(taker.publicKey().compressed()) + " AAAA");
        BOOST_CHECK(unsigned_peer.waitClosed());
    }
    BOOST_CHECK(maker.waitFor([&] { return maker.closed.size() >= 5; }));
    auto log = maker.closedText();
    for (auto reason : {"no handshake within", "longer than", "malformed line", "forged nick", "bad signature"})
        BOOST_CHECK_MESSAGE(has(log, reason), reason << " not in:\n" << log);
    BOOST_CHECK(maker.messages.empty());
    // Still serving an honest taker.
    RawPeer honest(port);
    honest.handshake(taker.nick(), NET);
    honest.send(685, privmsg(taker, maker.identity->nick()));
    BOOST_CHECK(maker.waitFor([&] { return maker.messages.size() == 1; }));
}

BOOST_AUTO_TEST_CASE(connections_over_max_inbound_are_closed_at_once) {
    auto settings = serving(2);
    settings.handshake_timeout = std::chrono::seconds(30); // a and b stay while c is refused
    Node maker(settings);
    auto port = maker.listen();
    RawPeer a(port), b(port);
    BOOST_REQUIRE(a.readType(793));
    BOOST_REQUIRE(b.readType(793));
    RawPeer c(port);
    BOOST_CHECK(c.waitClosed());
    BOOST_CHECK(maker.waitFor([&] { return maker.peers->counters().refused == 1; }));
    BOOST_CHECK(has(maker.closedText(), "the most accepted"));
    BOOST_CHECK_EQUAL(maker.run([&] { return maker.peers->inboundCount(); }), 2u);
}

BOOST_AUTO_TEST_CASE(a_taker_dials_a_maker_and_both_directions_carry_signed_messages) {
    Node maker(serving());
    auto port = maker.listen();
    auto dialling = serving(0);
    dialling.location = {};
    dialling.plain_tcp = true;
    Node taker(dialling);
    const auto maker_nick = maker.identity->nick();
    const auto taker_nick = taker.identity->nick();
    auto location = "127.0.0.1:" + std::to_string(port);
    BOOST_REQUIRE(taker.run([&] { return taker.peers->connect(maker_nick, location).has_value(); }));
    BOOST_REQUIRE(taker.waitFor([&] { return taker.ups.size() == 1; }));
    BOOST_CHECK_EQUAL(taker.ups.front(), maker_nick);
    BOOST_REQUIRE(taker.run([&] { return taker.peers->sendPrivate(maker_nick, "fill", "0 1000 k P00").has_value(); }));
    BOOST_REQUIRE(maker.waitFor([&] { return maker.messages.size() == 1; }));
    BOOST_CHECK_EQUAL(maker.messages.front().line.from, taker_nick);
    BOOST_REQUIRE(maker.run([&] { return maker.peers->sendPrivate(taker_nick, "pubkey", "key").has_value(); }));
    BOOST_REQUIRE(taker.waitFor([&] { return taker.messages.size() == 1; }));
    BOOST_CHECK_EQUAL(taker.messages.front().line.from, maker_nick);
    // One attempt per nick (REF): a second connect() changes nothing.
    BOOST_CHECK(taker.run([&] { return taker.peers->connect(maker_nick, location).has_value(); }));
    BOOST_CHECK_EQUAL(taker.run([&] { return taker.peers->counters().dialled; }), 1u);
    // The maker goes away: the taker learns the connection is gone.
    maker.run([&] {
        maker.peers->stop();
        return 0;
    });
    BOOST_CHECK(taker.waitFor([&] { return taker.downs.size() == 1; }));
    BOOST_CHECK(!taker.run([&] { return taker.peers->isUp(maker_nick); }));
}

BOOST_AUTO_TEST_CASE(locations_the_taker_may_not_dial_are_refused) {
    auto s = serving(0);
    s.plain_tcp = true;
    Node taker(s);
    NickIdentity maker;
    auto connect = [&](const std::string& location) {
        return taker.run([&] { return taker.peers->connect(maker.nick(), location); });
    };
    auto code = [](const jm::sdk::Result<void>& r) { return r ? boost::system::error_code() : r.error().code; };
    BOOST_CHECK(code(connect("NOT-SERVING-ONION")) == jm::sdk::make_error_code(errc::invalid_argument));
    BOOST_CHECK(code(connect("nonsense")) == jm::sdk::make_error_code(errc::invalid_argument));
    BOOST_CHECK(code(connect("10.1.2.3:5222")) == jm::sdk::make_error_code(errc::unavailable)); // not loopback
    BOOST_CHECK(code(connect("example.com:5222")) == jm::sdk::make_error_code(errc::unavailable));
    auto onion = "zkvcxxg6xgnrn6ci2ngeenqdzgtyrhe7brgu4xmxavzkcjjblw2zi5qd.onion:5222";
    BOOST_CHECK(code(connect(onion)) == jm::sdk::make_error_code(errc::unavailable)); // no tor.socks
    BOOST_CHECK(taker.run([&] { return taker.peers->connect("not a nick", "127.0.0.1:1"); }).has_value() == false);
    Node tor_only(serving(0)); // plain_tcp off: loopback is not dialled either
    BOOST_CHECK(!tor_only.run([&] { return tor_only.peers->connect(maker.nick(), "127.0.0.1:5222"); }));
}

BOOST_AUTO_TEST_CASE(a_dead_or_stalling_location_ends_within_the_timeouts) {
    auto s = serving(0);
    s.plain_tcp = true;
    s.connect_timeout = std::chrono::milliseconds(500);
    s.handshake_timeout = std::chrono::milliseconds(500);
    Node taker(s);
    NickIdentity dead, stalling, impostor_target;
    // Bound but not listening: connections are refused, and no other program can take the port.
    asio::io_context dead_context;
    tcp::socket dead_socket(dead_context);
    dead_socket.open(tcp::v4());
    dead_socket.bind({asio::ip::make_address("127.0.0.1"), 0});
    auto dead_port = dead_socket.local_endpoint().port();
    // Accepts and never says anything.
    asio::io_context stall_context;
    tcp::acceptor stall(stall_context, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket held(stall_context);
    std::thread staller([&] {
        boost::system::error_code ec;
        stall.accept(held, ec);
    });
    // Answers as another nick.
    Node impostor(serving());
    auto impostor_port = impostor.listen();

    auto started = std::chrono::steady_clock::now();
    taker.run([&] {
        (void)taker.peers->connect(dead.nick(), "127.0.0.1:" + std::to_string(dead_port));
        (void)taker.peers->connect(stalling.nick(), "127.0.0.1:" + std::to_string(stall.local_endpoint().port()));
        (void)taker.peers->connect(impostor_target.nick(), "127.0.0.1:" + std::to_string(impostor_port));
        return 0;
    });
    BOOST_REQUIRE_MESSAGE(taker.waitFor([&] { return taker.closed.size() == 3; }, std::chrono::seconds(10)),
                          taker.closedText());
    // Bounded by the 500 ms timeouts (with room for a loaded machine), not by anything the peers do.
    BOOST_CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(6));
    auto log = taker.closedText();
    BOOST_CHECK_MESSAGE(has(log, "cannot connect"), log);
    BOOST_CHECK_MESSAGE(has(log, "no handshake within"), log);
    BOOST_CHECK_MESSAGE(has(log, "not " + impostor_target.nick()), log);
    BOOST_CHECK(taker.ups.empty());
    for (const auto* n : {&dead, &stalling, &impostor_target})
        BOOST_CHECK(!taker.run([&] { return taker.peers->isUp(n->nick()); }));
    staller.join();
}

BOOST_AUTO_TEST_SUITE_END()
