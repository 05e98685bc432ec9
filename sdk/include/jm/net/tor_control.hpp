#pragma once

#include <jm/net/reconnect_policy.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/result.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Tor's control protocol (control-spec.txt): the reply parser, an authenticated connection and an
// onion service kept published through it. Written by hand: Debian has no C++ control-port
// library; the protocol is line-based text.
namespace jm::net {

//! One complete control-port reply. Plain value type.
struct TorControlReply {
    int status = 0; //!< 250 = OK; 6xx = asynchronous event
    std::vector<std::string>
        lines; //!< the text after "NNN-", "NNN " or "NNN+" (a data block follows its line after '\n')
    bool ok() const noexcept { return status == 250; }
    bool isEvent() const noexcept { return status >= 600 && status < 700; }
};

//! Assembles replies from lines (CRLF removed). Limits a reply to `max_bytes` of text.
//! Executor: any (not thread-safe).
class JM_SDK_API TorControlReplyParser {
public:
    explicit TorControlReplyParser(std::size_t max_bytes = 1 << 20) : m_max_bytes(max_bytes) {}
    //! Feeds one line. Returns the reply it completes, or nullopt when more lines are needed.
    //! Errors: errc::protocol_error (not "NNN" + one of "- +", a status that changes within a
    //! reply, a reply over the limit); the parser is then reset.
    jm::sdk::Result<std::optional<TorControlReply>> feed(std::string_view line);

private:
    std::size_t m_max_bytes;
    std::optional<TorControlReply> m_partial;
    bool m_in_data = false;
    std::size_t m_bytes = 0;
};

//! Splits `KEY=VALUE KEY="quoted \"value\""` words of a reply line into a map (words without
//! '=' are ignored). Errors: errc::protocol_error for an unterminated quote or bad escape.
//! Executor: any.
JM_SDK_API jm::sdk::Result<std::map<std::string, std::string, std::less<>>> parseTorKeyValues(std::string_view text);

//! `text` as a control-protocol QuotedString (quotes added, '\\' and '"' escaped).
//! Executor: any.
JM_SDK_API std::string quoteTorString(std::string_view text);

//! What a controller may use to authenticate. Plain value type.
struct TorAuthOptions {
    std::string password;    //!< HASHEDPASSWORD, used first when set and offered
    std::string cookie_file; //!< overrides the COOKIEFILE from PROTOCOLINFO
    //! Plain COOKIE (the cookie sent as is) when the port offers it without SAFECOOKIE. Off by
    //! default: the port proves nothing before it gets the cookie, and every Tor since 0.2.3
    //! offers SAFECOOKIE, so COOKIE alone is usually a downgrade. With it on, only the user's
    //! cookie_file is read, never a path the port names.
    bool allow_plain_cookie = false;
};

//! The onion service ADD_ONION created. Plain value type.
struct AddedOnion {
    std::string service_id;  //!< 56 base32 characters (without ".onion")
    std::string private_key; //!< "ED25519-V3:<base64>" when Tor returned one, else empty
};

//! One authenticated control connection. Commands are sent one at a time (each waits for its
//! reply); asynchronous events are skipped. Every operation fails with errc::timeout after
//! `timeout` (the connection is then closed).
//! Executor: create it and call everything on one strand. Ownership: the caller keeps it
//! alive while an operation runs; close() makes running operations fail.
class JM_SDK_API TorControlConnection {
public:
    TorControlConnection(jm::sdk::Executor executor, std::chrono::milliseconds timeout);
    ~TorControlConnection();

