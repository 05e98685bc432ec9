#pragma once

#include "topic_filter.hpp"

#include <jm/sdk/plugin.hpp>

namespace jm::plugins::notify {

//! Writes each chosen bus event to the instance's log channel as "<topic> <json>".
class LogNotifier final : public jm::sdk::Plugin {
public:
    LogNotifier(jm::sdk::PluginContext& ctx, TopicFilter filter, jm::sdk::Severity level);

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    static const jm::sdk::ConfigSchema& schema();

private:
    jm::sdk::PluginContext& m_ctx;
    TopicFilter m_filter;
    jm::sdk::Severity m_level;
    std::vector<jm::sdk::Subscription> m_subscriptions;
};

} // namespace jm::plugins::notify
