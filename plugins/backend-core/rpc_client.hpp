#pragma once

#include <jm/sdk/executor.hpp>
#include <jm/sdk/result.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace jm::plugins::backend_core {

//! How to reach and authenticate to Bitcoin Core's JSON-RPC server.
struct RpcSettings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8332;
    std::string user; //!< with password; else the cookie file is used
    std::string password;
    std::filesystem::path cookie_file; //!< re-read on every connection (it changes on restarts)
    std::chrono::milliseconds timeout{30'000};
    int retries = 3; //!< extra attempts after a connection failure or timeout
    std::chrono::milliseconds retry_delay{250};
};

//! An RPC failure. `rpc_code` is Bitcoin Core's error code when the node answered with one.
struct RpcFailure {
    jm::sdk::Error error;
    std::optional<int> rpc_code;
};

using RpcResult = std::variant<boost::json::value, RpcFailure>;
using RpcCallback = std::function<void(RpcResult)>;

//! Bitcoin Core JSON-RPC over HTTP/1.1 (Boost.Beast), one keep-alive connection, requests
//! answered in order. Connection failures and timeouts are retried `retries` times with a
//! doubling delay; an answer from the node (success or RPC error) never is, and a call marked
//! not to be resent is retried only when it certainly never reached the node (it could not
//! connect): a timed-out import may still be running there.
//! Errors: errc::unavailable (unreachable, timed out, starting up), errc::permission_denied
//! (authentication refused, or the cookie unreadable), errc::protocol_error (not JSON-RPC), or
//! the node's error with its code.
//! Executor: construct and call on one strand; callbacks run there.
class RpcClient : public std::enable_shared_from_this<RpcClient> {
public:
    RpcClient(jm::sdk::Executor ex, RpcSettings settings);
    //! Calls `method` (on wallet `wallet` when not empty); `timeout` overrides the default (long
    //! rescans); `resend` false: never send it twice (see the class comment).
    void call(std::string method, boost::json::array params, std::string wallet, RpcCallback done,
              std::optional<std::chrono::milliseconds> timeout = std::nullopt, bool resend = true);
    void close();
    const RpcSettings& settings() const { return m_settings; }

private:
    struct Pending {
        std::string method;
        boost::json::array params;
        std::string wallet;
        RpcCallback done;
        std::chrono::milliseconds timeout;
        bool resend = true;
        bool sent = false; //!< written (in part) to a connection: the node may have it
        int attempt = 0;
    };
    void next();
    void send();
    void onResponse(boost::system::error_code ec);
    void retryOrFail(jm::sdk::Error error);
    void complete(RpcResult result);
    jm::sdk::Result<std::string> authorization() const;

    jm::sdk::Executor m_ex;
    RpcSettings m_settings;
    std::unique_ptr<boost::beast::tcp_stream> m_stream;
    boost::beast::flat_buffer m_buffer;
    boost::beast::http::request<boost::beast::http::string_body> m_request;
    boost::beast::http::response<boost::beast::http::string_body> m_response;
    std::deque<Pending> m_queue;
    bool m_busy = false;
    bool m_connected = false;
    std::uint64_t m_id = 0;
    std::unique_ptr<boost::asio::steady_timer> m_retryTimer;
};

//! Reads Bitcoin Core's HTTP answer: 401/403 as permission errors, a JSON-RPC error object as a
//! failure with Core's code, else the result. Never throws; anything else is a protocol error.
RpcResult parseRpcReply(unsigned status, std::string_view body);
//! The error a BlockchainBackend caller should see for an RPC failure of `method`.
jm::sdk::Error toBackendError(const RpcFailure& failure, std::string_view method);

} // namespace jm::plugins::backend_core
