#include "webhook_url.hpp"

#include <boost/test/unit_test.hpp>

using jm::plugins::notify::parseWebhookUrl;

BOOST_AUTO_TEST_SUITE(webhook_url_tests)

BOOST_AUTO_TEST_CASE(valid_urls) {
    auto a = parseWebhookUrl("http://example.org/hooks/jm?x=1");
    BOOST_REQUIRE(a);
    BOOST_CHECK_EQUAL(a->host, "example.org");
    BOOST_CHECK_EQUAL(a->port, "80");
    BOOST_CHECK_EQUAL(a->target, "/hooks/jm?x=1");
    auto b = parseWebhookUrl("http://127.0.0.1:8080");
    BOOST_REQUIRE(b);
    BOOST_CHECK_EQUAL(b->port, "8080");
    BOOST_CHECK_EQUAL(b->target, "/");
    auto c = parseWebhookUrl("http://[::1]:9000/x");
    BOOST_REQUIRE(c);
    BOOST_CHECK_EQUAL(c->host, "::1");
    BOOST_CHECK_EQUAL(c->port, "9000");
    auto d = parseWebhookUrl("http://h?q");
    BOOST_REQUIRE(d);
    BOOST_CHECK_EQUAL(d->target, "/?q");
    BOOST_CHECK(!d->tls);
    auto e = parseWebhookUrl("https://ntfy.sh/jm-alerts#frag");
    BOOST_REQUIRE(e);
    BOOST_CHECK(e->tls);
    BOOST_CHECK_EQUAL(e->port, "443");
    BOOST_CHECK_EQUAL(e->target, "/jm-alerts");
}

BOOST_AUTO_TEST_CASE(invalid_urls_say_why) {
    struct Case {
        const char* url;
        const char* why;
    };
    for (auto [url, why] :
         {Case{"ftp://x/", "must start with https:// or http://"}, Case{"http:///x", "no host"},
          Case{"http://h:0/", "port out of range"}, Case{"http://h:99999/", "port out of range"},
          Case{"http://h:8x/", "invalid port"}, Case{"http://u:p@h/", "user info"},
          Case{"http://[::1/", "unterminated IPv6"}, Case{"http://h/a b", "spaces or control characters"},
          Case{"", "must start with https:// or http://"}}) {
        auto r = parseWebhookUrl(url);
        BOOST_REQUIRE_MESSAGE(!r, url);
        BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_config);
        BOOST_CHECK_MESSAGE(r.error().message.find(why) != std::string::npos, url << ": " << r.error().message);
    }
}

BOOST_AUTO_TEST_SUITE_END()
