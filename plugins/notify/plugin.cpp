// The notify plugin: notifier factories "log" and "webhook".
#include "log_notifier.hpp"
#include "webhook_notifier.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::notify {
namespace {

std::vector<std::string> topicsFrom(const boost::json::object& config) {
    auto topics = jm::sdk::configStringList(config, "on");
    return topics ? *topics : std::vector<std::string>{"*"};
}

class LogFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "notifier"; }
    std::string_view name() const override { return "log"; }
    std::string_view description() const override { return "writes chosen bus events to the log"; }
    const jm::sdk::ConfigSchema& configSchema() const override { return LogNotifier::schema(); }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto text = jm::sdk::configString(config, "level");
        auto level = text ? jm::sdk::parseSeverity(*text) : std::nullopt;
        return std::make_unique<LogNotifier>(ctx, TopicFilter(topicsFrom(config)),
                                             level.value_or(jm::sdk::Severity::info));
    }
};

class WebhookFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "notifier"; }
    std::string_view name() const override { return "webhook"; }
    std::string_view description() const override {
        return "POSTs chosen bus events as JSON to a URL, with retries and a bounded queue";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return WebhookNotifier::schema(); }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = WebhookNotifier::settingsFrom(config);
        if (!settings) return settings.error();
        return std::make_unique<WebhookNotifier>(ctx, TopicFilter(topicsFrom(config)), std::move(*settings));
    }
};

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return m_list; }

private:
    LogFactory m_log;
    WebhookFactory m_webhook;
    jm::sdk::PluginFactory* m_list[2] = {&m_log, &m_webhook};
};

} // namespace
} // namespace jm::plugins::notify

JM_PLUGIN_ENTRY("notify", "0.1.0", jm::plugins::notify::Module)
