// `jmnode wallet sync|info|utxos|history|send`: the wallet against a blockchain backend. They
// start the config's backend and fee instances (no roles), open the wallet in the node's
// database, sync it, and report or pay.
#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/prepared_node.hpp>
#include <cli/secret_input.hpp>
#include <logging/logging.hpp>
#include <node/node.hpp>
#include <storage/data_dir.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/chain/fee_estimator.hpp>
#include <jm/wallet/payment.hpp>
#include <jm/wallet/timenumber.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/asio/strand.hpp>
#include <boost/json/serialize.hpp>

#include <sodium.h>

#include <cstdio>
#include <future>
#include <iostream>

namespace jm::host {

namespace po = boost::program_options;
using jm::wallet::Wallet;

namespace {

enum class Action { Sync, Info, Utxos, History, Send };

void addOptions(po::options_description& options, Action action) {
    options.add_options()("config,c", po::value<std::string>()->required(),
                          "node config with a backend instance (and optionally a fee instance)")(
        "backend", po::value<std::string>(), "backend instance to use (default: the config's only one)")(
        "wallet", po::value<std::string>()->default_value(std::string(WALLET_NAMESPACE)),
        "which of the node's wallets (a role's config names it in \"wallet\")")(
        "rescan-from", po::value<int>(),
        "block height the wallet's history starts at (stored as its birthday; default: the stored one, "
        "else the genesis block)")(
        "password-fd", po::value<int>()->default_value(-1),
        "read the password (and the confirmation) from this file descriptor instead of the terminal")(
        "json", "print JSON")("verbose,v", "log at the config's levels");
    if (action == Action::Send)
        options.add_options()("mixdepth", po::value<int>()->required(), "mixdepth to pay from")(
            "amount", po::value<std::int64_t>(), "satoshis to pay (with --address)")(
            "address", po::value<std::string>(), "destination address (with --amount)")(
            "sweep", po::value<std::string>(), "destination address that gets every coin of the mixdepth")(
            "fee", po::value<std::string>(), "fee instance to use (default: the config's only one, else the backend)")(
            "target", po::value<int>()->default_value(3),
            "confirmation target in blocks")("yes,y", "do not ask for confirmation");
}

int failWith(const jm::sdk::Error& e) {
    std::cerr << "error: " << e.message << "\n";
    return e.code == jm::sdk::errc::invalid_argument || e.code == jm::sdk::errc::invalid_config ? EXIT_USAGE
                                                                                                : EXIT_FAILED;
}

//! Waits for an asynchronous service call made on `ex`.
template <class T, class Start> jm::sdk::Result<T> await(Start start) {
    std::promise<jm::sdk::Result<T>> promise;
    start([&](jm::sdk::Result<T> r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
}

template <class T>
jm::sdk::Result<T*> pickService(jm::sdk::ServiceRegistry& services, const po::variables_map& vm, const char* option) {
    std::string name;
    if (vm.count(option)) {
        name = vm[option].as<std::string>();
    } else {
        auto all = services.instances(T::service_kind);
        if (all.size() != 1)
            return jm::sdk::fail(jm::sdk::errc::invalid_config,
                                 std::string(all.empty() ? "the config has no " : "the config has several ") +
                                     std::string(T::service_kind) + " instances" +
                                     (all.empty() ? "" : "; choose one with --" + std::string(option)));
        name = all.front();
    }
    return services.get<T>(name);
}

int run(const std::vector<std::string>& args, Action action, const std::string& usage) {
    po::options_description options(usage);
    addPluginDirOption(options);
    addOptions(options, action);
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    bool json = vm->count("json") != 0;

    std::optional<jm::bitcoin::Script> destination;
    std::optional<std::int64_t> amount;
    if (action == Action::Send) {
        bool pay = vm->count("amount") && vm->count("address");
        bool sweep = vm->count("sweep") != 0;
        if (pay == sweep || (!pay && (vm->count("amount") || vm->count("address")))) {
            std::cerr << "error: give either --amount SATS with --address ADDRESS, or --sweep ADDRESS\n";
            return EXIT_USAGE;
        }
        if (pay) amount = (*vm)["amount"].as<std::int64_t>();
    }

    auto dirs = pluginDirs(*vm);
    auto prepared = prepareNode((*vm)["config"].as<std::string>(), dirs);
    if (!prepared) return EXIT_USAGE;
    // The answer goes to stdout; the log to stderr (problems only, unless --verbose) and the
    // config's log file.
    auto log = prepared->config.log;
    log.console = true;
    if (!vm->count("verbose")) {
        log.level = jm::sdk::Severity::warning;
        log.channels.clear();
    }
    if (auto r = setupLogging(log); !r) return failWith(r.error());
    auto network = jm::bitcoin::parseNetwork(prepared->config.network);
    if (!network) return failWith(network.error());
    if (action == Action::Send) {
        auto text = vm->count("sweep") ? (*vm)["sweep"].as<std::string>() : (*vm)["address"].as<std::string>();
        auto script = jm::bitcoin::addressToScript(text, *network);
        if (!script)
            return failWith(jm::sdk::Error(jm::sdk::errc::invalid_argument, "destination: " + script.error().message));
        destination = std::move(*script);
        // Dust and impossible amounts are refused before the wallet is even opened.
        if (amount)
            if (auto ok = jm::wallet::checkPaymentAmount(*destination, *amount); !ok) return failWith(ok.error());
    }
    // Only the chain side of the config runs: backends and fee policies.
    std::vector<InstancePlan> plans;
    for (auto& p : prepared->plans)
        if (p.factory->kind() == "backend" || p.factory->kind() == "fee") plans.push_back(std::move(p));
    Node node(prepared->config, std::move(plans));
    if (auto started = node.start(false); !started) return failWith(started.error());
    if (auto warning = dataDirAccessWarning(prepared->config.datadir)) std::cerr << "warning: " << *warning << "\n";
    struct StopNode {
        Node& n;
        ~StopNode() { n.stop(); }
    } stop_node{node};

    auto ns = walletNamespace((*vm)["wallet"].as<std::string>());
    if (!ns) return failWith(ns.error());
    auto store = node.openStore(*ns);
    if (!store) return failWith(store.error());
    if (!Wallet::exists(**store))
        return failWith(jm::sdk::Error(jm::sdk::errc::not_found, "no wallet in " + prepared->config.datadir.string() +
                                                                     " (create one with `jmnode wallet create`)"));
    SecretInput input((*vm)["password-fd"].as<int>());
    auto password = input.read("Wallet password: ");
    if (!password) return failWith(password.error());
    auto wallet = Wallet::open(**store, *password);
    sodium_memzero(password->data(), password->size());
    if (!wallet) return failWith(wallet.error());
    if (wallet->network() != *network)
        return failWith(jm::sdk::Error(jm::sdk::errc::invalid_argument, "the wallet is for another network"));

    auto backend = pickService<jm::chain::BlockchainBackend>(node.services(), *vm, "backend");
    if (!backend) return failWith(backend.error());
    auto strand = boost::asio::make_strand(node.ioContext());

    jm::wallet::SyncOptions sync_options;
    if (vm->count("rescan-from")) sync_options.rescan_from = (*vm)["rescan-from"].as<int>();
    auto progress = [json](double fraction, const std::string& what) {
        if (!json) std::fprintf(stderr, "\r  sync: %3.0f %% %-40s", fraction * 100, what.c_str());
    };
    auto synced = await<jm::wallet::SyncResult>(
        [&](auto done) { jm::wallet::WalletSync::run(*wallet, **backend, sync_options, progress, strand, done); });
    if (!json) std::fprintf(stderr, "\n");
    if (!synced) return failWith(synced.error());
    jm::wallet::UtxoSet utxos(**store);
    if (auto r = utxos.replace(synced->utxos); !r) return failWith(r.error());

    boost::json::object out{{"height", synced->tip.height}, {"tip", synced->tip.hash}};
    if (action == Action::Sync || action == Action::Info) {
        boost::json::array mixdepths;
        for (int m = 0; m < wallet->mixdepths(); ++m) {
            auto b = utxos.balance(m);
            // Bonds are shown apart: they are locked (and need their own spend), never spendable
            // balance and never maker liquidity.
            mixdepths.push_back({{"mixdepth", m},
                                 {"confirmed", b.confirmed},
                                 {"unconfirmed", b.unconfirmed},
                                 {"frozen", b.frozen},
                                 {"bonds", b.bonds},
                                 {"total", b.total()}});
            if (!json) {
                std::string extra;
                if (b.frozen) extra += ", " + btc(b.frozen) + " frozen";
                if (b.bonds) extra += ", " + btc(b.bonds) + " in fidelity bonds (timelocked, not spendable)";
                std::printf("mixdepth %d: %s BTC confirmed, %s unconfirmed%s\n", m, btc(b.confirmed).c_str(),
                            btc(b.unconfirmed).c_str(), extra.c_str());
            }
        }
        out["mixdepths"] = std::move(mixdepths);
        if (!json)
            std::printf("synced to block %d: %zu coins, %zu scripts watched, %d scan round(s)\n", synced->tip.height,
                        synced->utxos.size(), synced->watched, synced->rounds);
    }
    if (action == Action::Utxos) {
        boost::json::array list;
        for (int m = 0; m < wallet->mixdepths(); ++m)
            for (const auto& u : utxos.utxos(m)) {
                auto address = jm::bitcoin::scriptToAddress(u.script_pubkey, *network);
                boost::json::object row{{"outpoint", u.outpoint.toString()},
                                        {"value", u.value},
                                        {"mixdepth", u.mixdepth},
                                        {"branch", u.branch},
                                        {"index", u.index},
                                        {"confirmations", u.confirmations},
                                        {"frozen", u.frozen},
                                        {"bond", u.branch == jm::wallet::BRANCH_FIDELITY_BOND},
                                        {"address", address ? *address : ""}};
                std::string note = u.frozen ? " frozen" : "";
                if (u.branch == jm::wallet::BRANCH_FIDELITY_BOND) {
                    auto locktime = jm::wallet::timenumberToLocktime(static_cast<int>(u.index));
                    if (locktime) row["locktime"] = *locktime;
                    char month[16];
                    std::snprintf(month, sizeof month, "%04u-%02u", 2020 + u.index / 12, 1 + u.index % 12);
                    note += std::string(" bond locked until ") + month + "-01";
                }
                list.push_back(std::move(row));
                if (!json)
                    std::printf("%s  %s BTC  m%d/%u/%u  %d conf%s  %s\n", u.outpoint.toString().c_str(),
                                btc(u.value).c_str(), u.mixdepth, u.branch, u.index, u.confirmations, note.c_str(),
                                address ? address->c_str() : "");
            }
        out["utxos"] = std::move(list);
    }
    if (action == Action::History) {
        boost::json::array list;
        for (const auto& t : synced->history) {
            list.push_back({{"txid", t.txid},
                            {"received", t.received},
                            {"spent", t.spent},
                            {"confirmations", t.confirmations},
                            {"time", t.time},
                            {"immature", t.immature}});
            if (!json)
                std::printf("%s  %+.8f BTC  %d conf%s\n", t.txid.c_str(),
                            static_cast<double>(t.received - t.spent) / 1e8, t.confirmations,
                            t.immature ? "  immature coinbase" : "");
        }
        out["history"] = std::move(list);
    }
    if (action == Action::Send) {
        auto mixdepth = (*vm)["mixdepth"].as<int>();
        auto target = (*vm)["target"].as<int>();
        jm::sdk::Result<std::int64_t> rate = jm::sdk::fail(jm::sdk::errc::not_found, "");
        auto fee = pickService<jm::chain::FeeEstimator>(node.services(), *vm, "fee");
        if (fee) {
            rate = await<std::int64_t>([&](auto done) { (*fee)->estimate(target, strand, done); });
        } else if (vm->count("fee")) {
            return failWith(fee.error());
        } else {
            rate = await<std::int64_t>([&](auto done) { (*backend)->estimateFee(target, strand, done); });
        }
        if (!rate) return failWith(rate.error());
        auto payment =
            jm::wallet::buildPayment(*wallet, utxos, {mixdepth, *destination, amount, *rate, synced->tip.height});
        if (!payment) return failWith(payment.error());
        auto vsize = payment->tx.vsize();
        if (!json) {
            auto to = jm::bitcoin::scriptToAddress(*destination, *network);
            std::printf("pay %s BTC from mixdepth %d to %s\n", btc(payment->amount).c_str(), mixdepth,
                        to ? to->c_str() : "?");
            std::printf("fee %s BTC (%.1f sat/vB, %zu vbytes), %zu input(s)", btc(payment->fee).c_str(),
                        static_cast<double>(payment->fee) / static_cast<double>(vsize), vsize, payment->inputs.size());
            // Not the change address: it is saved only once the payment is confirmed below, and an
            // address shown but never saved could be handed out again.
            if (payment->change)
                std::printf(", change %s BTC back to mixdepth %d", btc(payment->change_value).c_str(), mixdepth);
            std::printf("\n");
            std::fflush(stdout);
        }
        if (!vm->count("yes")) {
            auto answer = input.read("Send it? [y/N] ", true);
            if (!answer || (*answer != "y" && *answer != "Y" && *answer != "yes")) {
                std::cerr << "not sent\n";
                return EXIT_FAILED;
            }
        }
        // The change index is persisted before the address is shown or the transaction reveals it.
        if (auto r = jm::wallet::commitChange(*wallet, *payment); !r) return failWith(r.error());
        if (payment->change) {
            out["change_address"] = payment->change->address;
            out["change"] = payment->change_value;
            if (!json)
                std::printf("change address %s (%s)\n", payment->change->address.c_str(),
                            payment->change->path.c_str());
        }
        auto txid =
            await<std::string>([&](auto done) { (*backend)->broadcast(payment->tx.serialize(), strand, done); });
        if (!txid) return failWith(txid.error());
        out["txid"] = *txid;
        out["amount"] = payment->amount;
        out["fee"] = payment->fee;
        out["locktime"] = payment->tx.locktime;
        if (!json) std::printf("sent: %s\n", txid->c_str());
    }
    if (json) std::cout << boost::json::serialize(out) << "\n";
    return 0;
}

} // namespace

int walletSyncCommand(const std::vector<std::string>& args) {
    return run(args, Action::Sync, "jmnode wallet sync --config FILE [--rescan-from HEIGHT] [--json]");
}
int walletInfoCommand(const std::vector<std::string>& args) {
    return run(args, Action::Info, "jmnode wallet info --config FILE [--json]");
}
int walletUtxosCommand(const std::vector<std::string>& args) {
    return run(args, Action::Utxos, "jmnode wallet utxos --config FILE [--json]");
}
int walletHistoryCommand(const std::vector<std::string>& args) {
    return run(args, Action::History, "jmnode wallet history --config FILE [--json]");
}
int walletSendCommand(const std::vector<std::string>& args) {
    return run(args, Action::Send,
               "jmnode wallet send --config FILE --mixdepth N (--amount SATS --address ADDRESS | --sweep ADDRESS) "
               "[--yes] [--json]");
}

} // namespace jm::host
