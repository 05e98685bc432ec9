#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/prepared_node.hpp>

#include <iostream>

namespace jm::host {

namespace po = boost::program_options;

namespace {

void describeFactory(const PluginRecord& r, const jm::sdk::PluginFactory& f) {
    std::cout << r.name << "/" << f.name() << " (" << f.kind() << ", plugin " << r.name << " " << r.version << ")\n  "
              << f.description() << "\n";
    auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v)
            s += (s.empty() ? "" : ", ") + x;
        return s;
    };
    if (!f.dependencies().empty()) std::cout << "  needs: " << list(f.dependencies()) << "\n";
    if (!f.provides().empty()) std::cout << "  provides: " << list(f.provides()) << "\n";
    std::cout << "  config keys:\n" << f.configSchema().describe("    ") << "\n";
}

} // namespace

int helpPluginCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode help-plugin");
    addPluginDirOption(options);
    options.add_options()("name", po::value<std::string>()->required(),
                          "plugin, plugin/factory, or factory name; \"node\" or \"log\" for the node's own sections");
    po::positional_options_description positional;
    positional.add("name", 1);
    int code = 0;
    auto vm = parseOptions(args, "jmnode help-plugin NAME [--plugin-dir DIR]...", options, positional, code);
    if (!vm) return code;
    auto name = (*vm)["name"].as<std::string>();
    if (name == "node" || name == "log") {
        std::cout << "\"" << name << "\" section of the node config:\n"
                  << (name == "node" ? nodeSectionSchema() : logSectionSchema()).describe("  ");
        return 0;
    }
    auto dirs = pluginDirs(*vm);
    PluginLoader loader;
    loader.loadDirectories(pluginSearchPath({}, dirs));

    auto slash = name.find_first_of("/.");
    std::string plugin_name = slash == std::string::npos ? name : name.substr(0, slash);
    std::string factory_name = slash == std::string::npos ? "" : name.substr(slash + 1);
    int shown = 0;
    std::vector<std::string> known;
    for (const auto& r : loader.records()) {
        if (!r.loaded) continue;
        known.push_back(r.name);
        for (auto* f : r.factories) {
            known.push_back(r.name + "/" + std::string(f->name()));
            bool match = slash == std::string::npos ? (r.name == name || f->name() == name)
                                                    : (r.name == plugin_name && f->name() == factory_name);
            if (match) {
                describeFactory(r, *f);
                ++shown;
            }
        }
    }
    if (shown == 0) {
        std::cerr << "error: no plugin or factory called '" << name << "'";
        if (auto hint = jm::sdk::closestMatch(name, known)) std::cerr << "; did you mean '" << *hint << "'?";
        std::cerr << " (see `jmnode plugins`)\n";
        return EXIT_USAGE;
    }
    return 0;
}

} // namespace jm::host
