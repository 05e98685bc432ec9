#include <cli/commands.hpp>

namespace jm::host {

const std::vector<Command>& commands() {
    static const std::vector<Command> list{
        {"run", "run the node with the plugins a config enables", runCommand},
        {"demo", "a whole market in one process on a simulated chain: makers, a taker, CoinJoins in seconds",
         demoCommand},
        {"plugins", "list the plugins found, with their factories or why they were refused", pluginsCommand},
        {"config check", "validate a config file and print every problem with its JSON path", configCheckCommand},
        {"help-plugin", "print a plugin factory's configuration keys with defaults", helpPluginCommand},
        {"directory status", "show a running directory's peers, message rates and drops (from its status file)",
         directoryStatusCommand},
        {"maker status", "show a running maker's offers, sessions and earnings (from its status file)",
         makerStatusCommand},
        {"wallet create", "create a wallet: new recovery words, encrypted under a password", walletCreateCommand},
        {"wallet recover", "restore a wallet from its recovery words", walletRecoverCommand},
        {"wallet addresses", "hand out receive addresses (each saved before it is shown, never past the gap limit)",
         walletAddressesCommand},
        {"wallet xpubs", "show the account xpub of each mixdepth", walletXpubsCommand},
        {"wallet bond-address", "show the fidelity-bond address for a lock month (YYYY-MM)", walletBondAddressCommand},
        {"wallet sync", "sync the wallet with the config's blockchain backend and show balances", walletSyncCommand},
        {"wallet info", "balance of each mixdepth, confirmed and unconfirmed (after a sync)", walletInfoCommand},
        {"wallet utxos", "the wallet's coins with their mixdepth, path and confirmations", walletUtxosCommand},
        {"wallet history", "the wallet's transactions", walletHistoryCommand},
        {"wallet send", "a plain (non-CoinJoin) payment or sweep from one mixdepth", walletSendCommand},
        {"coinjoin send", "pay or sweep through a CoinJoin with makers from the orderbook (asks before starting)",
         coinjoinSendCommand},
        {"coinjoin add-utxos", "add commitment coins from outside the wallet (txid:vout,WIF lines; keys not kept)",
         coinjoinAddUtxosCommand},
        {"orderbook", "collect the offers from the taker's directories, with verified fidelity-bond values",
         orderbookCommand},
        {"tumble status", "show the tumble plan and each step's state (from its status file)", tumbleStatusCommand},
        {"tumble resume", "continue a stopped, crashed or paused tumble (no step repeated, no address reused)",
         tumbleResumeCommand},
        {"tumble", "move the wallet's coins to 3+ addresses through a resumable plan of CoinJoins", tumbleCommand},
        {"wallet change-password", "re-encrypt the wallet seed under a new password", walletChangePasswordCommand},
    };
    return list;
}

} // namespace jm::host
