#include <config/node_config.hpp>
#include <plugins/instance_plan.hpp>

#include <util/setup.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>

namespace {

bool has(const std::vector<jm::sdk::ConfigProblem>& problems, std::string_view path, std::string_view text) {
    for (const auto& p : problems)
        if (p.path == path && p.message.find(text) != std::string::npos) return true;
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_tests)

BOOST_AUTO_TEST_CASE(defaults_comments_and_paths) {
    auto root = jm::host::parseConfigText(R"(// comment
        { /* block */ "node": {"datadir": "data", "plugin_dir": ["p", "/abs"]},
          "plugins": [{"load": "x", "instance": "i", "config": {"a": 1}},], })",
                                          "t.json");
    BOOST_REQUIRE(root);
    std::vector<jm::sdk::ConfigProblem> problems;
    auto cfg = jm::host::parseNodeConfig(*root, "/etc/jm/t.json", problems);
    BOOST_REQUIRE_MESSAGE(cfg, (problems.empty() ? "" : problems[0].message));
    BOOST_CHECK_EQUAL(cfg->datadir.string(), "/etc/jm/data");
    BOOST_CHECK_EQUAL(cfg->network, "mainnet");
    BOOST_CHECK_EQUAL(cfg->io_threads, 2);
    BOOST_CHECK_EQUAL(cfg->stop_timeout.count(), 10000);
    BOOST_REQUIRE_EQUAL(cfg->plugin_dirs.size(), 2u);
    BOOST_CHECK_EQUAL(cfg->plugin_dirs[0].string(), "/etc/jm/p");
    BOOST_CHECK_EQUAL(cfg->plugin_dirs[1].string(), "/abs");
    BOOST_REQUIRE_EQUAL(cfg->plugins.size(), 1u);
    BOOST_CHECK_EQUAL(cfg->plugins[0].load, "x");
    BOOST_CHECK_EQUAL(*cfg->plugins[0].instance, "i");
    BOOST_CHECK_EQUAL(cfg->plugins[0].path, "$.plugins[0]");
    BOOST_CHECK(cfg->log.console);
    BOOST_CHECK(cfg->log.file.empty());
}

BOOST_AUTO_TEST_CASE(home_is_expanded) {
    const char* home = std::getenv("HOME");
    BOOST_REQUIRE(home);
    BOOST_CHECK_EQUAL(jm::host::resolvePath("~/.jmnode", "/x").string(), std::string(home) + "/.jmnode");
    BOOST_CHECK_EQUAL(jm::host::resolvePath("rel/../y", "/x").string(), "/x/y");
}

BOOST_AUTO_TEST_CASE(node_section_problems_have_paths) {
    auto root = jm::host::parseConfigText(R"({"node": {"network": "mainnnet", "io_threads": 0, "datadir": 5},
        "log": {"level": "loud", "channels": {"x": "verbose"}}, "plugins": {"load": "x"}, "extra": 1})",
                                          "t.json");
    BOOST_REQUIRE(root);
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_CHECK(!jm::host::parseNodeConfig(*root, "t.json", problems));
    BOOST_CHECK(has(problems, "$.node.network", "not one of: mainnet"));
    BOOST_CHECK(has(problems, "$.node.io_threads", "at least 1"));
    BOOST_CHECK(has(problems, "$.node.datadir", "expected a string"));
    BOOST_CHECK(has(problems, "$.log.level", "not one of"));
    BOOST_CHECK(has(problems, "$.plugins", "expected a list"));
    BOOST_CHECK(has(problems, "$.extra", "unknown key 'extra'"));

    auto channels = jm::host::parseConfigText(R"({"log": {"channels": {"x": "verbose"}}})", "t.json");
    std::vector<jm::sdk::ConfigProblem> p2;
    BOOST_CHECK(!jm::host::parseNodeConfig(*channels, "t.json", p2));
    BOOST_CHECK(has(p2, "$.log.channels.x", "expected a level"));

    std::vector<jm::sdk::ConfigProblem> p3;
    boost::json::value not_object = boost::json::array();
    BOOST_CHECK(!jm::host::parseNodeConfig(not_object, "t.json", p3));
    BOOST_CHECK(has(p3, "$", "must be a JSON object"));
}

BOOST_AUTO_TEST_CASE(invalid_json_reports_line_and_column) {
    auto r = jm::host::parseConfigText("{\n  \"node\": {\n    \"datadir\" \"x\"\n  }\n}", "bad.json");
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_config);
    BOOST_CHECK_NE(r.error().message.find("bad.json: invalid JSON at line 3"), std::string::npos);
    BOOST_CHECK(!jm::host::parseConfigText("", "empty.json"));
    BOOST_CHECK(!jm::host::parseConfigText(std::string(100, '['), "deep.json"));
}

BOOST_AUTO_TEST_CASE(instance_names) {
    BOOST_CHECK(jm::host::validInstanceName("core-1.main_x"));
    for (auto bad : {"", "default", "a b", "a/b", "ünicode"})
        BOOST_CHECK_MESSAGE(!jm::host::validInstanceName(bad), bad);
    BOOST_CHECK(!jm::host::validInstanceName(std::string(65, 'a')));
}

BOOST_AUTO_TEST_SUITE_END()
