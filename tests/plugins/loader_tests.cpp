// Loader safety: the probe plugins of tests/plugins are loaded by the real loader and run by
// the real Node (in-process), checking every refusal and the ABI smoke tests.
#include <node/node.hpp>
#include <plugins/instance_plan.hpp>
#include <plugins/plugin_loader.hpp>

#include <util/setup.hpp>

#include <jm/sdk/log.hpp>

#include <boost/log/core.hpp>
#include <boost/log/sinks/basic_sink_backend.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/test/unit_test.hpp>

#include <future>

namespace {

using jm::host::InstanceState;

const jm::host::PluginLoader& loader() {
    static jm::host::PluginLoader instance = [] {
        jm::host::PluginLoader l;
        l.loadDirectories({JM_TEST_PLUGIN_DIR});
        return l;
    }();
    return instance;
}

const jm::host::PluginRecord* record(std::string_view file_stem) {
    for (const auto& r : loader().records())
        if (r.path.stem() == file_stem) return &r;
    return nullptr;
}

struct Entry {
    std::string load;
    std::string instance;
    boost::json::object config = {};
};

// A node (not started) over the given instances, its data directory in `dir`.
std::unique_ptr<jm::host::Node> makeNode(const jm::test::TempDir& dir, const std::vector<Entry>& entries) {
    jm::host::NodeConfig config;
    config.datadir = dir.path();
    config.network = "regtest";
    config.stop_timeout = std::chrono::seconds(5);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        jm::host::PluginEntry e;
        e.load = entries[i].load;
        e.instance = entries[i].instance;
        e.config = entries[i].config;
        e.path = "$.plugins[" + std::to_string(i) + "]";
        config.plugins.push_back(e);
    }
    std::vector<jm::sdk::ConfigProblem> problems;
    auto plans = jm::host::planInstances(config, loader(), problems);
    for (const auto& p : problems)
        BOOST_TEST_MESSAGE(p.path << ": " << p.message);
    BOOST_REQUIRE(problems.empty());
    return std::make_unique<jm::host::Node>(std::move(config), std::move(plans));
}

// Collects test.smoke_result/1 events as JSON objects.
class SmokeCollector {
public:
    explicit SmokeCollector(jm::host::Node& node) {
        m_sub = node.bus().subscribeTopic("test.smoke_result/1", node.ioContext().get_executor(),
                                          [this](const jm::sdk::EventView& e) {
                                              std::lock_guard lock(m_mutex);
                                              m_results.push_back(e.json().as_object());
                                              m_cv.notify_all();
                                          });
    }
    std::optional<boost::json::object> waitFor(std::string_view check,
                                               std::chrono::seconds timeout = std::chrono::seconds(10)) {
        std::unique_lock lock(m_mutex);
        std::optional<boost::json::object> found;
        m_cv.wait_for(lock, timeout, [&] {
            for (const auto& r : m_results)
                if (r.at("check").as_string() == check) found = r;
            return found.has_value();
        });
        return found;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<boost::json::object> m_results;
    jm::sdk::Subscription m_sub;
};

} // namespace

BOOST_AUTO_TEST_SUITE(loader_tests)

BOOST_AUTO_TEST_CASE(bad_plugins_are_refused_with_a_reason) {
    struct Expect {
        const char* stem;
        const char* reason;
    };
    for (auto [stem, reason] :
         {Expect{"bad_abi_major", "built for plugin ABI v2"}, Expect{"bad_abi_hash", "different SDK headers"},
          Expect{"bad_build_id", "another toolchain"}, Expect{"bad_abi_v2", "built for plugin ABI v2"},
          Expect{"missing_entry", "no jm_plugin_entry_v1 symbol"}, Expect{"not_an_elf", "cannot load"}}) {
        auto* r = record(stem);
        BOOST_REQUIRE_MESSAGE(r, stem << " was not found in " << JM_TEST_PLUGIN_DIR);
        BOOST_CHECK_MESSAGE(!r->loaded, stem << " must be refused");
        BOOST_CHECK_MESSAGE(r->refusal.find(reason) != std::string::npos,
                            stem << ": '" << r->refusal << "' lacks '" << reason << "'");
        BOOST_CHECK(r->factories.empty());
    }
    for (auto stem : {"throws_on_start", "asio_smoke", "log_smoke", "rtti_smoke"}) {
        auto* r = record(stem);
        BOOST_REQUIRE(r);
        BOOST_CHECK_MESSAGE(r->loaded, stem << " refused: " << r->refusal);
        BOOST_CHECK_EQUAL(r->factories.size(), 1u);
    }
}

