// `jmnode maker status`: what a running maker reports in its status file (offers, live
// sessions, locked coins, earnings). Reads the config only to find the maker instances and
// their status files; it never opens the node's database, so it works beside a running node.
#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <config/node_config.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

namespace jm::host {

namespace po = boost::program_options;

namespace {

std::int64_t integer(const boost::json::value* v) {
    if (!v) return 0;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
    return 0;
}

std::string text(const boost::json::value* v) { return v && v->is_string() ? std::string(v->as_string()) : ""; }

const boost::json::array& arrayOf(const boost::json::object& o, const char* key) {
    static const boost::json::array empty;
    auto* v = o.if_contains(key);
    return v && v->is_array() ? v->as_array() : empty;
}

std::string when(std::int64_t unix_time) {
    auto t = static_cast<std::time_t>(unix_time);
    char buf[32];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

// A running maker rewrites its status at least every minute (and on every change).
constexpr std::int64_t STALE_AFTER_S = 180;

void printStatus(const std::string& instance, const boost::json::object& s) {
    auto written = integer(s.if_contains("written_at"));
    auto age = std::time(nullptr) - written;
    bool stopped = s.if_contains("running") && s.at("running").is_bool() && !s.at("running").as_bool();
    if (stopped) {
        std::printf("%s: maker %s stopped at %s UTC (its last status follows)\n", instance.c_str(),
                    text(s.if_contains("nick")).c_str(), when(written).c_str());
    } else {
        std::printf(
            "%s: maker %s, %lld/%lld directories, %s at height %lld (status written %lld s ago)\n", instance.c_str(),
            text(s.if_contains("nick")).c_str(), static_cast<long long>(integer(s.if_contains("directories_ready"))),
            static_cast<long long>(integer(s.if_contains("directories"))),
            s.if_contains("synced") && s.at("synced").is_bool() && s.at("synced").as_bool() ? "synced" : "syncing",
            static_cast<long long>(integer(s.if_contains("height"))), static_cast<long long>(age));
        if (age > STALE_AFTER_S)
            std::printf("  warning: not updated for %lld s: the node is probably not running (it stopped without "
                        "a word: a crash or kill -9); sessions and locks below are as they were then\n",
                        static_cast<long long>(age));
    }
    const auto& offers = arrayOf(s, "offers");
    std::printf("  offers: %s\n", offers.empty() ? "none" : "");
    for (const auto& v : offers) {
        if (!v.is_object()) continue;
        const auto& o = v.as_object();
        std::printf("    %s %lld: %lld..%lld sat, cjfee %s, txfee %lld sat\n", text(o.if_contains("ordertype")).c_str(),
                    static_cast<long long>(integer(o.if_contains("oid"))),
                    static_cast<long long>(integer(o.if_contains("minsize"))),
                    static_cast<long long>(integer(o.if_contains("maxsize"))), text(o.if_contains("cjfee")).c_str(),
                    static_cast<long long>(integer(o.if_contains("txfee"))));
    }
    for (const auto& v : arrayOf(s, "mixdepths")) {
        if (!v.is_object()) continue;
        const auto& m = v.as_object();
        std::printf("  mixdepth %lld: %lld sat available, %lld unconfirmed\n",
                    static_cast<long long>(integer(m.if_contains("mixdepth"))),
                    static_cast<long long>(integer(m.if_contains("available"))),
                    static_cast<long long>(integer(m.if_contains("unconfirmed"))));
    }
    const auto& sessions = arrayOf(s, "sessions");
    std::printf("  sessions: %zu live\n", sessions.size());
    for (const auto& v : sessions) {
        if (!v.is_object()) continue;
        const auto& x = v.as_object();
        std::printf("    %s  %s  %lld sat  (%lld s)\n", text(x.if_contains("taker")).c_str(),
                    text(x.if_contains("state")).c_str(), static_cast<long long>(integer(x.if_contains("amount"))),
                    static_cast<long long>(integer(x.if_contains("age_s"))));
    }
    std::printf("  locked coins: %lld, CoinJoins awaiting the chain: %lld, used commitments known: %lld\n",
                static_cast<long long>(integer(s.if_contains("locked_coins"))),
                static_cast<long long>(integer(s.if_contains("pending_coinjoins"))),
                static_cast<long long>(integer(s.if_contains("blacklisted_commitments"))));
    if (auto* e = s.if_contains("earnings"); e && e->is_object()) {
        const auto& earnings = e->as_object();
        std::printf("  earnings: %lld CoinJoin(s), %lld sat\n",
                    static_cast<long long>(integer(earnings.if_contains("coinjoins"))),
                    static_cast<long long>(integer(earnings.if_contains("total_earned"))));
        for (const auto& v : arrayOf(earnings, "list")) {
            if (!v.is_object()) continue;
            const auto& x = v.as_object();
            bool confirmed = x.if_contains("confirmed") && x.at("confirmed").is_bool() && x.at("confirmed").as_bool();
            std::printf("    %s  %s  %lld sat  earned %lld sat  mixdepth %lld -> %lld  %s\n",
                        when(integer(x.if_contains("time"))).c_str(), text(x.if_contains("txid")).c_str(),
                        static_cast<long long>(integer(x.if_contains("cj_amount"))),
                        static_cast<long long>(integer(x.if_contains("fee_earned"))),
                        static_cast<long long>(integer(x.if_contains("mixdepth"))),
                        static_cast<long long>(integer(x.if_contains("cj_mixdepth"))),
                        confirmed ? "confirmed" : "unconfirmed");
        }
    }
}

} // namespace

int makerStatusCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode maker status");
    options.add_options()("config,c", po::value<std::string>()->required(),
                          "the running node's config file")("json", "print the status as JSON");
    int code = 0;
    auto vm = parseOptions(args, "jmnode maker status --config FILE [--json]", options, {}, code);
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
    boost::json::object all;
    int found = 0;
    for (const auto& entry : config->plugins) {
        if (entry.load != "maker") continue;
        ++found;
        auto instance = entry.instance.value_or(entry.factory.value_or("maker"));
        std::string status_file;
        if (auto* v = entry.config.if_contains("status_file"); v && v->is_string()) status_file = v->as_string();
        if (status_file.empty()) status_file = instance + "-status.json";
        auto path = config->datadir / status_file;
        std::ifstream in(path);
        std::stringstream content;
        content << in.rdbuf();
        boost::system::error_code ec;
        auto value = boost::json::parse(content.str(), ec);
        if (!in || ec || !value.is_object()) {
            std::cerr << instance << ": no readable status at " << path.string()
                      << " (is the node running? the maker writes it when it starts and on every change)\n";
            return EXIT_FAILED;
        }
        if (vm->count("json"))
            all[instance] = value;
        else
            printStatus(instance, value.as_object());
    }
    if (found == 0) {
        std::cerr << "the config runs no maker instance\n";
        return EXIT_FAILED;
    }
    if (vm->count("json")) std::cout << boost::json::serialize(all) << "\n";
    return 0;
}

} // namespace jm::host
