#include "log_notifier.hpp"
#include "running_context.hpp"

#include <jm/sdk/events.hpp>

#include <boost/log/core.hpp>
#include <boost/log/expressions/message.hpp>
#include <boost/log/sinks/basic_sink_backend.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::plugins::notify;

namespace {
struct Capture : boost::log::sinks::basic_sink_backend<boost::log::sinks::synchronized_feeding> {
    std::mutex mutex;
    std::vector<std::string> lines;
    void consume(const boost::log::record_view& rec) {
        auto channel = rec[jm::sdk::logChannel];
        auto message = rec[boost::log::expressions::smessage];
        std::lock_guard lock(mutex);
        if (channel && *channel == "events" && message) lines.push_back(*message);
    }
};
} // namespace

BOOST_AUTO_TEST_SUITE(log_notifier_tests)

BOOST_AUTO_TEST_CASE(logs_chosen_topics_only) {
    auto backend = boost::make_shared<Capture>();
    auto sink = boost::make_shared<boost::log::sinks::synchronous_sink<Capture>>(backend);
    boost::log::core::get()->add_sink(sink);
    {
        jm::test::RunningContext running("events");
        boost::json::object config{{"on", boost::json::array{"role.*"}}};
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(LogNotifier::schema().validate(config, "$", problems));
        LogNotifier notifier(running.ctx(), TopicFilter({"role.*"}), jm::sdk::Severity::info);
        BOOST_REQUIRE(running.onStrand([&] { return notifier.start(); }));
        running.ctx().bus().publish(jm::sdk::events::CoinjoinCompleted{"ab12", 50000, "taker"});
        running.ctx().bus().publish(jm::sdk::events::BlockConnected{7, "00"});
        running.ctx().bus().flushForTest();
        std::promise<void> stopped;
        running.onStrand([&] {
            notifier.stop([&] { stopped.set_value(); });
            return 0;
        });
        stopped.get_future().wait();
    }
    boost::log::core::get()->remove_sink(sink);
    BOOST_REQUIRE_EQUAL(backend->lines.size(), 1u);
    BOOST_CHECK_EQUAL(backend->lines[0],
                      "role.coinjoin_completed/1 {\"txid\":\"ab12\",\"cj_amount\":50000,\"role\":\"taker\"}");
}

BOOST_AUTO_TEST_SUITE_END()
