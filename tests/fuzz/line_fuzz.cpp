// The JoinMarket line grammar and every command parser on arbitrary text.
#include <jm/protocol/coinjoin_messages.hpp>
#include <jm/protocol/commands.hpp>
#include <jm/protocol/fees.hpp>
#include <jm/protocol/line.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto line = jm::protocol::parseChannelLine(text);
    std::string_view body = line ? std::string_view(line->body) : text;
    std::vector<jm::protocol::Command> commands;
    if (auto split = jm::protocol::splitCommands(body)) commands = *split;
    if (auto signed_body = jm::protocol::parseSignedBody(body))
        commands.insert(commands.end(), signed_body->commands.begin(), signed_body->commands.end());
    for (const auto& c : commands) {
        if (auto offer = jm::protocol::parseOffer(c)) {
            auto again = jm::protocol::parseOffer(jm::protocol::formatOffer(*offer));
            if (!again || !(*again == *offer)) __builtin_trap();
        }
        if (auto fill = jm::protocol::parseFill(c.args)) {
            auto again = jm::protocol::parseFill(jm::protocol::formatFillArgs(*fill));
            if (!again || again->commitment != fill->commitment) __builtin_trap();
        }
        (void)jm::protocol::parsePubkey(c.args);
        (void)jm::protocol::parseCancel(c.args);
        (void)jm::protocol::parseHp2(c.args);
        (void)jm::protocol::parseTbond(c.args);
        (void)jm::protocol::parseBase64Payload(c.args);
        if (auto io = jm::protocol::parseIoauth(c.args)) {
            auto again = jm::protocol::parseIoauth(jm::protocol::formatIoauth(*io, true));
            if (!again || again->utxos.size() != io->utxos.size()) __builtin_trap();
        }
        (void)jm::protocol::parseTxPayload(c.args);
        if (auto items = jm::protocol::parseSigPayload(c.args)) {
            auto again = jm::protocol::parseSigPayload(jm::protocol::formatSigPayload(*items));
            if (!again || *again != *items) __builtin_trap();
        }
        if (auto d = jm::protocol::parseDecimal(c.args)) {
            auto again = jm::protocol::parseDecimal(d->toString());
            if (!again || again->toString() != d->toString()) __builtin_trap();
        }
        for (auto type : {jm::protocol::OfferType::Sw0Rel, jm::protocol::OfferType::Sw0Abs}) {
            auto cjfee = jm::protocol::parseCjfee(type, c.args);
            auto fee = jm::protocol::realCjfee(jm::protocol::toString(type), c.args, 2'100'000'000'000'000);
            // The fee function reads cjfees exactly as the parser does.
            if (fee && !cjfee) __builtin_trap();
            if (cjfee) {
                auto again = jm::protocol::parseCjfee(type, cjfee->toString());
                if (!again || again->toString() != cjfee->toString()) __builtin_trap();
            }
        }
    }
    return 0;
}
