// The P2P codec on arbitrary bytes (everything a Bitcoin peer sends is untrusted). The input is
// a stream of framed regtest messages; each is parsed as the connection will: header, payload
// check, decode. A decoded message must encode and decode again to the same value.
#include "p2p_framing.hpp"
#include "p2p_messages.hpp"

#include <cstddef>
#include <cstdint>

using namespace jm::plugins::backend_neutrino;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView in(data, size);
    while (in.size() >= MESSAGE_HEADER_SIZE) {
        auto header = parseMessageHeader(in.first(MESSAGE_HEADER_SIZE), jm::bitcoin::Network::Regtest);
        in = in.subspan(MESSAGE_HEADER_SIZE);
        if (!header) {
            // Also try the remainder as a bare payload of a command picked by its first byte, so
            // the decoders are reached without valid checksums.
            static const char* const commands[] = {
                "version",   "ping",      "addr",        "addrv2",       "inv", "getheaders", "headers",  "cfilter",
                "cfheaders", "cfcheckpt", "getcfilters", "getcfcheckpt", "tx",  "block",      "notfound", "reject"};
            if (in.empty()) return 0;
            std::string command = commands[in[0] % std::size(commands)];
            auto message = decodeMessage(command, in.subspan(1));
            if (message) {
                auto again = decodeMessage(commandOf(*message), encodeMessage(*message));
                if (!again || !(*again == *message)) __builtin_trap();
            }
            return 0;
        }
        std::size_t len = std::min<std::size_t>(header->length, in.size());
        auto payload = in.first(len);
        in = in.subspan(len);
        (void)checkPayload(*header, payload); // fuzzed inputs rarely carry a valid checksum: decode anyway
        auto message = decodeMessage(header->command, payload);
        if (!message) continue;
        if (commandOf(*message) != header->command) __builtin_trap();
        auto encoded = encodeMessage(*message);
        auto again = decodeMessage(header->command, encoded);
        if (!again || !(*again == *message)) __builtin_trap();
        auto framed = frameMessage(jm::bitcoin::Network::Regtest, header->command, encoded);
        auto reparsed = parseMessageHeader(ByteView(framed).first(MESSAGE_HEADER_SIZE), jm::bitcoin::Network::Regtest);
        if (!reparsed || !checkPayload(*reparsed, ByteView(framed).subspan(MESSAGE_HEADER_SIZE))) __builtin_trap();
    }
    return 0;
}
