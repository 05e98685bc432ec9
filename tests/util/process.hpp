#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace jm::test {

//! What a finished child process left behind.
struct ProcessResult {
    int exit_code = -1; //!< exit status, or 128 + signal number when killed
    std::string out;
    std::string err;
    bool timed_out = false;
};

//! A child process with its stdout/stderr captured through pipes (read by background
//! threads). The environment is the test's plus `env` overrides.
class ChildProcess {
public:
    //! `input`, when given, is written to the child's stdin (then closed); otherwise stdin is
    //! /dev/null.
    ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                 std::optional<std::string> input = std::nullopt);
    ~ChildProcess(); // kills (SIGKILL) and reaps a child still running
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return m_pid; }
    void signal(int signo);
    //! Waits for exit up to `timeout`; on timeout kills it and sets timed_out.
    ProcessResult wait(std::chrono::milliseconds timeout);
    //! Waits until stdout+stderr so far contain `text` (or the child exits / timeout).
    bool waitForOutput(const std::string& text, std::chrono::milliseconds timeout);
    //! Output captured so far.
    std::string output() const;

private:
    struct Impl;
    Impl* m_impl;
    pid_t m_pid = -1;
};

//! Runs a command to completion (bounded by `timeout`).
ProcessResult runProcess(std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(60),
                         std::map<std::string, std::string> env = {}, std::optional<std::string> input = std::nullopt);

} // namespace jm::test
