#include <cli/cli.hpp>

#include <cli/commands.hpp>
#include <storage/data_dir.hpp>

#include <jm/sdk/abi.hpp>
#include <jm/sdk/config.hpp>

#include <sodium.h>

#include <iostream>

namespace jm::host {
namespace {

void printCommandList(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& list) {
    for (const auto& [name, summary] : list)
        out << "  " << name << std::string(name.size() < 24 ? 24 - name.size() : 1, ' ') << summary << "\n";
}

void printUsage(std::ostream& out) {
    out << "Usage: jmnode <command> [options]\n\n"
           "jmnode is a JoinMarket CoinJoin node: the wallet is built in; the directory server, the maker\n"
           "and taker roles, blockchain backends, fee strategies, order choosers and notifiers are plugins\n"
           "enabled in a node config. `jmnode demo` shows a whole market at work on a simulated chain.\n\n"
           "Commands:\n";
    std::vector<std::pair<std::string, std::string>> list;
    for (const auto& c : commands())
        list.emplace_back(c.name, c.summary);
    printCommandList(out, list);
    out << "\nOptions:\n  --help        this text (also `jmnode <command> --help`, `jmnode <group> --help`)\n"
           "  --version     version and plugin ABI\n";
}

// The subcommands of a group ("wallet" -> create, recover, ...), from the command table, so a
// group added there is listed here without more code.
std::vector<const Command*> groupCommands(const std::string& group) {
    std::vector<const Command*> list;
    for (const auto& c : commands())
        if (c.name.starts_with(group + " ")) list.push_back(&c);
    return list;
}

void printGroupUsage(std::ostream& out, const std::string& group, const std::vector<const Command*>& members) {
    out << "Usage: jmnode " << group << " <command> [options]\n\nCommands:\n";
    std::vector<std::pair<std::string, std::string>> list;
    for (const auto* c : members)
        list.emplace_back(c->name.substr(group.size() + 1), c->summary);
    printCommandList(out, list);
    out << "\n`jmnode " << group << " <command> --help` shows a command's options.\n";
}

// `jmnode <group>` alone, with --help, or with an unknown subcommand.
int runGroup(const std::string& group, const std::vector<const Command*>& members,
             const std::vector<std::string>& args) {
    if (args.size() >= 2 && (args[1] == "--help" || args[1] == "-h" || args[1] == "help")) {
        printGroupUsage(std::cout, group, members);
        return 0;
    }
    if (args.size() < 2 || args[1].starts_with("-")) {
        std::cerr << "error: `jmnode " << group << "` needs a command\n\n";
    } else {
        std::vector<std::string> words;
        for (const auto* c : members)
            words.push_back(c->name.substr(group.size() + 1));
        std::cerr << "error: unknown command '" << group << " " << args[1] << "'";
        if (auto hint = jm::sdk::closestMatch(args[1], words))
            std::cerr << "; did you mean '" << group << " " << *hint << "'?";
        std::cerr << "\n\n";
    }
    printGroupUsage(std::cerr, group, members);
    return EXIT_USAGE;
}

} // namespace

int runCli(int argc, char** argv) {
    if (sodium_init() < 0) {
        std::cerr << "error: libsodium failed to initialise\n";
        return 1;
    }
    // Everything jmnode creates (data directory contents, RocksDB files, logs) is private.
    restrictNewFiles();
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        printUsage(std::cerr);
        return EXIT_USAGE;
    }
    // `jmnode help wallet` and `jmnode help wallet create` are `... --help`.
    if (args[0] == "help" && args.size() > 1) {
        args.erase(args.begin());
        args.push_back("--help");
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
        auto words = c.name.find(' ') == std::string::npos ? 1u : 2u;
        names.push_back(c.name.substr(0, c.name.find(' ')));
        if (args.size() < words) continue;
        std::string given = words == 1 ? args[0] : args[0] + " " + args[1];
        if (given == c.name) return c.run(std::vector<std::string>(args.begin() + words, args.end()));
    }
    if (auto members = groupCommands(first); !members.empty()) return runGroup(first, members, args);
    std::cerr << "error: unknown command '" << first << "'";
    if (auto hint = jm::sdk::closestMatch(first, names)) std::cerr << "; did you mean '" << *hint << "'?";
    std::cerr << "\n\n";
    printUsage(std::cerr);
    return EXIT_USAGE;
}

} // namespace jm::host
