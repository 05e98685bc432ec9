// The taker's direct connections dropping in the middle of a round (plain-TCP testing mode, real
// sockets): each real jmnode maker announces a relay of the test that forwards its direct link
// line by line and cuts it at a chosen private message. Cut after the maker's !ioauth, the
// taker's !tx goes through the directory and the round completes with that maker; cut with the
// maker's !sig in flight (lost, as on a dying Tor circuit), the maker is silent to the taker,
// which replaces it (maker_timeout, a new attempt) and completes.
#include "taker_harness.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <set>
#include <thread>

using namespace jm::test;
namespace asio = boost::asio;

namespace {

//! A free loopback port (bound and released: the maker binds it right after).
std::uint16_t freePort() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

//! The private command of a direct-link line ({"type": 685, "line": "FROM!TO!cmd ..."}); the
//! command names stay in clear when the arguments are encrypted. Empty for other lines.
std::string privateCommand(const std::string& line) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) return "";
    auto* text = v.as_object().if_contains("line");
    if (!text || !text->is_string()) return "";
    std::string s(text->as_string());
    auto first = s.find('!');
    auto second = first == std::string::npos ? first : s.find('!', first + 1);
    if (second == std::string::npos) return "";
    return s.substr(second + 1, s.find(' ', second + 1) - second - 1);
}

//! A loopback relay in front of a listener (a maker's direct listener: the maker announces the
//! relay's port and the taker dials it; or the directory, for a maker's link to it). Every line
//! either way goes through `rule`, which may delay it (by blocking), forward it, or cut the
//! link (both sockets shut down) after or instead of it. "taker" names the dialling side.
class CuttingRelay {
public:
    enum class Action { Forward, ForwardThenCut, DropAndCut };
    //! Called on the relay's threads with the line's direction and private command ("" if none).
    using Rule = std::function<Action(bool to_taker, const std::string& command)>;

    CuttingRelay(std::uint16_t maker_port, Rule rule) :
        m_makerPort(maker_port), m_rule(std::move(rule)), m_acceptor(m_io, {asio::ip::make_address("127.0.0.1"), 0}) {
        m_acceptor.non_blocking(true);
        m_acceptThread = std::thread([this] { acceptLoop(); });
    }
    ~CuttingRelay() {
        m_stopping = true;
        m_acceptThread.join(); // no pump is added after this
        {
            std::lock_guard lock(m_mutex);
            for (auto& s : m_sockets)
                ::shutdown(s.native_handle(), SHUT_RDWR);
        }
        for (auto& t : m_threads)
            t.join();
    }
    std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }
    //! Every private command relayed or cut so far, as "taker>auth" / "maker>ioauth".
    std::vector<std::string> seen() const {
        std::lock_guard lock(m_mutex);
        return m_seen;
    }
    bool saw(const std::string& entry) const {
        auto s = seen();
        return std::find(s.begin(), s.end(), entry) != s.end();
    }
    bool cut() const { return m_cut; }
    std::string describe() const {
        std::string out;
        for (const auto& s : seen())
            out += s + " ";
        return out;
    }

private:
    void acceptLoop() {
        while (!m_stopping) {
            boost::system::error_code ec;
            asio::ip::tcp::socket taker(m_io);
            m_acceptor.accept(taker, ec);
            if (ec) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            asio::ip::tcp::socket maker(m_io);
            maker.connect({asio::ip::make_address("127.0.0.1"), m_makerPort}, ec);
            if (ec) continue;
            std::lock_guard lock(m_mutex);
            auto& t = m_sockets.emplace_back(std::move(taker));
            auto& m = m_sockets.emplace_back(std::move(maker));
            m_threads.emplace_back([this, &t, &m] { pump(t, m, false); });
            m_threads.emplace_back([this, &t, &m] { pump(m, t, true); });
        }
    }
    void cutLink(asio::ip::tcp::socket& a, asio::ip::tcp::socket& b) {
        m_cut = true;
        ::shutdown(a.native_handle(), SHUT_RDWR);
        ::shutdown(b.native_handle(), SHUT_RDWR);
    }
    void pump(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, bool to_taker) {
        std::string buffer;
        char chunk[4096];
        for (;;) {
            boost::system::error_code ec;
            auto n = from.read_some(asio::buffer(chunk), ec);
            if (ec || m_stopping) return;
            buffer.append(chunk, n);
            for (auto end = buffer.find('\n'); end != std::string::npos; end = buffer.find('\n')) {
                auto line = buffer.substr(0, end + 1);
                buffer.erase(0, end + 1);
                auto command = privateCommand(line);
                auto action = m_rule(to_taker, command);
                if (!command.empty()) {
                    std::lock_guard lock(m_mutex);
                    m_seen.push_back((to_taker ? "maker>" : "taker>") + command +
                                     (action == Action::DropAndCut ? "(dropped)" : ""));
                }
                if (action == Action::DropAndCut) return cutLink(from, to);
                asio::write(to, asio::buffer(line), ec);
                if (ec) return;
                if (action == Action::ForwardThenCut) return cutLink(from, to);
            }
        }
    }

    std::uint16_t m_makerPort;
    Rule m_rule;
    asio::io_context m_io;
    asio::ip::tcp::acceptor m_acceptor;
    mutable std::mutex m_mutex;
    std::list<asio::ip::tcp::socket> m_sockets; // a list: the pumps hold references
    std::thread m_acceptThread;
    std::list<std::thread> m_threads; // the pumps
    std::vector<std::string> m_seen;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_cut{false};
};

