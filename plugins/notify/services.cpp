#include "services.hpp"

#include "secret.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <cmath>

namespace jm::plugins::notify {

using jm::sdk::ConfigType;
using jm::sdk::errc;
using namespace std::chrono_literals;

namespace {

constexpr ServiceInfo SERVICES[] = {
    // ntfy.sh: bursts of 60, then one message per 5 s per visitor; self-hosted servers vary.
    // ntfy.sh also caps messages per day (250 for an anonymous visitor).
    {"ntfy", "sends events as ntfy push notifications (ntfy.sh or a self-hosted server)", 5s, 4096, 10},
    {"gotify", "sends events to a Gotify server (application token)", 1s, 16384},
    // Bot API: about one message per second per chat, 20 per minute in groups.
    {"telegram", "sends events to a Telegram chat through a bot (Bot API sendMessage)", 3s, 4096},
    // Webhooks: 5 requests per 2 s, 30 messages per minute per channel.
    {"discord", "posts events to a Discord channel through an incoming webhook", 2s, 2000},
    // Incoming webhooks: one message per second.
    {"slack", "posts events to a Slack channel through an incoming webhook", 1s, 40000},
    // Pushover: 10,000 messages a month (12 an hour stays under it); no more than one retry
    // every 5 s after errors.
    {"pushover", "sends events as Pushover notifications", 2s, 1024, 12},
    {"matrix", "sends events to a Matrix room (client-server API, m.room.message)", 1s, 32768},
    // Mail providers cap what an account sends a day (a few hundred): 20 an hour stays under.
    {"email", "mails events through an SMTP server (STARTTLS or TLS, AUTH PLAIN/LOGIN)", 10s, 65536, 20},
};

std::optional<boost::json::value> parseJson(std::string_view text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
}

const boost::json::value* path(const boost::json::value& v, std::initializer_list<std::string_view> keys) {
    const boost::json::value* cur = &v;
    for (auto k : keys) {
        if (!cur->is_object()) return nullptr;
        cur = cur->as_object().if_contains(k);
        if (!cur) return nullptr;
    }
    return cur;
}

std::optional<std::chrono::milliseconds> seconds(const boost::json::value* v, double scale_to_ms) {
    if (!v) return std::nullopt;
    double x = v->is_int64()    ? double(v->as_int64())
               : v->is_uint64() ? double(v->as_uint64())
               : v->is_double() ? v->as_double()
                                : -1;
    if (!(x >= 0) || x > 1e9) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(x * scale_to_ms)));
}

bool isLoopback(std::string_view host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

// A service base URL from the config: https, or http to this machine only (secrets travel in it).
jm::sdk::Result<WebhookUrl> serviceUrl(std::string_view key, std::string_view text, bool secret) {
    auto url = parseWebhookUrl(text);
    if (!url)
        return jm::sdk::fail(errc::invalid_config, secret ? std::string(key) + ": not a valid https URL"
                                                          : std::string(key) + ": " + url.error().message);
    if (!url->tls && !isLoopback(url->host))
        return jm::sdk::fail(errc::invalid_config,
                             std::string(key) +
                                 ": must be https (plain http only to this machine: 127.0.0.1, ::1, localhost)");
    return url;
}

std::string basePath(const WebhookUrl& url) {
    auto p = url.target;
    if (auto q = p.find('?'); q != std::string::npos) p.erase(q);
    while (!p.empty() && p.back() == '/')
        p.pop_back();
    return p;
}

std::string json(const boost::json::object& o) { return boost::json::serialize(o); }

jm::sdk::Result<std::string> requiredString(const boost::json::object& config, std::string_view key) {
    auto v = jm::sdk::configString(config, key);
    if (!v) return v.error();
    if (v->empty() || v->find_first_of("\r\n") != std::string::npos)
        return jm::sdk::fail(errc::invalid_config, std::string(key) + " must be a non-empty single line");
    return v;
}

std::string titled(const MessageText& m, std::string_view bold_open, std::string_view bold_close) {
    return std::string(bold_open) + m.title + std::string(bold_close) + "\n" + m.body;
}

// Slack's mrkdwn treats &, < and > as control characters.
std::string slackEscape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out += c;
    }
    return out;
}

// Discord renders markdown in webhook content, masked links ([text](url)) included: every
// markdown character gets its backslash escape, so text from the network (a peer's failure
// reason, a nick) shows as written and cannot format, link (http\://), or render a mention or
// channel (<@id>, <#id>; allowed_mentions already keeps them from pinging).
std::string discordEscape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (std::string_view("\\*_~`|>[]()<#-:").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

std::string formEncode(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        if (v.empty()) continue;
        if (!out.empty()) out += '&';
        out += percentEncode(k) + "=" + percentEncode(v);
    }
    return out;
}

