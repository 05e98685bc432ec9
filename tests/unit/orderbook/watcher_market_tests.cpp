// The watcher fed by real jmnode makers over a jmnode directory on the SDK test chain: its JSON
// equals the makers' offers, offers added, cancelled and departed appear and disappear, bonds
// are verified through the backend; and its HTTP server shrugs off hostile clients.
#include "watcher_harness.hpp"

#include <jm/wallet/timenumber.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/asio/write.hpp>
#include <jm/protocol/fidelity_bond.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <tuple>

using namespace jm::test;

namespace {

//! The basic yield generator plus, while `extra` is set, an absolute offer (oid 7).
class SwitchableYieldGenerator final : public jm::maker::YieldGenerator {
public:
    explicit SwitchableYieldGenerator(std::shared_ptr<std::atomic<bool>> extra) :
        m_base(basicYieldGenerator()), m_extra(std::move(extra)) {}
    jm::sdk::Result<std::vector<jm::protocol::Offer>> createOffers(const jm::maker::WalletView& wallet,
                                                                   const jm::maker::FeeView& fees) override {
        auto offers = m_base->createOffers(wallet, fees);
        if (!offers || offers->empty() || !*m_extra) return offers;
        jm::protocol::Offer o;
        o.type = jm::protocol::OfferType::Sw0Abs;
        o.oid = 7;
        o.minsize = 100'000;
        o.maxsize = offers->front().maxsize / 2;
        o.txfee = 0;
        o.cjfee = "1234";
        offers->push_back(o);
        return offers;
    }
    jm::sdk::Result<int> chooseMixdepth(const jm::maker::FillContext& fill,
                                        const jm::maker::WalletView& wallet) override {
        return m_base->chooseMixdepth(fill, wallet);
    }

private:
    std::unique_ptr<jm::maker::YieldGenerator> m_base;
    std::shared_ptr<std::atomic<bool>> m_extra;
};

using Row = std::tuple<std::string, std::int64_t, std::string, std::int64_t, std::int64_t, std::int64_t, std::string>;

std::set<Row> jsonRows(const boost::json::value& book) {
    std::set<Row> rows;
    for (const auto& v : book.at("offers").as_array()) {
        const auto& o = v.as_object();
        auto cjfee = o.at("cjfee").is_string() ? std::string(o.at("cjfee").as_string())
                                               : std::to_string(o.at("cjfee").as_int64());
        rows.insert({std::string(o.at("counterparty").as_string()), o.at("oid").as_int64(),
                     std::string(o.at("ordertype").as_string()), o.at("minsize").as_int64(), o.at("maxsize").as_int64(),
                     o.at("txfee").as_int64(), cjfee});
    }
    return rows;
}

std::set<Row> makerRows(std::vector<MakerUnderTest*> makers) {
    std::set<Row> rows;
    for (auto* m : makers)
        for (const auto& o : m->offers())
            rows.insert({m->nick(), o.oid, std::string(jm::protocol::toString(o.type)), o.minsize, o.maxsize, o.txfee,
                         o.cjfee});
    return rows;
}

} // namespace

BOOST_AUTO_TEST_SUITE(orderbook_watcher_market_tests)

