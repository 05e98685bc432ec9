#include "server_fixture.hpp"

#include <jm/net/directory_client.hpp>
#include <jm/net/multi_directory_client.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <future>
#include <mutex>

using namespace jm::test;
using jm::net::DirectoryClient;
using jm::net::DirectoryClientSettings;
using jm::net::MultiDirectoryClient;

namespace {

//! An io_context on a background thread and a strand for the clients under test.
class ClientThread {
public:
    ClientThread() : m_strand(boost::asio::make_strand(m_context)) {
        m_thread = std::thread([this] {
            auto guard = boost::asio::make_work_guard(m_context);
            m_context.run();
        });
    }
    ~ClientThread() {
        m_context.stop();
        m_thread.join();
    }
    jm::sdk::Executor executor() { return m_strand; }
    //! Runs `f` on the strand and returns its result.
    template <class F> auto run(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(m_strand, [&] { task(); });
        return future.get();
    }

private:
    boost::asio::io_context m_context;
    boost::asio::strand<boost::asio::io_context::executor_type> m_strand;
    std::thread m_thread;
};

//! Thread-safe record of what callbacks saw.
class Events {
public:
    void add(std::string e) {
        std::lock_guard lock(m_mutex);
        m_events.push_back(std::move(e));
        m_cv.notify_all();
    }
    bool waitFor(const std::string& prefix, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        std::unique_lock lock(m_mutex);
        return m_cv.wait_for(lock, timeout, [&] { return countLocked(prefix) > 0; });
    }
    std::size_t count(const std::string& prefix) {
        std::lock_guard lock(m_mutex);
        return countLocked(prefix);
    }
    std::vector<std::string> all() {
        std::lock_guard lock(m_mutex);
        return m_events;
    }

private:
    std::size_t countLocked(const std::string& prefix) const {
        return static_cast<std::size_t>(
            std::count_if(m_events.begin(), m_events.end(), [&](const auto& e) { return e.starts_with(prefix); }));
    }
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<std::string> m_events;
};

DirectoryClientSettings clientSettings(std::uint16_t port) {
    DirectoryClientSettings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.network = "testnet";
    s.features = {{"peerlist_features", true}};
    s.reconnect.initial = std::chrono::milliseconds(100);
    s.reconnect.jitter_min = std::chrono::milliseconds(0);
    s.reconnect.jitter_max = std::chrono::milliseconds(50);
    return s;
}

jm::net::DirectoryClientHandler recordingHandler(Events& events) {
    jm::net::DirectoryClientHandler h;
    h.on_ready = [&events](const auto& hs) { events.add("ready " + hs.nick); };
    h.on_disconnected = [&events](const std::string& reason) { events.add("lost " + reason); };
    h.on_message = [&events](const jm::net::ChannelMessage& m) {
        events.add(std::string(m.is_private ? "priv " : "pub ") + m.raw);
    };
    h.on_peerlist = [&events](const auto& entries) {
        for (const auto& e : entries)
            events.add("peer " + e.nick + (e.disconnected ? " D" : ""));
    };
    return h;
}

} // namespace

BOOST_AUTO_TEST_SUITE(directory_client)

BOOST_AUTO_TEST_CASE(public_and_signed_private_messages_between_two_clients) {
    ServerFixture f;
    ClientThread thread;
    auto alice_id = std::make_shared<const jm::protocol::NickIdentity>();
    auto bob_id = std::make_shared<const jm::protocol::NickIdentity>();
    Events alice_events, bob_events;
    auto alice =
        DirectoryClient::create(thread.executor(), clientSettings(f.port), alice_id, recordingHandler(alice_events));
    auto bob = DirectoryClient::create(thread.executor(), clientSettings(f.port), bob_id, recordingHandler(bob_events));
    thread.run([&] {
        alice->start();
        bob->start();
    });
    BOOST_REQUIRE(alice_events.waitFor("ready " + std::string(DIRECTORY_NICK)));
    BOOST_REQUIRE(bob_events.waitFor("ready "));

    auto sent = thread.run([&] { return alice->sendPublic({{"orderbook", ""}}); });
    BOOST_REQUIRE(sent);
    BOOST_REQUIRE(bob_events.waitFor("pub " + alice_id->nick() + "!PUBLIC!orderbook"));

    auto text = "0 5000000 07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c P00";
    BOOST_REQUIRE(thread.run([&] { return alice->sendPrivate(bob_id->nick(), "fill", text); }));
    BOOST_REQUIRE(bob_events.waitFor("priv "));
    std::string raw;
    for (const auto& e : bob_events.all())
        if (e.starts_with("priv ")) raw = e.substr(5);
    auto line = jm::protocol::parseChannelLine(raw).value();
    BOOST_CHECK_EQUAL(line.from, alice_id->nick());
    BOOST_CHECK_EQUAL(line.to, bob_id->nick());
    auto body = jm::protocol::parseSignedBody(line.body).value();
    BOOST_CHECK_EQUAL(body.first_command, "fill");
    BOOST_CHECK_EQUAL(body.text, text);
    BOOST_CHECK(jm::protocol::verifyPrivmsg(body.text, body.pubkey_hex, body.signature_base64));
    BOOST_CHECK(jm::protocol::nickMatchesPubkeyHex(alice_id->nick(), body.pubkey_hex));

    thread.run([&] {
        alice->stop();
        bob->stop();
    });
}