//! A real maker serving direct connections behind its own relay.
//! Its own way to the directory is a relay too, one that holds each !pubkey it sends for a
//! moment: the taker dials the makers when it sends the !fill, and the !auth that follows a
//! !pubkey takes the direct connection only if it is up by then; in process the directory
//! answers in about a millisecond, so without the pause the links may come up just too late.
//! (The taker's own directory link is left alone: its peerlist and offer lines arrive as usual.)
struct RelayedMaker {
    std::uint16_t listen = freePort();
    std::unique_ptr<CuttingRelay> relay;
    std::unique_ptr<CuttingRelay> directory_link;
    std::unique_ptr<MakerUnderTest> maker;

    RelayedMaker(ChainHub& hub, std::uint16_t directory, CuttingRelay::Rule rule) {
        relay = std::make_unique<CuttingRelay>(listen, std::move(rule));
        // The maker dials the directory: its lines go "taker>" in the relay's terms.
        directory_link = std::make_unique<CuttingRelay>(directory, [](bool to_dialler, const std::string& command) {
            if (!to_dialler && command == "pubkey") std::this_thread::sleep_for(std::chrono::milliseconds(300));
            return CuttingRelay::Action::Forward;
        });
        MakerOptions o;
        o.directories = {directory_link->port()};
        // Two mixdepths: coins signed into an abandoned attempt stay locked, the next attempt
        // is served from the other one.
        o.coins = {{0, 100'000'000}, {1, 100'000'000}};
        o.config = {{"direct_listen", "127.0.0.1:" + std::to_string(listen)},
                    {"direct_announce", "127.0.0.1:" + std::to_string(relay->port())}};
        maker = std::make_unique<MakerUnderTest>(hub, o);
    }
};

std::size_t count(const std::vector<std::string>& seen, const std::string& entry) {
    return static_cast<std::size_t>(std::count(seen.begin(), seen.end(), entry));
}

} // namespace

BOOST_AUTO_TEST_SUITE(taker_direct_tests)

BOOST_AUTO_TEST_CASE(an_orderbook_over_a_link_that_splits_lines_waits_for_the_whole_peerlist) {
    // Over Tor the taker's !orderbook and GETPEERLIST may reach the directory apart; the relay
    // here writes each line on its own. Makers answering before the list came used to end the
    // orderbook with the first one ("every listed nick answered": only it was listed then).
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    for (int i = 0; i < 3; ++i) {
        MakerOptions o;
        o.directories = {directory.port()};
        makers.push_back(std::make_unique<MakerUnderTest>(hub, o));
    }
    CuttingRelay link(directory.port(), [](bool, const std::string&) { return CuttingRelay::Action::Forward; });
    TakerOptions options;
    options.directories = {link.port()};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    for (auto& m : makers)
        m->start();
    taker.start();
    auto book = taker.orderbook();
    BOOST_REQUIRE_MESSAGE(book, (book ? "" : book.error().message));
    std::set<std::string> nicks;
    for (const auto& entry : *book)
        nicks.insert(entry.counterparty);
    BOOST_CHECK_EQUAL(nicks.size(), 3u);
}

