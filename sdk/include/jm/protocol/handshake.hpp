#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jm::protocol {

constexpr int PROTOCOL_VERSION = 5;
constexpr std::string_view APP_NAME = "joinmarket";
constexpr std::string_view NOT_SERVING_ONION = "NOT-SERVING-ONION";
constexpr std::uint16_t ONION_VIRTUAL_PORT = 5222;

//! A peer location: "host:port", or NOT-SERVING-ONION (reachable only through directories).
struct Location {
    std::string host; //!< empty when not serving
    std::uint16_t port = 0;
    bool serving() const { return !host.empty(); }
    //! "host:port" or "NOT-SERVING-ONION".
    JM_SDK_API std::string toString() const;
    bool operator==(const Location&) const = default;
};

//! Parses a location string: exactly one ':' and a decimal port 1..65535, or the literal
//! NOT-SERVING-ONION. Errors: errc::protocol_error.
JM_SDK_API jm::sdk::Result<Location> parseLocation(std::string_view text);

//! The handshake a non-directory sends (type 793), also used both ways on direct links.
struct ClientHandshake {
    std::string app_name{APP_NAME};
    bool directory = false;
    Location location;
    int proto_ver = PROTOCOL_VERSION;
    boost::json::object features; //!< REF: {}; NG: {"peerlist_features": true, ...}
    std::string nick;
    std::string network;
};

//! A directory's reply (type 795).
struct DirectoryHandshake {
    std::string app_name{APP_NAME};
    bool directory = true;
    int proto_ver_min = PROTOCOL_VERSION;
    int proto_ver_max = PROTOCOL_VERSION;
    boost::json::object features;
    bool accepted = false;
    std::string nick;
    std::string network;
    std::string motd;
};

//! The `line` of a 793, with REF's key order and separators.
JM_SDK_API std::string formatClientHandshake(const ClientHandshake& hs);
//! Parses a 793 line with REF's type rules (every field present and of the right type; the
//! location must parse). Errors: errc::protocol_error naming the field.
JM_SDK_API jm::sdk::Result<ClientHandshake> parseClientHandshake(std::string_view line);
//! Why a directory on `network` must refuse this handshake (empty when acceptable): wrong
//! app name, a directory claiming to be a client, another protocol version or network.
JM_SDK_API std::string clientHandshakeRefusal(const ClientHandshake& hs, std::string_view network);

//! The `line` of a 795, with REF's key order and separators.
JM_SDK_API std::string formatDirectoryHandshake(const DirectoryHandshake& hs);
//! Parses a 795 line; accepts NG's single "proto-ver" in place of min/max.
//! Errors: errc::protocol_error naming the field.
JM_SDK_API jm::sdk::Result<DirectoryHandshake> parseDirectoryHandshake(std::string_view line);
//! Why a client on `network` must not use this directory (empty when usable).
JM_SDK_API std::string directoryHandshakeRefusal(const DirectoryHandshake& hs, std::string_view network);

//! Whether a handshake's features object advertises `name` as true.
JM_SDK_API bool hasFeature(const boost::json::object& features, std::string_view name);
//! json.dumps(value) as Python writes it (", " and ": " separators, ASCII escapes, insertion
//! order). For the values the protocol uses: objects, arrays, strings, integers, booleans, null.
JM_SDK_API std::string pythonJsonDumps(const boost::json::value& value);

} // namespace jm::protocol
