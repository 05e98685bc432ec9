// The orderbook watcher's HTTP front on arbitrary bytes: parsed as the server parses a request
// (same parser settings and limits), then routed against a small book. It must never crash,
// every answer must have a known status, and only 200 answers may carry the page or JSON.
#include <http_server.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace jm::plugins::orderbook;
    static const MarketView view = [] {
        MarketView v;
        v.network = "testnet";
        v.directories = {"127.0.0.1:5222"};
        OfferView o;
        o.counterparty = "J5fuzzmaker";
        o.offer.type = jm::protocol::OfferType::Sw0Abs;
        o.offer.minsize = 100'000;
        o.offer.maxsize = 5'000'000;
        o.offer.cjfee = "250";
        v.offers.push_back(o);
        return v;
    }();
    HttpLimits limits;
    limits.max_header_bytes = 2048;
    auto reply = answerBytes(std::string_view(reinterpret_cast<const char*>(data), size), limits,
                             [](const HttpRequestInfo& r) { return route(r, view, std::chrono::seconds(30)); });
    switch (reply.status) {
    case 200:
    case 304:
    case 400:
    case 404:
    case 405:
    case 413:
    case 431:
        break;
    default:
        __builtin_trap();
    }
    if (reply.status != 200 && reply.content_type != "text/plain; charset=utf-8" && reply.status != 304)
        __builtin_trap();
    return 0;
}