BOOST_AUTO_TEST_CASE(reconnects_after_the_directory_comes_back) {
    auto f = std::make_unique<ServerFixture>();
    auto port = f->port;
    ClientThread thread;
    Events events;
    auto client =
        DirectoryClient::create(thread.executor(), clientSettings(port),
                                std::make_shared<const jm::protocol::NickIdentity>(), recordingHandler(events));
    thread.run([&] { client->start(); });
    BOOST_REQUIRE(events.waitFor("ready "));
    f.reset(); // the directory goes away
    BOOST_REQUIRE(events.waitFor("lost "));
    BOOST_CHECK(thread.run([&] { return !client->ready(); }));
    BOOST_CHECK(!thread.run([&] { return client->sendPublic({{"orderbook", ""}}); }));
    auto settings = testSettings();
    settings.port = port;
    ServerFixture back(settings);
    BOOST_REQUIRE(waitFor([&] { return events.count("ready ") == 2; }, std::chrono::milliseconds(8000)));
    thread.run([&] { client->stop(); });
}

BOOST_AUTO_TEST_CASE(refused_handshake_is_reported) {
    ServerFixture f;
    ClientThread thread;
    Events events;
    auto settings = clientSettings(f.port);
    settings.network = "mainnet";
    settings.reconnect.enabled = false;
    auto client = DirectoryClient::create(
        thread.executor(), settings, std::make_shared<const jm::protocol::NickIdentity>(), recordingHandler(events));
    thread.run([&] { client->start(); });
    BOOST_REQUIRE(events.waitFor("lost handshake refused: Rejected: "));
    BOOST_CHECK(thread.run([&] { return client->state() == DirectoryClient::State::idle; }));
}

