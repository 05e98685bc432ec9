#include "webhook_client.hpp"

#include "http_transport.hpp"

namespace jm::plugins::notify {

namespace {
DeliverySettings deliverySettings(const WebhookSettings& s) {
    DeliverySettings d;
    d.max_queue = s.max_queue;
    d.max_attempts = s.max_attempts;
    d.backoff_initial = s.backoff_initial;
    d.backoff_max = s.backoff_max;
    return d;
}
} // namespace

WebhookClient::WebhookClient(jm::sdk::Executor executor, WebhookSettings settings, jm::sdk::Logger logger) :
    m_target(settings.url.target), m_headers(settings.headers.begin(), settings.headers.end()),
    m_queue(executor, std::make_shared<HttpTransport>(executor, settings.url, settings.tls, settings.timeout, nullptr),
            deliverySettings(settings), std::move(logger), "webhook") {}

void WebhookClient::post(std::string body) {
    Outgoing message;
    message.target = m_target;
    message.headers = m_headers;
    message.body = std::move(body);
    m_queue.post(std::move(message));
}

} // namespace jm::plugins::notify
