// The watcher's pure parts: the JSON in the reference ob-watcher's field names, the page's
// query parsing (and its error paths), the routes' answers, and the settings' error paths.
#include <http_routes.hpp>
#include <http_server.hpp>
#include <page.hpp>
#include <watcher_settings.hpp>

#include <jm/market/orderbook.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::plugins::orderbook;

namespace {

MarketView sampleView() {
    MarketView v;
    v.network = "testnet";
    v.directories = {"127.0.0.1:1", "127.0.0.1:2"};
    v.directories_ready = 2;
    auto add = [&](std::string nick, jm::protocol::OfferType type, std::int64_t oid, std::string cjfee,
                   std::int64_t maxsize) {
        OfferView o;
        o.counterparty = std::move(nick);
        o.offer.type = type;
        o.offer.oid = oid;
        o.offer.minsize = 100'000;
        o.offer.maxsize = maxsize;
        o.offer.txfee = 250;
        o.offer.cjfee = std::move(cjfee);
        o.directories = {"127.0.0.1:1"};
        v.offers.push_back(std::move(o));
    };
    add("J5alice", jm::protocol::OfferType::Sw0Rel, 0, "0.0003", 50'000'000);
    add("J5bob", jm::protocol::OfferType::Sw0Abs, 0, "5000", 200'000'000);
    add("J5carol<x>", jm::protocol::OfferType::Sw0Rel, 3, "0.00001", 3'000'000);
    v.offers[1].bond_value = 0.25;
    BondView b;
    b.counterparty = "J5bob";
    b.txid = std::string(64, 'a');
    b.vout = 1;
    b.locktime = 1'893'456'000;
    b.verified = true;
    b.amount = 500'000'000;
    b.value = 0.25;
    v.bonds.push_back(b);
    BondView forged = b;
    forged.counterparty = "J5alice";
    forged.verified = false;
    forged.refusal = "the bond coin is spent or does not exist";
    v.bonds.push_back(forged);
    return v;
}

HttpReply get(const MarketView& v, std::string_view target, std::string_view method = "GET",
              std::string_view inm = {}) {
    return route(HttpRequestInfo{method, target, inm}, v, std::chrono::seconds(30));
}

std::string header(const HttpReply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(orderbook_web_units_tests)

BOOST_AUTO_TEST_CASE(orderbook_json_uses_the_reference_field_names_and_types) {
    auto v = sampleView();
    auto j = boost::json::parse(boost::json::serialize(orderbookJson(v))).as_object();
    const auto& offers = j.at("offers").as_array();
    BOOST_REQUIRE_EQUAL(offers.size(), 3u);
    const auto& alice = offers[0].as_object();
    for (const char* key :
         {"counterparty", "oid", "ordertype", "minsize", "maxsize", "txfee", "cjfee", "fidelity_bond_value"})
        BOOST_CHECK_MESSAGE(alice.contains(key), key);
    BOOST_CHECK_EQUAL(alice.at("ordertype").as_string(), "sw0reloffer");
    BOOST_CHECK_EQUAL(alice.at("cjfee").as_string(), "0.0003"); // relative: a decimal string, as REF
    const auto& bob = offers[1].as_object();
    BOOST_CHECK_EQUAL(bob.at("cjfee").as_int64(), 5000); // absolute: an integer, as REF
    BOOST_CHECK_EQUAL(bob.at("fidelity_bond_value").as_double(), 0.25);
    // Only verified bonds are in REF's fidelitybonds list, in its field names.
    const auto& bonds = j.at("fidelitybonds").as_array();
    BOOST_REQUIRE_EQUAL(bonds.size(), 1u);
    const auto& bond = bonds[0].as_object();
    for (const char* key : {"counterparty", "utxo", "bond_value", "locktime", "amount", "script", "utxo_confirmations",
                            "utxo_confirmation_timestamp", "utxo_pub", "cert_expiry"})
        BOOST_CHECK_MESSAGE(bond.contains(key), key);
    BOOST_CHECK_EQUAL(bond.at("utxo").as_object().at("vout").as_int64(), 1);
    // bonds.json lists both, with the refusal.
    auto all = bondsJson(v).at("fidelitybonds").as_array();
    BOOST_REQUIRE_EQUAL(all.size(), 2u);
    BOOST_CHECK_EQUAL(all[1].as_object().at("refusal").as_string(), "the bond coin is spent or does not exist");
    BOOST_CHECK(!all[1].as_object().at("verified").as_bool());
}

BOOST_AUTO_TEST_CASE(features_from_the_network_never_break_the_json_or_the_page) {
    // Peerlist features are any bytes but ",;+": markup and bytes that are not UTF-8 are dropped,
    // so /orderbook.json stays valid JSON (parse() refuses invalid UTF-8) and the page clean.
    auto v = sampleView();
    v.offers[0].features = {"ping", "\xff\xfe", "<img onerror=x>", "peerlist_features", std::string(65, 'a'), "a\"b"};
    auto text = boost::json::serialize(orderbookJson(v));
    boost::json::value j;
    BOOST_REQUIRE_NO_THROW(j = boost::json::parse(text));
    const auto& features = j.at("offers").as_array()[0].as_object().at("features").as_array();
    BOOST_REQUIRE_EQUAL(features.size(), 2u);
    BOOST_CHECK_EQUAL(features[0].as_string(), "ping");
    BOOST_CHECK_EQUAL(features[1].as_string(), "peerlist_features");
    auto page = renderPage(v, {SortKey::Features, false}, std::chrono::seconds(30));
    BOOST_CHECK(page.find('\xff') == std::string::npos);
    BOOST_CHECK(page.find("onerror") == std::string::npos);
    BOOST_CHECK(page.find(">ping, peerlist_features</td>") != std::string::npos);
    BOOST_CHECK(shownFeature("ping"));
    BOOST_CHECK(!shownFeature(""));
    BOOST_CHECK(!shownFeature("a b"));
}

BOOST_AUTO_TEST_CASE(absurd_offer_values_do_not_overflow_the_summary_or_the_chart) {
    // A Sybil flood: 5000 offers of 21e6 BTC each (parseOffer's maximum) sum past 2^63 satoshis.
    MarketView v;
    for (int i = 0; i < 5000; ++i) {
        OfferView o;
        o.counterparty = "J5sybil" + std::to_string(i);
        o.offer.type = jm::protocol::OfferType::Sw0Abs;
        o.offer.minsize = jm::protocol::MAX_MONEY;
        o.offer.maxsize = jm::protocol::MAX_MONEY;
        o.offer.txfee = jm::protocol::MAX_MONEY;
        o.offer.cjfee = std::to_string(jm::protocol::MAX_MONEY);
        v.offers.push_back(std::move(o));
    }
    auto page = renderPage(v, {SortKey::Fee, true}, std::chrono::seconds(30));
    BOOST_CHECK_MESSAGE(page.find("<td>10 BTC and more</td><td class=\"n\">5000</td><td class=\"n\">"
                                  "105000000000.00000000</td>") != std::string::npos,
                        "the band sums 5000 x 21e6 BTC");
    BOOST_CHECK(page.find(">-") == std::string::npos); // nothing wrapped negative
    BOOST_CHECK(page.find("nan") == std::string::npos);
    BOOST_CHECK(page.find("inf") == std::string::npos);
    BOOST_CHECK(page.find("id=\"depth-line\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_flooded_book_keeps_the_page_small) {
    // A full book (MAX_NICKS x MAX_OFFERS_PER_NICK): the page was 117 MB and took seconds to
    // render on the watcher's strand, per request. Now: the cheapest MAX_PAGE_ROWS rows, the
    // summary and chart over all, a note on the rest.
    MarketView v;
    const std::size_t n = jm::market::Orderbook::MAX_NICKS * jm::market::Orderbook::MAX_OFFERS_PER_NICK;
    for (std::size_t i = 0; i < n; ++i) {
        OfferView o;
        o.counterparty = "J5sybil" + std::to_string(i / 32);
        o.offer.type = jm::protocol::OfferType::Sw0Abs;
        o.offer.oid = static_cast<std::int64_t>(i % 32);
        o.offer.minsize = 27'300;
        o.offer.maxsize = 100'000'000;
        o.offer.cjfee = std::to_string(n - i); // the last offer is the cheapest
        o.directories = {"127.0.0.1:5222"};
        v.offers.push_back(std::move(o));
    }
    auto page = renderPage(v, {SortKey::Fee, false}, std::chrono::seconds(30));
    BOOST_CHECK_LT(page.size(), 2'000'000u);
    auto rows = [&](const std::string& text) {
        std::size_t count = 0;
        for (auto at = text.find("<tr data-counterparty="); at != std::string::npos;
             at = text.find("<tr data-counterparty=", at + 1))
            ++count;
        return count;
    };
    BOOST_CHECK_EQUAL(rows(page), MAX_PAGE_ROWS);
    BOOST_CHECK(page.find("<tr data-counterparty=\"J5sybil4999\" data-oid=\"31\">") <
                page.find("<tr data-counterparty=\"J5sybil4999\" data-oid=\"30\">"));
    BOOST_CHECK(page.find("<p id=\"hidden-offers\">" + std::to_string(n - MAX_PAGE_ROWS) + " more offers") !=
                std::string::npos);
    BOOST_CHECK(page.find("<dd id=\"offer-count\">" + std::to_string(n) + "</dd>") != std::string::npos);
    // A small book shows every row and no note.
    auto small = renderPage(sampleView(), {}, std::chrono::seconds(30));
    BOOST_CHECK_EQUAL(rows(small), 3u + 2u); // three offers, two bonds
    BOOST_CHECK(small.find("hidden-offers") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(page_queries_parse_and_bad_ones_are_refused) {
    auto q = parsePageQuery("sort=txfee&order=desc");
    BOOST_REQUIRE(q);
    BOOST_CHECK(q->sort == SortKey::TxFee);
    BOOST_CHECK(q->descending);
    BOOST_CHECK(parsePageQuery(""));
    BOOST_CHECK(parsePageQuery("utm=1&&=&sort=fee")); // unknown keys and empty pairs ignored
    BOOST_CHECK(!parsePageQuery("sort=nope"));
    BOOST_CHECK(!parsePageQuery("sort="));
    BOOST_CHECK(!parsePageQuery("order=sideways"));
    BOOST_CHECK(!parsePageQuery("sort=fee&order"));
}

BOOST_AUTO_TEST_CASE(the_page_is_self_contained_escaped_and_sorted_on_the_server) {
    auto v = sampleView();
    auto by_fee = renderPage(v, {SortKey::Fee, false}, std::chrono::seconds(30));
    // Cheapest at 0.1 BTC first: carol (0.001%), alice (0.03%), bob (5000 sat = 0.05%).
    auto carol = by_fee.find("data-counterparty=\"J5carol&lt;x&gt;\""),
         alice = by_fee.find("data-counterparty=\"J5alice\""), bob = by_fee.find("<tr data-counterparty=\"J5bob\"");
    BOOST_REQUIRE(carol != std::string::npos && alice != std::string::npos && bob != std::string::npos);
    BOOST_CHECK(carol < alice && alice < bob);
    auto desc = renderPage(v, {SortKey::Fee, true}, std::chrono::seconds(30));
    BOOST_CHECK(desc.find("<tr data-counterparty=\"J5bob\"") < desc.find("data-counterparty=\"J5alice\""));
    // Network strings never reach the page unescaped.
    BOOST_CHECK(by_fee.find("J5carol<x>") == std::string::npos);
    // Nothing is loaded from elsewhere: no src=, no external href, no @import or url().
    BOOST_CHECK(by_fee.find("src=") == std::string::npos);
    BOOST_CHECK(by_fee.find("href=\"http") == std::string::npos);
    BOOST_CHECK(by_fee.find("@import") == std::string::npos);
    BOOST_CHECK(by_fee.find("url(") == std::string::npos);
    BOOST_CHECK(by_fee.find("<svg id=\"depth-chart\"") != std::string::npos);
    BOOST_CHECK(by_fee.find("id=\"depth-line\"") != std::string::npos);
    BOOST_CHECK(by_fee.find("id=\"bonds-table\"") != std::string::npos);
    BOOST_CHECK(by_fee.find("<dd id=\"makers\">3</dd>") != std::string::npos);
    BOOST_CHECK(by_fee.find("1 verified of 2 sent, 5.00000000 BTC locked") != std::string::npos);
    // Sorting links for JavaScript-off browsers; the current column links to the other order.
    BOOST_CHECK(by_fee.find("href=\"/?sort=fee&amp;order=desc\"") != std::string::npos);
    BOOST_CHECK(by_fee.find("href=\"/?sort=txfee&amp;order=asc\"") != std::string::npos);
    // An empty book still renders a chart.
    auto empty = renderPage(MarketView{}, {}, std::chrono::seconds(30));
    BOOST_CHECK(empty.find(">no offers</text>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(routes_answer_with_types_etags_and_errors) {
    auto v = sampleView();
    auto page = get(v, "/");
    BOOST_CHECK_EQUAL(page.status, 200u);
    BOOST_CHECK_EQUAL(page.content_type, "text/html; charset=utf-8");
    BOOST_CHECK_EQUAL(page.cache_control, "no-cache");
    BOOST_CHECK(!page.etag.empty());
    BOOST_CHECK(header(page, "Content-Security-Policy").find("default-src 'none'") != std::string::npos);
    auto again = get(v, "/", "GET", page.etag);
    BOOST_CHECK_EQUAL(again.status, 304u);
    BOOST_CHECK(again.body.empty());
    auto json = get(v, "/orderbook.json");
    BOOST_CHECK_EQUAL(json.status, 200u);
    BOOST_CHECK_EQUAL(json.content_type, "application/json");
    BOOST_CHECK_NE(json.etag, page.etag);
    BOOST_CHECK_EQUAL(get(v, "/orderbook.json", "GET", "\"0000000000000000\"").status, 200u);
    BOOST_CHECK_EQUAL(get(v, "/bonds.json").content_type, "application/json");
    auto health = get(v, "/health");
    BOOST_CHECK_EQUAL(health.status, 200u);
    BOOST_CHECK_EQUAL(boost::json::parse(health.body).at("status").as_string(), "ok");
    BOOST_CHECK_EQUAL(get(v, "/", "HEAD").status, 200u);
    // Error paths.
    BOOST_CHECK_EQUAL(get(v, "/nope").status, 404u);
    BOOST_CHECK_EQUAL(get(v, "/../etc/passwd").status, 404u);
    BOOST_CHECK_EQUAL(get(v, "http://evil/").status, 400u);
    BOOST_CHECK_EQUAL(get(v, "").status, 400u);
    BOOST_CHECK_EQUAL(get(v, "/\x01").status, 400u);
    BOOST_CHECK_EQUAL(get(v, "/" + std::string(2000, 'a')).status, 400u);
    BOOST_CHECK_EQUAL(get(v, "/?sort=evil").status, 400u);
    auto post = get(v, "/", "POST");
    BOOST_CHECK_EQUAL(post.status, 405u);
    BOOST_CHECK_EQUAL(header(post, "Allow"), "GET, HEAD");
    BOOST_CHECK_EQUAL(get(v, "/", "DELETE").status, 405u);
}

BOOST_AUTO_TEST_CASE(replies_are_rendered_once_per_view) {
    auto v = std::make_shared<MarketView>(sampleView());
    ReplyCache cache;
    auto ask = [&](std::shared_ptr<const MarketView> view, std::string_view target, std::string_view method = "GET",
                   std::string_view inm = {}) {
        return cache.answer(HttpRequestInfo{method, target, inm}, view, std::chrono::seconds(30));
    };
    auto first = ask(v, "/orderbook.json");
    BOOST_REQUIRE_EQUAL(first.status, 200u);
    BOOST_CHECK_EQUAL(first.body, get(*v, "/orderbook.json").body);
    // The same view object: the kept reply is served, not rendered again (the change made
    // behind its back does not show).
    v->offers.clear();
    BOOST_CHECK_EQUAL(ask(v, "/orderbook.json").body, first.body);
    auto revalidated = ask(v, "/orderbook.json", "GET", first.etag);
    BOOST_CHECK_EQUAL(revalidated.status, 304u);
    BOOST_CHECK(revalidated.body.empty());
    BOOST_CHECK_EQUAL(revalidated.etag, first.etag);
    BOOST_CHECK_EQUAL(header(revalidated, "Content-Security-Policy"), header(first, "Content-Security-Policy"));
    BOOST_CHECK_EQUAL(ask(v, "/orderbook.json", "HEAD").status, 200u);
    // A new view is rendered afresh.
    auto w = std::make_shared<MarketView>(*v);
    auto fresh = ask(w, "/orderbook.json");
    BOOST_CHECK_NE(fresh.body, first.body);
    BOOST_CHECK_EQUAL(fresh.body, get(*w, "/orderbook.json").body);
    BOOST_CHECK_EQUAL(ask(w, "/orderbook.json", "GET", first.etag).status, 200u);
    // Errors and other methods pass through; junk targets are answered but not all kept.
    BOOST_CHECK_EQUAL(ask(w, "/nope").status, 404u);
    BOOST_CHECK_EQUAL(ask(w, "/", "POST").status, 405u);
    for (int i = 0; i < 100; ++i)
        BOOST_CHECK_EQUAL(ask(w, "/?utm=" + std::to_string(i)).status, 200u);
    BOOST_CHECK_LE(cache.size(), ReplyCache::MAX_KEPT);
    auto page = ask(w, "/?utm=99");
    BOOST_CHECK_EQUAL(ask(w, "/?utm=99", "GET", page.etag).status, 304u);
}

BOOST_AUTO_TEST_CASE(smuggled_and_oversized_requests_are_refused_whole) {
    // What a proxy in front and this server could read differently is refused, not guessed.
    HttpLimits limits;
    auto v = sampleView();
    HttpServer::Handler handler = [&](const HttpRequestInfo& r) { return route(r, v, std::chrono::seconds(30)); };
    auto status = [&](const std::string& bytes) { return answerBytes(bytes, limits, handler).status; };
    BOOST_CHECK_EQUAL(status("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), 200u);
    BOOST_CHECK_EQUAL(status("GET /health HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n"), 400u);
    BOOST_CHECK_NE(status("GET /health HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), 200u);
    BOOST_CHECK_NE(status("GET /health HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                          "0\r\n\r\n"),
                   200u);
    BOOST_CHECK_NE(status("GET /health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 200u);
    BOOST_CHECK_NE(status("GET /health HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 200u);
    BOOST_CHECK_EQUAL(status("GET /health HTTP/1.1\r\nX: a\nb\r\n\r\n"), 400u);
    BOOST_CHECK_EQUAL(status("GET /?" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n"), 431u);
    BOOST_CHECK_EQUAL(status("GET /?" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n"), 400u);
    BOOST_CHECK_EQUAL(status("OPTIONS * HTTP/1.1\r\n\r\n"), 405u);
    BOOST_CHECK_EQUAL(status("GET /%2e%2e/etc/passwd HTTP/1.1\r\n\r\n"), 404u);
    // If-None-Match lists and wildcards are not matched (a full answer is always safe).
    BOOST_CHECK_EQUAL(status("GET /health HTTP/1.1\r\nIf-None-Match: *\r\n\r\n"), 200u);
    BOOST_CHECK_EQUAL(status("GET / HTTP/1.1\r\nIf-None-Match: *\r\n\r\n"), 200u);
}

BOOST_AUTO_TEST_CASE(settings_refuse_bad_values) {
    boost::json::object base{{"backend", "core"}, {"directories", boost::json::array{"127.0.0.1:5222"}}};
    auto check = [&](boost::json::object extra) {
        auto c = base;
        for (const auto& [k, v] : extra)
            c[k] = v;
        std::vector<jm::sdk::ConfigProblem> problems;
        if (!WatcherSettings::schema().validate(c, "$", problems)) return false;
        return WatcherSettings::fromConfig(c).has_value();
    };
    BOOST_CHECK(check({}));
    auto ok = WatcherSettings::fromConfig([&] {
                  auto c = base;
                  std::vector<jm::sdk::ConfigProblem> p;
                  WatcherSettings::schema().validate(c, "$", p);
                  return c;
              }())
                  .value();
    BOOST_CHECK_EQUAL(ok.http_host, "127.0.0.1"); // loopback unless told otherwise
    BOOST_CHECK(!check({{"directories", boost::json::array{}}}));
    BOOST_CHECK(!check({{"directories", boost::json::array{"nohost"}}}));
    BOOST_CHECK(!check({{"directories", boost::json::array{"a b:1"}}}));
    BOOST_CHECK(!check({{"directories", boost::json::array{"h:70000"}}}));
    BOOST_CHECK(!check({{"http_host", "localhost.evil"}}));
    BOOST_CHECK(!check({{"http_port", 70000}}));
    BOOST_CHECK(!check({{"refresh", "10ms"}}));
    BOOST_CHECK(!check({{"refresh", "5s"}})); // directories would drop the !orderbook
    BOOST_CHECK(!check({{"max_connections", 0}}));
    // Directories as the other roles read them: IPv6 in brackets; a .onion needs tor.socks.
    BOOST_CHECK(check({{"directories", boost::json::array{"[::1]:5222"}}}));
    auto onion = std::string(56, 'a') + ".onion:5222";
    BOOST_CHECK(!check({{"directories", boost::json::array{onion.c_str()}}}));
    BOOST_CHECK(check({{"directories", boost::json::array{onion.c_str()}},
                       {"tor", boost::json::object{{"socks", "127.0.0.1:9050"}}}}));
    BOOST_CHECK(!check({{"tor", boost::json::object{{"socks", "nowhere"}}}}));
}

BOOST_AUTO_TEST_SUITE_END()