BOOST_AUTO_TEST_CASE(asio_smoke_timer_and_strand_post_fire) {
    jm::test::TempDir dir;
    auto node = makeNode(dir, {{"asio_smoke", "asio"}});
    SmokeCollector results(*node);
    BOOST_REQUIRE(node->start(false));
    auto r = results.waitFor("asio");
    BOOST_REQUIRE_MESSAGE(r, "the asio_smoke handlers never ran on the host's io_context");
    BOOST_CHECK_MESSAGE(r->at("ok").as_bool(), r->at("detail").as_string());
    node->stop();
}

BOOST_AUTO_TEST_CASE(log_smoke_record_reaches_the_host_sink) {
    struct Capture : boost::log::sinks::basic_sink_backend<boost::log::sinks::synchronized_feeding> {
        std::mutex mutex;
        std::vector<std::pair<std::string, std::string>> records;
        void consume(const boost::log::record_view& rec) {
            auto channel = rec[jm::sdk::logChannel];
            auto message = rec[boost::log::expressions::smessage];
            std::lock_guard lock(mutex);
            records.emplace_back(channel ? *channel : "", message ? *message : "");
        }
    };
    auto backend = boost::make_shared<Capture>();
    auto sink = boost::make_shared<boost::log::sinks::synchronous_sink<Capture>>(backend);
    boost::log::core::get()->add_sink(sink);
    {
        jm::test::TempDir dir;
        auto node = makeNode(dir, {{"log_smoke", "logprobe"}});
        BOOST_REQUIRE(node->start(false));
        node->stop();
    }
    boost::log::core::get()->remove_sink(sink);
    bool seen = false;
    for (const auto& [channel, message] : backend->records)
        seen |= channel == "logprobe" && message.find("log_smoke record from the plugin") != std::string::npos;
    BOOST_CHECK_MESSAGE(seen, "the plugin's record did not reach the host's logging core");
}

BOOST_AUTO_TEST_CASE(rtti_smoke_dynamic_cast_and_sdk_exception_cross_the_boundary) {
    {
        jm::test::TempDir dir;
        auto node = makeNode(dir, {{"rtti_smoke", "rtti_ok"}});
        BOOST_REQUIRE(node->start(false));
        auto* plugin = node->instance("rtti_ok");
        BOOST_REQUIRE(plugin);
        auto* service = dynamic_cast<jm::sdk::Service*>(plugin);
        BOOST_CHECK(service != nullptr);
        BOOST_CHECK(dynamic_cast<jm::sdk::Plugin*>(service) == plugin);
        node->stop();
    }
    {
        jm::test::TempDir dir;
        auto node = makeNode(dir, {{"rtti_smoke", "rtti_throws", {{"throw", true}}}});
        auto r = node->start(false);
        BOOST_REQUIRE(!r);
        // Caught as jm::sdk::Exception (its own code kept), not as a plain std::exception.
        BOOST_CHECK(r.error().code == jm::sdk::errc::unsupported);
        BOOST_CHECK_NE(r.error().message.find("rtti_smoke threw on purpose"), std::string::npos);
        node->stop();
    }
}

BOOST_AUTO_TEST_CASE(throwing_start_is_stopped_reported_and_unwinds_the_others) {
    jm::test::TempDir dir;
    auto node = makeNode(dir, {{"asio_smoke", "first"}, {"throws_on_start", "thrower"}});
    SmokeCollector results(*node);
    auto r = node->start(false);
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::plugin_failed);
    BOOST_CHECK_NE(r.error().message.find("boom from throws_on_start"), std::string::npos);
    BOOST_CHECK_NE(r.error().message.find("thrower"), std::string::npos);
    auto stopped = results.waitFor("stopped");
    BOOST_REQUIRE_MESSAGE(stopped, "the failed instance's stop() was not called");
    BOOST_CHECK_EQUAL(stopped->at("detail").as_string(), "thrower");
    auto states = node->instanceStates();
    BOOST_REQUIRE_EQUAL(states.size(), 2u);
    BOOST_CHECK(states[0].second == InstanceState::Stopped); // started, then unwound
    BOOST_CHECK(states[1].second == InstanceState::Failed);
    node->stop();
}

BOOST_AUTO_TEST_CASE(start_returning_an_error_keeps_its_code) {
    jm::test::TempDir dir;
    auto node = makeNode(dir, {{"throws_on_start", "refuser", {{"mode", "error"}}}});
    auto r = node->start(false);
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.error().code == jm::sdk::errc::unavailable);
    BOOST_CHECK_NE(r.error().message.find("refuses to start"), std::string::npos);
    node->stop();
}

BOOST_AUTO_TEST_SUITE_END()
