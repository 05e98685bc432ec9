#include "jmnode_directory.hpp"

#include <boost/json/parse.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace jm::test::interop {

namespace {

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

JmnodeDirectory::JmnodeDirectory(std::string network, std::string settings) :
    m_network(std::move(network)), m_settings(std::move(settings)) {}

JmnodeDirectory::~JmnodeDirectory() {
    if (m_process) stop(SIGTERM);
}

void JmnodeDirectory::writeConfig() const {
    std::ofstream(m_dir.path() / "directory.json")
        << "{ \"node\": {\"datadir\": \"" << (m_dir.path() / "data").string() << "\", \"network\": \"" << m_network
        << "\"},\n  \"log\": {\"level\": \"info\"},\n"
        << "  \"plugins\": [{\"load\": \"directory\", \"factory\": \"server\", \"instance\": \"directory\",\n"
        << "    \"config\": {\"host\": \"127.0.0.1\", \"port\": " << m_port
        << ", \"port_file\": \"port\", \"stats_interval\": \"250ms\", \"status_file\": \"status.json\""
        << (m_settings.empty() ? "" : ", " + m_settings) << "}}] }\n";
}

void JmnodeDirectory::start() {
    std::filesystem::remove(m_dir.path() / "data" / "port");
    std::filesystem::remove(m_dir.path() / "data" / "status.json");
    writeConfig();
    m_process = std::make_unique<ChildProcess>(std::vector<std::string>{
        (binDir() / "jmnode").string(), "run", "--config", (m_dir.path() / "directory.json").string()});
    for (int i = 0; i < 600; ++i) {
        auto text = readFile(m_dir.path() / "data" / "port"); // written atomically once listening
        if (!text.empty()) {
            m_port = static_cast<std::uint16_t>(std::stoi(text));
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("the jmnode directory did not start: " + m_process->output());
}

void JmnodeDirectory::stop(int signo) {
    if (!m_process) return;
    m_process->signal(signo);
    m_process->wait(std::chrono::seconds(30));
    m_process.reset();
}

boost::json::object JmnodeDirectory::status() const {
    boost::system::error_code ec;
    auto value = boost::json::parse(readFile(m_dir.path() / "data" / "status.json"), ec);
    if (ec || !value.is_object()) return {};
    return value.as_object();
}

std::size_t JmnodeDirectory::peers() const {
    auto s = status();
    auto it = s.find("peers");
    return it != s.end() && it->value().is_int64() ? static_cast<std::size_t>(it->value().as_int64()) : 0;
}

bool JmnodeDirectory::waitForPeers(std::size_t count, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (peers() >= count) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

} // namespace jm::test::interop