BOOST_AUTO_TEST_CASE(hostile_directory_replies_are_reported_and_never_crash_the_client) {
    // A fake directory that answers each connection with one canned reply.
    struct Case {
        std::string reply;
        std::string expected;
    };
    jm::protocol::DirectoryHandshake other_network;
    other_network.accepted = true;
    other_network.nick = DIRECTORY_NICK;
    other_network.network = "mainnet";
    std::vector<Case> cases{
        {"{\"type\": 795, \"line\": \r\n", "lost invalid message from the directory"},
        {"{\"type\": 795, \"line\": \"{}\"}\r\n", "lost invalid handshake reply"},
        {jm::protocol::formatEnvelope({795, jm::protocol::formatDirectoryHandshake(other_network)}).value(),
         "lost unusable directory"},
        {std::string(70000, 'x'), "lost the directory sent a line longer than"},
    };
    for (const auto& c : cases) {
        boost::asio::io_context server_context;
        boost::asio::ip::tcp::acceptor acceptor(server_context, {boost::asio::ip::make_address("127.0.0.1"), 0});
        auto port = acceptor.local_endpoint().port();
        std::thread server([&] {
            auto socket = acceptor.accept();
            std::array<char, 4096> buffer{};
            boost::system::error_code ec;
            socket.read_some(boost::asio::buffer(buffer), ec); // the client's 793
            boost::asio::write(socket, boost::asio::buffer(c.reply), ec);
            socket.read_some(boost::asio::buffer(buffer), ec); // until the client hangs up
        });
        ClientThread thread;
        Events events;
        auto settings = clientSettings(port);
        settings.reconnect.enabled = false;
        auto client =
            DirectoryClient::create(thread.executor(), settings, std::make_shared<const jm::protocol::NickIdentity>(),
                                    recordingHandler(events));
        thread.run([&] { client->start(); });
        BOOST_CHECK_MESSAGE(events.waitFor(c.expected), c.expected);
        BOOST_CHECK_EQUAL(events.count("ready"), 0u);
        server.join();
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(multi_directory_client)

BOOST_AUTO_TEST_CASE(duplicates_once_gone_only_when_every_directory_says_so_and_pinning) {
    std::vector<std::unique_ptr<ServerFixture>> directories;
    for (int i = 0; i < 3; ++i)
        directories.push_back(std::make_unique<ServerFixture>());
    std::vector<DirectoryClientSettings> settings;
    for (auto& d : directories)
        settings.push_back(clientSettings(d->port));
    // The maker serves an onion so directories tell others its location.
    auto maker_settings = settings;
    for (auto& s : maker_settings)
        s.location = jm::protocol::parseLocation("makeronion.onion:5222").value();

    ClientThread thread;
    auto maker_id = std::make_shared<const jm::protocol::NickIdentity>();
    auto taker_id = std::make_shared<const jm::protocol::NickIdentity>();
    Events maker_events, taker_events;
    auto handler = [](Events& events) {
        jm::net::MultiDirectoryHandler h;
        h.on_message = [&events](const jm::net::RoutedMessage& m) { events.add("msg " + m.message.raw); };
        h.on_directory = [&events](std::size_t d, bool ready) {
            events.add((ready ? "up " : "down ") + std::to_string(d));
        };
        h.on_nick_seen = [&events](const std::string& nick, const std::string&) { events.add("seen " + nick); };
        h.on_nick_gone = [&events](const std::string& nick) { events.add("gone " + nick); };
        return h;
    };
    auto maker = MultiDirectoryClient::create(thread.executor(), maker_settings, maker_id, handler(maker_events));
    auto taker = MultiDirectoryClient::create(thread.executor(), settings, taker_id, handler(taker_events));
    thread.run([&] {
        maker->start();
        taker->start();
    });
    BOOST_REQUIRE(waitFor([&] { return thread.run([&] { return maker->readyCount() + taker->readyCount(); }) == 6; }));

    // A public message goes out on all three directories and is delivered once.
    BOOST_REQUIRE(thread.run([&] { return maker->sendPublic({{"sw0reloffer", "0 27300 99972700 0 0.00002"}}); }));
    BOOST_REQUIRE(taker_events.waitFor("msg " + maker_id->nick()));
    BOOST_REQUIRE(waitFor([&] {
        return directories[0]->server->stats().broadcast_deliveries +
                   directories[1]->server->stats().broadcast_deliveries +
                   directories[2]->server->stats().broadcast_deliveries ==
               3;
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_CHECK_EQUAL(taker_events.count("msg "), 1u);
    BOOST_CHECK(thread.run([&] { return taker->isPresent(maker_id->nick()); }));

    // Private messages to one counterparty stay on the directory pinned for it.
    for (int i = 0; i < 3; ++i)
        BOOST_REQUIRE(thread.run(
            [&] { return taker->sendPrivate(maker_id->nick(), "fill", "0 100 abc P0" + std::to_string(i)); }));
    auto pinned = thread.run([&] { return taker->pinnedDirectory(maker_id->nick()); });
    BOOST_REQUIRE(pinned);
    BOOST_REQUIRE(waitFor([&] { return maker_events.count("msg ") == 3; }));
    for (std::size_t d = 0; d < 3; ++d)
        BOOST_CHECK_EQUAL(directories[d]->server->stats().privmsgs_routed, d == *pinned ? 3u : 0u);

    // The maker leaves one directory: still present through the other two.
    thread.run([&] { maker->directory(0).stop(); });
    BOOST_REQUIRE(waitFor([&] { return directories[0]->server->peers() == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    BOOST_CHECK_EQUAL(taker_events.count("gone "), 0u);
    BOOST_CHECK(thread.run([&] { return taker->isPresent(maker_id->nick()); }));

    // Its pinned directory goes down: the next private message re-pins to a live one.
    auto down = *pinned;
    directories[down].reset();
    BOOST_REQUIRE(taker_events.waitFor("down " + std::to_string(down)));
    BOOST_REQUIRE(thread.run([&] { return taker->sendPrivate(maker_id->nick(), "fill", "0 100 abc P09"); }));
    auto repinned = thread.run([&] { return taker->pinnedDirectory(maker_id->nick()); });
    BOOST_REQUIRE(repinned);
    BOOST_CHECK_NE(*repinned, down);

    // It leaves the rest: now it is gone.
    thread.run([&] { maker->stop(); });
    BOOST_REQUIRE(taker_events.waitFor("gone " + maker_id->nick()));
    BOOST_CHECK(!thread.run([&] { return taker->isPresent(maker_id->nick()); }));
    thread.run([&] { taker->stop(); });
}

BOOST_AUTO_TEST_SUITE_END()