std::size_t maxText(std::string_view name) { return findService(name)->max_text; }

} // namespace

std::string percentEncode(std::string_view text) {
    static constexpr char HEX[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += HEX[c >> 4];
            out += HEX[c & 15];
        }
    }
    return out;
}

std::span<const ServiceInfo> httpServices() { return std::span(SERVICES, std::size(SERVICES) - 1); }

const ServiceInfo* findService(std::string_view name) {
    for (const auto& s : SERVICES)
        if (s.name == name) return &s;
    return nullptr;
}

// Telegram answers {"ok":false,"error_code":429,"description":"...","parameters":{"retry_after":N}}.
Outcome classifyTelegram(const HttpReply& reply) {
    auto body = parseJson(reply.body);
    if (reply.status >= 200 && reply.status < 300) {
        auto* ok = body ? path(*body, {"ok"}) : nullptr;
        if (ok && ok->is_bool() && ok->as_bool()) return Outcome::delivered();
        return Outcome::drop("Telegram answered without ok: " + snippet(reply.body));
    }
    std::string why = "Telegram HTTP " + std::to_string(reply.status);
    if (auto* d = body ? path(*body, {"description"}) : nullptr; d && d->is_string())
        why += ": " + snippet(d->as_string());
    auto wait = body ? seconds(path(*body, {"parameters", "retry_after"}), 1000) : std::nullopt;
    if (reply.status == 429) return Outcome::retry(why, wait ? wait : retryAfterHeader(reply));
    if (reply.status >= 500) return Outcome::retry(why, wait);
    return Outcome::drop(why); // 400 chat not found, 401 bad token, 403 bot blocked
}

// Discord: 429 with {"retry_after": seconds (float), "global": bool} and a Retry-After header.
Outcome classifyDiscord(const HttpReply& reply) {
    if (reply.status == 429) {
        auto body = parseJson(reply.body);
        auto wait = body ? seconds(path(*body, {"retry_after"}), 1000) : std::nullopt;
        return Outcome::retry("Discord rate limit", wait ? wait : retryAfterHeader(reply));
    }
    return classifyHttpReply(reply);
}

// Matrix: 429 {"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":N}; 401/403 M_UNKNOWN_TOKEN, M_FORBIDDEN.
Outcome classifyMatrix(const HttpReply& reply) {
    if (reply.status >= 200 && reply.status < 300) return Outcome::delivered();
    auto body = parseJson(reply.body);
    std::string why = "Matrix HTTP " + std::to_string(reply.status);
    if (auto* code = body ? path(*body, {"errcode"}) : nullptr; code && code->is_string())
        why += " " + std::string(code->as_string());
    if (auto* e = body ? path(*body, {"error"}) : nullptr; e && e->is_string()) why += ": " + snippet(e->as_string());
    if (reply.status == 429) {
        auto wait = body ? seconds(path(*body, {"retry_after_ms"}), 1) : std::nullopt;
        return Outcome::retry(why, wait ? wait : retryAfterHeader(reply));
    }
    if (reply.status >= 500) return Outcome::retry(why, retryAfterHeader(reply));
    return Outcome::drop(why);
}

// Pushover: {"status":1} is success; 4xx {"status":0,"errors":[...]} is final; 429 means the
// application's monthly quota is used up: retried with the long backoff.
Outcome classifyPushover(const HttpReply& reply) {
    auto body = parseJson(reply.body);
    auto* status = body ? path(*body, {"status"}) : nullptr;
    if (reply.status == 200 && status && status->is_int64() && status->as_int64() == 1) return Outcome::delivered();
    std::string why = "Pushover HTTP " + std::to_string(reply.status);
    if (auto* errors = body ? path(*body, {"errors"}) : nullptr) why += ": " + snippet(boost::json::serialize(*errors));
    if (reply.status == 429 || reply.status >= 500) return Outcome::retry(why, retryAfterHeader(reply));
    return Outcome::drop(why);
}

