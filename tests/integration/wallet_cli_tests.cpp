// `jmnode wallet ...` as a user runs it, secrets on stdin (--password-fd 0), never in argv; or on
// a pseudo-terminal where the echo matters. The chain commands (info, utxos, send) run against
// the test_chain backend plugin (the SDK's TestChain, described by a state file).
#include <storage/rocksdb_database.hpp>
#include <util/process.hpp>
#include <util/setup.hpp>
#include <util/vectors.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/timenumber.hpp>
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <iterator>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <thread>
#include <unistd.h>

namespace {

namespace json = boost::json;
using jm::wallet::Wallet;

// Somebody else's address (BIP173's example key on regtest).
constexpr const char* ELSEWHERE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

//! A wallet (known words) in a node whose config runs the test_chain backend.
struct ChainWallet {
    ChainWallet() {
        config = dir.path() / "node.json";
        state = dir.path() / "chain.json";
        std::ofstream(config) << "{\"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                              << "\", \"network\": \"regtest\", \"plugin_dir\": [\"" << JM_TEST_PLUGIN_DIR
                              << "\"]},\n \"plugins\": [{\"load\": \"test_chain\", \"instance\": \"chain\", "
                                 "\"config\": {\"state\": \""
                              << state.string() << "\"}}]}\n";
        fund({}, 1);
        jm::bitcoin::Bytes entropy(16, 0x42);
        auto words = jm::bitcoin::entropyToMnemonic(entropy).value();
        auto r = run({"recover", "--kdf", "interactive"}, words + "\npw\npw\n");
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        mirror.emplace(Wallet::create(mirror_store,
                                      {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                      entropy, "", "pw")
                           .value());
    }
    //! Rewrites the chain: these coins, then `blocks` blocks (no broadcasts yet).
    void fund(const std::vector<std::pair<std::string, std::int64_t>>& coins, int blocks) {
        json::array list;
        for (const auto& [address, value] : coins)
            list.push_back(json::object{{"address", address}, {"value", value}});
        std::ofstream(state) << json::serialize(json::object{{"coins", list}, {"blocks", blocks}}) << "\n";
    }
    jm::test::ProcessResult run(std::vector<std::string> args, const std::string& input) {
        args.insert(args.begin(), {(jm::test::binDir() / "jmnode").string(), "wallet"});
        for (auto extra : {"--config", "CONFIG", "--password-fd", "0"})
            args.push_back(std::string(extra) == "CONFIG" ? config.string() : extra);
        return jm::test::runProcess(args, std::chrono::seconds(60), {}, input);
    }
    json::object runJson(std::vector<std::string> args, const std::string& input = "pw\n") {
        args.push_back("--json");
        auto r = run(args, input);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        boost::system::error_code ec;
        auto v = json::parse(r.out, ec);
        BOOST_REQUIRE_MESSAGE(!ec && v.is_object(), "not a JSON object: " + r.out);
        return v.as_object();
    }
    //! Transactions the node broadcast, in order.
    std::vector<jm::bitcoin::Transaction> broadcast() {
        std::ifstream in(state);
        auto doc = json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
        std::vector<jm::bitcoin::Transaction> out;
        if (auto* list = doc.if_contains("broadcast"))
            for (const auto& hex : list->as_array())
                out.push_back(jm::bitcoin::parseTransaction(jm::bitcoin::fromHex(hex.as_string()).value()).value());
        return out;
    }
    std::string address(int m, std::uint32_t b, std::uint32_t i) { return mirror->addressAt(m, b, i).value().address; }

    jm::test::TempDir dir;
    std::filesystem::path config, state;
    jm::sdk::testing::MemoryKvStore mirror_store;
    std::optional<Wallet> mirror; //!< the same seed in memory, to know the addresses
};

std::int64_t field(const json::object& info, int mixdepth, const char* name) {
    return info.at("mixdepths").as_array().at(static_cast<std::size_t>(mixdepth)).at(name).to_number<std::int64_t>();
}

//! A command on a new pseudo-terminal (its controlling terminal, so /dev/tty is the pty): what
//! a user sees on screen, with input typed only once the program has turned echo off.
class PtyProcess {
public:
    explicit PtyProcess(const std::vector<std::string>& argv) {
        m_pid = ::forkpty(&m_master, nullptr, nullptr, nullptr);
        if (m_pid == 0) {
            std::vector<char*> args;
            for (const auto& a : argv)
                args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }
    ~PtyProcess() {
        if (m_pid > 0 && !m_reaped) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_master >= 0) ::close(m_master);
    }
    bool started() const { return m_pid > 0; }
    //! Reads the screen until `text` appears past what earlier waits consumed.
    bool waitFor(const std::string& text, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto at = m_screen.find(text, m_cursor); at != std::string::npos) {
                m_cursor = at + text.size();
                return true;
            }
            if (!pump(50)) break;
        }
        auto at = m_screen.find(text, m_cursor);
        if (at != std::string::npos) m_cursor = at + text.size();
        return at != std::string::npos;
    }
    //! Whether the terminal's echo went off within `timeout` (the master reports the pty's modes).
    bool waitEchoOff(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        do {
            termios t{};
            if (::tcgetattr(m_master, &t) == 0 && !(t.c_lflag & ECHO)) return true;
            pump(10);
        } while (std::chrono::steady_clock::now() < deadline);
        return false;
    }
    void type(const std::string& text) { (void)!::write(m_master, text.data(), text.size()); }
    //! Reads the rest of the screen and the exit code.
    int finish(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline && pump(50)) {
        }
        int status = 0;
        if (::waitpid(m_pid, &status, 0) == m_pid) m_reaped = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    const std::string& screen() const { return m_screen; }

private:
    // False once the terminal is closed (the program exited).
    bool pump(int timeout_ms) {
        pollfd p{m_master, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return true;
        char buf[4096];
        auto n = ::read(m_master, buf, sizeof buf);
        if (n <= 0) return false; // EIO: the slave side is closed
        m_screen.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    pid_t m_pid = -1;
    int m_master = -1;
    bool m_reaped = false;
    std::string m_screen;
    std::size_t m_cursor = 0;
};

//! Whether any file under `dir` contains `needle`.
bool filesContain(const std::filesystem::path& dir, const std::string& needle) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (bytes.find(needle) != std::string::npos) return true;
    }
    return false;
}

