#include "p2p_framing.hpp"
#include "wire_reader.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

#include <algorithm>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Network;
using jm::sdk::errc;
using jm::sdk::fail;

std::array<std::uint8_t, 4> networkMagic(Network network) {
    switch (network) {
    case Network::Mainnet:
        return {0xf9, 0xbe, 0xb4, 0xd9};
    case Network::Testnet:
        return {0x0b, 0x11, 0x09, 0x07};
    case Network::Signet:
        return {0x0a, 0x03, 0xcf, 0x40};
    case Network::Regtest:
        return {0xfa, 0xbf, 0xb5, 0xda};
    }
    return {};
}

jm::sdk::Result<MessageHeader> parseMessageHeader(ByteView data, Network network) {
    if (data.size() != MESSAGE_HEADER_SIZE)
        return fail(errc::protocol_error, "p2p header: " + std::to_string(data.size()) + " bytes, need 24");
    auto magic = networkMagic(network);
    if (!std::equal(magic.begin(), magic.end(), data.begin()))
        return fail(errc::protocol_error, "p2p header: magic " + jm::bitcoin::toHex(data.first(4)) + " is not " +
                                              std::string(jm::bitcoin::params(network).name) + "'s");
    MessageHeader h;
    std::size_t i = 4;
    for (; i < 16 && data[i] != 0; ++i) {
        if (data[i] < 0x20 || data[i] > 0x7e) return fail(errc::protocol_error, "p2p header: command is not printable");
        h.command.push_back(static_cast<char>(data[i]));
    }
    if (h.command.empty()) return fail(errc::protocol_error, "p2p header: empty command");
    for (; i < 16; ++i)
        if (data[i] != 0) return fail(errc::protocol_error, "p2p header: bytes after the command's padding");
    WireReader r(data.subspan(16));
    r.u32(h.length);
    r.bytes(h.checksum.data(), 4);
    if (h.length > MAX_PAYLOAD_SIZE)
        return fail(errc::protocol_error, "p2p header: " + h.command + " payload of " + std::to_string(h.length) +
                                              " bytes exceeds the limit of " + std::to_string(MAX_PAYLOAD_SIZE));
    return h;
}

jm::sdk::Result<void> checkPayload(const MessageHeader& header, ByteView payload) {
    if (payload.size() != header.length)
        return fail(errc::protocol_error, "p2p " + header.command + ": payload of " + std::to_string(payload.size()) +
                                              " bytes, header says " + std::to_string(header.length));
    auto digest = jm::bitcoin::sha256d(payload);
    if (!std::equal(header.checksum.begin(), header.checksum.end(), digest.begin()))
        return fail(errc::protocol_error, "p2p " + header.command + ": checksum mismatch");
    return {};
}

Bytes frameMessage(Network network, std::string_view command, ByteView payload) {
    Bytes out;
    out.reserve(MESSAGE_HEADER_SIZE + payload.size());
    auto magic = networkMagic(network);
    out.insert(out.end(), magic.begin(), magic.end());
    std::array<std::uint8_t, 12> cmd{};
    std::copy_n(command.begin(), std::min<std::size_t>(command.size(), cmd.size()), cmd.begin());
    out.insert(out.end(), cmd.begin(), cmd.end());
    writeLe(out, payload.size(), 4);
    auto digest = jm::bitcoin::sha256d(payload);
    out.insert(out.end(), digest.begin(), digest.begin() + 4);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

} // namespace jm::plugins::backend_neutrino
