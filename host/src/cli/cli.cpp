#include <cli/cli.hpp>

#include <cli/commands.hpp>

#include <jm/sdk/abi.hpp>
#include <jm/sdk/config.hpp>

#include <sodium.h>

#include <iostream>

namespace jm::host {
namespace {

void printUsage(std::ostream& out) {
    out << "Usage: jmnode <command> [options]\n\n"
           "jmnode is a JoinMarket CoinJoin node: directory server, maker and taker roles, blockchain\n"
           "backends, fee strategies and notifiers are plugins enabled in a node config.\n\n"
           "Commands:\n";
    for (const auto& c : commands())
        out << "  " << c.name << std::string(c.name.size() < 24 ? 24 - c.name.size() : 1, ' ') << c.summary << "\n";
    out << "\nOptions:\n  --help        this text (also `jmnode <command> --help`)\n"
           "  --version     version and plugin ABI\n";
}

} // namespace

int runCli(int argc, char** argv) {
    if (sodium_init() < 0) {
        std::cerr << "error: libsodium failed to initialise\n";
        return 1;
    }
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        printUsage(std::cerr);
        return EXIT_USAGE;
    }
    const std::string& first = args[0];
    if (first == "--help" || first == "-h" || first == "help") {
        printUsage(std::cout);
        return 0;
    }
    if (first == "--version" || first == "version") {
        std::cout << "jmnode " << JMNODE_VERSION << " (plugin ABI v" << JM_SDK_ABI_MAJOR << ", SDK hash "
                  << jm::sdk::sdkAbiHash() << ", build " << jm::sdk::sdkBuildId() << ")\n";
        return 0;
    }
    // Two-word commands ("config check", "wallet create") are matched first.
    std::vector<std::string> names;
    for (const auto& c : commands()) {
        names.push_back(c.name);
        auto words = c.name.find(' ') == std::string::npos ? 1u : 2u;
        if (args.size() < words) continue;
        std::string given = words == 1 ? args[0] : args[0] + " " + args[1];
        if (given == c.name) return c.run(std::vector<std::string>(args.begin() + words, args.end()));
    }
    std::cerr << "error: unknown command '" << first << "'";
    if (auto hint = jm::sdk::closestMatch(first, names)) std::cerr << "; did you mean '" << *hint << "'?";
    std::cerr << "\n\n";
    printUsage(std::cerr);
    return EXIT_USAGE;
}

} // namespace jm::host
