#include "webhook_notifier.hpp"

#include "secret.hpp"
#include "tls.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <boost/json/serialize.hpp>

#include <chrono>

namespace jm::plugins::notify {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;

WebhookNotifier::WebhookNotifier(jm::sdk::PluginContext& ctx, TopicFilter filter, WebhookSettings settings) :
    m_ctx(ctx), m_filter(std::move(filter)), m_drainGrace(std::min(settings.timeout, std::chrono::milliseconds(2000))),
    m_client(ctx.executor(), std::move(settings), ctx.logger()) {}

const jm::sdk::ConfigSchema& WebhookNotifier::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        schema.required("url", ConfigType::String, "https:// (or http://) URL the events are POSTed to");
        ConfigField on;
        on.name = "on";
        on.type = ConfigType::List;
        on.default_value = boost::json::array{"*"};
        on.description = "topics to send: exact (\"role.coinjoin_completed/1\"), prefixes (\"chain.*\") or \"*\"";
        schema.add(on);
        schema.optional("timeout", ConfigType::Duration, "5s", "time allowed for connecting, sending and the answer");
        schema.bounded("max_attempts", ConfigType::Int, 5, 1, 100, "tries per event before it is dropped");
        schema.optional("backoff_initial", ConfigType::Duration, "1s",
                        "wait before the first retry; doubles each retry");
        schema.optional("backoff_max", ConfigType::Duration, "60s", "longest wait between retries");
        schema.bounded("max_queue", ConfigType::Int, 1000, 1, 1'000'000,
                       "events kept while the endpoint is slow or down; the oldest is dropped beyond this");
        schema.optional("headers", ConfigType::Object, nullptr,
                        "extra HTTP headers, e.g. {\"X-Source\": \"jmnode\"} (no secrets: use bearer_token_file)");
        schema.optional("ca_file", ConfigType::String, "",
                        "PEM file of the CA(s) that sign the server's certificate, instead of the system store");
        schema.optional("bearer_token_file", ConfigType::String, nullptr,
                        "file (mode 0600) holding a token sent as \"Authorization: Bearer <token>\"");
        schema.optional("bearer_token_env", ConfigType::String, nullptr,
                        "environment variable holding that token (instead of bearer_token_file)");
        return schema;
    }();
    return s;
}

jm::sdk::Result<WebhookSettings> WebhookNotifier::settingsFrom(const boost::json::object& config,
                                                               const std::filesystem::path& base) {
    WebhookSettings settings;
    auto url = jm::sdk::configString(config, "url");
    if (!url) return url.error();
    auto parsed = parseWebhookUrl(*url);
    if (!parsed) return parsed.error();
    settings.url = std::move(*parsed);
    auto timeout = jm::sdk::configDuration(config, "timeout");
    auto attempts = jm::sdk::configInt(config, "max_attempts");
    auto initial = jm::sdk::configDuration(config, "backoff_initial");
    auto max = jm::sdk::configDuration(config, "backoff_max");
    auto queue = jm::sdk::configInt(config, "max_queue");
    for (auto* r : {&timeout, &initial, &max})
        if (!*r) return r->error();
    for (auto* r : {&attempts, &queue})
        if (!*r) return r->error();
    settings.timeout = *timeout;
    settings.max_attempts = static_cast<int>(*attempts);
    settings.backoff_initial = *initial;
    settings.backoff_max = std::max(*max, *initial);
    settings.max_queue = static_cast<std::size_t>(*queue);
    if (auto* headers = config.if_contains("headers"); headers && headers->is_object()) {
        for (const auto& [name, value] : headers->as_object()) {
            if (!value.is_string())
                return jm::sdk::fail(jm::sdk::errc::invalid_config,
                                     "header '" + std::string(name) + "' must be a string");
            std::string v(value.as_string());
            if (name.empty() || v.find_first_of("\r\n") != std::string::npos ||
                std::string_view(name).find_first_of(" :\r\n") != std::string_view::npos)
                return jm::sdk::fail(jm::sdk::errc::invalid_config, "invalid header '" + std::string(name) + "'");
            if (boost::algorithm::iequals(std::string_view(name), "authorization"))
                return jm::sdk::fail(jm::sdk::errc::invalid_config,
                                     "the Authorization header would put a secret in the config; use "
                                     "bearer_token_file (mode 0600) or bearer_token_env");
            settings.headers.emplace(std::string(name), std::move(v));
        }
    }
    auto token = readSecret(config, "bearer_token", base, true);
    if (!token) return token.error();
    if (!token->empty()) settings.headers["Authorization"] = "Bearer " + *token;
    if (settings.url.tls) {
        auto ca = jm::sdk::configString(config, "ca_file");
        std::string ca_file = ca ? *ca : "";
        if (!ca_file.empty() && std::filesystem::path(ca_file).is_relative()) ca_file = (base / ca_file).string();
        auto tls = makeTlsContext(ca_file);
        if (!tls) return tls.error();
        settings.tls = std::move(*tls);
    }
    return settings;
}

jm::sdk::Result<void> WebhookNotifier::start() {
    for (const auto& topic : m_filter.subscriptions()) {
        m_subscriptions.push_back(
            m_ctx.bus().subscribeTopic(topic, m_ctx.executor(), [this](const jm::sdk::EventView& e) {
                if (!m_filter.matches(e.topic)) return;
                auto now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch());
                boost::json::object body{{"topic", e.topic},
                                         {"instance", m_ctx.instanceName()},
                                         {"network", m_ctx.network()},
                                         {"time", now.count()},
                                         {"event", e.json()}};
                m_client.post(boost::json::serialize(body));
            }));
    }
    return {};
}

void WebhookNotifier::stop(std::function<void()> done) {
    m_subscriptions.clear();
    // Events published up to shutdown (node.stopping/1 among them) get a short chance to go out.
    m_client.stopAfterDrain(m_drainGrace, [this, done = std::move(done)](std::size_t dropped) {
        if (dropped)
            JM_LOG(m_ctx.logger(), warning) << "webhook: " << dropped << " undelivered event(s) dropped at shutdown";
        done();
    });
}

} // namespace jm::plugins::notify
