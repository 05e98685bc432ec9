#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/prepared_node.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

namespace jm::host {

namespace po = boost::program_options;

namespace {

std::uint64_t number(const boost::json::object& o, const char* key) {
    auto* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_uint64()) return v->as_uint64();
    if (v->is_int64()) return static_cast<std::uint64_t>(std::max<std::int64_t>(0, v->as_int64()));
    if (v->is_double()) return static_cast<std::uint64_t>(std::max(0.0, v->as_double()));
    return 0;
}

double real(const boost::json::object& o, const char* key) {
    auto* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_double()) return v->as_double();
    return static_cast<double>(number(o, key));
}

void printStatus(const std::string& instance, const boost::json::object& s) {
    auto written = static_cast<std::time_t>(number(s, "written_at"));
    auto age = std::time(nullptr) - written;
    std::printf("%s: %llu peers, %llu connections (status written %lld s ago)\n", instance.c_str(),
                static_cast<unsigned long long>(number(s, "peers")),
                static_cast<unsigned long long>(number(s, "connections")), static_cast<long long>(age));
    // Where makers and takers reach us: what the directory lists as its own peerlist entry.
    std::string location;
    if (auto* l = s.if_contains("location"); l && l->is_string()) location = std::string(l->as_string());
    std::printf("  location: %s\n",
                location.empty() ? "none (not listed in peerlists; set location or tor.control)" : location.c_str());
    std::printf("  messages in: %llu (%.1f/s), private routed: %llu (%.1f/s), public: %llu, peerlists: %llu\n",
                static_cast<unsigned long long>(number(s, "messages_in")), real(s, "messages_in_per_s"),
                static_cast<unsigned long long>(number(s, "privmsgs_routed")), real(s, "privmsgs_routed_per_s"),
                static_cast<unsigned long long>(number(s, "pubmsgs")),
                static_cast<unsigned long long>(number(s, "peerlists_sent")));
    std::printf("  bytes in: %llu, out: %llu, handshakes: %llu, disconnects: %llu\n",
                static_cast<unsigned long long>(number(s, "bytes_in")),
                static_cast<unsigned long long>(number(s, "bytes_out")),
                static_cast<unsigned long long>(number(s, "handshakes")),
                static_cast<unsigned long long>(number(s, "disconnects")));
    std::string drops;
    if (auto* d = s.if_contains("drops"); d && d->is_object())
        for (const auto& [reason, count] : d->as_object())
            if (count.is_number() && count.to_number<double>() > 0)
                drops += (drops.empty() ? "" : ", ") + std::string(reason) + " " +
                         std::to_string(static_cast<unsigned long long>(count.to_number<double>()));
    std::printf("  drops: %s\n", drops.empty() ? "none" : drops.c_str());
}

} // namespace

int directoryStatusCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode directory status");
    addPluginDirOption(options);
    options.add_options()("config", po::value<std::string>()->required(),
                          "the running node's config file")("json", "print the status files as JSON");
    int code = 0;
    auto vm = parseOptions(args, "jmnode directory status --config FILE [--json]", options, {}, code);
    if (!vm) return code;
    auto dirs = pluginDirs(*vm);
    auto prepared = prepareNode((*vm)["config"].as<std::string>(), dirs);
    if (!prepared) return EXIT_USAGE;
    boost::json::object all;
    int found = 0;
    for (const auto& plan : prepared->plans) {
        if (plan.plugin->name != "directory") continue;
        ++found;
        auto* file = plan.config.if_contains("status_file");
        if (!file || !file->is_string() || file->as_string().empty()) {
            std::cerr << plan.name << ": no status_file in its config; the stats are in the log\n";
            continue;
        }
        auto path = prepared->config.datadir / std::string(file->as_string());
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        auto value = boost::json::parse(text.str(), ec);
        if (!in || ec || !value.is_object()) {
            std::cerr << plan.name << ": no readable status at " << path.string()
                      << " (is the node running? the file is written every stats_interval)\n";
            return EXIT_FAILED;
        }
        if (vm->count("json"))
            all[plan.name] = value;
        else
            printStatus(plan.name, value.as_object());
    }
    if (found == 0) {
        std::cerr << "the config runs no directory instance\n";
        return EXIT_FAILED;
    }
    if (vm->count("json")) std::cout << boost::json::serialize(all) << "\n";
    return 0;
}

} // namespace jm::host
