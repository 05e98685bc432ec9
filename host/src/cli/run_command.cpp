#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/password_service.hpp>
#include <cli/prepared_node.hpp>
#include <logging/logging.hpp>
#include <node/node.hpp>
#include <storage/data_dir.hpp>

#include <iostream>

namespace jm::host {

namespace po = boost::program_options;

int runCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode run");
    addPluginDirOption(options);
    options.add_options()("config,c", po::value<std::string>()->required(), "node config file (JSON with comments)")(
        "password-fd", po::value<int>()->default_value(-1),
        "read wallet passwords from this file descriptor (one line each) instead of the terminal");
    int code = 0;
    auto vm = parseOptions(args, "jmnode run --config FILE [--password-fd N] [--plugin-dir DIR]...", options, {}, code);
    if (!vm) return code;
    auto dirs = pluginDirs(*vm);

    auto prepared = prepareNode((*vm)["config"].as<std::string>(), dirs);
    if (!prepared) return EXIT_USAGE;
    auto& config = prepared->config;
    // Made before the logging starts: the log file may be in it.
    if (auto made = createPrivateDirectory(config.datadir); !made) {
        std::cerr << "error: " << made.error().message << "\n";
        return EXIT_FAILED;
    }
    if (auto r = setupLogging(config.log); !r) {
        std::cerr << "error: " << r.error().message << "\n";
        return EXIT_FAILED;
    }
    if (auto warning = dataDirAccessWarning(config.datadir)) {
        auto logger = jm::sdk::makeLogger("host");
        JM_LOG(logger, warning) << *warning;
    }
    int exit_code = 0;
    {
        Node node(std::move(config), std::move(prepared->plans));
        // Roles that open a wallet ask for its password through this service at start.
        PasswordService passwords((*vm)["password-fd"].as<int>());
        (void)node.services().provide<jm::sdk::PasswordSource>(jm::sdk::PasswordSource::host_instance, passwords);
        if (auto r = node.start(true); !r) {
            auto logger = jm::sdk::makeLogger("host");
            JM_LOG(logger, fatal) << "startup failed: " << r.error().message;
            std::cerr << "error: " << r.error().message << "\n";
            exit_code = EXIT_FAILED;
        } else {
            node.waitForShutdown();
        }
        node.stop();
    }
    shutdownLogging();
    return exit_code;
}

} // namespace jm::host
