// `jmnode tumble`, `jmnode tumble resume` and `jmnode tumble status`: the tumbler role driven
// from the command line. The first two run the config's node (every instance it lists, as
// `jmnode run` would) and drive its one tumbler instance (jm/tumbler/tumbler_service.hpp);
// `status` reads the plan's status file, so it works beside a running tumble.
#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/password_service.hpp>
#include <cli/prepared_node.hpp>
#include <cli/secret_input.hpp>
#include <config/node_config.hpp>
#include <logging/logging.hpp>
#include <node/node.hpp>
#include <storage/data_dir.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/tumbler/tumbler_service.hpp>

#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

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
                          "node config with a tumbler instance and the taker it uses")(
        "password-fd", po::value<int>()->default_value(-1),
        "read the wallet passwords (and answers) from this file descriptor instead of the terminal")(
        "json", "print JSON")("verbose,v", "log at the config's levels");
}

//! The config's node, running, with its tumbler's service.
struct TumbleNode {
    std::optional<PreparedNode> prepared;
    std::unique_ptr<PasswordService> passwords;
    std::unique_ptr<Node> node;
    jm::tumbler::TumblerService* service = nullptr;
    ~TumbleNode() {
        if (node) node->stop();
    }
};

//! Reads the config and plans its instances; nothing is opened or written yet.
jm::sdk::Result<void> prepareTumbleNode(TumbleNode& t, const po::variables_map& vm) {
    t.prepared = prepareNode(vm["config"].as<std::string>(), pluginDirs(vm));
    if (!t.prepared)
        return jm::sdk::fail(jm::sdk::errc::invalid_config,
                             "the config cannot be used (see above); nothing was started");
    std::size_t tumblers = 0;
    for (const auto& p : t.prepared->plans)
        tumblers += p.factory->kind() == "role" && p.factory->name() == "tumbler" ? 1 : 0;
    if (tumblers != 1)
        return jm::sdk::fail(jm::sdk::errc::invalid_config,
                             "the config must run exactly one tumbler instance (it runs " + std::to_string(tumblers) +
                                 ")");
    return {};
}

//! The --to list checked before the node starts (so a typo opens and writes nothing): at least
//! MIN addresses, each of the config's network, none twice. The tumbler checks them again,
//! and that none is the wallet's own.
jm::sdk::Result<void> checkDestinations(const std::vector<std::string>& destinations, const std::string& network) {
    constexpr std::size_t MIN = 3; // the tumbler's minimum (jm::tumbler::TumblerService::propose)
    if (destinations.size() < MIN)
        return jm::sdk::fail(jm::sdk::errc::invalid_argument, "--to: a tumble needs at least " + std::to_string(MIN) +
                                                                  " destination addresses, comma-separated (got " +
                                                                  std::to_string(destinations.size()) + ")");
    auto net = jm::bitcoin::parseNetwork(network);
    if (!net) return net.error();
    std::set<jm::bitcoin::Script> seen;
    for (const auto& d : destinations) {
        auto script = jm::bitcoin::addressToScript(d, *net);
        if (!script) {
            auto message = script.error().message;
            // "address X: ..." from the parser; say once which address and what is wrong.
            if (!message.starts_with("address ")) message = "address " + d + ": " + message;
            return jm::sdk::fail(jm::sdk::errc::invalid_argument, "--to: " + message);
        }
        if (!seen.insert(*script).second)
            return jm::sdk::fail(jm::sdk::errc::invalid_argument,
                                 "--to: address " + d + " is given twice (each destination is paid once)");
    }
    return {};
}

//! Starts the prepared node and finds its tumbler's service.
jm::sdk::Result<void> startTumbleNode(TumbleNode& t, const po::variables_map& vm) {
    if (!t.prepared)
        if (auto r = prepareTumbleNode(t, vm); !r) return r;
    auto log = t.prepared->config.log;
    log.console = true;
    if (!vm.count("verbose")) {
        log.level = jm::sdk::Severity::warning;
        log.channels.clear();
    }
    if (auto r = setupLogging(log); !r) return r.error();
    if (auto made = createPrivateDirectory(t.prepared->config.datadir); !made) return made.error();
    t.node = std::make_unique<Node>(t.prepared->config, std::move(t.prepared->plans));
    t.passwords = std::make_unique<PasswordService>(vm["password-fd"].as<int>());
    (void)t.node->services().provide<jm::sdk::PasswordSource>(jm::sdk::PasswordSource::host_instance, *t.passwords);
    if (auto started = t.node->start(true); !started) return started.error();
    auto names = t.node->services().instances(jm::tumbler::TumblerService::service_kind);
    if (names.size() != 1) return jm::sdk::fail(jm::sdk::errc::internal, "the tumbler provides no tumbler/1 service");
    auto service = t.node->services().get<jm::tumbler::TumblerService>(names.front());
    if (!service) return service.error();
    t.service = *service;
    return {};
}

