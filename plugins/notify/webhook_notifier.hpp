#pragma once

#include "topic_filter.hpp"
#include "webhook_client.hpp"

#include <jm/sdk/plugin.hpp>

#include <memory>

namespace jm::plugins::notify {

//! POSTs each chosen bus event to a URL as
//! {"topic": "...", "instance": "<this instance>", "network": "...", "time": <unix s>, "event": {...}}.
class WebhookNotifier final : public jm::sdk::Plugin {
public:
    WebhookNotifier(jm::sdk::PluginContext& ctx, TopicFilter filter, WebhookSettings settings);

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    std::shared_ptr<const WebhookStats> stats() const { return m_client.stats(); }

    static const jm::sdk::ConfigSchema& schema();
    //! Reads the validated config. Errors: errc::invalid_config (bad url or header).
    static jm::sdk::Result<WebhookSettings> settingsFrom(const boost::json::object& config);

private:
    jm::sdk::PluginContext& m_ctx;
    TopicFilter m_filter;
    std::chrono::milliseconds m_drainGrace; // at stop: how long queued events may still go out
    WebhookClient m_client;
    std::vector<jm::sdk::Subscription> m_subscriptions;
};

} // namespace jm::plugins::notify