void addServiceFields(std::string_view name, jm::sdk::ConfigSchema& schema) {
    if (name == "ntfy") {
        schema.optional("server", ConfigType::String, "https://ntfy.sh", "the ntfy server");
        schema.required("topic", ConfigType::String, "the topic to publish to (pick a hard-to-guess name on ntfy.sh)");
        addSecretFields(schema, "token", "access token (optional; for protected topics)");
    } else if (name == "gotify") {
        schema.required("server", ConfigType::String, "the Gotify server, e.g. https://gotify.example.org");
        addSecretFields(schema, "token", "application token");
    } else if (name == "telegram") {
        schema.required("chat_id", ConfigType::String, "the chat to write to: a numeric id or @channelname");
        addSecretFields(schema, "bot_token", "bot token from @BotFather (123456:ABC...)");
        schema.optional("api_url", ConfigType::String, "https://api.telegram.org", "the Bot API server");
    } else if (name == "discord") {
        addSecretFields(schema, "webhook_url", "webhook URL (https://discord.com/api/webhooks/<id>/<token>)");
        schema.optional("username", ConfigType::String, "jmnode", "the name shown as the sender");
    } else if (name == "slack") {
        addSecretFields(schema, "webhook_url", "incoming webhook URL (https://hooks.slack.com/services/...)");
    } else if (name == "pushover") {
        addSecretFields(schema, "token", "application API token");
        addSecretFields(schema, "user_key", "user or group key");
        schema.optional("device", ConfigType::String, "", "send to this device only (default: all)");
        schema.optional("api_url", ConfigType::String, "https://api.pushover.net", "the Pushover API server");
    } else if (name == "matrix") {
        schema.required("homeserver", ConfigType::String, "the homeserver, e.g. https://matrix.example.org");
        schema.required("room_id", ConfigType::String,
                        "the room's id (!abc123:example.org); the account must have joined it");
        addSecretFields(schema, "access_token", "access token of the sending account");
    }
}

