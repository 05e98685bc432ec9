// The SDK orderbook (the taker's and the watcher's) on arbitrary channel lines, as directories
// deliver them, in a book of 8 nicks at most so that the Sybil eviction runs. It must never
// crash, keep at most 8 nicks and MAX_OFFERS_PER_NICK offers each, well-formed offers only, and
// a bond only for a nick in the book.
#include <jm/market/orderbook.hpp>
#include <jm/protocol/line.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    jm::market::Orderbook book("J5fuzztaker", 8);
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        auto end = input.find('\n');
        auto line = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
        if (line.empty()) continue;
        auto selector = static_cast<unsigned char>(line.front());
        line.remove_prefix(1);
        if (selector & 0x40) {
            book.remove("J5nick" + std::to_string(selector % 16));
            continue;
        }
        if (selector & 0x20) book.setBondVerified("J5nick" + std::to_string(selector % 16), selector & 1);
        jm::net::ChannelMessage m;
        m.is_private = (selector & 0x80) != 0;
        auto parsed = jm::protocol::parseChannelLine(line);
        if (!parsed) continue;
        m.line = *parsed;
        m.raw = std::string(line);
        (void)book.onMessage(m);
    }
    if (book.nickCount() > 8) __builtin_trap();
    std::map<std::string, std::size_t> per_nick;
    for (const auto& o : book.offers()) {
        if (o.offer.minsize > o.offer.maxsize || o.offer.txfee < 0 || o.offer.oid < 0) __builtin_trap();
        if (++per_nick[o.counterparty] > jm::market::Orderbook::MAX_OFFERS_PER_NICK) __builtin_trap();
    }
    for (int i = 0; i < 16; ++i) {
        auto nick = "J5nick" + std::to_string(i);
        if (book.bondProof(nick) && !book.contains(nick)) __builtin_trap();
    }
    return 0;
}
