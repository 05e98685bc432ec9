// `jmnode wallet ...`: create, recover, addresses, xpubs, bond-address, change-password.
// The wallet lives in its own namespace of the node's database (WALLET_NAMESPACE); these commands
// take the data-directory lock, so they refuse to run beside a running node on the same directory.
#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/secret_input.hpp>
#include <config/node_config.hpp>
#include <storage/data_dir.hpp>
#include <storage/data_dir_lock.hpp>
#include <storage/rocksdb_database.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/wallet/timenumber.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/serialize.hpp>

#include <sodium.h>

#include <ctime>
#include <iostream>

namespace jm::host {

namespace po = boost::program_options;
using jm::wallet::Wallet;

namespace {

void addCommonOptions(po::options_description& options) {
    options.add_options()("datadir", po::value<std::string>(),
                          "node data directory (default: node.datadir of --config, else ~/.jmnode)")(
        "network", po::value<std::string>(),
        "mainnet, testnet, signet or regtest (default: node.network of --config, else mainnet)")(
        "config,c", po::value<std::string>(), "read datadir and network from this node config")(
        "wallet", po::value<std::string>()->default_value(std::string(WALLET_NAMESPACE)),
        "which of the node's wallets (a role's config names it in \"wallet\")")(
        "password-fd", po::value<int>()->default_value(-1),
        "read the password (and other secrets) from this file descriptor, one per line, instead of the terminal")(
        "json", "print JSON");
}

// The wallet's store, with the data-directory lock held for as long as it lives.
struct WalletStore {
    std::optional<DataDirLock> lock;
    std::unique_ptr<RocksDbDatabase> db;
    jm::sdk::KvStorePtr store;
    jm::bitcoin::Network network = jm::bitcoin::Network::Mainnet;
    std::filesystem::path datadir;
};

jm::sdk::Result<WalletStore> openStore(const po::variables_map& vm) {
    WalletStore ws;
    std::string network = "mainnet";
    ws.datadir = resolvePath("~/.jmnode", std::filesystem::current_path());
    if (vm.count("config")) {
        std::filesystem::path file = vm["config"].as<std::string>();
        auto root = readConfigFile(file);
        if (!root) return root.error();
        std::vector<jm::sdk::ConfigProblem> problems;
        auto cfg = parseNodeConfig(*root, file, problems);
        if (!cfg)
            return jm::sdk::fail(jm::sdk::errc::invalid_config,
                                 problems.empty() ? "invalid config" : problems[0].path + ": " + problems[0].message);
        ws.datadir = cfg->datadir;
        network = cfg->network;
    }
    if (vm.count("datadir")) ws.datadir = resolvePath(vm["datadir"].as<std::string>(), std::filesystem::current_path());
    if (vm.count("network")) network = vm["network"].as<std::string>();
    auto net = jm::bitcoin::parseNetwork(network);
    if (!net) return net.error();
    ws.network = *net;
    auto lock = DataDirLock::acquire(ws.datadir);
    if (!lock) return lock.error();
    if (auto warning = dataDirAccessWarning(ws.datadir)) std::cerr << "warning: " << *warning << "\n";
    ws.lock.emplace(std::move(*lock));
    auto db = RocksDbDatabase::open(ws.datadir);
    if (!db) return db.error();
    ws.db = std::move(*db);
    auto ns = walletNamespace(vm["wallet"].as<std::string>());
    if (!ns) return ns.error();
    auto store = ws.db->openNamespace(*ns);
    if (!store) return store.error();
    ws.store = std::move(*store);
    return ws;
}

int failWith(const jm::sdk::Error& e) {
    std::cerr << "error: " << e.message << "\n";
    return e.code == jm::sdk::errc::invalid_argument || e.code == jm::sdk::errc::invalid_config ? EXIT_USAGE
                                                                                                : EXIT_FAILED;
}

jm::sdk::Result<Wallet> openWallet(WalletStore& ws, SecretInput& input) {
    if (!Wallet::exists(*ws.store))
        return jm::sdk::fail(jm::sdk::errc::not_found,
                             "no wallet in " + ws.datadir.string() + " (create one with `jmnode wallet create`)");
    auto password = input.read("Wallet password: ");
    if (!password) return password.error();
    auto wallet = Wallet::open(*ws.store, *password);
    sodium_memzero(password->data(), password->size());
    if (wallet && wallet->network() != ws.network)
        return jm::sdk::fail(jm::sdk::errc::invalid_argument,
                             "the wallet is for " + std::string(jm::bitcoin::params(wallet->network()).name) +
                                 ", not " + std::string(jm::bitcoin::params(ws.network).name));
    return wallet;
}

// Shared by create and recover: asks for the password, writes the wallet.
int writeWallet(WalletStore& ws, SecretInput& input, jm::bitcoin::ByteView entropy, std::string passphrase,
                const po::variables_map& vm, bool show_mnemonic) {
    if (Wallet::exists(*ws.store)) {
        std::cerr << "error: a wallet already exists in " << ws.datadir.string() << "; it was not touched\n";
        return EXIT_FAILED;
    }
    jm::wallet::WalletOptions options;
    options.network = ws.network;
    options.mixdepths = vm["mixdepths"].as<int>();
    options.gap_limit = vm["gap-limit"].as<int>();
    options.kdf = vm["kdf"].as<std::string>() == "interactive" ? jm::wallet::KdfStrength::Interactive
                                                               : jm::wallet::KdfStrength::Moderate;
    auto mnemonic = jm::bitcoin::entropyToMnemonic(entropy);
    if (!mnemonic) return failWith(mnemonic.error());
    bool json = vm.count("json") != 0;
    if (show_mnemonic) {
        if (json) {
            std::cout << boost::json::serialize(boost::json::object{{"mnemonic", *mnemonic}}) << "\n";
        } else {
            std::cout << "Your recovery words (write them down, in order; they are shown only now):\n\n    "
                      << *mnemonic << "\n\n";
        }
        if (!vm.count("yes")) {
            auto confirm = input.read("Type 'yes' once the words are written down: ", true);
            if (!confirm || *confirm != "yes") {
                sodium_memzero(mnemonic->data(), mnemonic->size());
                std::cerr << "error: not confirmed; no wallet was created\n";
                return EXIT_FAILED;
            }
        }
    }
    sodium_memzero(mnemonic->data(), mnemonic->size());
    auto password = input.newPassword("wallet password");
    if (!password) return failWith(password.error());
    auto wallet = Wallet::create(*ws.store, options, entropy, std::move(passphrase), *password);
    sodium_memzero(password->data(), password->size());
    if (!wallet) return failWith(wallet.error());
    // New words have no history before now: rescans start here, a day early so that a clock
    // running ahead cannot hide a coin (it costs a rescan of ~144 blocks). A recovered wallet's
    // birthday is set by its first sync (--rescan-from, else the genesis block).
    if (show_mnemonic)
        if (auto born = wallet->setBirthday({0, static_cast<std::int64_t>(std::time(nullptr)) - 24 * 3600}); !born)
            return failWith(born.error());
    if (!json)
        std::cout << "Wallet created in " << ws.datadir.string() << " (" << jm::bitcoin::params(ws.network).name << ", "
                  << options.mixdepths << " mixdepths).\n";
    return 0;
}

void addCreateOptions(po::options_description& options) {
    options.add_options()("mixdepths", po::value<int>()->default_value(jm::wallet::DEFAULT_MIXDEPTHS),
                          "number of mixdepths")(
        "gap-limit", po::value<int>()->default_value(jm::wallet::DEFAULT_GAP_LIMIT),
        "unused addresses a sync looks past the last used one, per branch (1..10000; saved with the wallet; "
        "`wallet addresses --count` hands out at most this many at once)")(
        "kdf", po::value<std::string>()->default_value("moderate"),
        "password key derivation: moderate (default) or interactive (lighter, for small devices)")(
        "passphrase", "also ask for a BIP39 passphrase (\"seed extension\")")("yes,y",
                                                                              "do not ask to confirm the words");
}

// A passphrase the seed derivation would refuse (not UTF-8) is refused as soon as it is typed:
// before new words are shown for a wallet that would then not be created, and before a
// password is asked for. The check is the derivation itself, on an empty mnemonic.
int checkPassphrase(std::string& passphrase) {
    auto seed = jm::bitcoin::mnemonicToSeed("", passphrase);
    if (seed) return 0;
    sodium_memzero(passphrase.data(), passphrase.size());
    return failWith(seed.error());
}

// The create/recover options, checked before any secret is asked for.
int checkCreateOptions(const po::variables_map& vm) {
    auto mixdepths = vm["mixdepths"].as<int>();
    auto gap = vm["gap-limit"].as<int>();
    const auto& kdf = vm["kdf"].as<std::string>();
    if (mixdepths < 1 || mixdepths > jm::wallet::MAX_MIXDEPTHS) {
        std::cerr << "error: --mixdepths must be 1.." << jm::wallet::MAX_MIXDEPTHS << "\n";
        return EXIT_USAGE;
    }
    if (gap < 1 || gap > jm::wallet::MAX_GAP_LIMIT) {
        std::cerr << "error: --gap-limit must be 1.." << jm::wallet::MAX_GAP_LIMIT << "\n";
        return EXIT_USAGE;
    }
    if (kdf != "moderate" && kdf != "interactive") {
        std::cerr << "error: --kdf must be moderate or interactive, not '" << kdf << "'\n";
        return EXIT_USAGE;
    }
    return 0;
}

int createCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode wallet create");
    addCommonOptions(options);
    addCreateOptions(options);
    options.add_options()("words", po::value<int>()->default_value(12), "12 or 24 recovery words");
    int code = 0;
    auto vm = parseOptions(args, "jmnode wallet create [--network NET] [--datadir DIR] [options]", options, {}, code);
    if (!vm) return code;
    int words = (*vm)["words"].as<int>();
    if (words != 12 && words != 24) {
        std::cerr << "error: --words must be 12 or 24\n";
        return EXIT_USAGE;
    }
    if (int bad = checkCreateOptions(*vm)) return bad;
    auto ws = openStore(*vm);
    if (!ws) return failWith(ws.error());
    SecretInput input((*vm)["password-fd"].as<int>());
    std::string passphrase;
    if (vm->count("passphrase")) {
        auto p = input.newPassword("BIP39 passphrase");
        if (!p) return failWith(p.error());
        passphrase = std::move(*p);
        if (int bad = checkPassphrase(passphrase)) return bad;
    }
    jm::bitcoin::SecretBytes entropy(words == 12 ? 16 : 32);
    randombytes_buf(entropy.data(), entropy.size());
    return writeWallet(*ws, input, entropy.view(), std::move(passphrase), *vm, true);
}

int recoverCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode wallet recover");
    addCommonOptions(options);
    addCreateOptions(options);
    int code = 0;
    auto vm = parseOptions(args, "jmnode wallet recover [--network NET] [--datadir DIR] [options]", options, {}, code);
    if (!vm) return code;
    if (int bad = checkCreateOptions(*vm)) return bad;
    auto ws = openStore(*vm);
    if (!ws) return failWith(ws.error());
    SecretInput input((*vm)["password-fd"].as<int>());
    // The words are the wallet: typed with echo off like a password, never left on the screen.
    auto words = input.read("Recovery words (not shown as you type): ");
    if (!words) return failWith(words.error());
    auto entropy = jm::bitcoin::mnemonicToEntropy(*words);
    sodium_memzero(words->data(), words->size());
    if (!entropy) return failWith(entropy.error());
    std::string passphrase;
    if (vm->count("passphrase")) {
        auto p = input.read("BIP39 passphrase: ");
        if (!p) return failWith(p.error());
        passphrase = std::move(*p);
        if (int bad = checkPassphrase(passphrase)) return bad;
    }
    return writeWallet(*ws, input, entropy->view(), std::move(passphrase), *vm, false);
}

