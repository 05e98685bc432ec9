// Service replies (status, Retry-After, JSON bodies) through the notifiers' classifiers, and
// arbitrary event JSON and templates through the message renderer: never a crash, never a wait
// outside [0, 1e9 s].
#include "http_transport.hpp"
#include "message_templates.hpp"
#include "services.hpp"

#include <boost/json/parse.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace jm::plugins::notify;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    HttpReply reply;
    reply.status = (data[0] << 8 | data[1]) % 1000;
    auto split = in.find('\n', 2);
    reply.headers["retry-after"] = std::string(in.substr(2, split == std::string_view::npos ? 0 : split - 2));
    reply.body = std::string(split == std::string_view::npos ? in.substr(2) : in.substr(split + 1));
    for (auto classify : {classifyHttpReply, classifyTelegram, classifyDiscord, classifyMatrix, classifyPushover}) {
        auto outcome = classify(reply);
        if (outcome.wait && outcome.wait->count() < 0) std::abort();
        if (outcome.why.size() > 4096) std::abort();
    }
    boost::system::error_code ec;
    auto event = boost::json::parse(reply.body, ec);
    if (!ec) {
        auto templates = MessageTemplates::make({{"fuzz/1", std::string(reply.headers["retry-after"])}}, "t");
        if (!templates) return 0;
        for (std::string_view topic : {"fuzz/1", "role.coinjoin_completed/2", "chain.backend_status/1",
                                       "wallet.balance_changed/1", "maker.session_failed/1", "other/1"})
            (void)templates->render(topic, event, "i", "n");
    }
    (void)truncateUtf8(reply.body, data[2]);
    return 0;
}
