#include <jm/net/peer_address.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(peer_address_tests)

BOOST_AUTO_TEST_CASE(host_and_port_are_parsed) {
    auto a = jm::net::parsePeerAddress("abcdef.onion:5222");
    BOOST_REQUIRE(a);
    BOOST_CHECK_EQUAL(a->host, "abcdef.onion");
    BOOST_CHECK_EQUAL(a->port, 5222);
    BOOST_CHECK_EQUAL(a->text(), "abcdef.onion:5222");
    auto b = jm::net::parsePeerAddress("127.0.0.1:65535");
    BOOST_REQUIRE(b);
    BOOST_CHECK_EQUAL(b->port, 65535);
}

BOOST_AUTO_TEST_CASE(bad_addresses_say_what_is_wrong) {
    for (auto bad : {"", "host", ":5222", "host:", "host:0", "host:70000", "host:12x", "ho st:1", "a;b:1", "a:b:1"}) {
        auto r = jm::net::parsePeerAddress(bad);
        BOOST_REQUIRE_MESSAGE(!r, bad);
        BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_config);
        BOOST_CHECK_MESSAGE(r.error().message.find("'" + std::string(bad) + "'") != std::string::npos,
                            r.error().message);
    }
}

BOOST_AUTO_TEST_CASE(a_list_needs_one_address_and_names_its_key) {
    auto none = jm::net::parsePeerAddresses({}, "directories");
    BOOST_REQUIRE(!none);
    BOOST_CHECK_NE(none.error().message.find("directories: name at least one"), std::string::npos);
    auto bad = jm::net::parsePeerAddresses({"127.0.0.1:5222", "nope"}, "directories");
    BOOST_REQUIRE(!bad);
    BOOST_CHECK_NE(bad.error().message.find("directories: 'nope' is not host:port"), std::string::npos);
    auto two = jm::net::parsePeerAddresses({"127.0.0.1:5222", "x.onion:1"}, "directories");
    BOOST_REQUIRE(two);
    BOOST_CHECK_EQUAL(two->size(), 2u);
    BOOST_CHECK_EQUAL((*two)[1].host, "x.onion");
}

BOOST_AUTO_TEST_SUITE_END()
