#include <util/process.hpp>

#include <condition_variable>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace jm::test {

struct ChildProcess::Impl {
    std::mutex mutex;
    std::condition_variable changed;
    std::string out, err;
    std::thread out_reader, err_reader;
    bool reaped = false;
    int status = 0;

    void readInto(int fd, std::string ChildProcess::Impl::*target) {
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            std::lock_guard lock(mutex);
            (this->*target).append(buf, static_cast<std::size_t>(n));
            changed.notify_all();
        }
        ::close(fd);
    }
};

ChildProcess::ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env,
                           std::optional<std::string> input) :
    m_impl(new Impl) {
    int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
    if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
    if (input && ::pipe(in_pipe) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    if (input) {
        posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
        posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    }

    std::map<std::string, std::string> full_env;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos) full_env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (auto& [k, v] : env)
        full_env[k] = v;
    std::vector<std::string> env_strings;
    for (auto& [k, v] : full_env)
        env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (auto& s : env_strings)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);

    int rc = posix_spawnp(&m_pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (input) {
        ::close(in_pipe[0]);
        // Small inputs fit the pipe buffer; write and close so the child sees end of input.
        (void)!::write(in_pipe[1], input->data(), input->size());
        ::close(in_pipe[1]);
    }
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        delete m_impl;
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    m_impl->out_reader = std::thread([this, fd = out_pipe[0]] { m_impl->readInto(fd, &Impl::out); });
    m_impl->err_reader = std::thread([this, fd = err_pipe[0]] { m_impl->readInto(fd, &Impl::err); });
}

ChildProcess::~ChildProcess() {
    if (!m_impl->reaped) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    if (m_impl->out_reader.joinable()) m_impl->out_reader.join();
    if (m_impl->err_reader.joinable()) m_impl->err_reader.join();
    delete m_impl;
}

void ChildProcess::signal(int signo) {
    if (!m_impl->reaped) ::kill(m_pid, signo);
}

ProcessResult ChildProcess::wait(std::chrono::milliseconds timeout) {
    ProcessResult result;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_impl->reaped) {
        int status = 0;
        pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_impl->reaped = true;
            m_impl->status = status;
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            result.timed_out = true;
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
            m_impl->reaped = true;
            m_impl->status = status;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (m_impl->out_reader.joinable()) m_impl->out_reader.join();
    if (m_impl->err_reader.joinable()) m_impl->err_reader.join();
    int status = m_impl->status;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::lock_guard lock(m_impl->mutex);
    result.out = m_impl->out;
    result.err = m_impl->err;
    return result;
}

bool ChildProcess::waitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_impl->mutex);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (m_impl->out.find(text) != std::string::npos || m_impl->err.find(text) != std::string::npos) return true;
        m_impl->changed.wait_for(lock, std::chrono::milliseconds(20));
    }
    return false;
}

std::string ChildProcess::output() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->out + m_impl->err;
}

ProcessResult runProcess(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                         std::map<std::string, std::string> env, std::optional<std::string> input) {
    ChildProcess child(std::move(argv), std::move(env), std::move(input));
    return child.wait(timeout);
}

} // namespace jm::test
