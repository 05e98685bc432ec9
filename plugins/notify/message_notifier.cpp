#include "message_notifier.hpp"

#include "secret.hpp"
#include "smtp_transport.hpp"
#include "tls.hpp"

#include <jm/sdk/events.hpp>

#include <algorithm>
#include <map>
#include <mutex>

namespace jm::plugins::notify {

using jm::sdk::ConfigField;
using jm::sdk::ConfigType;

namespace {

// What an operator wants on a phone; chain.block_connected and tx_status would be noise.
boost::json::array defaultTopics() {
    return {"node.*",         "role.coinjoin_completed/*", "maker.session_failed/1",
            "taker.failed/1", "chain.backend_status/1",    "wallet.balance_changed/1"};
}

jm::sdk::ConfigSchema buildSchema(std::string_view service) {
    const auto* info = findService(service);
    jm::sdk::ConfigSchema schema;
    addServiceFields(service, schema);
    if (service == "email") {
        schema.required("server", ConfigType::String, "the SMTP server's host name, e.g. smtp.example.org");
        schema.bounded("port", ConfigType::Int, 587, 1, 65535, "its port: 587 (STARTTLS) or 465 (implicit TLS)");
        ConfigField security;
        security.name = "security";
        security.default_value = "starttls";
        security.allowed = {"starttls", "implicit", "none"};
        security.description =
            "starttls (required, never falls back to clear), implicit (TLS from the start, port 465), "
            "none (a server on this machine only, without password)";
        schema.add(security);
        schema.optional("username", ConfigType::String, "", "login name for AUTH; empty: no AUTH");
        addSecretFields(schema, "password", "SMTP password");
        ConfigField auth;
        auth.name = "auth";
        auth.default_value = "auto";
        auth.allowed = {"auto", "plain", "login"};
        auth.description = "AUTH mechanism: auto takes PLAIN when offered, else LOGIN";
        schema.add(auth);
        schema.required("from", ConfigType::String, "sender address (name@example.org)");
        ConfigField to;
        to.name = "to";
        to.type = ConfigType::List;
        to.required = true;
        to.description = "recipient addresses";
        schema.add(to);
        schema.optional("helo_name", ConfigType::String, "jmnode", "the name this node gives in EHLO");
    }
    ConfigField on;
    on.name = "on";
    on.type = ConfigType::List;
    on.default_value = defaultTopics();
    on.description = "topics to send: exact (\"maker.session_failed/1\"), prefixes (\"node.*\") or \"*\"";
    schema.add(on);
    schema.optional("templates", ConfigType::Object, boost::json::object(),
                    "message text per topic, e.g. {\"node.stopping/1\": \"jmnode stops: {reason}\"}; placeholders "
                    "name event fields, plus {F_btc}, {F_sats}, {F_short}, {instance}, {network}");
    schema.optional("title", ConfigType::String, "jmnode", "prefix of every message's title (e.g. this node's name)");
    schema.optional("ca_file", ConfigType::String, "",
                    "PEM file of the CA(s) that sign the server's certificate, instead of the system store");
    schema.optional("timeout", ConfigType::Duration, "15s", "time allowed for connecting, sending and the answer");
    schema.bounded("min_interval", ConfigType::Duration,
                   boost::json::value(std::to_string(info ? info->min_interval.count() : 1000) + "ms"), 0, 3'600'000,
                   "least time between two messages (the service's rate limit)");
    schema.bounded("max_attempts", ConfigType::Int, 6, 1, 100, "tries per message before it is dropped");
    schema.bounded("max_per_hour", ConfigType::Int, static_cast<std::int64_t>(info ? info->max_per_hour : 0), 0,
                   100'000,
                   "most messages (retries included) sent in any hour, so a flood never uses up the service's "
                   "quota; the rest wait in the queue; 0: no cap");
    schema.optional("backoff_initial", ConfigType::Duration, "5s",
                    "wait before the first retry; doubles each retry (a rate-limit reply waits as long as it asks)");
    schema.optional("backoff_max", ConfigType::Duration, "10m", "longest wait between retries");
    schema.bounded("max_queue", ConfigType::Int, 100, 1, 100'000,
                   "messages kept while the service is slow or down; the oldest is dropped beyond this");
    return schema;
}

} // namespace

const jm::sdk::ConfigSchema& MessageNotifier::schema(std::string_view service) {
    // Built on first use, one per service, never destroyed before exit (no static-init work).
    static std::mutex mutex;
    static auto* schemas = new std::map<std::string, jm::sdk::ConfigSchema, std::less<>>();
    std::lock_guard lock(mutex);
    auto it = schemas->find(service);
    if (it == schemas->end()) it = schemas->emplace(std::string(service), buildSchema(service)).first;
    return it->second;
}

jm::sdk::Result<MessageNotifierParts> MessageNotifier::commonParts(std::string_view service,
                                                                   const boost::json::object& config) {
    MessageNotifierParts parts;
    parts.service = std::string(service);
    auto topics = jm::sdk::configStringList(config, "on");
    if (!topics) return topics.error();
    parts.filter = TopicFilter(*topics);
    auto title = jm::sdk::configString(config, "title");
    if (!title) return title.error();
    const auto* templates = config.if_contains("templates");
    auto made = MessageTemplates::make(
        templates && templates->is_object() ? templates->as_object() : boost::json::object(), *title);
    if (!made) return made.error();
    parts.templates = std::move(*made);
    auto interval = jm::sdk::configDuration(config, "min_interval");
    auto initial = jm::sdk::configDuration(config, "backoff_initial");
    auto max = jm::sdk::configDuration(config, "backoff_max");
    for (auto* r : {&interval, &initial, &max})
        if (!*r) return r->error();
    auto attempts = jm::sdk::configInt(config, "max_attempts");
    auto queue = jm::sdk::configInt(config, "max_queue");
    auto per_hour = jm::sdk::configInt(config, "max_per_hour");
    for (auto* r : {&attempts, &queue, &per_hour})
        if (!*r) return r->error();
    parts.delivery.max_per_hour = static_cast<std::size_t>(*per_hour);
    parts.delivery.min_interval = *interval;
    parts.delivery.backoff_initial = *initial;
    parts.delivery.backoff_max = std::max(*max, *initial);
    parts.delivery.max_attempts = static_cast<int>(*attempts);
    parts.delivery.max_queue = static_cast<std::size_t>(*queue);
    return parts;
}

jm::sdk::Result<MessageNotifierParts> MessageNotifier::httpParts(std::string_view service,
                                                                 const boost::json::object& config,
                                                                 jm::sdk::Executor executor,
                                                                 const std::filesystem::path& base) {
    auto parts = commonParts(service, config);
    if (!parts) return parts.error();
    auto binding = bindHttpService(service, config, base);
    if (!binding) return binding.error();
    auto timeout = jm::sdk::configDuration(config, "timeout");
    if (!timeout) return timeout.error();
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (binding->url.tls) {
        auto ca = jm::sdk::configString(config, "ca_file");
        std::string ca_file = ca ? *ca : "";
        if (!ca_file.empty() && std::filesystem::path(ca_file).is_relative()) ca_file = (base / ca_file).string();
        auto made = makeTlsContext(ca_file);
        if (!made) return made.error();
        tls = std::move(*made);
    }
    parts->transport = std::make_shared<HttpTransport>(executor, binding->url, tls, *timeout, binding->classify);
    parts->format = std::move(binding->format);
    return parts;
}

namespace {
bool plainAddress(std::string_view a) {
    return a.find('@') != std::string_view::npos && a.find_first_of("<>\r\n \t,") == std::string_view::npos &&
           a.size() <= 254;
}
} // namespace

jm::sdk::Result<MessageNotifierParts> MessageNotifier::emailParts(const boost::json::object& config,
                                                                  jm::sdk::Executor executor,
                                                                  const std::filesystem::path& base) {
    using jm::sdk::errc;
    auto parts = commonParts("email", config);
    if (!parts) return parts.error();
    SmtpSettings s;
    auto host = jm::sdk::configString(config, "server");
    auto from = jm::sdk::configString(config, "from");
    auto security = jm::sdk::configString(config, "security");
    auto user = jm::sdk::configString(config, "username");
    auto auth = jm::sdk::configString(config, "auth");
    auto helo = jm::sdk::configString(config, "helo_name");
    for (auto* r : {&host, &from, &security, &user, &auth, &helo})
        if (!*r) return r->error();
    auto port = jm::sdk::configInt(config, "port");
    if (!port) return port.error();
    auto to = jm::sdk::configStringList(config, "to");
    if (!to) return to.error();
    auto timeout = jm::sdk::configDuration(config, "timeout");
    if (!timeout) return timeout.error();
    s.host = *host;
    if (s.host.empty() || s.host.find_first_of(" /\r\n") != std::string::npos)
        return jm::sdk::fail(errc::invalid_config, "server must be a host name, e.g. smtp.example.org");
    s.port = std::to_string(*port);
    s.security = *security == "implicit" ? SmtpSettings::Security::Implicit
                 : *security == "none"   ? SmtpSettings::Security::None
                                         : SmtpSettings::Security::StartTls;
    s.username = *user;
    s.auth = *auth == "plain"   ? SmtpSettings::Auth::Plain
             : *auth == "login" ? SmtpSettings::Auth::Login
                                : SmtpSettings::Auth::Auto;
    s.helo_name = *helo;
    s.timeout = *timeout;
    if (!plainAddress(*from)) return jm::sdk::fail(errc::invalid_config, "from: not a plain address (name@domain)");
    s.from = *from;
    if (to->empty()) return jm::sdk::fail(errc::invalid_config, "to: at least one recipient is needed");
    for (const auto& r : *to)
        if (!plainAddress(r)) return jm::sdk::fail(errc::invalid_config, "to: '" + r + "' is not a plain address");
    s.to = *to;
    if (s.helo_name.empty() || s.helo_name.find_first_of(" \r\n") != std::string::npos)
        return jm::sdk::fail(errc::invalid_config, "helo_name must be one word");
    auto password = readSecret(config, "password", base, s.username.empty());
    if (!password) return password.error();
    s.password = std::move(*password);
    if (s.security == SmtpSettings::Security::None) {
        if (s.host != "127.0.0.1" && s.host != "::1" && s.host != "localhost")
            return jm::sdk::fail(errc::invalid_config, "security \"none\" is only for a server on this machine");
        if (!s.username.empty())
            return jm::sdk::fail(errc::invalid_config, "security \"none\" cannot be used with a username: the "
                                                       "password would travel in clear");
    }
    auto ca = jm::sdk::configString(config, "ca_file");
    std::string ca_file = ca ? *ca : "";
    if (!ca_file.empty() && std::filesystem::path(ca_file).is_relative()) ca_file = (base / ca_file).string();
    auto tls = makeTlsContext(ca_file);
    if (!tls) return tls.error();
    parts->transport = std::make_shared<SmtpTransport>(executor, std::move(s), std::move(*tls));
    parts->format = [](const MessageText& m) {
        Outgoing o;
        o.subject = m.title;
        o.body = m.body;
        return o;
    };
    return parts;
}

MessageNotifier::MessageNotifier(jm::sdk::PluginContext& ctx, MessageNotifierParts parts) :
    m_ctx(ctx), m_service(parts.service), m_filter(std::move(parts.filter)), m_templates(std::move(parts.templates)),
    m_format(std::move(parts.format)),
    m_queue(ctx.executor(), std::move(parts.transport), parts.delivery, ctx.logger(), parts.service) {}

jm::sdk::Result<void> MessageNotifier::start() {
    for (const auto& topic : m_filter.subscriptions()) {
        m_subscriptions.push_back(
            m_ctx.bus().subscribeTopic(topic, m_ctx.executor(), [this](const jm::sdk::EventView& e) {
                if (!m_filter.matches(e.topic)) return;
                auto event = e.json();
                if (duplicateCoinjoin(e.topic, event)) return;
                auto text = m_templates.render(e.topic, event, m_ctx.instanceName(), m_ctx.network());
                m_queue.post(m_format(text));
            }));
    }
    return {};
}

bool MessageNotifier::duplicateCoinjoin(std::string_view topic, const boost::json::value& event) {
    const auto* txid = event.is_object() ? event.as_object().if_contains("txid") : nullptr;
    if (!txid || !txid->is_string()) return false;
    std::string id(txid->as_string());
    if (topic == jm::sdk::events::CoinjoinCompletedV2::topic) {
        if (m_feeTxids.size() >= 64) m_feeTxids.pop_front();
        m_feeTxids.push_back(std::move(id));
        return false;
    }
    return topic == jm::sdk::events::CoinjoinCompleted::topic &&
           std::find(m_feeTxids.begin(), m_feeTxids.end(), id) != m_feeTxids.end();
}

void MessageNotifier::stop(std::function<void()> done) {
    m_subscriptions.clear();
    // Events published up to shutdown (node.stopping/1 among them) get a short chance to go out.
    m_queue.stopAfterDrain(std::chrono::seconds(3), [this, done = std::move(done)](std::size_t dropped) {
        if (dropped)
            JM_LOG(m_ctx.logger(), warning) << m_service << ": " << dropped << " unsent message(s) dropped at shutdown";
        done();
    });
}

} // namespace jm::plugins::notify
