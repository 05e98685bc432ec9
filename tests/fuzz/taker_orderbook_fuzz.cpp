// The taker's orderbook on arbitrary messages: each input line is one message (first byte:
// public or private, and which of a few nicks sent it). It must never crash, and whatever it
// keeps must be well-formed offers within the per-nick limit, with bonds only for nicks that
// answered.
#include <jm/market/orderbook.hpp>

#include <jm/protocol/line.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    jm::market::Orderbook book("J5fuzztaker");
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        auto end = input.find('\n');
        auto line = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
        if (line.empty()) continue;
        auto selector = static_cast<unsigned char>(line.front());
        std::string nick = "J5nick" + std::to_string(selector % 4);
        auto commands = jm::protocol::splitCommands(line.substr(1));
        if (!commands) continue;
        if (selector & 0x80)
            book.onPrivate(nick, *commands);
        else if (selector & 0x40)
            book.remove(nick);
        else
            book.onPublic(nick, *commands);
    }
    std::map<std::string, std::size_t> per_nick;
    for (const auto& o : book.offers()) {
        if (o.offer.minsize > o.offer.maxsize || o.offer.txfee < 0 || o.offer.oid < 0) __builtin_trap();
        if (++per_nick[o.counterparty] > jm::market::Orderbook::MAX_OFFERS_PER_NICK) __builtin_trap();
    }
    return 0;
}
