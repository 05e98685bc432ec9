#pragma once

#include <jm/net/socks5.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace jm::net {

//! Connects `socket` (closed) to host:port: directly (resolve, then TCP), or through the SOCKS5
//! `proxy` when one is given (the proxy resolves the name, so .onion hosts work). `done` gets
//! an empty Result once the stream carries the peer's bytes.
//! Errors: errc::timeout when `timeout` passes first (the socket is closed),
//! errc::unavailable (cannot resolve or connect, or the proxy reports the destination
//! unreachable), errc::permission_denied (proxy authentication), errc::protocol_error (a
//! malformed proxy reply), errc::cancelled (the socket was closed by the caller), other codes
//! as socks5ReplyErrc for the remaining reply codes.
//! Returns a canceller: calling it (on the socket's executor) stops the operation, closes the
//! socket and makes `done` report errc::cancelled; calling it after `done` ran is harmless.
//! Executor: the socket's; `done` is called there, never inline. Ownership: the caller keeps
//! `socket` alive until `done` runs.
[[nodiscard]] JM_SDK_API std::function<void()> asyncConnectStream(boost::asio::ip::tcp::socket& socket,
                                                                  std::string host, std::uint16_t port,
                                                                  std::optional<Socks5Proxy> proxy,
                                                                  std::chrono::milliseconds timeout,
                                                                  std::function<void(jm::sdk::Result<void>)> done);

} // namespace jm::net
