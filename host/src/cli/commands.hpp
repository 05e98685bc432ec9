#pragma once

#include <functional>
#include <string>
#include <vector>

namespace jm::host {

constexpr int EXIT_FAILED = 1;
constexpr int EXIT_USAGE = 2;

//! One `jmnode` subcommand. `run` gets the arguments after the command's words and returns the
//! exit code; each handles its own `--help`.
struct Command {
    std::string name; //!< "run", "plugins", "config check", ...
    std::string summary;
    std::function<int(const std::vector<std::string>&)> run;
};

//! Every subcommand, in the order `jmnode --help` lists them.
const std::vector<Command>& commands();

// The handlers, one file each.
int runCommand(const std::vector<std::string>& args);
int pluginsCommand(const std::vector<std::string>& args);
int configCheckCommand(const std::vector<std::string>& args);
int helpPluginCommand(const std::vector<std::string>& args);
int walletCreateCommand(const std::vector<std::string>& args);
int walletRecoverCommand(const std::vector<std::string>& args);
int walletAddressesCommand(const std::vector<std::string>& args);
int walletXpubsCommand(const std::vector<std::string>& args);
int walletBondAddressCommand(const std::vector<std::string>& args);
int walletChangePasswordCommand(const std::vector<std::string>& args);
int directoryStatusCommand(const std::vector<std::string>& args);
int makerStatusCommand(const std::vector<std::string>& args);
int walletSyncCommand(const std::vector<std::string>& args);
int walletInfoCommand(const std::vector<std::string>& args);
int walletUtxosCommand(const std::vector<std::string>& args);
int walletHistoryCommand(const std::vector<std::string>& args);
int walletSendCommand(const std::vector<std::string>& args);
int tumbleCommand(const std::vector<std::string>& args);
int tumbleResumeCommand(const std::vector<std::string>& args);
int tumbleStatusCommand(const std::vector<std::string>& args);
int coinjoinSendCommand(const std::vector<std::string>& args);
int coinjoinAddUtxosCommand(const std::vector<std::string>& args);
int orderbookCommand(const std::vector<std::string>& args);
int demoCommand(const std::vector<std::string>& args);

} // namespace jm::host