std::string destinationOf(const jm::tumbler::TumblePlan& plan, const jm::tumbler::TumbleStep& s) {
    if (s.destination >= 0)
        return "destination " + std::to_string(s.destination + 1) + " " + plan.destinations[s.destination];
    return "mixdepth " + std::to_string(s.mixdepth + 1) + " (internal)" + (s.address.empty() ? "" : " " + s.address);
}

std::string amountOf(const jm::tumbler::TumbleStep& s) {
    if (s.state == jm::tumbler::StepState::Done && s.amount > 0) return btc(s.amount) + " BTC";
    if (s.amount_fraction == 0) return "sweep";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f%%%s", s.amount_fraction * 100,
                  s.rounding > 0 ? (" (" + std::to_string(s.rounding) + " sig. fig.)").c_str() : "");
    return buf;
}

void printPlan(const jm::tumbler::TumblePlan& plan) {
    double minutes = 0;
    for (const auto& s : plan.steps)
        minutes += s.wait_minutes;
    std::printf("Tumble %s (seed %llu): %zu CoinJoins to %zu destinations, waits ~%.0f min in all; %s%s%s\n",
                plan.id.c_str(), static_cast<unsigned long long>(plan.seed), plan.steps.size(),
                plan.destinations.size(), minutes, plan.status.c_str(), plan.reason.empty() ? "" : ": ",
                plan.reason.c_str());
    std::size_t i = 0;
    for (const auto& s : plan.steps) {
        ++i;
        std::printf("  %2zu. mixdepth %d  %-22s %2d makers -> %s, then wait %.2f min  [%s%s%s]\n", i, s.mixdepth,
                    amountOf(s).c_str(), s.makers, destinationOf(plan, s).c_str(), s.wait_minutes,
                    std::string(jm::tumbler::toString(s.state)).c_str(), s.txid.empty() ? "" : " ", s.txid.c_str());
        if (s.state == jm::tumbler::StepState::Failed && !s.reason.empty())
            std::printf("      last failure: %s (attempt %d)\n", s.reason.c_str(), s.attempts);
        // Retries: how many so far (the limit counts this round's) and whom they avoid.
        if (s.attempts > 1 || (s.attempts == 1 && s.state != jm::tumbler::StepState::Done))
            std::printf("      attempts: %d in all, %d in this round\n", s.attempts, s.round_attempts);
        if (!s.avoid.empty() && s.state != jm::tumbler::StepState::Done) {
            std::string nicks;
            for (const auto& n : s.avoid)
                nicks += (nicks.empty() ? "" : ", ") + n;
            std::printf("      avoiding %zu maker(s) that failed it: %s\n", s.avoid.size(), nicks.c_str());
        }
    }
    if (plan.status == "paused" || plan.status == "running")
        std::printf("`jmnode tumble resume --config FILE` continues it%s\n",
                    plan.status == "running" ? " if its node stopped" : "");
    std::fflush(stdout);
}

//! Messages from the tumbler to the command's thread.
struct Progress {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> lines;
    std::vector<boost::json::object> events;
    std::optional<jm::sdk::Result<jm::tumbler::TumblePlan>> result;
};

