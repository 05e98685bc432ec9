#pragma once

#include "delivery_queue.hpp"
#include "message_templates.hpp"
#include "services.hpp"
#include "topic_filter.hpp"

#include <jm/sdk/plugin.hpp>

#include <deque>
#include <filesystem>
#include <memory>

namespace jm::plugins::notify {

//! Everything a message notifier is made of, read from its config.
struct MessageNotifierParts {
    std::string service; //!< "telegram", "email", ...
    TopicFilter filter{std::vector<std::string>{}};
    MessageTemplates templates;
    DeliverySettings delivery;
    std::shared_ptr<Transport> transport;
    MessageFormatter format;
};

//! Sends a short human message per chosen bus event to one service (Telegram, ntfy, e-mail...):
//! renders it with MessageTemplates, formats it for the service and hands it to a DeliveryQueue
//! (pacing, retries, bounded queue). Executor: its instance's strand, like every plugin.
class MessageNotifier final : public jm::sdk::Plugin {
public:
    MessageNotifier(jm::sdk::PluginContext& ctx, MessageNotifierParts parts);

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    std::shared_ptr<const DeliveryStats> stats() const { return m_queue.stats(); }

    //! The config schema of the factory for `service` (shared keys + the service's own).
    static const jm::sdk::ConfigSchema& schema(std::string_view service);
    //! Reads the shared keys (topics, templates, pacing, retries, queue) of a validated config.
    //! Errors: errc::invalid_config.
    static jm::sdk::Result<MessageNotifierParts> commonParts(std::string_view service,
                                                             const boost::json::object& config);
    //! The complete parts of an HTTP service notifier: commonParts + bindHttpService + an
    //! HttpTransport (TLS context from ca_file or the system store). Relative paths resolve
    //! against `base`. Errors: errc::invalid_config, errc::io_error (no system trust store).
    static jm::sdk::Result<MessageNotifierParts> httpParts(std::string_view service, const boost::json::object& config,
                                                           jm::sdk::Executor executor,
                                                           const std::filesystem::path& base);

    //! The complete parts of the email notifier: commonParts + SmtpSettings (password from a
    //! 0600 file or the environment) + an SmtpTransport. Errors: errc::invalid_config.
    static jm::sdk::Result<MessageNotifierParts>
    emailParts(const boost::json::object& config, jm::sdk::Executor executor, const std::filesystem::path& base);

private:
    //! role.coinjoin_completed/1 of a transaction already announced by /2 (with its fee): the
    //! roles publish /2 first (events.hpp), and one message per CoinJoin is enough.
    bool duplicateCoinjoin(std::string_view topic, const boost::json::value& event);

    jm::sdk::PluginContext& m_ctx;
    std::string m_service;
    TopicFilter m_filter;
    MessageTemplates m_templates;
    MessageFormatter m_format;
    DeliveryQueue m_queue;
    std::vector<jm::sdk::Subscription> m_subscriptions;
    std::deque<std::string> m_feeTxids; //!< the last transactions seen with /2
};

} // namespace jm::plugins::notify
