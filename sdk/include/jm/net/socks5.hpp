#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// SOCKS5 (RFC 1928) with username/password authentication (RFC 1929): the byte-level messages
// a client sends and the replies it parses. Written by hand because no Debian library offers a
// SOCKS5 client on Boost.Asio; the protocol is a handful of fixed-layout messages.
namespace jm::net {

//! Where a SOCKS5 proxy listens and the credentials to give it. Tor isolates streams by the
//! (username, password) pair (`IsolateSOCKSAuth`, on by default), so a distinct username per
//! counterparty gives each its own circuit. Plain value type.
struct Socks5Proxy {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9050;
    std::string username; //!< empty: offer "no authentication" only
    std::string password; //!< used only with a username
};

//! SOCKS5 reply codes (RFC 1928 6) and Tor's extended codes (0xF0-0xF7, sent by SocksPorts with
//! the ExtendedErrors flag).
enum class Socks5Reply : std::uint8_t {
    succeeded = 0x00,
    general_failure = 0x01,
    not_allowed = 0x02,
    network_unreachable = 0x03,
    host_unreachable = 0x04,
    connection_refused = 0x05,
    ttl_expired = 0x06,
    command_not_supported = 0x07,
    address_type_not_supported = 0x08,
    onion_descriptor_not_found = 0xF0,
    onion_descriptor_invalid = 0xF1,
    onion_introduction_failed = 0xF2,
    onion_rendezvous_failed = 0xF3,
    onion_missing_client_auth = 0xF4,
    onion_wrong_client_auth = 0xF5,
    onion_invalid_address = 0xF6,
    onion_introduction_timed_out = 0xF7,
};

//! A sentence for people describing reply code `code` (any byte; unknown ones say so).
//! Executor: any.
JM_SDK_API std::string socks5ReplyMessage(std::uint8_t code);

//! The error code a failed reply maps to: errc::unavailable for unreachable or refused
//! destinations, errc::permission_denied for "not allowed" and onion client-auth failures,
//! errc::timeout for TTL expiry and introduction timeouts, errc::unsupported for unsupported
//! commands or address types, errc::invalid_argument for an invalid onion address,
//! errc::protocol_error for codes the RFC does not define. Executor: any.
JM_SDK_API jm::sdk::errc socks5ReplyErrc(std::uint8_t code);

//! The method-selection greeting: offers username/password when `with_auth`, else no
//! authentication. Executor: any.
JM_SDK_API std::vector<std::uint8_t> socks5Greeting(bool with_auth);

//! Checks the server's 2-byte method choice against what we offered. Errors:
//! errc::protocol_error (wrong size or version, a method we did not offer),
//! errc::permission_denied (0xFF: no acceptable method). Executor: any.
JM_SDK_API jm::sdk::Result<void> parseSocks5MethodReply(std::span<const std::uint8_t> reply, bool with_auth);

//! The RFC 1929 request. Errors: errc::invalid_argument when the username is empty or either
//! field exceeds 255 bytes. Executor: any.
JM_SDK_API jm::sdk::Result<std::vector<std::uint8_t>> socks5AuthRequest(std::string_view username,
                                                                        std::string_view password);

//! Checks the 2-byte RFC 1929 status. Errors: errc::protocol_error (wrong size or version),
//! errc::permission_denied (non-zero status). Executor: any.
JM_SDK_API jm::sdk::Result<void> parseSocks5AuthReply(std::span<const std::uint8_t> reply);

//! CONNECT to host:port; an IPv4/IPv6 literal is sent as an address, anything else as a
//! domain name (so .onion names reach Tor unresolved). Errors: errc::invalid_argument for an
//! empty host, one longer than 255 bytes, or port 0. Executor: any.
JM_SDK_API jm::sdk::Result<std::vector<std::uint8_t>> socks5ConnectRequest(std::string_view host, std::uint16_t port);

//! How far the CONNECT reply in `received` (its first bytes, as read so far) is complete.
//! Returns 0 when `received` holds exactly one whole reply, else the total length the reply
//! needs given what is known (always more than received.size(); read up to it and call again).
//! Starts at 2, so a refusal is reported as soon as its code arrives. Errors:
//! errc::protocol_error (bad version, reserved byte, address type, empty domain, more bytes
//! than the reply), or the error of a non-zero reply code (see socks5ReplyErrc), with its
//! message. Executor: any.
JM_SDK_API jm::sdk::Result<std::size_t> socks5ConnectReplyNeeds(std::span<const std::uint8_t> received);

} // namespace jm::net