// What the read-only commands share: options parsed, store open (lock held), wallet unlocked.
struct OpenWallet {
    po::variables_map vm;
    WalletStore store;
    std::optional<Wallet> wallet;
};

// Returns the exit code to stop with, or nullopt with `out` filled.
std::optional<int> openForCommand(const std::vector<std::string>& args, const std::string& usage,
                                  po::options_description& options, OpenWallet& out) {
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    out.vm = std::move(*vm);
    auto ws = openStore(out.vm);
    if (!ws) return failWith(ws.error());
    out.store = std::move(*ws);
    SecretInput input(out.vm["password-fd"].as<int>());
    auto wallet = openWallet(out.store, input);
    if (!wallet) return failWith(wallet.error());
    out.wallet.emplace(std::move(*wallet));
    return std::nullopt;
}

boost::json::object addressJson(const jm::wallet::AddressInfo& a) {
    return {
        {"mixdepth", a.mixdepth}, {"branch", a.branch}, {"index", a.index}, {"path", a.path}, {"address", a.address}};
}

int addressesCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode wallet addresses");
    addCommonOptions(options);
    options.add_options()("mixdepth,m", po::value<int>(), "only this mixdepth")(
        "count", po::value<int>()->default_value(1),
        "receive addresses to hand out per mixdepth (each is saved as handed out; at most the wallet's gap limit)");
    OpenWallet open;
    if (auto code = openForCommand(args, "jmnode wallet addresses [--mixdepth N] [--count N] [options]", options, open))
        return *code;
    const auto* vm = &open.vm;
    auto* wallet = &*open.wallet;
    int count = (*vm)["count"].as<int>();
    // A restore from the words looks gap-limit addresses past the last used one: coins paid to
    // an address further out than that would not be found, so never hand out more at once.
    if (count < 1 || count > wallet->gapLimit()) {
        std::cerr << "error: --count must be 1.." << wallet->gapLimit()
                  << " (the wallet's gap limit: a restore from the recovery words only looks that far past the "
                     "last used address; create the wallet with a larger --gap-limit to hand out more at once)\n";
        return EXIT_USAGE;
    }
    int first = 0, last = wallet->mixdepths() - 1;
    if (vm->count("mixdepth")) first = last = (*vm)["mixdepth"].as<int>();
    if (first < 0 || last >= wallet->mixdepths()) {
        std::cerr << "error: --mixdepth must be 0.." << wallet->mixdepths() - 1 << "\n";
        return EXIT_USAGE;
    }
    // Across calls too: an address past the last one a sync saw paid plus the gap limit would
    // not be found by a restore. Every mixdepth is checked before any address is handed out.
    for (int m = first; m <= last; ++m) {
        auto next = wallet->nextIndex(m, jm::wallet::BRANCH_EXTERNAL);
        if (!next) return failWith(next.error());
        auto used = wallet->usedIndex(m, jm::wallet::BRANCH_EXTERNAL);
        if (!used) return failWith(used.error());
        auto limit = static_cast<std::uint64_t>(*used) + static_cast<std::uint64_t>(wallet->gapLimit());
        if (*next + static_cast<std::uint64_t>(count) > limit) {
            std::cerr << "error: mixdepth " << m << ": the last " << *next - *used
                      << " addresses handed out are not seen paid yet, and a restore from the recovery words "
                         "looks only "
                      << wallet->gapLimit()
                      << " addresses (the gap limit) past the last paid one: coins sent to a further address "
                         "would not be found. "
                         "Hand out one of those that is still unpaid, run `jmnode wallet sync` once payments "
                         "arrive, or recover the wallet with a larger --gap-limit\n";
            return EXIT_USAGE;
        }
    }
    boost::json::array out;
    for (int m = first; m <= last; ++m) {
        if (!vm->count("json")) std::cout << "mixdepth " << m << "\n";
        for (int i = 0; i < count; ++i) {
            // Handed-out receive addresses are persisted as used before they are shown. Change
            // addresses are never shown here: a payment saves its change index before it shows
            // the address, and an address shown here but left unsaved could become the change
            // of a later payment.
            auto a = wallet->nextAddress(m, jm::wallet::BRANCH_EXTERNAL);
            if (!a) return failWith(a.error());
            if (vm->count("json"))
                out.push_back(addressJson(*a));
            else
                std::cout << "  external  " << a->path << "  " << a->address << "\n";
        }
    }
    if (vm->count("json")) std::cout << boost::json::serialize(out) << "\n";
    return 0;
}

int xpubsCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode wallet xpubs");
    addCommonOptions(options);
    OpenWallet open;
    if (auto code = openForCommand(args, "jmnode wallet xpubs [options]", options, open)) return *code;
    const auto* vm = &open.vm;
    auto* wallet = &*open.wallet;
    boost::json::array out;
    std::uint32_t coin = jm::bitcoin::params(wallet->network()).bip44_coin;
    for (int m = 0; m < wallet->mixdepths(); ++m) {
        auto xpub = wallet->accountXpub(m);
        std::string path = "m/84'/" + std::to_string(coin) + "'/" + std::to_string(m) + "'";
        if (vm->count("json"))
            out.push_back(boost::json::object{{"mixdepth", m}, {"path", path}, {"xpub", *xpub}});
        else
            std::cout << "mixdepth " << m << "  " << path << "  " << *xpub << "\n";
    }
    if (vm->count("json")) std::cout << boost::json::serialize(out) << "\n";
    return 0;
}

int bondAddressCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode wallet bond-address");
    addCommonOptions(options);
    options.add_options()("locktime", po::value<std::string>()->required(),
                          "lock until the first of this month, YYYY-MM");
    // The month is checked before the password is asked for.
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--locktime")
            if (auto t = jm::wallet::parseYearMonth(args[i + 1]); !t) return failWith(t.error());
    OpenWallet open;
    if (auto code = openForCommand(args, "jmnode wallet bond-address --locktime YYYY-MM [options]", options, open))
        return *code;
    const auto* vm = &open.vm;
    auto* wallet = &*open.wallet;
    auto t = jm::wallet::parseYearMonth((*vm)["locktime"].as<std::string>());
    if (!t) return failWith(t.error());
    auto bond = wallet->bondAddress(*t);
    if (!bond) return failWith(bond.error());
    if (vm->count("json")) {
        std::cout << boost::json::serialize(
                         boost::json::object{{"address", bond->info.address},
                                             {"path", bond->info.path},
                                             {"timenumber", bond->timenumber},
                                             {"locktime", bond->locktime},
                                             {"witness_script", jm::bitcoin::toHex(bond->witness_script)}})
                  << "\n";
    } else {
        std::cout << "Fidelity bond address (coins sent here are locked until " << (*vm)["locktime"].as<std::string>()
                  << "-01 00:00 UTC):\n  " << bond->info.address << "\n  path " << bond->info.path
                  << "\n  witness script " << jm::bitcoin::toHex(bond->witness_script) << "\n";
    }
    return 0;
}

int changePasswordCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode wallet change-password");
    addCommonOptions(options);
    int code = 0;
    auto vm = parseOptions(args, "jmnode wallet change-password [options]", options, {}, code);
    if (!vm) return code;
    auto ws = openStore(*vm);
    if (!ws) return failWith(ws.error());
    SecretInput input((*vm)["password-fd"].as<int>());
    auto old_password = input.read("Current wallet password: ");
    if (!old_password) return failWith(old_password.error());
    auto wallet = Wallet::open(*ws->store, *old_password);
    if (!wallet) {
        sodium_memzero(old_password->data(), old_password->size());
        return failWith(wallet.error());
    }
    auto new_password = input.newPassword("wallet password");
    if (!new_password) return failWith(new_password.error());
    auto r = wallet->changePassword(*old_password, *new_password);
    sodium_memzero(old_password->data(), old_password->size());
    sodium_memzero(new_password->data(), new_password->size());
    if (!r) return failWith(r.error());
    if (!vm->count("json")) std::cout << "Password changed.\n";
    return 0;
}

} // namespace

int walletCreateCommand(const std::vector<std::string>& args) { return createCommand(args); }
int walletRecoverCommand(const std::vector<std::string>& args) { return recoverCommand(args); }
int walletAddressesCommand(const std::vector<std::string>& args) { return addressesCommand(args); }
int walletXpubsCommand(const std::vector<std::string>& args) { return xpubsCommand(args); }
int walletBondAddressCommand(const std::vector<std::string>& args) { return bondAddressCommand(args); }
int walletChangePasswordCommand(const std::vector<std::string>& args) { return changePasswordCommand(args); }

} // namespace jm::host
