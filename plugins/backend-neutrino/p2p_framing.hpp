#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/sdk/result.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Bytes;
using jm::bitcoin::ByteView;

//! Size of the P2P message header: magic(4) command(12) length(4) checksum(4).
constexpr std::size_t MESSAGE_HEADER_SIZE = 24;
//! The largest payload accepted (Core's MAX_PROTOCOL_MESSAGE_LENGTH, 4,000,000 bytes): a block
//! up to the 4M weight limit fits; anything larger is refused before it is read.
constexpr std::uint32_t MAX_PAYLOAD_SIZE = 4'000'000;

//! The message start bytes of `network` (testnet is testnet3; signet is the default signet).
std::array<std::uint8_t, 4> networkMagic(jm::bitcoin::Network network);

struct MessageHeader {
    std::string command; //!< without the NUL padding
    std::uint32_t length = 0;
    std::array<std::uint8_t, 4> checksum{};
};

//! Parses the 24-byte header of a message from a peer of `network`. Errors (all
//! errc::protocol_error, each a reason to drop the peer): wrong size, magic of another network,
//! a command that is empty, not printable ASCII, or has bytes after its NUL padding, a length
//! above MAX_PAYLOAD_SIZE.
jm::sdk::Result<MessageHeader> parseMessageHeader(ByteView data, jm::bitcoin::Network network);

//! Checks that `payload` has the header's length and checksum (first 4 bytes of sha256d).
//! Errors: errc::protocol_error.
jm::sdk::Result<void> checkPayload(const MessageHeader& header, ByteView payload);

//! A whole message: header followed by `payload`. `command` is at most 12 printable ASCII
//! characters (the callers' own constants).
Bytes frameMessage(jm::bitcoin::Network network, std::string_view command, ByteView payload);

} // namespace jm::plugins::backend_neutrino
