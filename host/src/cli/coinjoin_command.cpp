// `jmnode coinjoin send|add-utxos` and `jmnode orderbook`: the taker role driven from the
// command line. They start the config's backend, fee, chooser and taker instances (no other
// role), then call the taker's service (jm/taker/coinjoin_service.hpp) and show its progress.
#include <cli/commands.hpp>
#include <cli/failed_makers.hpp>
#include <cli/options.hpp>
#include <cli/password_service.hpp>
#include <cli/prepared_node.hpp>
#include <cli/secret_input.hpp>
#include <logging/logging.hpp>
#include <node/node.hpp>
#include <storage/data_dir.hpp>

#include <jm/bitcoin/key.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/protocol/podle.hpp>
#include <jm/protocol/utxo_string.hpp>
#include <jm/taker/coinjoin_service.hpp>

#include <boost/asio/strand.hpp>
#include <boost/json/serialize.hpp>

#include <sodium.h>

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>

namespace jm::host {

namespace po = boost::program_options;

namespace {

int failWith(const jm::sdk::Error& e) {
    std::cerr << "error: " << e.message << "\n";
    return e.code == jm::sdk::make_error_code(jm::sdk::errc::invalid_argument) ||
                   e.code == jm::sdk::make_error_code(jm::sdk::errc::invalid_config)
               ? EXIT_USAGE
               : EXIT_FAILED;
}

void addCommonOptions(po::options_description& options) {
    addPluginDirOption(options);
    options.add_options()("config,c", po::value<std::string>()->required(),
                          "node config with a taker instance, its backend and its chooser")(
        "password-fd", po::value<int>()->default_value(-1),
        "read the wallet password (and answers) from this file descriptor instead of the terminal")(
        "json", "print JSON")("verbose,v", "log at the config's levels");
}

//! A node running only what the taker needs: backends, fee policies, choosers and the taker.
struct TakerNode {
    std::optional<PreparedNode> prepared;
    std::unique_ptr<PasswordService> passwords;
    std::unique_ptr<Node> node;
    jm::taker::CoinjoinService* service = nullptr;
    ~TakerNode() {
        if (node) node->stop();
    }
};

jm::sdk::Result<void> startTakerNode(TakerNode& t, const po::variables_map& vm) {
    t.prepared = prepareNode(vm["config"].as<std::string>(), pluginDirs(vm));
    if (!t.prepared) return jm::sdk::fail(jm::sdk::errc::invalid_config, "the config has problems (listed above)");
    auto log = t.prepared->config.log;
    log.console = true;
    if (!vm.count("verbose")) {
        log.level = jm::sdk::Severity::warning;
        log.channels.clear();
    }
    if (auto r = setupLogging(log); !r) return r.error();
    std::vector<InstancePlan> plans;
    std::size_t takers = 0;
    for (auto& p : t.prepared->plans) {
        auto kind = p.factory->kind();
        bool taker = kind == "role" && p.factory->name() == "taker";
        takers += taker ? 1 : 0;
        if (kind == "backend" || kind == "fee" || kind == "chooser" || taker) plans.push_back(std::move(p));
    }
    if (takers != 1)
        return jm::sdk::fail(jm::sdk::errc::invalid_config,
                             "the config must run exactly one taker instance (it runs " + std::to_string(takers) + ")");
    if (auto made = createPrivateDirectory(t.prepared->config.datadir); !made) return made.error();
    t.node = std::make_unique<Node>(t.prepared->config, std::move(plans));
    // The taker asks for the wallet password at start, exactly as the maker does under `run`.
    t.passwords = std::make_unique<PasswordService>(vm["password-fd"].as<int>());
    (void)t.node->services().provide<jm::sdk::PasswordSource>(jm::sdk::PasswordSource::host_instance, *t.passwords);
    if (auto started = t.node->start(false); !started) return started.error();
    auto names = t.node->services().instances(jm::taker::CoinjoinService::service_kind);
    if (names.size() != 1) return jm::sdk::fail(jm::sdk::errc::internal, "the taker provides no taker/1 service");
    auto service = t.node->services().get<jm::taker::CoinjoinService>(names.front());
    if (!service) return service.error();
    t.service = *service;
    return {};
}

//! Messages from the taker's strand to the command's thread: stages, the question, the end.
struct Progress {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<jm::taker::StageUpdate> stages;
    std::optional<std::pair<jm::taker::CoinjoinPlan, std::function<void(bool)>>> question;
    std::optional<jm::sdk::Result<jm::taker::CoinjoinResult>> result;
    std::optional<jm::taker::CoinjoinFailure> failure; //!< posted before a failed `result`
};

void printPlan(const jm::taker::CoinjoinPlan& plan) {
    std::printf("CoinJoin of %s BTC with %zu makers:\n", btc(plan.cj_amount).c_str(), plan.makers.size());
    for (const auto& m : plan.makers) {
        std::printf("  %-18s offer %lld (%s %s), fee %s BTC, txfee %s BTC%s\n", m.nick.c_str(),
                    static_cast<long long>(m.offer.oid), std::string(jm::protocol::toString(m.offer.type)).c_str(),
                    m.offer.cjfee.c_str(), btc(m.cjfee).c_str(), btc(m.offer.txfee).c_str(),
                    m.bond_value > 0 ? ", fidelity bond" : "");
    }
    std::printf("maker fees %s BTC + mining fee ~%s BTC = total cost %s BTC\n", btc(plan.maker_fees).c_str(),
                btc(plan.mining_fee).c_str(), btc(plan.total_cost()).c_str());
    std::fflush(stdout);
}

} // namespace

int coinjoinSendCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode coinjoin send --config FILE --mixdepth M (--amount SATS | --sweep) --to ADDRESS "
                              "--makers N [--yes] [--json]";
    po::options_description options(usage);
    addCommonOptions(options);
    options.add_options()("mixdepth", po::value<int>()->required(), "mixdepth to pay from")(
        "amount", po::value<std::int64_t>(), "satoshis the destination receives")(
        "sweep", "send every coin of the mixdepth (no change)")("to", po::value<std::string>()->required(),
                                                                "destination address")(
        "makers", po::value<int>(),
        "counterparties, 1..100 (default: the taker's `makers` setting)")("yes,y", "do not ask before the first !fill");
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    bool json = vm->count("json") != 0;
    if ((vm->count("amount") != 0) == (vm->count("sweep") != 0)) {
        std::cerr << "error: give either --amount SATS or --sweep\n";
        return EXIT_USAGE;
    }
    // Given, it must name a count the taker accepts (its `makers` setting's range); left out,
    // the taker's setting applies. 0 is not a silent "default": it is refused like 101.
    if (vm->count("makers") != 0 && ((*vm)["makers"].as<int>() < 1 || (*vm)["makers"].as<int>() > 100)) {
        std::cerr << "error: --makers must be 1..100 (leave it out to use the taker's `makers` setting), not "
                  << (*vm)["makers"].as<int>() << "\n";
        return EXIT_USAGE;
    }
    jm::taker::CoinjoinRequest request;
    request.mixdepth = (*vm)["mixdepth"].as<int>();
    request.sweep = vm->count("sweep") != 0;
    request.amount = request.sweep ? 0 : (*vm)["amount"].as<std::int64_t>();
    request.destination = (*vm)["to"].as<std::string>();
    request.makers = vm->count("makers") != 0 ? static_cast<std::size_t>((*vm)["makers"].as<int>()) : 0;

