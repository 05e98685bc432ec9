#include <cli/options.hpp>

#include <cli/commands.hpp>

#include <jm/sdk/config.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace jm::host {

namespace po = boost::program_options;

std::optional<po::variables_map> parseOptions(const std::vector<std::string>& args, const std::string& usage,
                                              po::options_description options,
                                              const po::positional_options_description& positional, int& exit_code) {
    options.add_options()("help,h", "show this help");
    po::variables_map vm;
    // No abbreviations: with guessing on, `--password hunter2` was taken as `--password-fd`, so a
    // mistyped option could swallow a secret. Every option must be spelled out in full.
    constexpr int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    try {
        po::store(po::command_line_parser(args).options(options).positional(positional).style(style).run(), vm);
        if (vm.count("help")) {
            std::cout << "Usage: " << usage << "\n\n" << options << "\n";
            exit_code = 0;
            return std::nullopt;
        }
        po::notify(vm);
    } catch (const po::unknown_option& e) {
        // Names the option only (never a value that follows it) and suggests the full spelling.
        std::vector<std::string> known;
        for (const auto& o : options.options())
            known.push_back("--" + o->long_name());
        std::cerr << "error: unknown option '" << e.get_option_name() << "'";
        if (auto hint = jm::sdk::closestMatch(e.get_option_name(), known))
            std::cerr << "; did you mean '" << *hint << "'?";
        std::cerr << "\nUsage: " << usage << "\n(see --help)\n";
        exit_code = EXIT_USAGE;
        return std::nullopt;
    } catch (const po::validation_error& e) {
        // Boost's text quotes the value ("the argument ('hunter2') for option '--password-fd'"):
        // it may be a secret typed where a descriptor belongs, so only the option is named.
        std::cerr << "error: ";
        if (e.kind() == po::validation_error::invalid_option_value ||
            e.kind() == po::validation_error::invalid_bool_value)
            std::cerr << "invalid value for option '" << e.get_option_name() << "'";
        else
            std::cerr << e.what();
        std::cerr << "\nUsage: " << usage << "\n(see --help)\n";
        exit_code = EXIT_USAGE;
        return std::nullopt;
    } catch (const po::error& e) {
        std::cerr << "error: " << e.what() << "\nUsage: " << usage << "\n(see --help)\n";
        exit_code = EXIT_USAGE;
        return std::nullopt;
    }
    return vm;
}

void addPluginDirOption(boost::program_options::options_description& options) {
    options.add_options()("plugin-dir", boost::program_options::value<std::vector<std::string>>()->composing(),
                          "extra plugin directory (repeatable)");
}

std::vector<std::filesystem::path> pluginDirs(const boost::program_options::variables_map& vm) {
    std::vector<std::filesystem::path> dirs;
    if (vm.count("plugin-dir"))
        for (const auto& d : vm["plugin-dir"].as<std::vector<std::string>>())
            dirs.emplace_back(d);
    return dirs;
}

std::string btc(std::int64_t sats) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%lld.%08lld", sats < 0 ? "-" : "", std::llabs(sats) / 100'000'000LL,
                  std::llabs(sats) % 100'000'000LL);
    return buf;
}

} // namespace jm::host
