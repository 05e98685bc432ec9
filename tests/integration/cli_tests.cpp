// The jmnode command line, run as a process: subcommands, exit codes and error messages.
#include <cli/commands.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sys/stat.h>

namespace {

std::string jmnode() { return (jm::test::binDir() / "jmnode").string(); }

jm::test::ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), jmnode());
    return jm::test::runProcess(args, std::chrono::seconds(60));
}

std::filesystem::path writeConfig(const jm::test::TempDir& dir, const std::string& plugins_json,
                                  const std::string& extra = "") {
    auto path = dir.path() / "jmnode.json";
    std::ofstream out(path);
    out << "// test config (comments are allowed)\n{\n"
        << "  \"node\": {\"datadir\": \"" << (dir.path() / "data").string() << "\", \"network\": \"regtest\","
        << " \"plugin_dir\": [\"" << JM_TEST_PLUGIN_DIR << "\"]" << extra << "},\n"
        << "  \"log\": {\"level\": \"debug\"},\n"
        << "  \"plugins\": " << plugins_json << ",\n}\n";
    return path;
}

// The child processes inherit the test's umask: a permissive one makes the file-mode tests
// prove that jmnode restricts modes itself.
struct PermissiveUmask {
    mode_t saved = ::umask(022);
    ~PermissiveUmask() { ::umask(saved); }
};

mode_t modeOf(const std::filesystem::path& p) {
    struct stat st {};
    BOOST_REQUIRE_MESSAGE(::stat(p.c_str(), &st) == 0, "stat " << p);
    return st.st_mode & 07777;
}

// Every directory under `root` (and `root`) is 0700 and no file has group or other access.
// Returns how many files were checked.
int checkPrivateTree(const std::filesystem::path& root) {
    BOOST_CHECK_MESSAGE(modeOf(root) == 0700, root << " has mode " << std::oct << modeOf(root));
    int files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
        auto mode = modeOf(e.path());
        if (e.is_directory())
            BOOST_CHECK_MESSAGE(mode == 0700, e.path() << " has mode " << std::oct << mode);
        else {
            ++files;
            BOOST_CHECK_MESSAGE((mode & 077) == 0, e.path() << " has mode " << std::oct << mode);
        }
    }
    return files;
}

std::filesystem::path writeRunConfig(const jm::test::TempDir& dir, const std::filesystem::path& datadir) {
    auto path = dir.path() / "run.json";
    std::ofstream(path) << "{\"node\": {\"datadir\": \"" << datadir.string()
                        << "\", \"network\": \"regtest\", \"plugin_dir\": [\"" << JM_TEST_PLUGIN_DIR << "\"]},\n"
                        << " \"log\": {\"file\": \"jmnode.log\"},\n"
                        << " \"plugins\": [{\"load\": \"asio_smoke\"}]}\n";
    return path;
}

// Runs the node until it has started, then stops it; returns everything it printed.
std::string runNodeOnce(const std::filesystem::path& config) {
    jm::test::ChildProcess node({jmnode(), "run", "--config", config.string()});
    BOOST_REQUIRE_MESSAGE(node.waitForOutput("node started", std::chrono::seconds(30)), node.output());
    node.signal(SIGTERM);
    auto r = node.wait(std::chrono::seconds(30));
    BOOST_CHECK_EQUAL(r.exit_code, 0);
    return r.out + r.err;
}

const std::string EXPOSED = "is accessible by group or others (mode 0755)";

} // namespace

BOOST_AUTO_TEST_SUITE(cli_tests)