struct WalletCli {
    jm::test::TempDir dir;
    jm::test::ProcessResult run(std::vector<std::string> args, const std::string& input) {
        args.insert(args.begin(), {(jm::test::binDir() / "jmnode").string(), "wallet"});
        for (auto extra : {"--datadir", "DIR", "--network", "regtest", "--password-fd", "0"})
            args.push_back(std::string(extra) == "DIR" ? (dir.path() / "data").string() : extra);
        return jm::test::runProcess(args, std::chrono::seconds(60), {}, input);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(wallet_cli_tests)

BOOST_AUTO_TEST_CASE(recover_shows_the_vector_addresses_and_hands_out_new_ones) {
    auto v = jm::test::loadVectors("jm_wallet.json");
    std::string mnemonic(v.at("mnemonic").as_string());
    WalletCli cli;
    auto r = cli.run({"recover", "--kdf", "interactive"}, mnemonic + "\npw\npw\n");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    BOOST_CHECK_EQUAL(r.out.find(mnemonic), std::string::npos); // recover never echoes the words

    auto xpubs = cli.run({"xpubs", "--json"}, "pw\n");
    BOOST_REQUIRE_EQUAL(xpubs.exit_code, 0);
    auto list = boost::json::parse(xpubs.out).as_array();
    BOOST_REQUIRE_EQUAL(list.size(), 5u);
    BOOST_CHECK_EQUAL(list[0].at("xpub").as_string(),
                      v.at("mixdepth_accounts").as_array()[0].at("regtest_tpub").as_string());

    auto first = cli.run({"addresses", "--json", "--mixdepth", "0"}, "pw\n");
    BOOST_REQUIRE_EQUAL(first.exit_code, 0);
    auto a = boost::json::parse(first.out).as_array();
    BOOST_CHECK_EQUAL(a[0].at("address").as_string(),
                      v.at("addresses").as_array()[0].at("regtest").at("address").as_string());
    auto second = cli.run({"addresses", "--json", "--mixdepth", "0"}, "pw\n");
    auto b = boost::json::parse(second.out).as_array();
    BOOST_CHECK_EQUAL(b[0].at("index").as_int64(), 1); // the first one is never handed out again
    BOOST_CHECK_EQUAL(b[0].at("address").as_string(),
                      v.at("addresses").as_array()[1].at("regtest").at("address").as_string());

    auto bond = cli.run({"bond-address", "--locktime", "2020-01", "--json"}, "pw\n");
    BOOST_REQUIRE_EQUAL(bond.exit_code, 0);
    auto bonds = jm::test::loadVectors("jm_fidelity_bond_addresses.json");
    BOOST_CHECK_EQUAL(boost::json::parse(bond.out).at("address").as_string(),
                      bonds.at("bonds").as_array()[0].at("address").as_string());
}

BOOST_AUTO_TEST_CASE(create_needs_confirmation_and_matching_passwords) {
    WalletCli cli;
    auto unconfirmed = cli.run({"create", "--kdf", "interactive"}, "no\n");
    BOOST_CHECK_EQUAL(unconfirmed.exit_code, 1);
    BOOST_CHECK_NE(unconfirmed.err.find("no wallet was created"), std::string::npos);
    auto mismatch = cli.run({"create", "--kdf", "interactive"}, "yes\npw\npx\n");
    BOOST_CHECK_NE(mismatch.exit_code, 0);
    BOOST_CHECK_NE(mismatch.err.find("differ"), std::string::npos);
    auto created = cli.run({"create", "--kdf", "interactive", "--words", "24", "--json"}, "yes\npw\npw\n");
    BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    auto words =
        std::string(boost::json::parse(created.out.substr(0, created.out.find('\n'))).at("mnemonic").as_string());
    BOOST_CHECK_EQUAL(std::count(words.begin(), words.end(), ' '), 23);
    auto again = cli.run({"create", "--kdf", "interactive"}, "yes\npw\npw\n");
    BOOST_CHECK_EQUAL(again.exit_code, 1);
    BOOST_CHECK_NE(again.err.find("already exists"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_create_options_are_refused_before_any_words_are_shown) {
    // A typo in --kdf must not silently pick a KDF, and a bad --mixdepths must not be found out
    // after the user wrote down words of a wallet that is then never created.
    WalletCli cli;
    for (const std::vector<std::string>& args : {std::vector<std::string>{"create", "--kdf", "interactiv"},
                                                 std::vector<std::string>{"create", "--mixdepths", "0"},
                                                 std::vector<std::string>{"create", "--mixdepths", "33"},
                                                 std::vector<std::string>{"recover", "--kdf", "hunter2"},
                                                 std::vector<std::string>{"recover", "--mixdepths", "100000"}}) {
        auto r = cli.run(args, "yes\npw\npw\n");
        BOOST_CHECK_EQUAL(r.exit_code, 2);
        BOOST_CHECK_NE(r.err.find("error: --" + args[1].substr(2)), std::string::npos);
        BOOST_CHECK_EQUAL(r.out, "");                                          // no recovery words
        BOOST_CHECK(!std::filesystem::exists(cli.dir.path() / "data" / "db")); // nothing created
    }
}

// Review of issue 18: a passphrase that is not UTF-8 was refused only after the new words had
// been shown (and written down) for a wallet that was then never created.
BOOST_AUTO_TEST_CASE(a_passphrase_that_is_not_utf8_is_refused_before_the_words_are_shown) {
    WalletCli cli;
    auto r = cli.run({"create", "--kdf", "interactive", "--passphrase", "--json"}, "x\xffy\nx\xffy\nyes\npw\npw\n");
    BOOST_CHECK_EQUAL(r.exit_code, 2);
    BOOST_CHECK_NE(r.err.find("passphrase is not valid UTF-8"), std::string::npos);
    BOOST_CHECK_EQUAL(r.out.find("mnemonic"), std::string::npos);
    auto words = jm::bitcoin::entropyToMnemonic(jm::bitcoin::Bytes(16, 0x42)).value();
    auto recovered = cli.run({"recover", "--kdf", "interactive", "--passphrase"}, words + "\nx\xffy\n");
    BOOST_CHECK_EQUAL(recovered.exit_code, 2); // before any password is asked for
    BOOST_CHECK_NE(recovered.err.find("passphrase is not valid UTF-8"), std::string::npos);
    BOOST_CHECK_EQUAL(cli.run({"xpubs"}, "pw\n").exit_code, 1); // no wallet
    auto fine =
        cli.run({"create", "--kdf", "interactive", "--passphrase", "--yes"}, "caf\xc3\xa9\ncaf\xc3\xa9\npw\npw\n");
    BOOST_CHECK_MESSAGE(fine.exit_code == 0, fine.err);
}

BOOST_AUTO_TEST_CASE(wrong_password_change_password_and_errors) {
    WalletCli cli;
    BOOST_REQUIRE_EQUAL(cli.run({"create", "--kdf", "interactive", "--yes"}, "old\nold\n").exit_code, 0);
    auto wrong = cli.run({"xpubs"}, "nope\n");
    BOOST_CHECK_EQUAL(wrong.exit_code, 1);
    BOOST_CHECK_NE(wrong.err.find("wrong wallet password"), std::string::npos);
    BOOST_CHECK_EQUAL(cli.run({"change-password"}, "old\nnew\nnew\n").exit_code, 0);
    BOOST_CHECK_EQUAL(cli.run({"xpubs"}, "old\n").exit_code, 1);
    BOOST_CHECK_EQUAL(cli.run({"xpubs"}, "new\n").exit_code, 0);
    auto bad_month = cli.run({"bond-address", "--locktime", "2019-05"}, "new\n");
    BOOST_CHECK_EQUAL(bad_month.exit_code, 2);
    BOOST_CHECK_NE(bad_month.err.find("2020-01 to 2099-12"), std::string::npos);
    auto bad_words = cli.run({"recover"}, "abandon abandon about\n");
    BOOST_CHECK_EQUAL(bad_words.exit_code, 2);
    BOOST_CHECK_NE(bad_words.err.find("12, 15, 18, 21 or 24 words"), std::string::npos);
    auto no_input = cli.run({"xpubs"}, "");
    BOOST_CHECK_NE(no_input.exit_code, 0);
}

// Review of issue 18: a --password-fd that is not open said "no more input", as if the file
// were empty.
BOOST_AUTO_TEST_CASE(a_password_fd_that_is_not_open_is_named) {
    WalletCli cli;
    BOOST_REQUIRE_EQUAL(cli.run({"create", "--kdf", "interactive", "--yes"}, "pw\npw\n").exit_code, 0);
    auto r = jm::test::runProcess({(jm::test::binDir() / "jmnode").string(), "wallet", "xpubs", "--datadir",
                                   (cli.dir.path() / "data").string(), "--network", "regtest", "--password-fd", "97"});
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK_NE(r.err.find("cannot read from file descriptor 97"), std::string::npos);
    BOOST_CHECK_EQUAL(r.err.find("no more input"), std::string::npos);
    BOOST_CHECK_NE(cli.run({"xpubs"}, "").err.find("no more input"), std::string::npos); // open but empty
}

BOOST_AUTO_TEST_CASE(refuses_while_a_node_uses_the_data_directory) {
    WalletCli cli;
    // Hold the lock with a helper that keeps running: a wallet command started meanwhile.
    auto helper = (jm::test::binDir() / "jm_wallet_reveal").string();
    std::filesystem::create_directories(cli.dir.path() / "data");
    jm::test::ChildProcess holder({helper, (cli.dir.path() / "data").string()});
    BOOST_REQUIRE(holder.waitForOutput("revealed", std::chrono::seconds(60)));
    auto r = cli.run({"xpubs"}, "pw\n");
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK_NE(r.err.find("in use by another jmnode"), std::string::npos);
}

// Review of issue 18: the chain commands refused a locked data directory only after a 5 s wait
// and an "I/O still pending" warning (the node's event loop had never run).
BOOST_AUTO_TEST_CASE(chain_commands_refuse_a_locked_data_directory_at_once) {
    ChainWallet w;
    auto helper = (jm::test::binDir() / "jm_wallet_reveal").string();
    jm::test::ChildProcess holder({helper, (w.dir.path() / "data").string()});
    BOOST_REQUIRE(holder.waitForOutput("revealed", std::chrono::seconds(60)));
    auto started = std::chrono::steady_clock::now();
    auto r = w.run({"info"}, "pw\n");
    auto took = std::chrono::steady_clock::now() - started;
    BOOST_CHECK_EQUAL(r.exit_code, 1);
    BOOST_CHECK_NE(r.err.find("in use by another jmnode"), std::string::npos);
    BOOST_CHECK_EQUAL(r.err.find("still pending"), std::string::npos);
    BOOST_CHECK_LT(std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), 4000);
}

// Issue 18: a 2 BTC bond beside 0.93 + 0.5 BTC in mixdepth 0.
BOOST_AUTO_TEST_CASE(bonds_are_shown_apart_and_payments_leave_them_alone) {
    ChainWallet w;
    auto bond = w.mirror->bondAddress(jm::wallet::TIMENUMBER_COUNT - 1).value(); // until 2099-12
    w.fund({{bond.info.address, 200'000'000}, {w.address(0, 0, 0), 93'000'000}, {w.address(0, 0, 1), 50'000'000}}, 3);
    auto info = w.runJson({"info"});
    BOOST_CHECK_EQUAL(field(info, 0, "confirmed"), 143'000'000);
    BOOST_CHECK_EQUAL(field(info, 0, "bonds"), 200'000'000);
    BOOST_CHECK_EQUAL(field(info, 0, "frozen"), 0);
    BOOST_CHECK_EQUAL(field(info, 0, "total"), 343'000'000);
    auto text = w.run({"info"}, "pw\n");
    BOOST_REQUIRE_EQUAL(text.exit_code, 0);
    BOOST_CHECK_NE(text.out.find("mixdepth 0: 1.43000000 BTC confirmed, 0.00000000 unconfirmed, 2.00000000 in "
                                 "fidelity bonds"),
                   std::string::npos);
    auto listed = w.runJson({"utxos"});
    int bonds = 0;
    for (const auto& u : listed.at("utxos").as_array())
        if (u.at("bond").as_bool()) {
            ++bonds;
            BOOST_CHECK_EQUAL(u.at("locktime").to_number<std::int64_t>(), bond.locktime);
        }
    BOOST_CHECK_EQUAL(bonds, 1);

    auto paid = w.runJson({"send", "--mixdepth", "0", "--amount", "120000000", "--address", ELSEWHERE, "--yes"});
    BOOST_CHECK_EQUAL(paid.at("amount").to_number<std::int64_t>(), 120'000'000);
    auto fee = paid.at("fee").to_number<std::int64_t>();
    auto after = w.runJson({"info"});
    BOOST_CHECK_EQUAL(field(after, 0, "bonds"), 200'000'000); // the bond was not spent
    BOOST_CHECK_EQUAL(field(after, 0, "confirmed"), 143'000'000 - 120'000'000 - fee);
}

BOOST_AUTO_TEST_CASE(payments_use_the_tip_height_as_locktime) {
    ChainWallet w;
    w.fund({{w.address(1, 0, 0), 10'000'000}}, 12);
    auto paid = w.runJson({"send", "--mixdepth", "1", "--amount", "1000000", "--address", ELSEWHERE, "--yes"});
    BOOST_CHECK_EQUAL(paid.at("height").to_number<std::int64_t>(), 12);
    BOOST_CHECK_EQUAL(paid.at("locktime").to_number<std::int64_t>(), 12);
    auto sent = w.broadcast();
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    BOOST_CHECK_EQUAL(sent[0].locktime, 12u);
    for (const auto& in : sent[0].inputs)
        BOOST_CHECK_LT(in.sequence, 0xffffffffu); // so the locktime applies
}

BOOST_AUTO_TEST_CASE(change_addresses_are_shown_only_once_saved) {
    ChainWallet w;
    w.fund({{w.address(0, 0, 0), 100'000'000}}, 1);
    auto change0 = w.address(0, 1, 0), change1 = w.address(0, 1, 1);
    // Answered "no": nothing the user saw may stay unsaved, so the change address is not shown.
    auto declined = w.run({"send", "--mixdepth", "0", "--amount", "10000000", "--address", ELSEWHERE}, "pw\nn\n");
    BOOST_CHECK_EQUAL(declined.exit_code, 1);
    BOOST_CHECK_NE(declined.err.find("not sent"), std::string::npos);
    BOOST_CHECK_NE(declined.out.find("change 0.8999"), std::string::npos); // the amount is shown
    BOOST_CHECK_EQUAL(declined.out.find(change0), std::string::npos);
    BOOST_CHECK(w.broadcast().empty());
    // `addresses` hands out receive addresses only, never an unsaved change address.
    auto listed = w.run({"addresses", "--mixdepth", "0", "--json"}, "pw\n");
    BOOST_REQUIRE_EQUAL(listed.exit_code, 0);
    auto handed_out = json::parse(listed.out);
    for (const auto& a : handed_out.as_array()) {
        BOOST_CHECK_EQUAL(a.at("branch").as_int64(), 0);
        BOOST_CHECK(!a.as_object().contains("next_internal"));
    }
    BOOST_CHECK_EQUAL(listed.out.find(change0), std::string::npos);
    auto listed_text = w.run({"addresses"}, "pw\n");
    BOOST_CHECK_EQUAL(listed_text.out.find("internal"), std::string::npos);
    BOOST_CHECK_EQUAL(listed_text.out.find(change0), std::string::npos);
    // Nor does the command list promise one.
    auto help = jm::test::runProcess({(jm::test::binDir() / "jmnode").string(), "wallet", "--help"});
    BOOST_REQUIRE_NE(help.out.find("addresses"), std::string::npos);
    BOOST_CHECK_EQUAL(help.out.find("change address"), std::string::npos);
    // Answered "yes": the address is shown after its index is saved.
    auto sent = w.run({"send", "--mixdepth", "0", "--amount", "10000000", "--address", ELSEWHERE}, "pw\ny\n");
    BOOST_REQUIRE_MESSAGE(sent.exit_code == 0, sent.err);
    BOOST_CHECK_NE(sent.out.find("change address " + change0), std::string::npos);
    BOOST_CHECK_LT(sent.out.find("change address"), sent.out.find("sent: "));
    // The next payment's change is index 1 and is not shown before it is saved either.
    auto again = w.run({"send", "--mixdepth", "0", "--amount", "10000000", "--address", ELSEWHERE}, "pw\nno\n");
    BOOST_CHECK_EQUAL(again.exit_code, 1);
    BOOST_CHECK_EQUAL(again.out.find(change1), std::string::npos);
    BOOST_CHECK_EQUAL(w.broadcast().size(), 1u);
}

BOOST_AUTO_TEST_CASE(dust_is_refused_before_the_wallet_is_opened) {
    ChainWallet w;
    w.fund({{w.address(0, 0, 0), 1'000'000}}, 1);
    // No password on stdin: the refusal comes before it would be asked for.
    auto dust = w.run({"send", "--mixdepth", "0", "--amount", "293", "--address", ELSEWHERE, "--yes"}, "");
    BOOST_CHECK_EQUAL(dust.exit_code, 2);
    BOOST_CHECK_NE(dust.err.find("293 sat is dust"), std::string::npos);
    BOOST_CHECK_NE(dust.err.find("294 sat"), std::string::npos);
    auto huge =
        w.run({"send", "--mixdepth", "0", "--amount", "9223372036854775807", "--address", ELSEWHERE, "--yes"}, "");
    BOOST_CHECK_EQUAL(huge.exit_code, 2);
    BOOST_CHECK_NE(huge.err.find("21 million BTC"), std::string::npos);
    BOOST_CHECK(w.broadcast().empty());
    auto ok = w.runJson({"send", "--mixdepth", "0", "--amount", "294", "--address", ELSEWHERE, "--yes"});
    BOOST_CHECK_EQUAL(ok.at("amount").to_number<std::int64_t>(), 294);
}

BOOST_AUTO_TEST_CASE(gap_limit_is_chosen_at_creation_and_bounds_address_counts) {
    WalletCli cli;
    auto bad = cli.run({"recover", "--kdf", "interactive", "--gap-limit", "0"}, "");
    BOOST_CHECK_EQUAL(bad.exit_code, 2); // refused before the words are asked for
    BOOST_CHECK_NE(bad.err.find("--gap-limit must be 1..10000"), std::string::npos);
    BOOST_CHECK_EQUAL(cli.run({"create", "--kdf", "fast", "--yes"}, "pw\npw\n").exit_code, 2);
    auto v = jm::test::loadVectors("jm_wallet.json");
    auto r = cli.run({"recover", "--kdf", "interactive", "--gap-limit", "10"},
                     std::string(v.at("mnemonic").as_string()) + "\npw\npw\n");
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto too_many = cli.run({"addresses", "--mixdepth", "0", "--count", "11"}, "pw\n");
    BOOST_CHECK_EQUAL(too_many.exit_code, 2);
    BOOST_CHECK_NE(too_many.err.find("--count must be 1..10 (the wallet's gap limit"), std::string::npos);
    auto ten = cli.run({"addresses", "--mixdepth", "0", "--count", "10", "--json"}, "pw\n");
    BOOST_REQUIRE_EQUAL(ten.exit_code, 0); // the saved gap limit, not the default 6
    BOOST_CHECK_EQUAL(json::parse(ten.out).as_array().size(), 10u);

    WalletCli defaults;
    BOOST_REQUIRE_EQUAL(defaults.run({"create", "--kdf", "interactive", "--yes"}, "pw\npw\n").exit_code, 0);
    BOOST_CHECK_EQUAL(defaults.run({"addresses", "--count", "7"}, "pw\n").exit_code, 2);
    BOOST_CHECK_EQUAL(defaults.run({"addresses", "--count", "6"}, "pw\n").exit_code, 0);
}

// Review of issue 18: `--count` was bounded per call only, so seven calls of `addresses` handed
// out index 6 of a fresh wallet; coins paid there were not found by a restore from the words
// (it looks gap-limit addresses past the last one paid). Reproduced against Core v31 too.
BOOST_AUTO_TEST_CASE(addresses_are_never_handed_out_past_the_gap_a_restore_scans) {
    ChainWallet w;
    for (std::uint32_t i = 0; i < 6; ++i) {
        auto one = w.run({"addresses", "--mixdepth", "0", "--json"}, "pw\n");
        BOOST_REQUIRE_MESSAGE(one.exit_code == 0, one.err);
        BOOST_CHECK_EQUAL(json::parse(one.out).as_array()[0].at("index").as_int64(), i);
    }
    auto seventh = w.run({"addresses", "--mixdepth", "0"}, "pw\n");
    BOOST_CHECK_EQUAL(seventh.exit_code, 2);
    BOOST_CHECK_EQUAL(seventh.out.find(w.address(0, 0, 6)), std::string::npos);
    BOOST_CHECK_NE(seventh.err.find("mixdepth 0: the last 6 addresses handed out are not seen paid yet"),
                   std::string::npos);
    BOOST_CHECK_NE(seventh.err.find("--gap-limit"), std::string::npos);
    // Nothing was handed out on any mixdepth when one of them is refused.
    auto all = w.run({"addresses", "--json"}, "pw\n");
    BOOST_CHECK_EQUAL(all.exit_code, 2);
    BOOST_CHECK_EQUAL(all.out.find(w.address(1, 0, 0)), std::string::npos);
    auto other = w.run({"addresses", "--mixdepth", "1", "--count", "6", "--json"}, "pw\n");
    BOOST_REQUIRE_MESSAGE(other.exit_code == 0, other.err);
    BOOST_CHECK_EQUAL(json::parse(other.out).as_array()[0].at("index").as_int64(), 0); // mixdepth 1 untouched

    // Once a sync sees the last one paid, the window moves on.
    w.fund({{w.address(0, 0, 5), 1'000'000}}, 1);
    BOOST_REQUIRE_EQUAL(w.runJson({"sync"}).at("mixdepths").as_array().size(), 5u);
    auto next = w.run({"addresses", "--mixdepth", "0", "--count", "6", "--json"}, "pw\n");
    BOOST_REQUIRE_MESSAGE(next.exit_code == 0, next.err);
    auto handed = json::parse(next.out).as_array();
    BOOST_REQUIRE_EQUAL(handed.size(), 6u);
    BOOST_CHECK_EQUAL(handed[5].at("index").as_int64(), 11);
    BOOST_CHECK_EQUAL(w.run({"addresses", "--mixdepth", "0"}, "pw\n").exit_code, 2);
}

BOOST_AUTO_TEST_CASE(change_password_leaves_no_old_seal_in_the_database_files) {
    WalletCli cli;
    BOOST_REQUIRE_EQUAL(cli.run({"create", "--kdf", "interactive", "--yes"}, "old\nold\n").exit_code, 0);
    auto sealed = [&] {
        auto db = jm::host::RocksDbDatabase::open(cli.dir.path() / "data").value();
        return db->openNamespace("wallet").value()->get("wallet/seed").value().value();
    };
    auto old_seal = sealed();
    BOOST_REQUIRE_GT(old_seal.size(), 60u);
    BOOST_REQUIRE(filesContain(cli.dir.path() / "data" / "db", old_seal)); // the scan sees it
    BOOST_REQUIRE_EQUAL(cli.run({"change-password"}, "old\nnew\nnew\n").exit_code, 0);
    auto new_seal = sealed();
    BOOST_CHECK(new_seal != old_seal);
    BOOST_CHECK(!filesContain(cli.dir.path() / "data" / "db", old_seal));
    // Nor any 32-byte piece of its ciphertext.
    for (std::size_t at = 56; at + 32 <= old_seal.size(); at += 16)
        BOOST_CHECK(!filesContain(cli.dir.path() / "data" / "db", old_seal.substr(at, 32)));
    BOOST_CHECK_EQUAL(cli.run({"xpubs"}, "new\n").exit_code, 0);
}

BOOST_AUTO_TEST_CASE(a_plugin_instance_cannot_take_the_wallet_namespace) {
    jm::test::TempDir dir;
    auto config = dir.path() / "node.json";
    for (auto entry : {R"({"load": "event_source", "instance": "wallet"})",
                       R"({"load": "event_source", "instance": "wallet.maker2"})", R"({"load": "event_source"})"}) {
        std::ofstream(config) << "{\"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                              << "\", \"network\": \"regtest\", \"plugin_dir\": [\"" << JM_TEST_PLUGIN_DIR
                              << "\"]},\n \"plugins\": [" << entry << "]}\n";
        auto r = jm::test::runProcess({(jm::test::binDir() / "jmnode").string(), "config", "check", config.string()});
        if (std::string(entry).find("wallet") != std::string::npos) {
            BOOST_CHECK_EQUAL(r.exit_code, 2);
            BOOST_CHECK_NE(r.err.find("$.plugins[0].instance: instance name 'wallet"), std::string::npos);
            BOOST_CHECK_NE(r.err.find("is reserved"), std::string::npos);
        } else {
            BOOST_CHECK_MESSAGE(r.exit_code == 0, r.err);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_node_keeps_several_named_wallets_apart) {
    jm::test::TempDir dir;
    auto data = (dir.path() / "data").string();
    auto jmnode = (jm::test::binDir() / "jmnode").string();
    auto words = [](std::uint8_t fill) { return jm::bitcoin::entropyToMnemonic(jm::bitcoin::Bytes(16, fill)).value(); };
    auto recover = [&](const std::string& wallet, std::uint8_t fill) {
        return jm::test::runProcess({jmnode, "wallet", "recover", "--kdf", "interactive", "--datadir", data,
                                     "--network", "regtest", "--wallet", wallet, "--password-fd", "0"},
                                    std::chrono::seconds(120), {}, words(fill) + "\npw\npw\n");
    };
    auto xpubs = [&](const std::string& wallet) {
        return jm::test::runProcess({jmnode, "wallet", "xpubs", "--datadir", data, "--network", "regtest", "--wallet",
                                     wallet, "--password-fd", "0"},
                                    std::chrono::seconds(60), {}, "pw\n");
    };
    BOOST_REQUIRE_EQUAL(recover("wallet", 0x11).exit_code, 0);
    BOOST_REQUIRE_EQUAL(recover("maker2", 0x22).exit_code, 0);
    auto first = xpubs("wallet"), second = xpubs("maker2");
    BOOST_REQUIRE_EQUAL(first.exit_code, 0);
    BOOST_REQUIRE_EQUAL(second.exit_code, 0);
    BOOST_CHECK(first.out != second.out); // two seeds, two wallets
    BOOST_CHECK_EQUAL(xpubs("maker2").out, second.out);
    auto missing = xpubs("maker3");
    BOOST_CHECK_NE(missing.exit_code, 0);
    auto bad = xpubs("Bad Name");
    BOOST_CHECK_EQUAL(bad.exit_code, 2);
    BOOST_CHECK_NE(bad.err.find("invalid wallet name"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(recovery_words_are_typed_with_echo_off) {
    jm::test::TempDir dir;
    auto words = jm::bitcoin::entropyToMnemonic(jm::bitcoin::Bytes(16, 0x5a)).value();
    PtyProcess p({(jm::test::binDir() / "jmnode").string(), "wallet", "recover", "--kdf", "interactive", "--datadir",
                  (dir.path() / "data").string(), "--network", "regtest"});
    BOOST_REQUIRE(p.started());
    BOOST_REQUIRE_MESSAGE(p.waitFor("Recovery words", std::chrono::seconds(60)), p.screen());
    BOOST_CHECK_MESSAGE(p.waitEchoOff(std::chrono::seconds(5)), "echo is on while the words are typed");
    p.type(words + "\n");
    for (auto prompt : {"New wallet password: ", "Repeat the wallet password: "}) {
        BOOST_REQUIRE_MESSAGE(p.waitFor(prompt, std::chrono::seconds(60)), p.screen());
        BOOST_REQUIRE(p.waitEchoOff(std::chrono::seconds(5)));
        p.type("pw\n");
    }
    BOOST_CHECK_EQUAL(p.finish(std::chrono::seconds(60)), 0);
    BOOST_CHECK_NE(p.screen().find("Wallet created"), std::string::npos);
    // No word of the mnemonic reached the screen.
    BOOST_CHECK_EQUAL(p.screen().find(words.substr(0, words.find(' '))), std::string::npos);
    BOOST_CHECK_EQUAL(p.screen().find(words), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
