#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/prepared_node.hpp>

#include <iostream>

namespace jm::host {

namespace po = boost::program_options;

int configCheckCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode config check");
    options.add_options()("file", po::value<std::string>()->required(), "config file to check")(
        "plugin-dir", po::value<std::vector<std::string>>()->composing(), "extra plugin directory (repeatable)");
    po::positional_options_description positional;
    positional.add("file", 1);
    int code = 0;
    auto vm = parseOptions(args, "jmnode config check FILE [--plugin-dir DIR]...", options, positional, code);
    if (!vm) return code;
    std::vector<std::filesystem::path> dirs;
    if (vm->count("plugin-dir"))
        for (const auto& d : (*vm)["plugin-dir"].as<std::vector<std::string>>())
            dirs.emplace_back(d);
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