    //! TCP connect. Errors: errc::unavailable, errc::timeout.
    boost::asio::awaitable<jm::sdk::Result<void>> connect(std::string host, std::uint16_t port);
    //! PROTOCOLINFO, then AUTHENTICATE by HASHEDPASSWORD (if a password is set and offered),
    //! SAFECOOKIE (server hash checked) or NULL, in that order of preference; plain COOKIE only
    //! with options.allow_plain_cookie and options.cookie_file (it would otherwise hand a cookie
    //! to a port that has not proved it is Tor).
    //! Errors: errc::permission_denied (refused, no usable method, COOKIE without SAFECOOKIE,
    //! server hash wrong),
    //! errc::io_error (cookie file unreadable or not 32 bytes), errc::protocol_error.
    boost::asio::awaitable<jm::sdk::Result<void>> authenticate(TorAuthOptions options);
    //! Sends one command line (no CRLF) and returns its reply (any status).
    //! Errors: errc::invalid_argument (CR or LF in the line), errc::unavailable (connection
    //! lost), errc::protocol_error, errc::timeout.
    boost::asio::awaitable<jm::sdk::Result<TorControlReply>> command(std::string line);
    //! ADD_ONION: `private_key` "ED25519-V3:<base64>" re-creates that address, empty makes a
    //! new ED25519-V3 key. Maps virtual_port to target ("host:port"). The service lives as long
    //! as this connection (no Detach). Errors: errc::rejected (Tor refused), as command().
    boost::asio::awaitable<jm::sdk::Result<AddedOnion>> addOnion(std::string private_key, std::uint16_t virtual_port,
                                                                 std::string target);
    //! DEL_ONION. Errors: errc::rejected, as command().
    boost::asio::awaitable<jm::sdk::Result<void>> delOnion(std::string service_id);
    //! Waits until the connection closes (events are read and dropped); returns why.
    boost::asio::awaitable<std::string> waitClosed();
    void close();
    //! Makes a pending waitClosed() return "cancelled" without closing the connection.
    void cancelRead();
    bool isOpen() const;

private:
    boost::asio::awaitable<jm::sdk::Result<TorControlReply>> readReply();
    void arm();
    void disarm();

    boost::asio::ip::tcp::socket m_socket;
    boost::asio::steady_timer m_timer;
    boost::asio::streambuf m_buffer;
    std::chrono::milliseconds m_timeout;
    std::shared_ptr<bool> m_timed_out;
};

//! Where the onion service leads and how to keep it. Plain value type.
struct OnionServiceSettings {
    std::string control_host = "127.0.0.1";
    std::uint16_t control_port = 9051;
    TorAuthOptions auth;
    std::uint16_t virtual_port = 5222;
    std::string target; //!< "127.0.0.1:<our listening port>"
    bool ephemeral = false;
    std::chrono::milliseconds timeout{30'000};
    ReconnectPolicy reconnect;
};

//! The service's callbacks; called on the service's executor. Any may be empty.
struct OnionServiceHandler {
    //! The service is published at "<id>.onion" (again after each reconnect to Tor).
    std::function<void(const std::string& onion_host)> on_published;
    //! The control connection failed or was lost; a reconnect follows unless stopped.
    std::function<void(const std::string& reason)> on_lost;
};

//! An onion service kept published: connects to the control port, authenticates, ADD_ONIONs,
//! and after Tor restarts does it again. With a store (and not ephemeral) the key is kept under
//! "tor/onion-key" so the address stays the same across restarts; ephemeral services keep the
//! key in memory only (the address still survives a Tor restart while we run).
//! Executor: create it with a strand; call every member there. Ownership: shared; the running
//! loop keeps it alive until stop() ends it (DEL_ONION is sent then).
class JM_SDK_API OnionService : public std::enable_shared_from_this<OnionService> {
public:
    static std::shared_ptr<OnionService> create(jm::sdk::Executor executor, OnionServiceSettings settings,
                                                std::shared_ptr<jm::sdk::KvStore> store, OnionServiceHandler handler);
    virtual ~OnionService();
    virtual void start() = 0;
    //! Removes the service (DEL_ONION) and closes the connection; no callback follows.
    virtual void stop() = 0;
    //! "<id>.onion" once published, else empty.
    virtual std::string onionHost() const = 0;
};

//! The store key of a persistent onion key.
inline constexpr std::string_view ONION_KEY_STORE_KEY = "tor/onion-key";

} // namespace jm::net
