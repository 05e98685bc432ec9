// The one place that defines Boost.Test's main for every runner.
#define BOOST_TEST_MODULE jmnode
#include <boost/test/unit_test.hpp>
