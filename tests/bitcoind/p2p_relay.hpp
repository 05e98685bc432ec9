// A loopback TCP relay between a light client and Bitcoin Core's P2P port, so that a test can
// stop the conversation at a known point: it forwards whole P2P messages and can hold Core's
// messages after the n-th one of a command (the client then has exactly what came before),
// drop every connection and refuse new ones for a while, and count what passed.
// Plain POSIX sockets and threads: a test fixture, not production code.
#pragma once

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jm::test::regtest {

class P2pRelay {
public:
    explicit P2pRelay(std::uint16_t target) : m_target(target) {
        m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(::listen(m_listen, 16) == 0);
        socklen_t len = sizeof a;
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        m_acceptor = std::thread([this] { acceptLoop(); });
    }
    ~P2pRelay() {
        m_stop = true;
        {
            std::lock_guard lock(m_mutex);
            m_cv.notify_all();
        }
        m_acceptor.join();
        dropAll();
        for (auto& t : m_pumps)
            t.join();
        for (auto fd : m_fds)
            ::close(fd);
        ::close(m_listen);
    }
    P2pRelay(const P2pRelay&) = delete;
    P2pRelay& operator=(const P2pRelay&) = delete;

    std::uint16_t port() const { return m_port; }

    //! Core's messages stop flowing once `count` more `command` messages have passed.
    void holdAfter(const std::string& command, int count) {
        std::lock_guard lock(m_mutex);
        m_holdCommand = command;
        m_holdLeft = count;
        m_holding = false;
        m_cv.notify_all();
    }
    //! True once the relay holds (within `timeout`).
    bool waitHeld(std::chrono::milliseconds timeout) {
        std::unique_lock lock(m_mutex);
        return m_cv.wait_for(lock, timeout, [this] { return m_holding; });
    }
    //! Lets Core's messages flow again (no hold pending).
    void release() {
        std::lock_guard lock(m_mutex);
        m_holdCommand.clear();
        m_holding = false;
        m_cv.notify_all();
    }
    //! Closes every connection; new ones are closed at once until up().
    void down() {
        m_down = true;
        dropAll();
    }
    void up() { m_down = false; }
    //! Messages of `command` forwarded from Core so far.
    int passed(const std::string& command) {
        std::lock_guard lock(m_mutex);
        auto it = m_passed.find(command);
        return it == m_passed.end() ? 0 : it->second;
    }
    void resetCounts() {
        std::lock_guard lock(m_mutex);
        m_passed.clear();
    }
    int connections() const { return m_accepted; }

private:
    void dropAll() {
        std::lock_guard lock(m_fdMutex);
        for (auto fd : m_fds)
            ::shutdown(fd, SHUT_RDWR);
        std::lock_guard hold(m_mutex);
        m_cv.notify_all();
    }

    void acceptLoop() {
        while (!m_stop) {
            pollfd p{m_listen, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int client = ::accept(m_listen, nullptr, nullptr);
            if (client < 0) continue;
            if (m_down) {
                ::close(client);
                continue;
            }
            int server = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(m_target);
            if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                ::close(server);
                ::close(client);
                continue;
            }
            ++m_accepted;
            std::lock_guard lock(m_fdMutex);
            m_fds.push_back(client);
            m_fds.push_back(server);
            m_pumps.emplace_back([this, client, server] { pump(client, server, false); });
            m_pumps.emplace_back([this, client, server] { pump(server, client, true); });
        }
    }

    static bool readAll(int fd, std::uint8_t* out, std::size_t n) {
        while (n > 0) {
            auto r = ::recv(fd, out, n, 0);
            if (r <= 0) return false;
            out += r;
            n -= static_cast<std::size_t>(r);
        }
        return true;
    }
    static bool writeAll(int fd, const std::uint8_t* in, std::size_t n) {
        while (n > 0) {
            auto r = ::send(fd, in, n, MSG_NOSIGNAL);
            if (r <= 0) return false;
            in += r;
            n -= static_cast<std::size_t>(r);
        }
        return true;
    }

    //! Forwards whole messages (24-byte header: magic, command, length, checksum).
    void pump(int from, int to, bool from_core) {
        std::vector<std::uint8_t> message;
        while (!m_stop) {
            message.resize(24);
            if (!readAll(from, message.data(), 24)) break;
            std::uint32_t length = 0;
            std::memcpy(&length, message.data() + 16, 4); // little-endian hosts only (x86, arm)
            if (length > 32u * 1024 * 1024) break;
            message.resize(24 + length);
            if (!readAll(from, message.data() + 24, length)) break;
            if (from_core) {
                std::string command(reinterpret_cast<const char*>(message.data() + 4), 12);
                command.resize(std::strlen(command.c_str()));
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [this] { return !m_holding || m_stop || m_down; });
                if (m_stop || m_down) break;
                ++m_passed[command];
                if (!m_holdCommand.empty() && command == m_holdCommand && --m_holdLeft <= 0) {
                    m_holdCommand.clear();
                    m_holding = true;
                    m_cv.notify_all();
                }
            }
            if (!writeAll(to, message.data(), message.size())) break;
        }
        ::shutdown(from, SHUT_RDWR);
        ::shutdown(to, SHUT_RDWR);
    }

    std::uint16_t m_target;
    std::uint16_t m_port = 0;
    int m_listen = -1;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_down{false};
    std::atomic<int> m_accepted{0};
    std::thread m_acceptor;
    std::mutex m_fdMutex;
    std::vector<int> m_fds;
    std::vector<std::thread> m_pumps;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::string m_holdCommand;
    int m_holdLeft = 0;
    bool m_holding = false;
    std::map<std::string, int> m_passed;
};

} // namespace jm::test::regtest
