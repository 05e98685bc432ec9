#include "jmnode_taker.hpp"

#include <util/process.hpp>

#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace jm::test::interop {

JmnodeTaker::JmnodeTaker(ReferenceNetwork& network, std::vector<std::string> directories,
                         const std::vector<Funding>& funding, std::string taker_settings) {
    auto data = m_dir.path() / "data";
    std::filesystem::create_directories(data);
    std::string dirs;
    for (const auto& d : directories)
        dirs += (dirs.empty() ? "\"" : ", \"") + d + "\"";
    m_config = m_dir.path() / "taker.json";
    // As the reference bots of the harness: "testnet" in handshakes, a fixed 2 sat/vB (Core has
    // no estimate on regtest), the reference's fee limits and a one-block-old commitment coin.
    std::ofstream(m_config) << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\"},\n"
                            << "  \"log\": {\"level\": \"debug\"},\n"
                            << "  \"plugins\": [\n"
                            << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                            << network.core().rpcPort() << ", \"rpc_cookie\": \"" << network.core().cookie().string()
                            << "\", \"poll_interval\": \"200ms\"}},\n"
                            << "    {\"load\": \"fee\", \"factory\": \"fixed\", \"instance\": \"fee\", \"config\": "
                               "{\"sat_vb\": 2}},\n"
                            << "    {\"load\": \"chooser\", \"factory\": \"fidelity_bond_weighted\", \"instance\": "
                               "\"chooser\", \"config\": {}},\n"
                            << "    {\"load\": \"taker\", \"instance\": \"taker\", \"config\": {\"backend\": \"core\", "
                            << "\"fee\": \"fee\", \"chooser\": \"chooser\", \"directories\": [" << dirs << "], "
                            << "\"directory_network\": \"testnet\", \"password_file\": \"password\", "
                            << "\"taker_utxo_age\": 1, \"max_cj_fee_abs\": 200000, \"max_cj_fee_rel\": \"0.2\", "
                            << "\"minimum_makers\": 1, \"tx_broadcast\": \"self\", \"wait_confirmations\": 0"
                            << (taker_settings.empty() ? "" : ", " + taker_settings) << "}}\n"
                            << "  ] }\n";
    m_wallet = std::make_unique<JmnodeWallet>(network, m_config, data / "password", funding);
}

JmnodeSend JmnodeTaker::send(int mixdepth, std::int64_t amount, const std::string& destination, int makers,
                             std::chrono::seconds timeout) {
    std::vector<std::string> argv{(binDir() / "jmnode").string(),
                                  "coinjoin",
                                  "send",
                                  "--config",
                                  m_config.string(),
                                  "--mixdepth",
                                  std::to_string(mixdepth),
                                  "--to",
                                  destination,
                                  "--makers",
                                  std::to_string(makers),
                                  "--yes",
                                  "--json",
                                  "--verbose"};
    if (amount > 0) {
        argv.push_back("--amount");
        argv.push_back(std::to_string(amount));
    } else {
        argv.push_back("--sweep");
    }
    auto started = std::chrono::steady_clock::now();
    auto r = runProcess(argv, timeout);
    JmnodeSend out;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    out.exit_code = r.exit_code;
    out.output = r.out + r.err;
    // --json prints one object on a line of its own, after the logs.
    std::string last;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line.front() == '{') last = line;
    boost::system::error_code ec;
    auto value = boost::json::parse(last, ec);
    if (!ec && value.is_object()) out.result = value.as_object();
    return out;
}

boost::json::object JmnodeTaker::wallet(std::vector<std::string> args) {
    args.insert(args.begin(), {(binDir() / "jmnode").string(), "wallet"});
    for (const auto& extra : {std::string("--config"), m_config.string(), std::string("--password-fd"),
                              std::string("0"), std::string("--json")})
        args.push_back(extra);
    auto r = runProcess(args, std::chrono::seconds(300), {}, std::string(JMNODE_WALLET_PASSWORD) + "\n");
    boost::system::error_code ec;
    auto value = boost::json::parse(r.out, ec);
    if (r.exit_code != 0 || ec || !value.is_object())
        throw std::runtime_error("jmnode wallet failed: " + r.out + r.err);
    return value.as_object();
}

} // namespace jm::test::interop