    TakerNode t;
    if (auto r = startTakerNode(t, *vm); !r) return failWith(r.error());
    auto strand = boost::asio::make_strand(t.node->ioContext());
    auto progress = std::make_shared<Progress>();
    jm::taker::CoinjoinObserver observer;
    observer.on_stage = [progress](const jm::taker::StageUpdate& u) {
        std::lock_guard lock(progress->mutex);
        progress->stages.push_back(u);
        progress->cv.notify_all();
    };
    if (!vm->count("yes"))
        observer.confirm = [progress](const jm::taker::CoinjoinPlan& plan, std::function<void(bool)> proceed) {
            std::lock_guard lock(progress->mutex);
            progress->question.emplace(plan, std::move(proceed));
            progress->cv.notify_all();
        };
    observer.on_failed = [progress](const jm::taker::CoinjoinFailure& f) {
        std::lock_guard lock(progress->mutex);
        progress->failure = f;
    };
    t.service->send(request, observer, strand, [progress](jm::sdk::Result<jm::taker::CoinjoinResult> r) {
        std::lock_guard lock(progress->mutex);
        progress->result = std::move(r);
        progress->cv.notify_all();
    });

    SecretInput input((*vm)["password-fd"].as<int>());
    std::optional<jm::taker::CoinjoinPlan> shown;
    boost::json::array stages_json;
    for (;;) {
        std::unique_lock lock(progress->mutex);
        progress->cv.wait(lock, [&] { return !progress->stages.empty() || progress->question || progress->result; });
        auto stages = std::move(progress->stages);
        progress->stages.clear();
        auto question = std::move(progress->question);
        progress->question.reset();
        bool finished = progress->result.has_value();
        lock.unlock();
        for (const auto& s : stages) {
            stages_json.push_back({{"stage", s.stage}, {"attempt", s.attempt}, {"detail", s.detail}});
            if (!json) {
                std::printf("[%s]%s %s\n", s.stage.c_str(),
                            s.attempt > 1 ? (" (attempt " + std::to_string(s.attempt) + ")").c_str() : "",
                            s.detail.c_str());
                std::fflush(stdout);
            }
        }
        if (question) {
            shown = question->first;
            if (!json) printPlan(question->first);
            auto answer = input.read("Start the CoinJoin? [y/N] ", true);
            bool yes = answer && (*answer == "y" || *answer == "Y" || *answer == "yes");
            question->second(yes);
        }
        if (finished) break;
    }
    auto result = std::move(*progress->result);
    if (!result) {
        auto code = failWith(result.error());
        // Every maker that failed the run, by nick (the message names at most a few): whom to
        // leave out of the next try, or to report.
        std::lock_guard lock(progress->mutex);
        if (progress->failure)
            if (auto line = failedMakersLine(*progress->failure); !line.empty()) std::cerr << line << "\n";
        return code;
    }
    if (json) {
        boost::json::object out{{"txid", result->txid},
                                {"cj_amount", result->cj_amount},
                                {"maker_fees", result->maker_fees},
                                {"mining_fee", result->mining_fee},
                                {"taker_mining_fee", result->taker_mining_fee},
                                {"total_cost", result->maker_fees + result->taker_mining_fee},
                                {"makers", result->makers},
                                {"attempts", result->attempts},
                                {"confirmed", result->confirmed},
                                {"stages", std::move(stages_json)}};
        std::cout << boost::json::serialize(out) << "\n";
    } else {
        std::printf("CoinJoin %s: %s BTC to %s, maker fees %s BTC, our mining fee %s BTC, total cost %s BTC%s\n",
                    result->txid.c_str(), btc(result->cj_amount).c_str(), request.destination.c_str(),
                    btc(result->maker_fees).c_str(), btc(result->taker_mining_fee).c_str(),
                    btc(result->maker_fees + result->taker_mining_fee).c_str(),
                    result->confirmed ? " (confirmed)" : "");
    }
    return 0;
}

int orderbookCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode orderbook --config FILE [--json]";
    po::options_description options(usage);
    addCommonOptions(options);
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    TakerNode t;
    if (auto r = startTakerNode(t, *vm); !r) return failWith(r.error());
    auto strand = boost::asio::make_strand(t.node->ioContext());
    std::promise<jm::sdk::Result<std::vector<jm::taker::OrderbookEntry>>> promise;
    t.service->orderbook(strand, [&](auto r) { promise.set_value(std::move(r)); });
    auto book = promise.get_future().get();
    if (!book) return failWith(book.error());
    if (vm->count("json")) {
        boost::json::array list;
        for (const auto& e : *book)
            list.push_back({{"counterparty", e.counterparty},
                            {"ordertype", jm::protocol::toString(e.offer.type)},
                            {"oid", e.offer.oid},
                            {"minsize", e.offer.minsize},
                            {"maxsize", e.offer.maxsize},
                            {"txfee", e.offer.txfee},
                            {"cjfee", e.offer.cjfee},
                            {"bond_value", e.bond_value},
                            {"bond_outpoint", e.bond_outpoint}});
        std::cout << boost::json::serialize(list) << "\n";
        return 0;
    }
    std::printf("%-18s %-12s %4s %14s %14s %8s %12s %s\n", "maker", "type", "oid", "minsize", "maxsize", "txfee",
                "cjfee", "bond value");
    for (const auto& e : *book)
        std::printf("%-18s %-12s %4lld %14lld %14lld %8lld %12s %s\n", e.counterparty.c_str(),
                    std::string(jm::protocol::toString(e.offer.type)).c_str(), static_cast<long long>(e.offer.oid),
                    static_cast<long long>(e.offer.minsize), static_cast<long long>(e.offer.maxsize),
                    static_cast<long long>(e.offer.txfee), e.offer.cjfee.c_str(),
                    e.bond_value > 0
                        ? (std::to_string(static_cast<long long>(e.bond_value)) + " (" + e.bond_outpoint + ")").c_str()
                        : "-");
    std::printf("%zu offer(s)\n", book->size());
    return 0;
}

int coinjoinAddUtxosCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode coinjoin add-utxos --config FILE --file FILE [--retries N]";
    po::options_description options(usage);
    addCommonOptions(options);
    options.add_options()("file", po::value<std::string>()->required(),
                          "lines \"txid:vout,WIF-private-key\" of P2WPKH coins outside the wallet (\"-\" = stdin); "
                          "only commitment openings are stored, never the keys")(
        "retries", po::value<int>()->default_value(3), "openings per coin (NUMS indices 0..N-1, REF 3)");
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    auto retries = (*vm)["retries"].as<int>();
    if (retries < 1 || retries > 256) {
        std::cerr << "error: --retries must be 1..256\n";
        return EXIT_USAGE;
    }
    // Read and check every line before anything starts: a bad line changes nothing.
    std::ifstream file;
    auto name = (*vm)["file"].as<std::string>();
    if (name != "-") {
        file.open(name);
        if (!file) return failWith(jm::sdk::Error(jm::sdk::errc::invalid_argument, "cannot read " + name));
    }
    std::istream& in = name == "-" ? std::cin : file;
    TakerNode t;
    if (auto r = startTakerNode(t, *vm); !r) return failWith(r.error());
    auto network = jm::bitcoin::parseNetwork(t.prepared->config.network);
    if (!network) return failWith(network.error());
    std::vector<jm::taker::ExternalCommitment> list;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        auto comma = line.find(',');
        auto where = "line " + std::to_string(number) + ": ";
        if (comma == std::string::npos)
            return failWith(jm::sdk::Error(jm::sdk::errc::invalid_argument, where + "expected txid:vout,WIF"));
        auto utxo = jm::protocol::parseUtxoString(line.substr(0, comma));
        auto key = jm::bitcoin::PrivateKey::fromWif(line.substr(comma + 1), *network);
        sodium_memzero(line.data(), line.size());
        if (!utxo) return failWith(jm::sdk::Error(jm::sdk::errc::invalid_argument, where + utxo.error().message));
        if (!key) return failWith(jm::sdk::Error(jm::sdk::errc::invalid_argument, where + "bad private key"));
        jm::taker::ExternalCommitment c;
        c.outpoint = utxo->outpoint;
        for (int i = 0; i < retries; ++i) {
            auto proof = jm::protocol::generatePodle(*key, jm::protocol::formatUtxoString({utxo->outpoint, {}, {}}), i);
            if (!proof) return failWith(proof.error());
            c.commitments.push_back(jm::protocol::podleCommitment(*proof));
            c.openings.push_back(jm::protocol::formatRevelation(*proof));
        }
        list.push_back(std::move(c));
    }
    auto strand = boost::asio::make_strand(t.node->ioContext());
    std::promise<jm::sdk::Result<std::size_t>> promise;
    t.service->addExternalCommitments(list, strand, [&](auto r) { promise.set_value(std::move(r)); });
    auto added = promise.get_future().get();
    if (!added) return failWith(added.error());
    if (vm->count("json"))
        std::cout << boost::json::serialize(boost::json::object{{"added", *added}}) << "\n";
    else
        std::printf("%zu external commitment coin(s) added, %d opening(s) each\n", *added, retries);
    return 0;
}

} // namespace jm::host
