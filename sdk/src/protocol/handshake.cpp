#include <jm/protocol/envelope.hpp>
#include <jm/protocol/handshake.hpp>

#include <boost/json/parse.hpp>

#include <charconv>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

std::string Location::toString() const {
    return serving() ? host + ":" + std::to_string(port) : std::string(NOT_SERVING_ONION);
}

jm::sdk::Result<Location> parseLocation(std::string_view text) {
    if (text == NOT_SERVING_ONION) return Location{};
    auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos || colon == 0)
        return fail(errc::protocol_error, "location '" + std::string(text.substr(0, 80)) + "' is not host:port");
    auto port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
        return fail(errc::protocol_error, "location has an invalid port");
    for (char c : text.substr(0, colon))
        if (c <= ' ' || c == ';' || c == ',' || c == '!' || static_cast<unsigned char>(c) > 126)
            return fail(errc::protocol_error, "location host has an invalid character");
    return Location{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

std::string pythonJsonDumps(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null:
        return "null";
    case boost::json::kind::bool_:
        return v.as_bool() ? "true" : "false";
    case boost::json::kind::int64:
        return std::to_string(v.as_int64());
    case boost::json::kind::uint64:
        return std::to_string(v.as_uint64());
    case boost::json::kind::double_:
        return std::to_string(v.as_double()); // not used by the protocol
    case boost::json::kind::string:
        return pythonJsonString(v.as_string());
    case boost::json::kind::array: {
        std::string out = "[";
        bool first = true;
        for (const auto& e : v.as_array()) {
            out += (first ? "" : ", ") + pythonJsonDumps(e);
            first = false;
        }
        return out + "]";
    }
    case boost::json::kind::object: {
        std::string out = "{";
        bool first = true;
        for (const auto& [k, e] : v.as_object()) {
            out += (first ? "" : ", ") + pythonJsonString(k) + ": " + pythonJsonDumps(e);
            first = false;
        }
        return out + "}";
    }
    }
    return "null";
}

bool hasFeature(const boost::json::object& features, std::string_view name) {
    auto* f = features.if_contains(name);
    return f && f->is_bool() && f->as_bool();
}

namespace {

jm::sdk::Result<boost::json::object> parseObject(std::string_view line) {
    boost::json::parse_options options;
    options.max_depth = 10;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec, {}, options);
    if (ec || !v.is_object()) return fail(errc::protocol_error, "handshake is not a JSON object");
    return v.as_object();
}

jm::sdk::Error missing(std::string_view field, std::string_view type) {
    return jm::sdk::Error(errc::protocol_error,
                          "handshake field '" + std::string(field) + "' missing or not " + std::string(type));
}

} // namespace

std::string formatClientHandshake(const ClientHandshake& hs) {
    boost::json::object o;
    o["app-name"] = hs.app_name;
    o["directory"] = hs.directory;
    o["location-string"] = hs.location.toString();
    o["proto-ver"] = hs.proto_ver;
    o["features"] = hs.features;
    o["nick"] = hs.nick;
    o["network"] = hs.network;
    return pythonJsonDumps(o);
}

jm::sdk::Result<ClientHandshake> parseClientHandshake(std::string_view line) {
    auto o = parseObject(line);
    if (!o) return o.error();
    ClientHandshake hs;
    auto* app = o->if_contains("app-name");
    auto* dir = o->if_contains("directory");
    auto* loc = o->if_contains("location-string");
    auto* ver = o->if_contains("proto-ver");
    auto* feat = o->if_contains("features");
    auto* nick = o->if_contains("nick");
    auto* net = o->if_contains("network");
    if (!app || !app->is_string()) return missing("app-name", "a string");
    if (!dir || !dir->is_bool()) return missing("directory", "a boolean");
    if (!loc || !loc->is_string()) return missing("location-string", "a string");
    if (!ver || !ver->is_int64()) return missing("proto-ver", "an integer");
    if (!feat || !feat->is_object()) return missing("features", "an object");
    if (!nick || !nick->is_string()) return missing("nick", "a string");
    if (!net || !net->is_string()) return missing("network", "a string");
    auto location = parseLocation(loc->as_string());
    if (!location) return location.error();
    hs.app_name = app->as_string();
    hs.directory = dir->as_bool();
    hs.location = *location;
    hs.proto_ver = static_cast<int>(std::clamp<std::int64_t>(ver->as_int64(), -1, 1000000));
    hs.features = feat->as_object();
    hs.nick = nick->as_string();
    hs.network = net->as_string();
    return hs;
}

