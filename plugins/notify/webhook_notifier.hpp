#pragma once

#include "topic_filter.hpp"
#include "webhook_client.hpp"

#include <jm/sdk/plugin.hpp>

#include <filesystem>
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
    //! Reads the validated config; relative secret and CA paths are resolved against `base` (the
    //! node's data directory). Errors: errc::invalid_config (bad url or header, an Authorization
    //! header in the config text, an unreadable or too open secret file, a bad CA file).
    static jm::sdk::Result<WebhookSettings> settingsFrom(const boost::json::object& config,
                                                         const std::filesystem::path& base = {});

private:
    jm::sdk::PluginContext& m_ctx;
    TopicFilter m_filter;
    std::chrono::milliseconds m_drainGrace; // at stop: how long queued events may still go out
    WebhookClient m_client;
    std::vector<jm::sdk::Subscription> m_subscriptions;
};

} // namespace jm::plugins::notify
