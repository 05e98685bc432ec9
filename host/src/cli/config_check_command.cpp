#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/prepared_node.hpp>

#include <iostream>

namespace jm::host {

namespace po = boost::program_options;

int configCheckCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode config check");
    addPluginDirOption(options);
    options.add_options()("file", po::value<std::string>()->required(), "config file to check");
    po::positional_options_description positional;
    positional.add("file", 1);
    int code = 0;
    auto vm = parseOptions(args, "jmnode config check FILE [--plugin-dir DIR]...", options, positional, code);
    if (!vm) return code;
    auto dirs = pluginDirs(*vm);
    auto file = (*vm)["file"].as<std::string>();
    auto prepared = prepareNode(file, dirs);
    if (!prepared) return EXIT_USAGE;
    std::cout << file << ": ok (" << prepared->plans.size() << " plugin instance"
              << (prepared->plans.size() == 1 ? "" : "s") << ", network " << prepared->config.network
              << ", data directory " << prepared->config.datadir.string() << ")\n";
    for (const auto& p : prepared->plans)
        std::cout << "  " << p.name << ": " << p.plugin->name << "/" << p.factory->name() << " (" << p.factory->kind()
                  << ")\n";
    return 0;
}

} // namespace jm::host