BOOST_AUTO_TEST_CASE(the_json_follows_the_makers_offers_bonds_and_departures) {
    ChainHub hub;
    TestDirectory directory;
    auto extra = std::make_shared<std::atomic<bool>>(false);
    MakerOptions a;
    a.directories = {directory.port()};
    a.coins = {{0, 40'000'000}};
    a.yieldgen = [extra] { return std::make_unique<SwitchableYieldGenerator>(extra); };
    a.config = {{"resync_blocks", 1}};
    MakerOptions b;
    b.directories = {directory.port()};
    b.coins = {{0, 70'000'000}};
    b.yieldgen = [] { return basicYieldGenerator("0.0005", 400); };
    MakerUnderTest alice(hub, a), bob(hub, b);
    // Bob holds a fidelity bond: 5 BTC locked until 2030-01.
    {
        auto wallet = jm::wallet::Wallet::open(bob.walletStore(), "password").value();
        auto bond = wallet.bondAddress(jm::wallet::parseYearMonth("2030-01").value()).value();
        hub.chain().fund(bond.info.script_pubkey, 500'000'000);
    }
    hub.mine(1);
    alice.start();
    bob.start();

    WatcherUnderTest watcher(hub, {directory.port()});
    watcher.start();
    auto expected = makerRows({&alice, &bob});
    BOOST_REQUIRE_EQUAL(expected.size(), 2u);
    BOOST_REQUIRE(eventually([&] { return jsonRows(watcher.orderbook()) == expected; }));
    // Bob's bond, verified on the chain: in REF's fidelitybonds and on his offer.
    BOOST_REQUIRE(eventually([&] { return watcher.orderbook().at("fidelitybonds").as_array().size() == 1; }));
    auto book = watcher.orderbook();
    const auto& bond = book.at("fidelitybonds").as_array()[0].as_object();
    BOOST_CHECK_EQUAL(bond.at("counterparty").as_string(), bob.nick());
    BOOST_CHECK_EQUAL(bond.at("amount").as_int64(), 500'000'000);
    BOOST_CHECK_GT(bond.at("bond_value").as_double(), 0);
    for (const auto& v : book.at("offers").as_array()) {
        const auto& o = v.as_object();
        bool is_bob = o.at("counterparty").as_string() == bob.nick();
        BOOST_CHECK_EQUAL(o.at("fidelity_bond_value").as_double() > 0, is_bob);
        BOOST_CHECK_EQUAL(o.at("directories").as_array().size(), 1u);
    }

    // Alice adds an offer (announced publicly after her next sync): it appears...
    extra->store(true);
    hub.mine(1);
    BOOST_REQUIRE(eventually([&] { return alice.offers().size() == 2; }));
    expected = makerRows({&alice, &bob});
    BOOST_REQUIRE(eventually([&] { return jsonRows(watcher.orderbook()) == expected; }));
    // ... and, cancelled, disappears.
    extra->store(false);
    hub.mine(1);
    BOOST_REQUIRE(eventually([&] { return alice.offers().size() == 1; }));
    expected = makerRows({&alice, &bob});
    BOOST_REQUIRE(eventually([&] { return jsonRows(watcher.orderbook()) == expected; }));

    // Bob leaves: his offers and his bond go.
    auto bob_rows = makerRows({&bob});
    bob.stop();
    BOOST_REQUIRE(eventually([&] { return jsonRows(watcher.orderbook()) == makerRows({&alice}); }));
    BOOST_CHECK(watcher.orderbook().at("fidelitybonds").as_array().empty());
    auto health = boost::json::parse(httpRequest(watcher.port(), "/health").body);
    BOOST_CHECK_EQUAL(health.at("makers").as_int64(), 1);
    BOOST_CHECK_EQUAL(health.at("status").as_string(), "ok");
}

BOOST_AUTO_TEST_CASE(a_light_client_watcher_shows_bonds_as_unverified) {
    // A bond proof names no block, so a light client has no hint to find the coin with: the bond
    // is listed in /bonds.json as unverified and counts for nothing; the offers are shown.
    ChainHub hub;
    TestDirectory directory;
    MakerOptions b;
    b.directories = {directory.port()};
    b.coins = {{0, 70'000'000}};
    MakerUnderTest bob(hub, b);
    {
        auto wallet = jm::wallet::Wallet::open(bob.walletStore(), "password").value();
        auto bond = wallet.bondAddress(jm::wallet::parseYearMonth("2030-01").value()).value();
        hub.chain().fund(bond.info.script_pubkey, 500'000'000);
    }
    hub.mine(1);
    bob.start();
    WatcherUnderTest watcher(hub, {directory.port()}, {}, true);
    watcher.start();
    auto bonds = [&] {
        return boost::json::parse(httpRequest(watcher.port(), "/bonds.json").body).at("fidelitybonds").as_array();
    };
    BOOST_REQUIRE(eventually([&] { return bonds().size() == 1; }));
    auto all = bonds();
    const auto& bond = all[0].as_object();
    BOOST_CHECK(!bond.at("verified").as_bool());
    BOOST_CHECK_EQUAL(bond.at("counterparty").as_string(), bob.nick());
    BOOST_CHECK(std::string(bond.at("refusal").as_string()).starts_with("unverified"));
    auto book = watcher.orderbook();
    BOOST_CHECK(book.at("fidelitybonds").as_array().empty());
    BOOST_REQUIRE_EQUAL(book.at("offers").as_array().size(), 1u);
    BOOST_CHECK_EQUAL(book.at("offers").as_array()[0].as_object().at("fidelity_bond_value").as_double(), 0);
}

