// The notify plugin: notifier factories "log", "webhook", and one per message service (ntfy,
// gotify, telegram, discord, slack, pushover, matrix, email).
#include "log_notifier.hpp"
#include "message_notifier.hpp"
#include "webhook_notifier.hpp"

#include <jm/sdk/abi.hpp>

#include <deque>

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
        auto settings = WebhookNotifier::settingsFrom(config, ctx.dataDir());
        if (!settings) return settings.error();
        return std::make_unique<WebhookNotifier>(ctx, TopicFilter(topicsFrom(config)), std::move(*settings));
    }
};

class MessageFactory final : public jm::sdk::PluginFactory {
public:
    explicit MessageFactory(const ServiceInfo& info) : m_info(info) {}
    std::string_view kind() const override { return "notifier"; }
    std::string_view name() const override { return m_info.name; }
    std::string_view description() const override { return m_info.description; }
    const jm::sdk::ConfigSchema& configSchema() const override { return MessageNotifier::schema(m_info.name); }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto parts = m_info.name == "email"
                         ? MessageNotifier::emailParts(config, ctx.executor(), ctx.dataDir())
                         : MessageNotifier::httpParts(m_info.name, config, ctx.executor(), ctx.dataDir());
        if (!parts) return parts.error();
        return std::make_unique<MessageNotifier>(ctx, std::move(*parts));
    }

private:
    const ServiceInfo& m_info;
};

class Module final : public jm::sdk::PluginModule {
public:
    Module() {
        m_list.push_back(&m_log);
        m_list.push_back(&m_webhook);
        for (const auto& info : httpServices())
            m_list.push_back(&m_services.emplace_back(info));
        m_list.push_back(&m_services.emplace_back(*findService("email")));
    }
    std::span<jm::sdk::PluginFactory* const> factories() override { return m_list; }

private:
    LogFactory m_log;
    WebhookFactory m_webhook;
    std::deque<MessageFactory> m_services; // stable addresses
    std::vector<jm::sdk::PluginFactory*> m_list;
};

} // namespace
} // namespace jm::plugins::notify

JM_PLUGIN_ENTRY("notify", "0.1.0", jm::plugins::notify::Module)
