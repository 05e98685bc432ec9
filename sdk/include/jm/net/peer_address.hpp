#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jm::net {

//! A peer to connect to, as a config names it: "host:port".
struct PeerAddress {
    std::string host; //!< a name, an IPv4 address, an onion or an IPv6 address (without brackets)
    std::uint16_t port = 0;
    std::string text() const { return host + ":" + std::to_string(port); }
};

//! Parses "host:port" (a host of letters, digits, '.', '-' and '_') or "[IPv6 address]:port"; the
//! port is in 1..65535.
//! Executor: any; pure.
//! Errors: errc::invalid_config quoting the text and saying what is wrong.
JM_SDK_API jm::sdk::Result<PeerAddress> parsePeerAddress(std::string_view text);

//! Parses each of `texts` (the value of config key `key`, e.g. "directories"); at least one is
//! needed. Executor: any; pure. Errors: errc::invalid_config naming `key` and the bad entry.
JM_SDK_API jm::sdk::Result<std::vector<PeerAddress>> parsePeerAddresses(const std::vector<std::string>& texts,
                                                                        std::string_view key);

} // namespace jm::net