BOOST_AUTO_TEST_CASE(a_maker_switching_nick_with_the_same_bond_keeps_it_counted) {
    // A maker restarts under a new nick with the same bond while its old nick still lingers on
    // the directory (its departure not seen yet): the book moves the bond to the new nick, and
    // the old nick's verified check must not refuse it as "backing another maker".
    ChainHub hub;
    TestDirectory directory;
    WatcherUnderTest watcher(hub, {directory.port()});
    watcher.start();
    auto watcher_nick = watcher.nick();
    auto utxo_key = jm::bitcoin::PrivateKey::generate(), cert_key = jm::bitcoin::PrivateKey::generate();
    const std::uint32_t locktime = 1'893'456'000; // 2030-01-01
    auto proofFor = [&](const std::string& maker, const jm::bitcoin::OutPoint& coin) {
        jm::bitcoin::Hash256 txid_display;
        std::reverse_copy(coin.txid.begin(), coin.txid.end(), txid_display.begin());
        return jm::protocol::serializeBondProof(jm::protocol::createBondProof(utxo_key, cert_key, 1000, watcher_nick,
                                                                              maker, txid_display, coin.vout, locktime))
            .value();
    };
    auto script = jm::protocol::bondScriptPubKey(
                      jm::protocol::parseBondProof(proofFor("J5draft", jm::bitcoin::OutPoint{})).value())
                      .value();
    auto coin = hub.chain().fund(script, 300'000'000);
    hub.mine(1);

    ScriptedTaker first(hub, directory.port()), second(hub, directory.port());
    auto announce = [&](ScriptedTaker& maker) {
        maker.sendPrivate(watcher_nick, "sw0reloffer",
                          "0 100000 50000000 0 0.0002!tbond " + proofFor(maker.nick(), coin));
    };
    auto bonds = [&] { return boost::json::parse(httpRequest(watcher.port(), "/bonds.json").body); };
    auto verifiedFor = [&](const std::string& nick) {
        auto all = bonds().at("fidelitybonds").as_array();
        return all.size() == 1 && all[0].at("counterparty").as_string() == nick && all[0].at("verified").as_bool();
    };
    BOOST_REQUIRE(eventually([&] {
        announce(first);
        return eventually([&] { return verifiedFor(first.nick()); }, std::chrono::milliseconds(1000));
    }));
    announce(second);
    BOOST_CHECK_MESSAGE(eventually([&] { return verifiedFor(second.nick()); }), boost::json::serialize(bonds()));
    auto book = watcher.orderbook();
    BOOST_REQUIRE_EQUAL(book.at("offers").as_array().size(), 1u);
    BOOST_CHECK_EQUAL(book.at("offers").as_array()[0].at("counterparty").as_string(), second.nick());
    BOOST_CHECK_GT(book.at("offers").as_array()[0].at("fidelity_bond_value").as_double(), 0);
}

