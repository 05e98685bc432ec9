#include <logging/logging.hpp>

#include <util/setup.hpp>
#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(logging_tests)

BOOST_AUTO_TEST_CASE(file_sink_with_per_channel_levels) {
    jm::test::TempDir dir;
    jm::host::LogSettings settings;
    settings.level = jm::sdk::Severity::info;
    settings.channels.emplace("chatty", jm::sdk::Severity::trace);
    settings.channels.emplace("quiet", jm::sdk::Severity::error);
    settings.file = dir.path() / "node.log";
    settings.console = false;
    BOOST_REQUIRE(jm::host::setupLogging(settings));

    auto chatty = jm::sdk::makeLogger("chatty");
    auto quiet = jm::sdk::makeLogger("quiet");
    auto other = jm::sdk::makeLogger("other");
    JM_LOG(chatty, trace) << "chatty trace";
    JM_LOG(quiet, warning) << "quiet warning";
    JM_LOG(quiet, error) << "quiet error";
    JM_LOG(other, debug) << "other debug";
    JM_LOG(other, info) << "other info";
    jm::host::shutdownLogging();

    auto text = jm::test::readFile(settings.file);
    BOOST_CHECK_NE(text.find("[trace] [chatty] chatty trace"), std::string::npos);
    BOOST_CHECK_NE(text.find("[error] [quiet] quiet error"), std::string::npos);
    BOOST_CHECK_NE(text.find("[info] [other] other info"), std::string::npos);
    BOOST_CHECK_EQUAL(text.find("quiet warning"), std::string::npos);
    BOOST_CHECK_EQUAL(text.find("other debug"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(unwritable_log_file_is_a_clear_error) {
    jm::host::LogSettings settings;
    settings.console = false;
    settings.file = "/nonexistent-dir/for/jmnode.log";
    auto r = jm::host::setupLogging(settings);
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::io_error);
    BOOST_CHECK_NE(r.error().message.find("/nonexistent-dir/for/jmnode.log"), std::string::npos);
    jm::host::shutdownLogging();
}

BOOST_AUTO_TEST_SUITE_END()
