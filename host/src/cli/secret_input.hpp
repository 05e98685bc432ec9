#pragma once

#include <jm/sdk/result.hpp>

#include <string>

namespace jm::host {

//! Reads secrets (passwords, mnemonics) for CLI commands: from a file descriptor given with
//! --password-fd (one line per read, for scripts), or from the terminal with echo off.
//! Never from argv. The caller wipes what it gets (sodium_memzero).
class SecretInput {
public:
    //! `fd` < 0: prompt on /dev/tty.
    explicit SecretInput(int fd) : m_fd(fd) {}

    //! Shows `prompt` (on the terminal only) and reads one line without its newline.
    //! Errors: errc::io_error (no terminal and no fd, end of input).
    jm::sdk::Result<std::string> read(const std::string& prompt, bool echo = false);
    //! Reads a new password twice; they must match and be non-empty.
    jm::sdk::Result<std::string> newPassword(const std::string& what);

private:
    int m_fd;
};

} // namespace jm::host