std::string clientHandshakeRefusal(const ClientHandshake& hs, std::string_view network) {
    if (hs.app_name != APP_NAME) return "wrong app name '" + hs.app_name.substr(0, 40) + "'";
    if (hs.directory) return "a directory cannot connect as a client";
    if (hs.proto_ver != PROTOCOL_VERSION)
        return "protocol version " + std::to_string(hs.proto_ver) + " is not supported";
    if (hs.network != network)
        return "network '" + hs.network.substr(0, 20) + "' differs from this directory's '" + std::string(network) +
               "'";
    return {};
}

std::string formatDirectoryHandshake(const DirectoryHandshake& hs) {
    boost::json::object o;
    o["app-name"] = hs.app_name;
    o["directory"] = hs.directory;
    o["proto-ver-min"] = hs.proto_ver_min;
    o["proto-ver-max"] = hs.proto_ver_max;
    o["features"] = hs.features;
    o["accepted"] = hs.accepted;
    o["nick"] = hs.nick;
    o["network"] = hs.network;
    o["motd"] = hs.motd;
    return pythonJsonDumps(o);
}

jm::sdk::Result<DirectoryHandshake> parseDirectoryHandshake(std::string_view line) {
    auto o = parseObject(line);
    if (!o) return o.error();
    DirectoryHandshake hs;
    auto* app = o->if_contains("app-name");
    auto* dir = o->if_contains("directory");
    auto* vmin = o->if_contains("proto-ver-min");
    auto* vmax = o->if_contains("proto-ver-max");
    auto* ver = o->if_contains("proto-ver");
    auto* feat = o->if_contains("features");
    auto* acc = o->if_contains("accepted");
    auto* nick = o->if_contains("nick");
    auto* net = o->if_contains("network");
    auto* motd = o->if_contains("motd");
    if (!app || !app->is_string()) return missing("app-name", "a string");
    if (!dir || !dir->is_bool()) return missing("directory", "a boolean");
    if (vmin && vmax && vmin->is_int64() && vmax->is_int64()) {
        hs.proto_ver_min = static_cast<int>(std::clamp<std::int64_t>(vmin->as_int64(), -1, 1000000));
        hs.proto_ver_max = static_cast<int>(std::clamp<std::int64_t>(vmax->as_int64(), -1, 1000000));
    } else if (ver && ver->is_int64()) { // NG's alternative form
        hs.proto_ver_min = hs.proto_ver_max = static_cast<int>(std::clamp<std::int64_t>(ver->as_int64(), -1, 1000000));
    } else {
        return missing("proto-ver-min/proto-ver-max", "integers");
    }
    if (!feat || !feat->is_object()) return missing("features", "an object");
    if (!acc || !acc->is_bool()) return missing("accepted", "a boolean");
    if (!nick || !nick->is_string()) return missing("nick", "a string");
    if (!net || !net->is_string()) return missing("network", "a string");
    hs.app_name = app->as_string();
    hs.directory = dir->as_bool();
    hs.features = feat->as_object();
    hs.accepted = acc->as_bool();
    hs.nick = nick->as_string();
    hs.network = net->as_string();
    if (motd && motd->is_string()) hs.motd = motd->as_string();
    return hs;
}

std::string directoryHandshakeRefusal(const DirectoryHandshake& hs, std::string_view network) {
    if (!hs.accepted)
        return "the directory did not accept us" + (hs.motd.empty() ? std::string() : ": " + hs.motd.substr(0, 200));
    if (hs.app_name != APP_NAME || !hs.directory) return "the peer is not a JoinMarket directory";
    if (hs.proto_ver_min > PROTOCOL_VERSION || hs.proto_ver_max < PROTOCOL_VERSION)
        return "the directory does not speak protocol version " + std::to_string(PROTOCOL_VERSION);
    if (hs.network != network) return "the directory is on network '" + hs.network.substr(0, 20) + "'";
    return {};
}

} // namespace jm::protocol
