#include "jmnode_maker.hpp"

#include <boost/json/parse.hpp>

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace jm::test::interop {

namespace {

std::string jmnode() { return (binDir() / "jmnode").string(); }

} // namespace

JmnodeMaker::JmnodeMaker(ReferenceNetwork& network, std::vector<std::string> directories,
                         const std::vector<Funding>& funding, JmnodeMakerOptions options) :
    m_network(network),
    m_directories(std::move(directories)) {
    auto data = m_dir.path() / "data";
    std::filesystem::create_directories(data);
    std::string dirs;
    for (const auto& d : m_directories)
        dirs += (dirs.empty() ? "\"" : ", \"") + d + "\"";
    m_config = m_dir.path() / "maker.json";
    // Reference regtest bots call the network "testnet" in their handshakes; the taker's coins
    // are one block old (the harness's reference policy), so the age rule is the reference's 1.
    std::ofstream(m_config) << "{ \"node\": {\"datadir\": \"" << data.string() << "\", \"network\": \"regtest\"},\n"
                            << "  \"log\": {\"level\": \"debug\"},\n"
                            << "  \"plugins\": [\n"
                            << "    {\"load\": \"backend-core\", \"instance\": \"core\", \"config\": {\"rpc_port\": "
                            << network.core().rpcPort() << ", \"rpc_cookie\": \"" << network.core().cookie().string()
                            << "\", \"poll_interval\": \"200ms\"}},\n"
                            << "    {\"load\": \"yieldgen\", \"factory\": \"" << options.yieldgen
                            << "\", \"instance\": \"yg\", \"config\": {" << options.yieldgen_settings << "}},\n"
                            << "    {\"load\": \"maker\", \"instance\": \"maker\", \"config\": {\"backend\": \"core\", "
                            << "\"yieldgen\": \"yg\", \"directories\": [" << dirs << "], "
                            << "\"directory_network\": \"testnet\", \"password_file\": \"password\", "
                            << "\"taker_utxo_age\": 1, \"status_file\": \"status.json\""
                            << (options.maker_settings.empty() ? "" : ", " + options.maker_settings) << "}}\n"
                            << "  ] }\n";
    m_wallet = std::make_unique<JmnodeWallet>(network, m_config, data / "password", funding);
}

JmnodeMaker::~JmnodeMaker() {
    if (m_process) stop(SIGTERM);
}

std::string JmnodeMaker::address(int mixdepth, std::uint32_t index) const { return m_wallet->address(mixdepth, index); }

void JmnodeMaker::start() {
    m_process =
        std::make_unique<ChildProcess>(std::vector<std::string>{jmnode(), "run", "--config", m_config.string()});
    if (!m_process->waitForOutput("ready;", std::chrono::seconds(120)))
        throw std::runtime_error("the jmnode maker did not start:\n" + m_process->output());
    // One "directory ... ready; N offer(s) announced" line per directory.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto readyLines = [&] {
        auto out = m_process->output();
        std::size_t count = 0;
        for (auto at = out.find(" ready; "); at != std::string::npos; at = out.find(" ready; ", at + 1))
            ++count;
        return count;
    };
    while (readyLines() < m_directories.size()) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("the jmnode maker did not reach its directories:\n" + m_process->output());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

int JmnodeMaker::stop(int signo) {
    if (!m_process) return -1;
    m_process->signal(signo);
    auto result = m_process->wait(std::chrono::seconds(60));
    m_lastOutput = result.out + result.err;
    m_process.reset();
    return result.exit_code;
}

boost::json::object JmnodeMaker::status() const {
    auto r =
        runProcess({jmnode(), "maker", "status", "--json", "--config", m_config.string()}, std::chrono::seconds(60));
    boost::system::error_code ec;
    auto value = boost::json::parse(r.out, ec);
    // One member per maker instance of the config: this node runs one, "maker".
    if (r.exit_code != 0 || ec || !value.is_object() || !value.as_object().contains("maker") ||
        !value.at("maker").is_object())
        throw std::runtime_error("jmnode maker status failed: " + r.out + r.err);
    return value.at("maker").as_object();
}

std::string JmnodeMaker::nick() const {
    auto out = output();
    auto at = out.rfind("maker J5");
    if (at == std::string::npos || at + 6 + 16 > out.size()) throw std::runtime_error("no maker nick in the log");
    return out.substr(at + 6, 16);
}

} // namespace jm::test::interop
