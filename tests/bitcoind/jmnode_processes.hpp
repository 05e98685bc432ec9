// Real `jmnode` processes the regtest suites start: the binary, a jmnode directory on a free
// loopback port, and the small file helpers their configs need.
#pragma once

#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace jm::test::regtest {

inline std::string jmnode() { return (binDir() / "jmnode").string(); }

inline std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

//! The wallet password file `jmnode` reads from a datadir (owner-only, as it requires).
inline void writePassword(const std::filesystem::path& data) {
    std::ofstream(data / "password") << "pw\n";
    std::filesystem::permissions(data / "password",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

//! `jmnode run` with the directory plugin on a free loopback port.
struct DirectoryProcess {
    DirectoryProcess() {
        auto config = dir.path() / "directory.json";
        std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                              << "\", \"network\": \"regtest\"},\n"
                              << "  \"plugins\": [{\"load\": \"directory\", \"factory\": \"server\", \"instance\": "
                                 "\"dn\", \"config\": {\"port\": 0, \"port_file\": \"port\"}}] }\n";
        process =
            std::make_unique<ChildProcess>(std::vector<std::string>{jmnode(), "run", "--config", config.string()});
        for (int i = 0; i < 300 && port == 0; ++i) {
            auto text = readFile(dir.path() / "data" / "port");
            if (!text.empty()) port = static_cast<std::uint16_t>(std::stoi(text));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        BOOST_REQUIRE_MESSAGE(port != 0, "the directory never wrote its port: " + process->output());
    }
    TempDir dir;
    std::unique_ptr<ChildProcess> process;
    std::uint16_t port = 0;
};

} // namespace jm::test::regtest