BOOST_AUTO_TEST_CASE(hostile_clients_get_errors_and_the_server_keeps_serving) {
    ChainHub hub;
    TestDirectory directory;
    WatcherUnderTest watcher(hub, {directory.port()}, {{"max_connections", 8}});
    watcher.start();
    auto port = watcher.port();
    auto served = [&] {
        try {
            return httpRequest(port, "/health").status == 200;
        } catch (const std::exception&) {
            return false; // closed: over the connection limit
        }
    };
    BOOST_REQUIRE(served());
    // The directory connected (the page's status line no longer changes under the comparisons).
    BOOST_REQUIRE(eventually(
        [&] { return boost::json::parse(httpRequest(port, "/health").body).at("status").as_string() == "ok"; }));

    // Over the wire: HEAD has the length without the body, a matching If-None-Match gets 304.
    auto head = httpRequest(port, "/", "HEAD");
    BOOST_CHECK_EQUAL(head.status, 200u);
    BOOST_CHECK(head.body.empty());
    BOOST_CHECK_GT(std::stoul(head.headers["content-length"]), 1000u);
    auto page = httpRequest(port, "/");
    BOOST_CHECK_EQUAL(page.headers["etag"], head.headers["etag"]);
    BOOST_CHECK_EQUAL(page.headers["cache-control"], "no-cache");
    BOOST_CHECK_EQUAL(page.body.size(), std::stoul(head.headers["content-length"]));
    BOOST_CHECK_EQUAL(httpRequest(port, "/", "GET", {{"If-None-Match", page.headers["etag"]}}).status, 304u);
    // Keep-alive: two requests on one connection are both answered.
    auto two = rawExchange(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n"
                                 "Connection: close\r\n\r\n");
    BOOST_CHECK_EQUAL(std::count(two.begin(), two.end(), '{'), 2);

    // Headers beyond the limit: 431.
    auto huge = rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n");
    BOOST_CHECK_MESSAGE(huge.rfind("HTTP/1.1 431", 0) == 0, huge.substr(0, 60));
    BOOST_CHECK(served());
    // A body on a GET: 413.
    auto body = rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    BOOST_CHECK_MESSAGE(body.rfind("HTTP/1.1 413", 0) == 0, body.substr(0, 60));
    // Garbage: 400.
    auto garbage = rawExchange(port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n");
    BOOST_CHECK_MESSAGE(garbage.rfind("HTTP/1.1 400", 0) == 0, garbage.substr(0, 60));
    // Bad paths and methods.
    BOOST_CHECK_EQUAL(httpRequest(port, "/no/such/page").status, 404u);
    BOOST_CHECK_EQUAL(httpRequest(port, "/?sort=%3Cscript%3E").status, 400u);
    BOOST_CHECK_EQUAL(httpRequest(port, "/", "POST").status, 405u);
    auto absolute = rawExchange(port, "GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_CHECK_MESSAGE(absolute.rfind("HTTP/1.1 400", 0) == 0, absolute.substr(0, 60));
    // Slowloris: a request trickled byte by byte is cut off after header_timeout (1 s here),
    // and meanwhile others are served.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket slow(io);
    slow.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    std::string start = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    boost::asio::write(slow, boost::asio::buffer(start));
    auto began = std::chrono::steady_clock::now();
    bool closed = false;
    for (int i = 0; i < 40 && !closed; ++i) {
        boost::system::error_code ec;
        boost::asio::write(slow, boost::asio::buffer("a", 1), ec);
        if (ec) closed = true;
        if (i == 2) BOOST_CHECK(served());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!closed) {
            slow.non_blocking(true);
            char c;
            slow.read_some(boost::asio::buffer(&c, 1), ec);
            slow.non_blocking(false);
            if (ec && ec != boost::asio::error::would_block) closed = true;
        }
    }
    BOOST_CHECK(closed);
    BOOST_CHECK_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(3500));
    // More connections than allowed, all idle (keep-alive connections left open): an honest
    // client is still served at once, the connections idle longest are closed for it.
    std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> idle;
    for (int i = 0; i < 12; ++i) {
        idle.push_back(std::make_unique<boost::asio::ip::tcp::socket>(io));
        idle.back()->connect({boost::asio::ip::make_address("127.0.0.1"), port});
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    BOOST_CHECK(served());
    BOOST_CHECK(served());
    // The first idle connection was the one closed (its read ends), the newest still stands.
    auto closedByServer = [&](boost::asio::ip::tcp::socket& s) {
        boost::system::error_code ec;
        s.non_blocking(true);
        char c;
        s.read_some(boost::asio::buffer(&c, 1), ec);
        s.non_blocking(false);
        return ec && ec != boost::asio::error::would_block;
    };
    BOOST_CHECK(eventually([&] { return closedByServer(*idle.front()); }, std::chrono::milliseconds(500)));
    BOOST_CHECK(!closedByServer(*idle.back()));
    // A flood of connections that each send half a request cannot lock an honest client out either.
    for (int i = 0; i < 12; ++i) {
        idle.push_back(std::make_unique<boost::asio::ip::tcp::socket>(io));
        idle.back()->connect({boost::asio::ip::make_address("127.0.0.1"), port});
        boost::asio::write(*idle.back(), boost::asio::buffer(start));
    }
    BOOST_CHECK(served());
    idle.clear();
    BOOST_CHECK(served());
}

BOOST_AUTO_TEST_SUITE_END()
