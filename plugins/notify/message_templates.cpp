#include "message_templates.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace jm::plugins::notify {

namespace {

struct Default {
    std::string_view topic;
    std::string_view title;
    std::string_view text;
    bool important;
};

// Short first: a phone shows the first line or two.
constexpr Default DEFAULTS[] = {
    {"node.started/1", "started", "jmnode {version} is running on {network}.", false},
    {"node.stopping/1", "stopping", "jmnode is stopping ({reason}).", true},
    {"role.coinjoin_completed/1", "CoinJoin done", "CoinJoin of {cj_amount_btc} BTC done as {role}. tx {txid_short}",
     false},
    {"role.coinjoin_completed/2", "CoinJoin done",
     "CoinJoin of {cj_amount_btc} BTC done as {role}; {fee_text}. tx {txid_short}", false},
    {"maker.session_started/1", "CoinJoin starting", "{taker} asked for a CoinJoin of {amount_btc} BTC.", false},
    {"maker.session_failed/1", "CoinJoin failed", "CoinJoin with {taker} failed ({stage}): {reason}", true},
    {"taker.failed/1", "CoinJoin failed", "CoinJoin as taker failed ({stage}): {reason}", true},
    {"maker.offers_announced/1", "offers", "{nick} announced {offers_count} offer(s).", false},
    {"chain.backend_status/1", "backend", "{backend_text}", true},
    {"wallet.balance_changed/1", "balance", "Wallet balance {balance_btc} BTC ({change_signed_btc} BTC){reason_text}.",
     false},
    {"chain.tx_status/1", "transaction", "Transaction {txid_short} is {state} ({confirmations} conf).", false},
    {"chain.block_connected/1", "new block", "Block {height}: {hash_short}", false},
    {"tumble.step/1", "tumble step", "Tumble step {step}/{steps} {state} (attempt {attempt}). {txid_short}{reason}",
     false},
    {"tumble.finished/1", "tumble", "Tumble {plan} {state}: {done}/{steps} CoinJoins done. {reason}", true},
};

const Default* findDefault(std::string_view topic) {
    for (const auto& d : DEFAULTS)
        if (d.topic == topic) return &d;
    return nullptr;
}

bool isHex64(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// Values a template can name: the event's fields and the derived ones.
std::map<std::string, std::string, std::less<>> fieldsOf(std::string_view topic, const boost::json::value& event,
                                                         std::string_view instance, std::string_view network) {
    std::map<std::string, std::string, std::less<>> f;
    f["topic"] = std::string(topic);
    f["instance"] = std::string(instance);
    f["network"] = std::string(network);
    if (!event.is_object()) return f;
    for (const auto& [key, value] : event.as_object()) {
        std::string k(key);
        if (value.is_string()) {
            std::string s(value.as_string());
            f[k + "_short"] = isHex64(s) ? s.substr(0, 8) + "..." + s.substr(56) : s;
            f[k] = std::move(s);
        } else if (value.is_int64() || value.is_uint64()) {
            std::int64_t n = value.is_int64() ? value.as_int64() : static_cast<std::int64_t>(value.as_uint64());
            f[k] = std::to_string(n);
            f[k + "_btc"] = formatBtc(n);
            f[k + "_sats"] = formatThousands(n);
            f[k + "_signed_btc"] = (n > 0 ? "+" : "") + formatBtc(n);
        } else if (value.is_bool()) {
            f[k] = value.as_bool() ? "yes" : "no";
        } else if (value.is_array()) {
            f[k + "_count"] = std::to_string(value.as_array().size());
            f[k] = boost::json::serialize(value);
        } else {
            f[k] = boost::json::serialize(value);
        }
    }
    // Sentences that depend on the event's values.
    const auto& o = event.as_object();
    if (topic == "role.coinjoin_completed/2") {
        auto* fee = o.if_contains("fee");
        std::int64_t sats = fee && fee->is_int64() ? fee->as_int64() : 0;
        auto role = f["role"];
        if (role == "maker")
            f["fee_text"] = (sats >= 0 ? "earned " : "lost ") + formatThousands(sats < 0 ? -sats : sats) + " sats";
        else
            f["fee_text"] = "paid " + formatThousands(sats < 0 ? -sats : sats) + " sats in fees";
    }
    if (topic == "chain.backend_status/1") {
        auto* reachable = o.if_contains("reachable");
        bool up = reachable && reachable->is_bool() && reachable->as_bool();
        f["backend_text"] = up ? "Backend " + f["instance"] + " is reachable again."
                               : "Backend " + f["instance"] + " is unreachable: " + f["detail"];
    }
    if (topic == "wallet.balance_changed/1") f["reason_text"] = f["reason"].empty() ? "" : ", " + f["reason"];
    return f;
}

// No service takes more text than this (e-mail's 64 KiB): a template naming a long field many
// times (a peer's failure reason) stops growing here, before the service's own cut.
constexpr std::size_t MAX_RENDERED = 64 * 1024;
// A template is a sentence or two; a longer one is a mistake in the config.
constexpr std::size_t MAX_TEMPLATE = 2048;
constexpr std::size_t MAX_TITLE = 200;

std::string substitute(std::string_view text, const std::map<std::string, std::string, std::less<>>& fields) {
    std::string out;
    out.reserve(text.size() + 64);
    std::size_t i = 0;
    while (i < text.size()) {
        if (out.size() > MAX_RENDERED) return truncateUtf8(std::move(out), MAX_RENDERED);
        auto open = text.find('{', i);
        if (open == std::string_view::npos) break;
        auto close = text.find('}', open + 1);
        if (close == std::string_view::npos) break;
        out.append(text.substr(i, open - i));
        auto name = text.substr(open + 1, close - open - 1);
        if (auto it = fields.find(name); it != fields.end())
            out += it->second;
        else
            out.append(text.substr(open, close - open + 1));
        i = close + 1;
    }
    out.append(text.substr(std::min(i, text.size())));
    return truncateUtf8(std::move(out), MAX_RENDERED);
}

} // namespace

std::string formatBtc(std::int64_t sats) {
    bool negative = sats < 0;
    // |INT64_MIN| does not fit: go through unsigned.
    std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(sats) : static_cast<std::uint64_t>(sats);
    auto frac = std::to_string(magnitude % 100'000'000);
    frac.insert(0, 8 - frac.size(), '0');
    return (negative ? "-" : "") + std::to_string(magnitude / 100'000'000) + "." + frac;
}

std::string formatThousands(std::int64_t n) {
    bool negative = n < 0;
    std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
    auto digits = std::to_string(magnitude);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (negative ? "-" : "") + out;
}

std::string truncateUtf8(std::string text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t cut = max_bytes >= 3 ? max_bytes - 3 : 0;
    // Step back over continuation bytes (10xxxxxx) to a character start.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    text.resize(cut);
    return text + (max_bytes >= 3 ? "..." : "");
}

jm::sdk::Result<MessageTemplates> MessageTemplates::make(const boost::json::object& overrides, std::string title) {
    MessageTemplates t;
    if (title.size() > MAX_TITLE || title.find_first_of("\r\n") != std::string::npos)
        return jm::sdk::fail(jm::sdk::errc::invalid_config,
                             "title must be one line of at most " + std::to_string(MAX_TITLE) + " bytes");
    t.m_title = std::move(title);
    for (const auto& [topic, text] : overrides) {
        if (!text.is_string() || text.as_string().empty())
            return jm::sdk::fail(jm::sdk::errc::invalid_config,
                                 "templates: the template of '" + std::string(topic) + "' must be a non-empty string");
        if (text.as_string().size() > MAX_TEMPLATE)
            return jm::sdk::fail(jm::sdk::errc::invalid_config, "templates: the template of '" + std::string(topic) +
                                                                    "' has " + std::to_string(text.as_string().size()) +
                                                                    " bytes; at most " + std::to_string(MAX_TEMPLATE) +
                                                                    " (a message is a sentence or two)");
        t.m_overrides.emplace(std::string(topic), std::string(text.as_string()));
    }
    return t;
}

std::string_view MessageTemplates::defaultTemplate(std::string_view topic) {
    auto* d = findDefault(topic);
    return d ? d->text : std::string_view();
}

MessageText MessageTemplates::render(std::string_view topic, const boost::json::value& event, std::string_view instance,
                                     std::string_view network) const {
    MessageText m;
    m.topic = std::string(topic);
    auto fields = fieldsOf(topic, event, instance, network);
    const auto* d = findDefault(topic);
    std::string_view short_title = d ? d->title : topic.substr(0, topic.find('/'));
    m.title = m_title.empty() ? std::string(short_title) : m_title + ": " + std::string(short_title);
    m.important = d && d->important;
    if (auto it = m_overrides.find(topic); it != m_overrides.end())
        m.body = substitute(it->second, fields);
    else if (d)
        m.body = substitute(d->text, fields);
    else
        m.body = truncateUtf8(std::string(topic) + ": " + boost::json::serialize(event), MAX_RENDERED);
    return m;
}

} // namespace jm::plugins::notify
