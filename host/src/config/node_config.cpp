#include <config/node_config.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace jm::host {

using jm::sdk::ConfigField;
using jm::sdk::ConfigProblem;
using jm::sdk::ConfigSchema;
using jm::sdk::ConfigType;
using jm::sdk::errc;

namespace {

ConfigField field(std::string name, ConfigType type, boost::json::value def, std::string text) {
    ConfigField f;
    f.name = std::move(name);
    f.type = type;
    f.default_value = std::move(def);
    f.description = std::move(text);
    return f;
}

std::shared_ptr<const ConfigSchema> pluginEntrySchema() {
    auto s = std::make_shared<ConfigSchema>();
    s->required("load", ConfigType::String, "plugin name as listed by `jmnode plugins`");
    s->optional("factory", ConfigType::String, nullptr,
                "factory within the plugin; may be omitted when the plugin has one factory, or to create one "
                "instance of each factory of a family plugin (named after the factories)");
    s->optional("instance", ConfigType::String, nullptr,
                "unique instance name (log channel, storage namespace, service name); default: the factory name");
    s->optional("config", ConfigType::Object, boost::json::object(),
                "the factory's configuration (jmnode help-plugin NAME)");
    return s;
}

// Resolves line/column of a byte offset for parse error messages.
std::string position(std::string_view text, std::size_t offset) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else
            ++col;
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

} // namespace

const ConfigSchema& nodeSectionSchema() {
    static const ConfigSchema schema = [] {
        ConfigSchema s;
        s.optional("datadir", ConfigType::String, "~/.jmnode", "data directory (database, logs, lock file)");
        auto network = field("network", ConfigType::String, "mainnet", "Bitcoin network the node works on");
        network.allowed = {"mainnet", "testnet", "signet", "regtest"};
        s.add(network);
        auto io = field("io_threads", ConfigType::Int, 2, "threads running the network event loop");
        io.min = 1;
        io.max = 256;
        s.add(io);
        auto blocking = field("blocking_threads", ConfigType::Int, 2, "threads for disk and heavy crypto work");
        blocking.min = 1;
        blocking.max = 64;
        s.add(blocking);
        ConfigField dirs = field("plugin_dir", ConfigType::List, boost::json::array(),
                                 "extra plugin directories (relative to this file); the built-in directory "
                                 "and $JMNODE_PLUGIN_PATH are always searched");
        dirs.element = ConfigType::String;
        s.add(dirs);
        s.optional("stop_timeout", ConfigType::Duration, "10s", "how long each plugin may take to stop");
        return s;
    }();
    return schema;
}

const ConfigSchema& logSectionSchema() {
    static const ConfigSchema schema = [] {
        ConfigSchema s;
        auto level = field("level", ConfigType::String, "info", "default level for every channel");
        level.allowed = {"trace", "debug", "info", "warning", "error", "fatal"};
        s.add(level);
        s.optional("channels", ConfigType::Object, boost::json::object(),
                   "per-channel levels, e.g. {\"core\": \"debug\"}; channels are instance names and host, loader, bus");
        s.optional("file", ConfigType::String, "", "log file (relative to the data directory); empty for none");
        s.optional("console", ConfigType::Bool, true, "also log to stderr");
        return s;
    }();
    return schema;
}

jm::sdk::Result<std::string> walletNamespace(std::string_view name) {
    bool valid = !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (!valid)
        return jm::sdk::fail(jm::sdk::errc::invalid_argument,
                             "invalid wallet name '" + std::string(name) + "' (1 to 32 of a-z, 0-9, '_', '-')");
    if (name == WALLET_NAMESPACE) return std::string(WALLET_NAMESPACE);
    return std::string(WALLET_NAMESPACE) + "." + std::string(name);
}

std::filesystem::path resolvePath(const std::string& text, const std::filesystem::path& base) {
    std::filesystem::path p;
    if (text == "~" || text.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        p = std::filesystem::path(home ? home : "/") / text.substr(text.size() > 1 ? 2 : 1);
    } else
        p = text;
    if (p.is_relative()) p = base / p;
    return p.lexically_normal();
}

