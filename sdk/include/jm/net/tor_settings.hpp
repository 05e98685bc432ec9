#pragma once

#include <jm/net/peer_address.hpp>
#include <jm/net/socks5.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jm::net {

//! How a role uses Tor: the `tor` object of its config, the same in every role:
//!   "tor": { "socks": "127.0.0.1:9050", "control": "127.0.0.1:9051", "all_traffic": false,
//!            "isolate": true, "control_password_file": "", "cookie_file": "", "onion": "persistent" }
//! Absent or empty `socks`: no SOCKS (.onion hosts cannot be reached). Absent or empty `control`:
//! no onion service of our own. Plain value type.
struct JM_SDK_API TorSettings {
    std::string socks_host;
    std::uint16_t socks_port = 0; //!< 0: no SOCKS proxy
    bool all_traffic = false;     //!< every outbound peer connection goes through SOCKS, not just .onion
    bool isolate = true;          //!< a SOCKS username per counterparty (Tor IsolateSOCKSAuth)
    std::string control_host;
    std::uint16_t control_port = 0; //!< 0: no control port
    std::string control_password;   //!< read from control_password_file (HASHEDPASSWORD)
    std::string cookie_file;        //!< overrides the COOKIEFILE Tor reports (COOKIE, SAFECOOKIE)
    bool plain_cookie = false;      //!< allow plain COOKIE auth (TorAuthOptions::allow_plain_cookie)
    bool ephemeral_onion = false;   //!< `"onion": "ephemeral"`: a new address each start
    std::chrono::milliseconds control_timeout{30'000};

    bool hasSocks() const noexcept { return socks_port != 0; }
    bool hasControl() const noexcept { return control_port != 0; }

    //! Reads the `tor` object (null or absent: Tor unused). `password_base` resolves a relative
    //! control_password_file. Errors: errc::invalid_config naming the bad key, errc::io_error
    //! when the password file cannot be read. Executor: any (reads a file).
    static jm::sdk::Result<TorSettings> fromJson(const boost::json::value& tor, std::string_view password_base = "");

    //! The proxy to reach `host` through: SOCKS for .onion hosts, and for every host when
    //! all_traffic; nullopt for a direct connection. `isolation` names the counterparty (a
    //! directory's host, a peer's nick) and becomes the SOCKS username when isolate is on.
    //! Errors: errc::unavailable for a .onion host without a SOCKS proxy. Executor: any.
    jm::sdk::Result<std::optional<Socks5Proxy>> proxyFor(std::string_view host, std::string_view isolation) const;
};

//! The description every role gives its `tor` config key.
inline constexpr std::string_view TOR_CONFIG_DESCRIPTION =
    "Tor: {\"socks\": \"127.0.0.1:9050\", \"control\": \"127.0.0.1:9051\", \"all_traffic\": false, \"isolate\": true, "
    "\"control_password_file\": \"\", \"cookie_file\": \"\", \"onion\": \"persistent\"|\"ephemeral\"} (docs/tor.md); "
    "{} = no Tor";

//! True when `host` is a name under .onion (case-insensitive). Executor: any.
JM_SDK_API bool isOnionHost(std::string_view host) noexcept;

//! Reads the `tor` key of a role's config (absent or {}: Tor unused) and checks that every one of
//! `directories` can be reached with it (a .onion directory needs tor.socks).
//! Errors: those of TorSettings::fromJson; errc::invalid_config naming an unreachable directory.
//! Executor: any (may read the control password file).
JM_SDK_API jm::sdk::Result<TorSettings> roleTorSettings(const boost::json::object& config,
                                                        const std::vector<PeerAddress>& directories);

} // namespace jm::net
