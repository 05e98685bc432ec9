#pragma once

#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>

namespace jm::plugins::notify {

//! One human message made from a bus event.
struct MessageText {
    std::string topic;
    std::string title;      //!< short: a phone's notification title
    std::string body;       //!< a sentence or two
    bool important = false; //!< failures and stops: services with priorities raise them
};

//! Text for each event type: built-in defaults that read well on a phone, overridable per topic.
//! A template is plain text with {field} placeholders naming fields of the event's JSON, plus
//! derived ones: {F_btc} (an integer of satoshis F as BTC, 8 decimals), {F_sats} (with thousands
//! separators), {F_short} (a 64-hex-digit F as its first and last 8 digits; other strings as they are), {instance},
//! {network}, {topic}. Unknown placeholders stay as written. Topics without a template get
//! "<topic>: <event JSON>".
class MessageTemplates {
public:
    //! `overrides`: topic -> template text (the config's "templates" object); `title` prefixes
    //! every title (e.g. the node's name). Errors: errc::invalid_config for a non-string value.
    static jm::sdk::Result<MessageTemplates> make(const boost::json::object& overrides, std::string title);

    //! The message for one event. Never throws on any event JSON.
    MessageText render(std::string_view topic, const boost::json::value& event, std::string_view instance,
                       std::string_view network) const;

    //! The built-in template text of `topic`, or "" when it has none.
    static std::string_view defaultTemplate(std::string_view topic);

private:
    std::map<std::string, std::string, std::less<>> m_overrides;
    std::string m_title;
};

//! `text` cut to at most `max_bytes` bytes on a UTF-8 character boundary, with "..." when cut.
std::string truncateUtf8(std::string text, std::size_t max_bytes);
//! 123456789 -> "1.23456789"; -5 -> "-0.00000005".
std::string formatBtc(std::int64_t sats);
//! 1234567 -> "1,234,567".
std::string formatThousands(std::int64_t n);

} // namespace jm::plugins::notify
