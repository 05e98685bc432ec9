#include <cli/secret_input.hpp>

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace jm::host {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
// Reads bytes up to '\n' one at a time (no buffering past the line, so the next read on the
// same fd gets the next line).
jm::sdk::Result<std::string> readLine(int fd) {
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) // e.g. --password-fd naming a descriptor that is not open
            return fail(errc::io_error,
                        "cannot read from file descriptor " + std::to_string(fd) + ": " + std::strerror(errno));
        if (n == 0) {
            if (line.empty()) return fail(errc::io_error, "no more input");
            break;
        }
        if (c == '\n') break;
        line.push_back(c);
        if (line.size() > 4096) return fail(errc::invalid_argument, "input line too long");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}
} // namespace

jm::sdk::Result<std::string> SecretInput::read(const std::string& prompt, bool echo) {
    if (m_fd >= 0) return readLine(m_fd);
    int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0) return fail(errc::io_error, "no terminal to ask on; pass secrets with --password-fd N");
    (void)!::write(tty, prompt.data(), prompt.size());
    termios saved{};
    bool restore = false;
    if (!echo && ::tcgetattr(tty, &saved) == 0) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        restore = ::tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
    }
    auto line = readLine(tty);
    if (restore) {
        ::tcsetattr(tty, TCSAFLUSH, &saved);
        (void)!::write(tty, "\n", 1);
    }
    ::close(tty);
    return line;
}

jm::sdk::Result<std::string> SecretInput::newPassword(const std::string& what) {
    auto first = read("New " + what + ": ");
    if (!first) return first.error();
    auto second = read("Repeat the " + what + ": ");
    if (!second) return second.error();
    bool same = *first == *second;
    sodium_memzero(second->data(), second->size());
    if (!same) {
        sodium_memzero(first->data(), first->size());
        return fail(errc::invalid_argument, "the two " + what + "s differ");
    }
    if (first->empty()) return fail(errc::invalid_argument, "the " + what + " must not be empty");
    return first;
}

} // namespace jm::host