int runPlan(TumbleNode& t, bool json, bool resume, std::optional<jm::tumbler::TumblePlan> plan) {
    auto strand = boost::asio::make_strand(t.node->ioContext());
    auto progress = std::make_shared<Progress>();
    jm::tumbler::TumbleObserver observer;
    observer.on_step = [progress](const jm::tumbler::TumblePlan& p, std::size_t i) {
        const auto& s = p.steps[i];
        std::string line = "[step " + std::to_string(i + 1) + "/" + std::to_string(p.steps.size()) + "] " +
                           std::string(jm::tumbler::toString(s.state)) + ": mixdepth " + std::to_string(s.mixdepth) +
                           " " + amountOf(s) + " -> " + destinationOf(p, s) +
                           (s.txid.empty() ? "" : " txid " + s.txid) + (s.reason.empty() ? "" : " (" + s.reason + ")") +
                           (s.state == jm::tumbler::StepState::Failed && !s.avoid.empty()
                                ? "; a retry avoids the " + std::to_string(s.avoid.size()) + " maker(s) that failed it"
                                : "");
        std::lock_guard lock(progress->mutex);
        progress->lines.push_back(std::move(line));
        progress->events.push_back(
            {{"step", i + 1}, {"state", jm::tumbler::toString(s.state)}, {"txid", s.txid}, {"reason", s.reason}});
        progress->cv.notify_all();
    };
    observer.on_wait = [progress](std::size_t i, double seconds) {
        std::lock_guard lock(progress->mutex);
        char buf[96];
        std::snprintf(buf, sizeof buf, "waiting %.0f s before step %zu", seconds, i + 1);
        progress->lines.emplace_back(buf);
        progress->cv.notify_all();
    };
    auto done = [progress](jm::sdk::Result<jm::tumbler::TumblePlan> r) {
        std::lock_guard lock(progress->mutex);
        progress->result = std::move(r);
        progress->cv.notify_all();
    };
    if (resume)
        t.service->resume(observer, strand, done);
    else
        t.service->start(std::move(*plan), observer, strand, done);
    // Ctrl-C (SIGINT) or SIGTERM ends the command; the plan stays stored, resumable.
    std::thread signals([&t, progress] {
        auto reason = t.node->waitForShutdown();
        std::lock_guard lock(progress->mutex);
        if (!progress->result)
            progress->result = jm::sdk::Error(jm::sdk::errc::cancelled,
                                              "stopped (" + reason + "); `jmnode tumble resume` continues the plan");
        progress->cv.notify_all();
    });
    boost::json::array events;
    for (;;) {
        std::unique_lock lock(progress->mutex);
        progress->cv.wait(lock, [&] { return !progress->lines.empty() || progress->result; });
        auto lines = std::move(progress->lines);
        progress->lines.clear();
        for (auto& e : progress->events)
            events.push_back(std::move(e));
        progress->events.clear();
        bool finished = progress->result.has_value();
        lock.unlock();
        if (!json)
            for (const auto& l : lines) {
                std::printf("%s\n", l.c_str());
                std::fflush(stdout);
            }
        if (finished) break;
    }
    t.node->requestShutdown("the tumble command ends");
    signals.join();
    auto result = std::move(*progress->result);
    if (!result) return failWith(result.error());
    if (json) {
        auto out = jm::tumbler::toJson(*result);
        out["events"] = std::move(events);
        std::cout << boost::json::serialize(out) << "\n";
    } else {
        printPlan(*result);
    }
    return result->status == "finished" ? 0 : EXIT_FAILED;
}

//! `tumble` is a command (start) and a group (status, resume): its usage lists both.
void printTumbleUsage(std::ostream& out, const po::options_description& options) {
    out << "Usage: jmnode tumble <command> [options]\n"
           "   or: jmnode tumble --config FILE --to ADDR1,ADDR2,ADDR3[,...] [--seed N] [--yes] [--json]\n\n"
           "Moves the wallet's coins to three or more addresses of yours through many CoinJoins over\n"
           "hours (the reference tumbler's schedule). The plan is shown before it starts and kept in\n"
           "the node's database: `jmnode tumble resume` continues it after Ctrl-C, a crash or a pause.\n\n"
           "Commands:\n";
    for (const auto& c : commands())
        if (c.name.starts_with("tumble ")) {
            auto word = c.name.substr(7);
            out << "  " << word << std::string(word.size() < 24 ? 24 - word.size() : 1, ' ') << c.summary << "\n";
        }
    out << "\nStarting a tumble:\n" << options << "\n`jmnode tumble <command> --help` shows a command's options.\n";
}

} // namespace

int tumbleCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode tumble --config FILE --to ADDR1,ADDR2,ADDR3[,...] [--seed N] [--yes] [--json]";
    po::options_description options(usage);
    addCommonOptions(options);
    options.add_options()("to", po::value<std::string>()->required(),
                          "destination addresses, comma-separated (at least 3, each paid once)")(
        "seed", po::value<std::string>(), "seed of the schedule (reproducible plans); default random")(
        "yes,y", "start without asking after the plan is shown");
    if (args.empty()) {
        std::cerr << "error: `jmnode tumble` needs a command (status, resume), or --config FILE --to ADDRESSES to "
                     "start a tumble\n\n";
        printTumbleUsage(std::cerr, options);
        return EXIT_USAGE;
    }
    for (const auto& a : args)
        if (a == "--help" || a == "-h") {
            printTumbleUsage(std::cout, options);
            return 0;
        }
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    bool json = vm->count("json") != 0;
    std::vector<std::string> destinations;
    auto to = (*vm)["to"].as<std::string>();
    boost::algorithm::split(destinations, to, [](char c) { return c == ','; });
    for (auto& d : destinations) {
        boost::algorithm::trim(d); // "A, B, C" as typed
        if (d.empty()) {
            std::cerr << "error: --to has an empty address (give ADDR1,ADDR2,ADDR3)\n";
            return EXIT_USAGE;
        }
    }
    std::optional<std::uint64_t> seed;
    if (vm->count("seed")) {
        auto text = (*vm)["seed"].as<std::string>();
        std::uint64_t s = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
        if (ec != std::errc() || p != text.data() + text.size()) {
            std::cerr << "error: --seed must be an unsigned 64-bit number\n";
            return EXIT_USAGE;
        }
        seed = s;
    }
    TumbleNode t;
    if (auto r = prepareTumbleNode(t, *vm); !r) return failWith(r.error());
    if (auto r = checkDestinations(destinations, t.prepared->config.network); !r) return failWith(r.error());
    if (auto r = startTumbleNode(t, *vm); !r) return failWith(r.error());
    auto strand = boost::asio::make_strand(t.node->ioContext());
    std::promise<jm::sdk::Result<jm::tumbler::TumblePlan>> proposed;
    t.service->propose(destinations, seed, strand, [&](auto r) { proposed.set_value(std::move(r)); });
    auto plan = proposed.get_future().get();
    if (!plan) return failWith(plan.error());
    if (json && !vm->count("yes")) {
        std::cout << boost::json::serialize(jm::tumbler::toJson(*plan)) << "\n";
        std::cout.flush();
    } else if (!json) {
        printPlan(*plan);
    }
    if (!vm->count("yes")) {
        SecretInput input((*vm)["password-fd"].as<int>());
        auto answer = input.read("Start the tumble? [y/N] ", true);
        if (!answer || !(*answer == "y" || *answer == "Y" || *answer == "yes")) {
            std::cerr << "not started\n";
            return EXIT_FAILED;
        }
    }
    return runPlan(t, json, false, std::move(*plan));
}

int tumbleResumeCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode tumble resume --config FILE [--json]";
    po::options_description options(usage);
    addCommonOptions(options);
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    TumbleNode t;
    if (auto r = startTumbleNode(t, *vm); !r) return failWith(r.error());
    return runPlan(t, vm->count("json") != 0, true, std::nullopt);
}

int tumbleStatusCommand(const std::vector<std::string>& args) {
    const std::string usage = "jmnode tumble status --config FILE [--json]";
    po::options_description options(usage);
    options.add_options()("config,c", po::value<std::string>()->required(),
                          "the tumbling node's config file")("json", "print the plan as JSON");
    int code = 0;
    auto vm = parseOptions(args, usage, options, {}, code);
    if (!vm) return code;
    std::filesystem::path file = (*vm)["config"].as<std::string>();
    auto root = readConfigFile(file);
    if (!root) {
        std::cerr << "error: " << root.error().message << "\n";
        return EXIT_USAGE;
    }
    std::vector<jm::sdk::ConfigProblem> problems;
    auto config = parseNodeConfig(*root, file, problems);
    if (!config) {
        for (const auto& p : problems)
            std::cerr << "  " << p.path << ": " << p.message << "\n";
        return EXIT_USAGE;
    }
    for (const auto& entry : config->plugins) {
        if (entry.load != "tumbler") continue;
        auto instance = entry.instance.value_or(entry.factory.value_or("tumbler"));
        auto path = config->datadir / (instance + "-tumble.json");
        std::ifstream in(path);
        if (!in) {
            std::cerr << "no tumble plan yet (tumbler '" << instance << "' has no " << path.string()
                      << "); start one with `jmnode tumble --config " << file.string() << " --to ADDR1,ADDR2,ADDR3`\n";
            return EXIT_FAILED;
        }
        std::stringstream content;
        content << in.rdbuf();
        boost::system::error_code ec;
        auto value = boost::json::parse(content.str(), ec);
        auto plan = ec ? jm::sdk::Result<jm::tumbler::TumblePlan>(
                             jm::sdk::Error(jm::sdk::errc::corrupt_data, "the status file is not JSON"))
                       : jm::tumbler::planFromJson(value);
        if (!plan) {
            std::cerr << "error: " << path.string() << ": " << plan.error().message << "\n";
            return EXIT_FAILED;
        }
        if (vm->count("json"))
            std::cout << boost::json::serialize(jm::tumbler::toJson(*plan)) << "\n";
        else
            printPlan(*plan);
        return 0;
    }
    std::cerr << "the config runs no tumbler instance\n";
    return EXIT_FAILED;
}

} // namespace jm::host