BOOST_AUTO_TEST_CASE(a_link_cut_after_ioauth_carries_the_rest_of_the_round_through_the_directory) {
    ChainHub hub;
    TestDirectory directory;
    // A's link is cut right after its !ioauth reached the taker. B's !ioauth is held until then
    // (and a little longer, for the taker to see A's link close): the taker builds the
    // transaction only once both answered, so its !tx to A is sent after the cut.
    std::unique_ptr<RelayedMaker> a;
    RelayedMaker b(hub, directory.port(), [&a](bool to_taker, const std::string& command) {
        if (to_taker && command == "ioauth") {
            eventually([&] { return a->relay->cut(); }, std::chrono::seconds(5));
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        return CuttingRelay::Action::Forward;
    });
    a = std::make_unique<RelayedMaker>(hub, directory.port(), [](bool to_taker, const std::string& command) {
        return to_taker && command == "ioauth" ? CuttingRelay::Action::ForwardThenCut : CuttingRelay::Action::Forward;
    });
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"direct_connections", "tcp"}, {"direct_timeout", "5s"}, {"maker_timeout", "10s"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    a->maker->start();
    b.maker->start();
    taker.start();

    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2}, std::chrono::seconds(90));
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->makers, 2u);
    BOOST_CHECK_EQUAL(result->attempts, 1);
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);

    // A: !auth and !ioauth went direct, then the link was cut: no !tx on it, yet A signed
    // (its !tx and !sig went through the directory).
    auto seen_a = a->relay->seen();
    BOOST_REQUIRE_MESSAGE(a->relay->cut(), "A's link was never cut; it carried: " << a->relay->describe());
    BOOST_CHECK_MESSAGE(count(seen_a, "taker>auth") == 1 && count(seen_a, "maker>ioauth") == 1, a->relay->describe());
    BOOST_CHECK_MESSAGE(count(seen_a, "taker>tx") == 0 && count(seen_a, "maker>sig") == 0, a->relay->describe());
    auto counters_a = a->maker->counters();
    BOOST_CHECK_EQUAL(counters_a.direct_received, 1u); // !auth
    BOOST_CHECK_EQUAL(counters_a.direct_sent, 1u);     // !ioauth
    BOOST_CHECK(eventually([&] { return a->maker->counters().signed_coinjoins == 1; }));
    // B: its link stayed up and carried the whole round after the !fill.
    auto seen_b = b.relay->seen();
    BOOST_CHECK(!b.relay->cut());
    for (const auto* entry : {"taker>auth", "maker>ioauth", "taker>tx", "maker>sig"})
        BOOST_CHECK_MESSAGE(count(seen_b, entry) == 1, entry << " not once over B's link: " << b.relay->describe());
    BOOST_CHECK(eventually([&] { return b.maker->counters().signed_coinjoins == 1; }));
    BOOST_CHECK_EQUAL(b.maker->counters().direct_received, 2u); // !auth, !tx
}

BOOST_AUTO_TEST_CASE(a_signature_lost_with_its_link_gets_the_maker_replaced) {
    ChainHub hub;
    TestDirectory directory;
    // The first link to carry a !sig loses it and is cut (as a Tor circuit dying under it): that
    // maker signed, but the taker never hears it; it is silent for maker_timeout and replaced.
    std::atomic<bool> cut_one{false};
    auto rule = [&cut_one](bool to_taker, const std::string& command) {
        if (to_taker && command == "sig" && !cut_one.exchange(true)) return CuttingRelay::Action::DropAndCut;
        return CuttingRelay::Action::Forward;
    };
    std::vector<std::unique_ptr<RelayedMaker>> makers;
    for (int i = 0; i < 3; ++i)
        makers.push_back(std::make_unique<RelayedMaker>(hub, directory.port(), rule));
    TakerOptions options;
    options.directories = {directory.port()};
    options.config = {{"direct_connections", "tcp"}, {"direct_timeout", "5s"}, {"maker_timeout", "3s"}};
    TakerUnderTest taker(hub, options);
    hub.mine(6);
    for (auto& m : makers)
        m->maker->start();
    taker.start();

    auto [address, script] = TakerUnderTest::destination();
    auto result = taker.send({0, 10'000'000, false, address, 2}, std::chrono::seconds(90));
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->makers, 2u);
    BOOST_CHECK_EQUAL(result->attempts, 2);
    BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
    auto cut = std::find_if(makers.begin(), makers.end(), [](const auto& m) { return m->relay->cut(); });
    BOOST_REQUIRE(cut != makers.end());
    BOOST_CHECK_MESSAGE((*cut)->relay->saw("maker>sig(dropped)"), (*cut)->relay->describe());
    // It signed the first attempt's transaction, which was never completed; the transaction in
    // the mempool is signed by the two others.
    BOOST_CHECK_EQUAL((*cut)->maker->counters().signed_coinjoins, 1u);
    auto tx = jm::bitcoin::parseTransaction(result->raw_tx).value();
    std::size_t signers = 0;
    for (auto& m : makers)
        if (m.get() != cut->get() && eventually([&] { return m->maker->counters().signed_coinjoins >= 1; })) ++signers;
    BOOST_CHECK_EQUAL(signers, 2u);
    BOOST_CHECK_GE(tx.inputs.size(), 3u);
}

BOOST_AUTO_TEST_SUITE_END()
