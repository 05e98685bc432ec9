#pragma once
// A jmnode directory server run as users run it (`jmnode run` with the directory plugin), for
// tests that put real peers on it. It keeps its port across restarts.

#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/json/object.hpp>

#include <memory>
#include <string>

namespace jm::test::interop {

class JmnodeDirectory {
public:
    //! `network` is the handshake's network name ("testnet" for reference regtest bots);
    //! `settings` are extra members of the directory plugin's config (JSON text without braces,
    //! e.g. "\"idle_timeout\": \"3s\"").
    explicit JmnodeDirectory(std::string network = "testnet", std::string settings = "");
    ~JmnodeDirectory();

    //! Starts the node (on a free port the first time, on the same port afterwards) and waits
    //! until it listens. Throws std::runtime_error when it does not come up.
    void start();
    //! Stops it with `signo` (SIGTERM: a clean stop; SIGKILL: a crash) and waits for the exit.
    void stop(int signo);
    void restart() {
        stop(15);
        start();
    }

    //! "127.0.0.1:PORT", as bots' directory_nodes take it.
    std::string location() const { return "127.0.0.1:" + std::to_string(m_port); }
    //! The directory's status file (peers, connections, counters); empty before the first write.
    boost::json::object status() const;
    //! Handshaked peers according to the status file.
    std::size_t peers() const;
    //! Waits up to `timeout` until the directory has at least `count` handshaked peers.
    bool waitForPeers(std::size_t count, std::chrono::milliseconds timeout) const;
    std::string output() const { return m_process ? m_process->output() : ""; }

private:
    void writeConfig() const;

    std::string m_network;
    std::string m_settings;
    TempDir m_dir;
    std::uint16_t m_port = 0;
    std::unique_ptr<ChildProcess> m_process;
};

} // namespace jm::test::interop
