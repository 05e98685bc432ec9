#include "topic_filter.hpp"

#include <boost/test/unit_test.hpp>

using jm::plugins::notify::TopicFilter;

BOOST_AUTO_TEST_SUITE(topic_filter_tests)

BOOST_AUTO_TEST_CASE(exact_prefix_and_all) {
    TopicFilter exact({"node.started/1", "role.coinjoin_completed/1"});
    BOOST_CHECK(exact.matches("node.started/1"));
    BOOST_CHECK(!exact.matches("node.started/2"));
    BOOST_CHECK(!exact.matches("node.stopping/1"));
    BOOST_CHECK((exact.subscriptions() == std::vector<std::string>{"node.started/1", "role.coinjoin_completed/1"}));

    TopicFilter prefix({"chain.*", "node.started/1"});
    BOOST_CHECK(prefix.matches("chain.block_connected/1"));
    BOOST_CHECK(prefix.matches("node.started/1"));
    BOOST_CHECK(!prefix.matches("node.stopping/1"));
    BOOST_CHECK(!prefix.matches("chainx"));
    BOOST_CHECK((prefix.subscriptions() == std::vector<std::string>{"*"}));

    TopicFilter all({"*"});
    BOOST_CHECK(all.matches("anything/1"));
    TopicFilter none({});
    BOOST_CHECK(!none.matches("node.started/1"));
    BOOST_CHECK(none.subscriptions().empty());
}

BOOST_AUTO_TEST_SUITE_END()