jm::sdk::Result<boost::json::value> readConfigFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return jm::sdk::fail(errc::io_error, "cannot read config file " + file.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return parseConfigText(ss.str(), file.string());
}

jm::sdk::Result<boost::json::value> parseConfigText(std::string_view text, std::string_view name) {
    boost::json::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
    // Anything after the value other than white space or comments is an error too.
    if (!ec && consumed < text.size()) consumed += parser.write(text.data() + consumed, text.size() - consumed, ec);
    if (!ec) parser.finish(ec);
    if (ec)
        return jm::sdk::fail(errc::invalid_config,
                             std::string(name) + ": invalid JSON at " + position(text, consumed) + ": " + ec.message());
    return parser.release();
}

std::optional<NodeConfig> parseNodeConfig(boost::json::value& root, const std::filesystem::path& config_file,
                                          std::vector<ConfigProblem>& problems) {
    std::size_t before = problems.size();
    if (!root.is_object()) {
        problems.push_back({"$", "the config must be a JSON object with \"node\", \"log\" and \"plugins\""});
        return std::nullopt;
    }
    ConfigSchema top;
    ConfigField node = field("node", ConfigType::Object, boost::json::object(), "node settings");
    node.nested = std::make_shared<ConfigSchema>(nodeSectionSchema());
    top.add(node);
    ConfigField log = field("log", ConfigType::Object, boost::json::object(), "logging");
    log.nested = std::make_shared<ConfigSchema>(logSectionSchema());
    top.add(log);
    ConfigField plugins = field("plugins", ConfigType::List, boost::json::array(), "plugin instances");
    plugins.element = ConfigType::Object;
    plugins.nested = pluginEntrySchema();
    top.add(plugins);
    auto& obj = root.as_object();
    // Defaults of nested sections are filled by validating them once they exist.
    for (auto name : {"node", "log"})
        if (!obj.contains(name)) obj[name] = boost::json::object();
    top.validate(obj, "$", problems);
    if (problems.size() != before) return std::nullopt;

    NodeConfig cfg;
    cfg.config_file = config_file;
    auto base = std::filesystem::absolute(config_file).parent_path();
    const auto& n = obj.at("node").as_object();
    cfg.datadir = resolvePath(std::string(n.at("datadir").as_string()), base);
    cfg.network = n.at("network").as_string();
    cfg.io_threads = static_cast<int>(n.at("io_threads").as_int64());
    cfg.blocking_threads = static_cast<int>(n.at("blocking_threads").as_int64());
    cfg.stop_timeout = std::chrono::milliseconds(n.at("stop_timeout").as_int64());
    for (const auto& d : n.at("plugin_dir").as_array())
        cfg.plugin_dirs.push_back(resolvePath(std::string(d.as_string()), base));

    const auto& l = obj.at("log").as_object();
    cfg.log.level = *jm::sdk::parseSeverity(l.at("level").as_string());
    for (const auto& [channel, level] : l.at("channels").as_object()) {
        auto sev = level.is_string() ? jm::sdk::parseSeverity(level.as_string()) : std::nullopt;
        if (!sev) {
            problems.push_back({"$.log.channels." + std::string(channel),
                                "expected a level (trace, debug, info, warning, error, fatal)"});
            continue;
        }
        cfg.log.channels.emplace(std::string(channel), *sev);
    }
    std::string file(l.at("file").as_string());
    if (!file.empty()) cfg.log.file = resolvePath(file, cfg.datadir);
    cfg.log.console = l.at("console").as_bool();

    const auto& list = obj.at("plugins").as_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& e = list[i].as_object();
        PluginEntry entry;
        entry.path = "$.plugins[" + std::to_string(i) + "]";
        entry.load = e.at("load").as_string();
        if (auto* f = e.if_contains("factory"); f && f->is_string()) entry.factory = std::string(f->as_string());
        if (auto* f = e.if_contains("instance"); f && f->is_string()) entry.instance = std::string(f->as_string());
        entry.config = e.at("config").as_object();
        cfg.plugins.push_back(std::move(entry));
    }
    if (problems.size() != before) return std::nullopt;
    return cfg;
}

} // namespace jm::host
