#include <jm/protocol/line.hpp>

#include <algorithm>
#include <array>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
bool validNick(std::string_view nick) {
    return !nick.empty() && nick.size() <= 64 && std::all_of(nick.begin(), nick.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

Command toCommand(std::string_view piece) {
    auto space = piece.find(' ');
    if (space == std::string_view::npos) return {std::string(piece), {}};
    return {std::string(piece.substr(0, space)), std::string(piece.substr(space + 1))};
}
} // namespace

jm::sdk::Result<ChannelLine> parseChannelLine(std::string_view line) {
    auto first = line.find('!');
    auto second = first == std::string_view::npos ? first : line.find('!', first + 1);
    if (second == std::string_view::npos) return fail(errc::protocol_error, "message line is not from!to!command");
    ChannelLine out{std::string(line.substr(0, first)), std::string(line.substr(first + 1, second - first - 1)),
                    std::string(line.substr(second + 1))};
    if (!validNick(out.from)) return fail(errc::protocol_error, "invalid sender nick");
    if (!validNick(out.to)) return fail(errc::protocol_error, "invalid recipient nick");
    while (!out.body.empty() && out.body.front() == '!')
        out.body.erase(0, 1); // tolerate "!!cmd"
    if (out.body.empty()) return fail(errc::protocol_error, "message has no command");
    return out;
}

jm::sdk::Result<std::vector<Command>> splitCommands(std::string_view body, std::size_t max_commands) {
    std::vector<Command> out;
    std::size_t start = 0;
    for (;;) {
        auto pos = body.find('!', start);
        auto piece = body.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
        if (!piece.empty()) {
            if (out.size() >= max_commands) return fail(errc::protocol_error, "too many commands in one message");
            out.push_back(toCommand(piece));
        }
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

bool allowedFirstPrivateCommand(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 16> ALLOWED = {
        "auth", "ioauth", "tx",       "sig",      "fill",       "error",      "pubkey",      "orderbook",
        "push", "hp2",    "reloffer", "absoffer", "swreloffer", "swabsoffer", "sw0reloffer", "sw0absoffer"};
    return std::find(ALLOWED.begin(), ALLOWED.end(), name) != ALLOWED.end();
}

bool isEncryptedCommand(std::string_view name) noexcept {
    return name == "auth" || name == "ioauth" || name == "tx" || name == "sig";
}

jm::sdk::Result<SignedBody> parseSignedBody(std::string_view body) {
    std::vector<std::string_view> tokens;
    std::size_t start = 0;
    for (;;) {
        auto pos = body.find(' ', start);
        tokens.push_back(body.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
        if (tokens.size() > 10000) return fail(errc::protocol_error, "private message has too many fields");
    }
    if (tokens.size() < 4) return fail(errc::protocol_error, "private message lacks text, pubkey or signature");
    SignedBody out;
    out.first_command = tokens[0];
    if (!allowedFirstPrivateCommand(out.first_command))
        return fail(errc::protocol_error, "'" + out.first_command.substr(0, 20) + "' may not start a private message");
    out.pubkey_hex = tokens[tokens.size() - 2];
    out.signature_base64 = tokens.back();
    auto text_begin = tokens[1].data() - body.data();
    auto text_end = (tokens[tokens.size() - 3].data() - body.data()) + tokens[tokens.size() - 3].size();
    out.text =
        std::string(body.substr(static_cast<std::size_t>(text_begin), static_cast<std::size_t>(text_end - text_begin)));
    if (out.text.empty()) return fail(errc::protocol_error, "private message text is empty");
    auto commands = splitCommands(out.first_command + " " + out.text);
    if (!commands) return commands.error();
    out.commands = std::move(*commands);
    return out;
}

std::string formatPublicLine(std::string_view from, const std::vector<Command>& commands) {
    std::string out = std::string(from) + "!" + std::string(PUBLIC_TARGET);
    for (const auto& c : commands)
        out += "!" + c.name + (c.args.empty() ? "" : " " + c.args);
    return out;
}

std::string formatPrivateLine(std::string_view from, std::string_view to, std::string_view command,
                              std::string_view signed_text) {
    return std::string(from) + "!" + std::string(to) + "!" + std::string(command) + " " + std::string(signed_text);
}

} // namespace jm::protocol
