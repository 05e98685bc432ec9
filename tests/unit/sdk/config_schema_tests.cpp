#include <jm/sdk/config.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using jm::sdk::ConfigField;
using jm::sdk::ConfigProblem;
using jm::sdk::ConfigSchema;
using jm::sdk::ConfigType;

namespace {

ConfigSchema sample() {
    ConfigSchema s;
    s.required("rpc_url", ConfigType::String, "Bitcoin Core RPC URL");
    ConfigField threads;
    threads.name = "threads";
    threads.type = ConfigType::Int;
    threads.default_value = 2;
    threads.min = 1;
    threads.max = 8;
    s.add(threads);
    s.optional("timeout", ConfigType::Duration, "5s", "request timeout");
    s.optional("max_fee", ConfigType::Amount, "0.001btc", "largest fee");
    ConfigField mode;
    mode.name = "mode";
    mode.default_value = "fast";
    mode.allowed = {"fast", "safe"};
    s.add(mode);
    ConfigField topics;
    topics.name = "on";
    topics.type = ConfigType::List;
    topics.element = ConfigType::String;
    topics.default_value = boost::json::array{"*"};
    s.add(topics);
    auto nested = std::make_shared<ConfigSchema>();
    nested->required("host", ConfigType::String, "server host");
    ConfigField servers;
    servers.name = "servers";
    servers.type = ConfigType::List;
    servers.element = ConfigType::Object;
    servers.nested = nested;
    s.add(servers);
    return s;
}

std::vector<ConfigProblem> check(const char* json, boost::json::object* out = nullptr) {
    auto obj = boost::json::parse(json).as_object();
    std::vector<ConfigProblem> problems;
    sample().validate(obj, "$.config", problems);
    if (out) *out = obj;
    return problems;
}

bool has(const std::vector<ConfigProblem>& problems, std::string_view path, std::string_view text) {
    for (const auto& p : problems)
        if (p.path == path && p.message.find(text) != std::string::npos) return true;
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_schema_tests)

BOOST_AUTO_TEST_CASE(defaults_are_filled_and_normalised) {
    boost::json::object cfg;
    auto problems = check(R"({"rpc_url": "http://127.0.0.1:18443"})", &cfg);
    BOOST_REQUIRE(problems.empty());
    BOOST_CHECK_EQUAL(cfg.at("threads").as_int64(), 2);
    BOOST_CHECK_EQUAL(cfg.at("timeout").as_int64(), 5000);   // milliseconds
    BOOST_CHECK_EQUAL(cfg.at("max_fee").as_int64(), 100000); // satoshis
    BOOST_CHECK_EQUAL(cfg.at("mode").as_string(), "fast");
    BOOST_CHECK_EQUAL(cfg.at("on").as_array().size(), 1u);
    BOOST_CHECK(!cfg.contains("servers"));
    BOOST_CHECK_EQUAL(*jm::sdk::configDuration(cfg, "timeout"), std::chrono::milliseconds(5000));
}

BOOST_AUTO_TEST_CASE(unknown_key_gets_the_closest_name) {
    auto problems = check(R"({"rpc_url": "x", "rpc_ulr": "y", "zzzzzzzzzzzz": 1})");
    BOOST_CHECK(has(problems, "$.config.rpc_ulr", "did you mean 'rpc_url'"));
    BOOST_CHECK(has(problems, "$.config.zzzzzzzzzzzz", "valid keys: rpc_url, threads"));
}

BOOST_AUTO_TEST_CASE(wrong_types_missing_required_and_bounds) {
    auto problems = check(R"({"threads": "four", "timeout": "soon", "max_fee": -5, "mode": "slow", "on": ["a", 3],
                              "servers": [{"host": "a"}, {"port": 1}]})");
    BOOST_CHECK(has(problems, "$.config.rpc_url", "missing required key 'rpc_url'"));
    BOOST_CHECK(has(problems, "$.config.threads", "expected an integer, got a string"));
    BOOST_CHECK(has(problems, "$.config.timeout", "not a duration"));
    BOOST_CHECK(has(problems, "$.config.max_fee", "non-negative"));
    BOOST_CHECK(has(problems, "$.config.mode", "not one of: fast, safe"));
    BOOST_CHECK(has(problems, "$.config.on[1]", "expected a string"));
    BOOST_CHECK(has(problems, "$.config.servers[1].port", "unknown key 'port'"));
    BOOST_CHECK(has(problems, "$.config.servers[1].host", "missing required key"));
    BOOST_CHECK(!has(problems, "$.config.servers[0].host", ""));

    auto bounds = check(R"({"rpc_url": "x", "threads": 9})");
    BOOST_CHECK(has(bounds, "$.config.threads", "at most 8"));
    auto low = check(R"({"rpc_url": "x", "threads": 0})");
    BOOST_CHECK(has(low, "$.config.threads", "at least 1"));
}

BOOST_AUTO_TEST_CASE(durations_and_amounts) {
    using std::chrono::milliseconds;
    BOOST_CHECK_EQUAL(*jm::sdk::parseDuration(boost::json::value("250ms")), milliseconds(250));
    BOOST_CHECK_EQUAL(*jm::sdk::parseDuration(boost::json::value("5m")), milliseconds(300000));
    BOOST_CHECK_EQUAL(*jm::sdk::parseDuration(boost::json::value("2h")), milliseconds(7200000));
    BOOST_CHECK_EQUAL(*jm::sdk::parseDuration(boost::json::value(3)), milliseconds(3000));
    BOOST_CHECK_EQUAL(*jm::sdk::parseDuration(boost::json::value(1.5)), milliseconds(1500));
    for (auto bad : {"", "ms", "5x", "-5s", "5.5s", "99999999999999999999d"})
        BOOST_CHECK_MESSAGE(!jm::sdk::parseDuration(boost::json::value(bad)), bad);
    BOOST_CHECK(!jm::sdk::parseDuration(boost::json::value(-1)));

    BOOST_CHECK_EQUAL(*jm::sdk::parseAmount(boost::json::value("0.5btc")), 50'000'000);
    BOOST_CHECK_EQUAL(*jm::sdk::parseAmount(boost::json::value("0.00000001btc")), 1);
    BOOST_CHECK_EQUAL(*jm::sdk::parseAmount(boost::json::value("21000000btc")), 2'100'000'000'000'000);
    BOOST_CHECK_EQUAL(*jm::sdk::parseAmount(boost::json::value("1000sat")), 1000);
    BOOST_CHECK_EQUAL(*jm::sdk::parseAmount(boost::json::value(1234)), 1234);
    for (auto bad : {"0.000000001btc", "21000001btc", "btc", "1.2.3btc", "abc", "-1sat", ".btc"})
        BOOST_CHECK_MESSAGE(!jm::sdk::parseAmount(boost::json::value(bad)), bad);
    BOOST_CHECK(!jm::sdk::parseAmount(boost::json::value(1.5)));
}

BOOST_AUTO_TEST_CASE(describe_lists_every_key) {
    auto text = sample().describe();
    for (auto key : {"rpc_url (string, required)", "threads (int, default 2, min 1, max 8)",
                     "timeout (duration, default \"5s\")", "one of: fast safe", "host (string, required)"})
        BOOST_CHECK_MESSAGE(text.find(key) != std::string::npos, "missing '" << key << "' in\n" << text);
}

BOOST_AUTO_TEST_CASE(describe_writes_numbers_as_people_do) {
    jm::sdk::ConfigSchema schema;
    schema.bounded("exponent", jm::sdk::ConfigType::Double, 1.3, 1, 10, "");
    schema.bounded("share", jm::sdk::ConfigType::Double, 0.125, 0, 1, "");
    schema.bounded("interval", jm::sdk::ConfigType::Duration, "0s", 0, 86'400'000, "");
    schema.bounded("tiny", jm::sdk::ConfigType::Double, 1e-300, 0, 1e300, "");
    auto text = schema.describe();
    for (auto key : {"exponent (number, default 1.3, min 1, max 10)", "share (number, default 0.125, min 0, max 1)",
                     "interval (duration, default \"0s\", min \"0s\", max \"1d\")",
                     "tiny (number, default 1e-300, min 0, max 1e+300)"})
        BOOST_CHECK_MESSAGE(text.find(key) != std::string::npos, "missing '" << key << "' in\n" << text);
}

// Durations are held in milliseconds but a bare number in a config means seconds: a bound shown
// or reported as "86400000" would be read as 1000 days.
BOOST_AUTO_TEST_CASE(duration_bounds_read_as_durations) {
    jm::sdk::ConfigSchema schema;
    schema.bounded("wait", jm::sdk::ConfigType::Duration, "60s", 500, 3'600'000, "");
    auto text = schema.describe();
    BOOST_CHECK_MESSAGE(text.find("min \"500ms\", max \"1h\")") != std::string::npos, text);
    for (auto [value, expected] : {std::pair{"{\"wait\": 7200}", "must be at most \"1h\""},
                                   std::pair{"{\"wait\": \"100ms\"}", "must be at least \"500ms\""}}) {
        auto cfg = boost::json::parse(value).as_object();
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_CHECK(!schema.validate(cfg, "$", problems));
        BOOST_REQUIRE_EQUAL(problems.size(), 1u);
        BOOST_CHECK_MESSAGE(problems[0].message.find(expected) != std::string::npos, problems[0].message);
    }
}

BOOST_AUTO_TEST_CASE(typed_readers_report_missing_and_wrong_types) {
    auto cfg = boost::json::parse(R"({"s": "x", "i": 5, "b": true, "l": ["a"], "bad": 1})").as_object();
    BOOST_CHECK_EQUAL(*jm::sdk::configString(cfg, "s"), "x");
    BOOST_CHECK_EQUAL(*jm::sdk::configInt(cfg, "i"), 5);
    BOOST_CHECK(*jm::sdk::configBool(cfg, "b"));
    BOOST_CHECK_EQUAL(jm::sdk::configStringList(cfg, "l")->size(), 1u);
    BOOST_CHECK(!jm::sdk::configString(cfg, "bad"));
    BOOST_CHECK(!jm::sdk::configInt(cfg, "missing"));
    BOOST_CHECK(!jm::sdk::configStringList(cfg, "s"));
    BOOST_CHECK(jm::sdk::configString(cfg, "missing").error().message.find("missing config key 'missing'") !=
                std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
