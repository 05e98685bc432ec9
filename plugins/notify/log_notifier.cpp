#include "log_notifier.hpp"

#include <boost/json/serialize.hpp>

namespace jm::plugins::notify {

LogNotifier::LogNotifier(jm::sdk::PluginContext& ctx, TopicFilter filter, jm::sdk::Severity level) :
    m_ctx(ctx), m_filter(std::move(filter)), m_level(level) {}

const jm::sdk::ConfigSchema& LogNotifier::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        jm::sdk::ConfigField on;
        on.name = "on";
        on.type = jm::sdk::ConfigType::List;
        on.default_value = boost::json::array{"*"};
        on.description = "topics to log: exact (\"node.started/1\"), prefixes (\"chain.*\") or \"*\" for all";
        schema.add(on);
        jm::sdk::ConfigField level;
        level.name = "level";
        level.default_value = "info";
        level.allowed = {"debug", "info", "warning"};
        level.description = "log level of the event records";
        schema.add(level);
        return schema;
    }();
    return s;
}

jm::sdk::Result<void> LogNotifier::start() {
    for (const auto& topic : m_filter.subscriptions()) {
        m_subscriptions.push_back(
            m_ctx.bus().subscribeTopic(topic, m_ctx.executor(), [this](const jm::sdk::EventView& e) {
                if (!m_filter.matches(e.topic)) return;
                BOOST_LOG_SEV(m_ctx.logger(), m_level) << e.topic << " " << boost::json::serialize(e.json());
            }));
    }
    return {};
}

void LogNotifier::stop(std::function<void()> done) {
    m_subscriptions.clear();
    done();
}

} // namespace jm::plugins::notify