BOOST_AUTO_TEST_CASE(command_groups_list_their_subcommands) {
    // Every group in the command table, so groups added later are covered too.
    std::map<std::string, std::vector<const jm::host::Command*>> groups;
    for (const auto& c : jm::host::commands())
        if (auto space = c.name.find(' '); space != std::string::npos) groups[c.name.substr(0, space)].push_back(&c);
    BOOST_REQUIRE(groups.count("wallet") && groups.count("directory") && groups.count("config"));
    for (const auto& [group, members] : groups) {
        BOOST_TEST_CONTEXT("group " << group) {
            auto help = run({group, "--help"});
            BOOST_CHECK_EQUAL(help.exit_code, 0);
            BOOST_CHECK_NE(help.out.find("Usage: jmnode " + group + " <command>"), std::string::npos);
            auto alone = run({group});
            BOOST_CHECK_EQUAL(alone.exit_code, 2);
            BOOST_CHECK_NE(alone.err.find("`jmnode " + group + "` needs a command"), std::string::npos);
            auto via_help = run({"help", group});
            BOOST_CHECK_EQUAL(via_help.exit_code, 0);
            BOOST_CHECK_EQUAL(via_help.out, help.out);
            for (const auto* c : members) {
                // "  create    create a wallet: ..." — the subcommand word, then its summary on that line.
                auto word = c->name.substr(group.size() + 1);
                for (const auto* text : {&help.out, &alone.err}) {
                    auto at = text->find("\n  " + word + " ");
                    BOOST_CHECK_MESSAGE(at != std::string::npos, word << " missing:\n" << *text);
                    if (at == std::string::npos) continue;
                    auto line = text->substr(at + 1, text->find('\n', at + 1) - at - 1);
                    BOOST_CHECK_MESSAGE(line.find(c->summary) != std::string::npos, line);
                }
            }
            BOOST_CHECK_EQUAL(help.out.find("unknown command"), std::string::npos);
        }
    }
    // Each command's own --help still works through the group, also as `jmnode help ...`.
    auto create = run({"help", "wallet", "create"});
    BOOST_CHECK_EQUAL(create.exit_code, 0);
    BOOST_CHECK_NE(create.out.find("Usage: jmnode wallet create"), std::string::npos);
    auto typo = run({"wallet", "crete"});
    BOOST_CHECK_EQUAL(typo.exit_code, 2);
    BOOST_CHECK_NE(typo.err.find("unknown command 'wallet crete'; did you mean 'wallet create'?"), std::string::npos);
    BOOST_CHECK_NE(typo.err.find("Usage: jmnode wallet <command>"), std::string::npos);
    auto group_typo = run({"walet", "info"});
    BOOST_CHECK_EQUAL(group_typo.exit_code, 2);
    BOOST_CHECK_NE(group_typo.err.find("unknown command 'walet'; did you mean 'wallet'?"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(option_prefixes_are_not_taken_for_other_options) {
    // `--password hunter2` must not become `--password-fd`: refused before anything is made.
    jm::test::TempDir dir;
    auto datadir = dir.path() / "data";
    auto r = run({"wallet", "create", "--password", "hunter2", "--datadir", datadir.string(), "--network", "regtest"});
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    BOOST_CHECK_NE(r.err.find("error: unknown option '--password'"), std::string::npos);
    BOOST_CHECK_EQUAL((r.out + r.err).find("hunter2"), std::string::npos);
    BOOST_CHECK(!std::filesystem::exists(datadir));
    // The same everywhere: a prefix of a flag or a valued option is an unknown option.
    auto json = run({"plugins", "--js"});
    BOOST_CHECK_EQUAL(json.exit_code, 2);
    BOOST_CHECK_NE(json.err.find("unknown option '--js'"), std::string::npos);
    BOOST_CHECK_EQUAL(json.out, "");
    auto conf = run({"run", "--conf", (dir.path() / "x.json").string()});
    BOOST_CHECK_EQUAL(conf.exit_code, 2);
    BOOST_CHECK_NE(conf.err.find("unknown option '--conf'"), std::string::npos);
    BOOST_CHECK(!std::filesystem::exists(datadir));
}

BOOST_AUTO_TEST_CASE(a_secret_given_as_an_option_value_is_never_echoed) {
    // `--password-fd hunter2` (the password where the descriptor belongs) is refused without
    // printing the value: stderr ends up in terminals' scrollback and CI logs.
    jm::test::TempDir dir;
    auto datadir = dir.path() / "data";
    auto config = (dir.path() / "node.json").string();
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"wallet", "create", "--password-fd", "hunter2", "--datadir", datadir.string()},
          std::vector<std::string>{"wallet", "create", "--password-fd=hunter2", "--datadir", datadir.string()},
          std::vector<std::string>{"wallet", "change-password", "--password-fd", "hunter2", "--datadir",
                                   datadir.string()},
          std::vector<std::string>{"wallet", "sync", "--password-fd", "hunter2", "--config", config}}) {
        auto r = run(args);
        BOOST_CHECK_EQUAL(r.exit_code, 2);
        BOOST_CHECK_NE(r.err.find("'--password-fd'"), std::string::npos);
        BOOST_CHECK_EQUAL((r.out + r.err).find("hunter2"), std::string::npos);
    }
    BOOST_CHECK(!std::filesystem::exists(datadir));
}

