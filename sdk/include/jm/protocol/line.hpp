#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jm::protocol {

constexpr std::string_view PUBLIC_TARGET = "PUBLIC";

//! The `line` of a PUBMSG/PRIVMSG split at its first two '!': from!to!body (protocol.md 5.1).
struct ChannelLine {
    std::string from;
    std::string to;   //!< a nick, or PUBLIC
    std::string body; //!< everything after "from!to!", leading '!' (double bang) removed
    bool isPublic() const { return to == PUBLIC_TARGET; }
};

//! Errors: errc::protocol_error when there are fewer than two '!' or a nick field is empty or
//! not alphanumeric.
JM_SDK_API jm::sdk::Result<ChannelLine> parseChannelLine(std::string_view line);

//! One command of a message body: "name args".
struct Command {
    std::string name; //!< without '!'
    std::string args; //!< after the first space (may be empty)
    bool operator==(const Command&) const = default;
};

//! Splits an unsigned body into its commands on '!' (empty pieces from doubled '!' are
//! skipped, as REF does for public messages). Errors: more than `max_commands`.
JM_SDK_API jm::sdk::Result<std::vector<Command>> splitCommands(std::string_view body, std::size_t max_commands = 64);

//! A private message body with its signature taken off (protocol.md 6.3): `text` is what was
//! signed (everything between the first command word and the pubkey), `commands` its pieces.
struct SignedBody {
    std::string first_command;
    std::string text;
    std::string pubkey_hex;
    std::string signature_base64;
    std::vector<Command> commands; //!< first_command + text split on '!'
};

//! REF's receive algorithm: tokens = body.split(" "); pubkey and signature are the last two;
//! text = the tokens between. Errors: errc::protocol_error (fewer than 4 tokens, empty text,
//! a command that may not lead a private message).
JM_SDK_API jm::sdk::Result<SignedBody> parseSignedBody(std::string_view body);
//! Whether `name` may be the first command of a private message (REF's list).
JM_SDK_API bool allowedFirstPrivateCommand(std::string_view name) noexcept;
//! Whether the command's payload is NaCl-encrypted (auth, ioauth, tx, sig).
JM_SDK_API bool isEncryptedCommand(std::string_view name) noexcept;

//! "from!PUBLIC!cmd args!cmd args" (each command formatted "name args").
JM_SDK_API std::string formatPublicLine(std::string_view from, const std::vector<Command>& commands);
//! "from!to!<signed_tail>" where `signed_tail` is "name text pubkey sig" (NickIdentity).
JM_SDK_API std::string formatPrivateLine(std::string_view from, std::string_view to, std::string_view command,
                                         std::string_view signed_text);

} // namespace jm::protocol
