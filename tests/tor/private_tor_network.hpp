#pragma once
// Tor processes for tests, all on 127.0.0.1 and started from torrc files generated in a
// temporary directory: an offline Tor (DisableNetwork 1) that only serves its control port, and
// a private Tor network (TestingTorNetwork: one directory authority, a few relays and a client
// with SOCKS and control ports) that carries onion services without touching the Internet.
// Every process is ours (a ChildProcess killed at destruction) and also exits by itself when
// the test process dies (__OwningControllerProcess).
#include <util/process.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jm::test {

//! $TOR, else Debian's /usr/bin/tor or /usr/sbin/tor; empty when none is installed (or $TOR names no file).
std::string findTor();
//! $TOR_GENCERT, else tor-gencert next to the tor binary or on the usual paths; empty when none
//! (or $TOR_GENCERT names no file).
std::string findTorGencert(const std::string& tor);

//! A tor with DisableNetwork 1 and a cookie-authenticated control port (ADD_ONION works, the
//! service is just never reachable). restart() stops it and starts it again on the same port.
class OfflineTor {
public:
    OfflineTor(std::string binary, std::filesystem::path dir);
    //! Starts tor and waits (bounded) until the control port accepts connections; the reason on failure.
    std::optional<std::string> start();
    void stop();
    std::optional<std::string> restart();
    std::uint16_t controlPort() const { return m_control_port; }
    std::string log() const;

private:
    std::string m_binary;
    std::filesystem::path m_dir;
    std::uint16_t m_control_port = 0;
    std::unique_ptr<ChildProcess> m_process;
};

//! One authority, `relays` relays and a client, TestingTorNetwork 1 with the shortest voting
//! intervals Tor accepts.
class PrivateTorNetwork {
public:
    PrivateTorNetwork(std::string tor, std::string gencert, std::filesystem::path dir, int relays = 4);
    ~PrivateTorNetwork();

    //! Generates the keys and torrcs, starts every process and waits until the client has
    //! bootstrapped (a consensus was voted and it built circuits) within `bound`. Returns why
    //! not when it could not (the processes are stopped then).
    std::optional<std::string> start(std::chrono::seconds bound);
    void stop();

    std::uint16_t socksPort() const { return m_socks_port; }
    std::uint16_t controlPort() const { return m_control_port; }
    //! The client tor's cookie file (the control port asks for it).
    std::filesystem::path cookieFile() const { return m_dir / "client" / "control_auth_cookie"; }
    //! The last lines of every process's log, for failure messages.
    std::string logs() const;

private:
    std::optional<std::string> generate();
    std::string commonTorrc(const std::string& name) const;

    std::string m_tor;
    std::string m_gencert;
    std::filesystem::path m_dir;
    int m_relays;
    std::uint16_t m_socks_port = 0;
    std::uint16_t m_control_port = 0;
    std::vector<std::pair<std::string, std::unique_ptr<ChildProcess>>> m_processes;
};

//! Follows a tor's HS_DESC events on a control connection of its own (COOKIE authentication),
//! so a test knows when an onion service's descriptor has reached the HSDirs: a client asking
//! an HSDir that does not have it yet would give up on that HSDir for a while.
class HsDescWatcher {
public:
    HsDescWatcher();
    ~HsDescWatcher();
    //! Connects, authenticates with the cookie and subscribes; the reason on failure.
    std::optional<std::string> start(std::uint16_t control_port, const std::filesystem::path& cookie_file);
    //! Waits until `service_id`'s descriptor was uploaded at least once and every upload started
    //! so far has ended (UPLOADED or FAILED). False after `timeout`.
    bool waitUploaded(const std::string& service_id, std::chrono::seconds timeout);
    //! The events seen so far, one per line.
    std::string events() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

//! Opens a TCP connection to host:port through the SOCKS5 proxy at 127.0.0.1:socks_port and
//! closes it; the proxy's refusal in words otherwise. Blocking, bounded by `timeout`.
std::optional<std::string> socksConnect(std::uint16_t socks_port, const std::string& host, std::uint16_t port,
                                        std::chrono::seconds timeout);

} // namespace jm::test