jm::sdk::Result<HttpServiceBinding> bindHttpService(std::string_view name, const boost::json::object& config,
                                                    const std::filesystem::path& base) {
    HttpServiceBinding b;
    auto limit = maxText(name);
    if (name == "ntfy") {
        auto server = jm::sdk::configString(config, "server");
        auto topic = requiredString(config, "topic");
        auto token = readSecret(config, "token", base, true);
        for (auto* r : {&server, &topic, &token})
            if (!*r) return r->error();
        auto url = serviceUrl("server", *server, false);
        if (!url) return url.error();
        b.url = *url;
        std::string target = basePath(b.url) + "/";
        std::vector<std::pair<std::string, std::string>> headers;
        if (!token->empty()) headers.emplace_back("Authorization", "Bearer " + *token);
        // JSON publishing (POST to the root with the topic in the body) keeps UTF-8 titles intact.
        b.format = [target, headers, topic = *topic, limit](const MessageText& m) {
            Outgoing o;
            o.target = target;
            o.headers = headers;
            o.body = json({{"topic", topic},
                           {"title", m.title},
                           {"message", truncateUtf8(m.body, limit)},
                           {"priority", m.important ? 4 : 3}});
            return o;
        };
        b.classify = classifyHttpReply;
    } else if (name == "gotify") {
        auto server = jm::sdk::configString(config, "server");
        auto token = readSecret(config, "token", base);
        for (auto* r : {&server, &token})
            if (!*r) return r->error();
        auto url = serviceUrl("server", *server, false);
        if (!url) return url.error();
        b.url = *url;
        b.format = [target = basePath(b.url) + "/message", token = *token, limit](const MessageText& m) {
            Outgoing o;
            o.target = target;
            o.headers.emplace_back("X-Gotify-Key", token);
            o.body =
                json({{"title", m.title}, {"message", truncateUtf8(m.body, limit)}, {"priority", m.important ? 8 : 5}});
            return o;
        };
        b.classify = classifyHttpReply;
    } else if (name == "telegram") {
        auto chat = requiredString(config, "chat_id");
        auto token = readSecret(config, "bot_token", base);
        auto api = jm::sdk::configString(config, "api_url");
        for (auto* r : {&chat, &token, &api})
            if (!*r) return r->error();
        // The token goes into the request path: only the characters a bot token has.
        if (token->find(':') == std::string::npos || !std::all_of(token->begin(), token->end(), [](unsigned char c) {
                return std::isalnum(c) || c == ':' || c == '_' || c == '-';
            }))
            return jm::sdk::fail(errc::invalid_config, "the bot token does not look like one (123456:ABC-def...)");
        auto url = serviceUrl("api_url", *api, false);
        if (!url) return url.error();
        b.url = *url;
        b.format = [target = basePath(b.url) + "/bot" + *token + "/sendMessage", chat = *chat,
                    limit](const MessageText& m) {
            Outgoing o;
            o.target = target;
            // Plain text (no parse_mode): event text needs no escaping and cannot break the markup.
            o.body = json({{"chat_id", chat},
                           {"text", truncateUtf8(m.title + "\n" + m.body, limit)},
                           {"disable_web_page_preview", true},
                           {"disable_notification", !m.important}});
            return o;
        };
        b.classify = classifyTelegram;
    } else if (name == "discord" || name == "slack") {
        auto hook = readSecret(config, "webhook_url", base);
        if (!hook) return hook.error();
        auto url = serviceUrl("webhook_url", *hook, true);
        if (!url) return url.error();
        b.url = *url;
        if (name == "discord") {
            auto username = jm::sdk::configString(config, "username");
            if (!username) return username.error();
            auto target = b.url.target + (b.url.target.find('?') == std::string::npos ? "?" : "&") + "wait=true";
            b.format = [target, username = *username, limit](const MessageText& m) {
                Outgoing o;
                o.target = target;
                // No mentions: text from the network (a taker's nick) must not ping @everyone.
                MessageText plain{m.topic, discordEscape(m.title), discordEscape(m.body), m.important};
                o.body = json({{"content", truncateUtf8(titled(plain, "**", "**"), limit)},
                               {"username", username},
                               {"allowed_mentions", boost::json::object{{"parse", boost::json::array()}}}});
                return o;
            };
            b.classify = classifyDiscord;
        } else {
            b.format = [target = b.url.target, limit](const MessageText& m) {
                Outgoing o;
                o.target = target;
                // mrkdwn off: text from the network must not format (*bold*, _, ~, `) the message;
                // &, < and > are escaped all the same (links and <!channel> are parsed regardless).
                o.body = json({{"text", truncateUtf8(slackEscape(titled(m, "", "")), limit)}, {"mrkdwn", false}});
                return o;
            };
            b.classify = classifyHttpReply; // 429 + Retry-After; 400 invalid_payload, 403, 404, 410 are final
        }
    } else if (name == "pushover") {
        auto token = readSecret(config, "token", base);
        auto user = readSecret(config, "user_key", base);
        auto device = jm::sdk::configString(config, "device");
        auto api = jm::sdk::configString(config, "api_url");
        for (auto* r : {&token, &user, &device, &api})
            if (!*r) return r->error();
        auto url = serviceUrl("api_url", *api, false);
        if (!url) return url.error();
        b.url = *url;
        b.format = [target = basePath(b.url) + "/1/messages.json", token = *token, user = *user, device = *device,
                    limit](const MessageText& m) {
            Outgoing o;
            o.target = target;
            o.content_type = "application/x-www-form-urlencoded";
            auto text = truncateUtf8(m.body, limit);
            o.body = formEncode({{"token", token},
                                 {"user", user},
                                 {"device", device},
                                 {"title", m.title},
                                 {"message", text},
                                 {"priority", m.important ? "1" : "0"}});
            return o;
        };
        b.classify = classifyPushover;
    } else if (name == "matrix") {
        auto server = jm::sdk::configString(config, "homeserver");
        auto room = requiredString(config, "room_id");
        auto token = readSecret(config, "access_token", base);
        for (auto* r : {&server, &room, &token})
            if (!*r) return r->error();
        if (!room->starts_with("!"))
            return jm::sdk::fail(errc::invalid_config, "room_id must be a room id (!abc:example.org), not an alias");
        auto url = serviceUrl("homeserver", *server, false);
        if (!url) return url.error();
        b.url = *url;
        auto prefix = basePath(b.url) + "/_matrix/client/v3/rooms/" + percentEncode(*room) + "/send/m.room.message/";
        // Transaction ids make the PUT idempotent: one per message, kept across its retries, and
        // unique for the access token across restarts (time-based prefix).
        auto counter = std::make_shared<std::uint64_t>(0);
        auto session = std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        b.format = [prefix, token = *token, counter, session, limit](const MessageText& m) {
            Outgoing o;
            o.method = "PUT";
            o.target = prefix + "jm" + session + "." + std::to_string(++*counter);
            o.headers.emplace_back("Authorization", "Bearer " + token);
            // An empty m.mentions says the message mentions nobody: clients then skip the legacy
            // rules that ping on "@room" or a name in the body (text from the network).
            o.body = json({{"msgtype", "m.text"},
                           {"body", truncateUtf8(m.title + ": " + m.body, limit)},
                           {"m.mentions", boost::json::object()}});
            return o;
        };
        b.classify = classifyMatrix;
    } else {
        return jm::sdk::fail(errc::invalid_config, "unknown service '" + std::string(name) + "'");
    }
    return b;
}

} // namespace jm::plugins::notify