BOOST_AUTO_TEST_CASE(run_creates_a_private_data_directory) {
    PermissiveUmask umask;
    jm::test::TempDir dir;
    auto datadir = dir.path() / "nested" / "data"; // every component it creates is private
    auto config = writeRunConfig(dir, datadir);
    auto output = runNodeOnce(config);
    BOOST_CHECK_EQUAL(output.find("accessible by group or others"), std::string::npos);
    BOOST_CHECK_EQUAL(modeOf(dir.path() / "nested"), 0700u);
    BOOST_CHECK(std::filesystem::exists(datadir / "jmnode.log"));
    BOOST_CHECK(std::filesystem::exists(datadir / "db" / "CURRENT"));
    BOOST_CHECK_GE(checkPrivateTree(datadir), 5);
    // A second start on the now existing (private) directory says nothing about it.
    BOOST_CHECK_EQUAL(runNodeOnce(config).find("accessible by group or others"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(wallet_creates_a_private_data_directory) {
    PermissiveUmask umask;
    jm::test::TempDir dir;
    auto datadir = dir.path() / "data";
    auto r = jm::test::runProcess({jmnode(), "wallet", "create", "--kdf", "interactive", "--yes", "--datadir",
                                   datadir.string(), "--network", "regtest", "--password-fd", "0"},
                                  std::chrono::seconds(60), {}, std::string("pw\npw\n"));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_EQUAL(r.err.find("warning"), std::string::npos);
    BOOST_CHECK(std::filesystem::exists(datadir / "db" / "CURRENT"));
    BOOST_CHECK_GE(checkPrivateTree(datadir), 4);
}

BOOST_AUTO_TEST_CASE(an_exposed_data_directory_is_warned_about) {
    PermissiveUmask umask;
    jm::test::TempDir dir;
    auto datadir = dir.path() / "data";
    std::filesystem::create_directory(datadir);
    ::chmod(datadir.c_str(), 0755);
    // `run` logs it (and still runs: the user decides).
    auto config = writeRunConfig(dir, datadir);
    auto output = runNodeOnce(config);
    BOOST_CHECK_NE(output.find("data directory " + datadir.string() + " " + EXPOSED), std::string::npos);
    BOOST_CHECK_NE(output.find("chmod 700"), std::string::npos);
    BOOST_CHECK_EQUAL(modeOf(datadir), 0755u); // an existing directory's mode is the user's to change
    // The wallet commands print it on stderr.
    auto r = jm::test::runProcess({jmnode(), "wallet", "create", "--kdf", "interactive", "--yes", "--datadir",
                                   datadir.string(), "--network", "regtest", "--password-fd", "0"},
                                  std::chrono::seconds(60), {}, std::string("pw\npw\n"));
    BOOST_CHECK_EQUAL(r.exit_code, 0);
    BOOST_CHECK_NE(r.err.find("warning: data directory " + datadir.string() + " " + EXPOSED), std::string::npos);
    // So do the ones that run the chain side of a config (this one has no backend: it stops after).
    auto info = jm::test::runProcess({jmnode(), "wallet", "info", "--config", config.string(), "--password-fd", "0"},
                                     std::chrono::seconds(60), {}, std::string("pw\n"));
    BOOST_CHECK_NE(info.err.find("warning: data directory " + datadir.string() + " " + EXPOSED), std::string::npos);
    ::chmod(datadir.c_str(), 0700);
    auto quiet = jm::test::runProcess(
        {jmnode(), "wallet", "xpubs", "--datadir", datadir.string(), "--network", "regtest", "--password-fd", "0"},
        std::chrono::seconds(60), {}, std::string("pw\n"));
    BOOST_CHECK_EQUAL(quiet.exit_code, 0);
    BOOST_CHECK_EQUAL(quiet.err.find("warning"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(version_and_help) {
    auto v = run({"--version"});
    BOOST_CHECK_EQUAL(v.exit_code, 0);
    BOOST_CHECK_NE(v.out.find("jmnode "), std::string::npos);
    BOOST_CHECK_NE(v.out.find("plugin ABI v1"), std::string::npos);
    auto h = run({"--help"});
    BOOST_CHECK_EQUAL(h.exit_code, 0);
    for (auto cmd : {"run", "plugins", "config check", "help-plugin"})
        BOOST_CHECK_NE(h.out.find(cmd), std::string::npos);
    for (auto cmd : std::vector<std::vector<std::string>>{
             {"run", "--help"}, {"plugins", "--help"}, {"config", "check", "--help"}, {"help-plugin", "--help"}}) {
        auto r = run(cmd);
        BOOST_CHECK_EQUAL(r.exit_code, 0);
        BOOST_CHECK_NE(r.out.find("Usage: jmnode"), std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(bad_command_line_is_a_clear_usage_error) {
    auto r = run({"plugin"});
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    BOOST_CHECK_NE(r.err.find("unknown command 'plugin'; did you mean 'plugins'?"), std::string::npos);
    auto missing = run({"run"});
    BOOST_CHECK_EQUAL(missing.exit_code, 2);
    BOOST_CHECK_NE(missing.err.find("config"), std::string::npos);
    auto unknown_opt = run({"plugins", "--jsn"});
    BOOST_CHECK_EQUAL(unknown_opt.exit_code, 2);
    auto none = run({});
    BOOST_CHECK_EQUAL(none.exit_code, 2);
}

BOOST_AUTO_TEST_CASE(plugins_json_lists_loaded_and_refused) {
    auto r = run({"plugins", "--json", "--plugin-dir", JM_TEST_PLUGIN_DIR});
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    auto doc = boost::json::parse(r.out).as_object();
    std::map<std::string, boost::json::object> by_file;
    for (const auto& p : doc.at("plugins").as_array()) {
        auto o = p.as_object();
        by_file[std::filesystem::path(std::string(o.at("file").as_string())).stem().string()] = o;
    }
    BOOST_REQUIRE(by_file.count("asio_smoke"));
    BOOST_CHECK_EQUAL(by_file["asio_smoke"].at("status").as_string(), "loaded");
    BOOST_CHECK_EQUAL(by_file["asio_smoke"].at("version").as_string(), "0.0.1");
    BOOST_CHECK_EQUAL(by_file["asio_smoke"].at("factories").as_array().at(0).at("kind").as_string(), "test");
    BOOST_REQUIRE(by_file.count("bad_abi_hash"));
    BOOST_CHECK_EQUAL(by_file["bad_abi_hash"].at("status").as_string(), "refused");
    BOOST_CHECK_NE(std::string(by_file["bad_abi_hash"].at("reason").as_string()).find("different SDK headers"),
                   std::string::npos);
    BOOST_CHECK_EQUAL(by_file["missing_entry"].at("status").as_string(), "refused");

    auto text = run({"plugins", "--plugin-dir", JM_TEST_PLUGIN_DIR});
    BOOST_CHECK_EQUAL(text.exit_code, 0);
    BOOST_CHECK_NE(text.out.find("[refused]"), std::string::npos);
    BOOST_CHECK_NE(text.out.find("test/rtti_smoke"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_check_reports_each_problem_with_its_path) {
    jm::test::TempDir dir;
    auto bad = writeConfig(dir, R"([
        {"load": "rtti_smoke", "config": {"thrw": true}},
        {"load": "rtti_smoke", "instance": "two", "config": {"throw": "yes"}},
        {"load": "asio_smok"},
        {"load": "rtti_smoke", "instance": "three", "factory": "rtti_smok"},
        {"lod": "x"}
    ])",
                           ", \"io_thread\": 3, \"network\": \"mainnet\", \"stop_timeout\": true");
    auto r = run({"config", "check", bad.string()});
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    // Node section problems come first and stop the plugin checks.
    BOOST_CHECK_NE(r.err.find("$.node.io_thread: unknown key 'io_thread'; did you mean 'io_threads'?"),
                   std::string::npos);
    BOOST_CHECK_NE(r.err.find("$.node.stop_timeout"), std::string::npos);
    BOOST_CHECK_NE(r.err.find("$.plugins[4].lod: unknown key 'lod'; did you mean 'load'?"), std::string::npos);
    BOOST_CHECK_NE(r.err.find("$.plugins[4].load: missing required key"), std::string::npos);

    jm::test::TempDir dir2;
    auto bad2 = writeConfig(dir2, R"([
        {"load": "rtti_smoke", "config": {"thrw": true}},
        {"load": "rtti_smoke", "instance": "two", "config": {"throw": "yes"}},
        {"load": "asio_smok"},
        {"load": "rtti_smoke", "instance": "three", "factory": "rtti_smok"},
        {"load": "bad_abi_hash", "instance": "four"}
    ])");
    auto r2 = run({"config", "check", bad2.string()});
    BOOST_CHECK_EQUAL(r2.exit_code, 2);
    for (auto expected :
         {"$.plugins[0].config.thrw: unknown key 'thrw'; did you mean 'throw'?",
          "$.plugins[1].config.throw: expected true or false, got a string",
          "$.plugins[2].load: unknown plugin 'asio_smok'; did you mean 'asio_smoke'?",
          "$.plugins[3].factory: plugin 'rtti_smoke' has no factory 'rtti_smok'; did you mean 'rtti_smoke'?",
          "$.plugins[4].load: plugin 'bad_abi_hash' was refused: built against different SDK headers"})
        BOOST_CHECK_MESSAGE(r2.err.find(expected) != std::string::npos, "missing: " << expected << "\n" << r2.err);

    auto syntax = dir2.path() / "syntax.json";
    std::ofstream(syntax) << "{\n  \"node\": {\n    \"datadir\": \"x\"\n  ,, }\n}";
    auto r3 = run({"config", "check", syntax.string()});
    BOOST_CHECK_EQUAL(r3.exit_code, 2);
    BOOST_CHECK_NE(r3.err.find("invalid JSON at line 4"), std::string::npos);
    auto r4 = run({"config", "check", (dir2.path() / "absent.json").string()});
    BOOST_CHECK_EQUAL(r4.exit_code, 2);
    BOOST_CHECK_NE(r4.err.find("cannot read config file"), std::string::npos);

    auto good = writeConfig(dir2, R"([{"load": "rtti_smoke", "instance": "probe"}])");
    auto ok = run({"config", "check", good.string()});
    BOOST_CHECK_EQUAL(ok.exit_code, 0);
    BOOST_CHECK_NE(ok.out.find("ok (1 plugin instance"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_check_runs_the_light_clients_own_checks) {
    // backend-neutrino's checkConfig hook: each P2P mistake on its own line with its path, found
    // without connecting or resolving anything.
    jm::test::TempDir dir;
    auto bad = writeConfig(dir, R"([
        {"load": "backend-neutrino", "factory": "neutrino", "instance": "light",
         "config": {"peers": ["nonsense", "127.0.0.1:8333", "[::1]:18444"], "max_peers": 2,
                    "dns_seed_hosts": ["bad host"]}},
        {"load": "backend-neutrino", "factory": "neutrino", "instance": "seeds",
         "config": {"dns_seeds": true}},
        {"load": "backend-neutrino", "factory": "neutrino", "instance": "nothing"}
    ])");
    auto r = run({"config", "check", bad.string()});
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    for (auto expected :
         {"$.plugins[0].config.peers[0]: 'nonsense' is not host:port (expected \"host:port\")",
          "$.plugins[0].config.peers[1]: '127.0.0.1:8333': port 8333 is mainnet's, but node.network is regtest (its "
          "port is 18444)",
          "$.plugins[0].config.peers: 3 peers listed but max_peers is 2",
          "$.plugins[0].config.dns_seed_hosts[0]: 'bad host' has a bad host name",
          "$.plugins[0].config.dns_seed_hosts: set but dns_seeds is false",
          "$.plugins[1].config.dns_seeds: regtest has no DNS seeds",
          "$.plugins[2].config.peers: name at least one \"host:port\""})
        BOOST_CHECK_MESSAGE(r.err.find(expected) != std::string::npos, "missing: " << expected << "\n" << r.err);
    BOOST_CHECK_NE(r.err.find("7 problems"), std::string::npos);

    // Seeds given by name (localhost here) and no listed peer: a valid config.
    jm::test::TempDir dir2;
    auto good = writeConfig(dir2, R"([
        {"load": "backend-neutrino", "factory": "neutrino", "instance": "light",
         "config": {"dns_seeds": true, "dns_seed_hosts": ["localhost:18444", "seed.example"],
                    "connect_learned": true, "max_peers": 8}}
    ])");
    auto ok = run({"config", "check", good.string()});
    BOOST_CHECK_MESSAGE(ok.exit_code == 0, ok.err);
    BOOST_CHECK_NE(ok.out.find("light: backend-neutrino/neutrino (backend)"), std::string::npos);

    auto help = run({"help-plugin", "backend-neutrino/neutrino"});
    BOOST_CHECK_EQUAL(help.exit_code, 0);
    for (auto key : {"dns_seeds (bool, default false", "dns_seed_hosts (list", "connect_learned (bool, default false",
                     "max_peers (int, default 4", "a restart keeps the ban"})
        BOOST_CHECK_MESSAGE(help.out.find(key) != std::string::npos, "missing " << key << " in\n" << help.out);
}

BOOST_AUTO_TEST_CASE(shipped_configs_are_valid) {
    for (auto name : {"jmnode.json", "jmnode.example.json"}) {
        auto r = run({"config", "check", std::string(JM_SOURCE_DIR) + "/etc/" + name});
        BOOST_CHECK_MESSAGE(r.exit_code == 0, name << ":\n" << r.err);
        BOOST_CHECK_NE(r.out.find("events: notify/log (notifier)"), std::string::npos);
    }
    // The tumbler's: every instance `jmnode tumble` needs, each config checked by its schema.
    auto tumbler = run({"config", "check", std::string(JM_SOURCE_DIR) + "/etc/tumbler.json"});
    BOOST_CHECK_MESSAGE(tumbler.exit_code == 0, "tumbler.json:\n" << tumbler.err);
    for (auto line : {"ok (6 plugin instances", "core: backend-core/", "fee: fee/backend", "chooser: chooser/",
                      "taker: taker/", "tumbler: tumbler/tumbler (role)", "events: notify/log (notifier)"})
        BOOST_CHECK_MESSAGE(tumbler.out.find(line) != std::string::npos, "missing " << line << " in\n" << tumbler.out);
    // Every file shipped in etc/ is one `jmnode config check` accepts: none is left unchecked.
    for (const auto& entry : std::filesystem::directory_iterator(std::string(JM_SOURCE_DIR) + "/etc")) {
        if (entry.path().extension() != ".json") continue;
        auto r = run({"config", "check", entry.path().string()});
        BOOST_CHECK_MESSAGE(r.exit_code == 0 && r.out.find(": ok (") != std::string::npos, entry.path().filename()
                                                                                               << ":\n"
                                                                                               << r.out << r.err);
    }
}

BOOST_AUTO_TEST_CASE(help_plugin_prints_the_schema) {
    auto r = run({"help-plugin", "throws_on_start", "--plugin-dir", JM_TEST_PLUGIN_DIR});
    BOOST_CHECK_EQUAL(r.exit_code, 0);
    BOOST_CHECK_NE(r.out.find("mode (string, default \"throw\")"), std::string::npos);
    BOOST_CHECK_NE(r.out.find("one of: throw error"), std::string::npos);
    auto node = run({"help-plugin", "node"});
    BOOST_CHECK_EQUAL(node.exit_code, 0);
    BOOST_CHECK_NE(node.out.find("io_threads (int, default 2"), std::string::npos);
    auto unknown = run({"help-plugin", "throws_on_stat", "--plugin-dir", JM_TEST_PLUGIN_DIR});
    BOOST_CHECK_EQUAL(unknown.exit_code, 2);
    BOOST_CHECK_NE(unknown.err.find("did you mean 'throws_on_start'"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(run_stops_cleanly_on_sigterm_and_sigint) {
    for (int signo : {SIGTERM, SIGINT}) {
        jm::test::TempDir dir;
        auto cfg = writeConfig(dir, R"([{"load": "asio_smoke"}, {"load": "log_smoke", "instance": "logger"}])");
        jm::test::ChildProcess node({jmnode(), "run", "--config", cfg.string()});
        BOOST_REQUIRE_MESSAGE(node.waitForOutput("node started", std::chrono::seconds(30)), node.output());
        BOOST_CHECK_NE(node.output().find("[logger] log_smoke record from the plugin"), std::string::npos);
        node.signal(signo);
        auto r = node.wait(std::chrono::seconds(30));
        BOOST_CHECK(!r.timed_out);
        BOOST_CHECK_EQUAL(r.exit_code, 0);
        // Stopped in reverse order of start.
        auto logger_stop = r.err.find("stopped instance 'logger'");
        auto asio_stop = r.err.find("stopped instance 'asio_smoke'");
        BOOST_CHECK(logger_stop != std::string::npos && asio_stop != std::string::npos && logger_stop < asio_stop);
    }
}

BOOST_AUTO_TEST_CASE(run_fails_when_a_plugin_throws_on_start) {
    jm::test::TempDir dir;
    auto cfg = writeConfig(dir, R"([{"load": "asio_smoke"}, {"load": "throws_on_start"}])");
    auto r = run({"run", "--config", cfg.string()});
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK_NE(
        r.err.find("instance 'throws_on_start' failed to start: start() of instance 'throws_on_start' threw: boom"),
        std::string::npos);
    BOOST_CHECK_NE(r.err.find("stopped instance 'asio_smoke'"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(second_node_on_the_same_datadir_is_refused) {
    jm::test::TempDir dir;
    auto cfg = writeConfig(dir, R"([{"load": "asio_smoke"}])");
    jm::test::ChildProcess first({jmnode(), "run", "--config", cfg.string()});
    BOOST_REQUIRE_MESSAGE(first.waitForOutput("node started", std::chrono::seconds(30)), first.output());
    auto second = run({"run", "--config", cfg.string()});
    BOOST_CHECK_EQUAL(second.exit_code, 1);
    BOOST_CHECK_NE(second.err.find("in use by another jmnode"), std::string::npos);
    first.signal(SIGTERM);
    BOOST_CHECK_EQUAL(first.wait(std::chrono::seconds(30)).exit_code, 0);
}

BOOST_AUTO_TEST_SUITE_END()
