#include <storage/data_dir_lock.hpp>

#include <storage/data_dir.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jm::host {

using jm::sdk::errc;

jm::sdk::Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& datadir) {
    if (auto made = createPrivateDirectory(datadir); !made) return made.error();
    auto path = datadir / "jmnode.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return jm::sdk::fail(errc::io_error, "cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char buf[32] = {};
        ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        ::close(fd);
        if (err == EWOULDBLOCK) {
            std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
            while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
                pid.pop_back();
            return jm::sdk::fail(errc::already_exists, "data directory " + datadir.string() +
                                                           " is in use by another jmnode (pid " + pid +
                                                           "); stop it or choose another node.datadir");
        }
        return jm::sdk::fail(errc::io_error, "cannot lock " + path.string() + ": " + std::strerror(err));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        ::close(fd);
        return jm::sdk::fail(errc::io_error, "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    return DataDirLock(fd, datadir);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : m_fd(other.m_fd), m_path(std::move(other.m_path)) {
    other.m_fd = -1;
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = other.m_fd;
        m_path = std::move(other.m_path);
        other.m_fd = -1;
    }
    return *this;
}

DataDirLock::~DataDirLock() {
    if (m_fd >= 0) ::close(m_fd); // closing the descriptor releases the flock
}

} // namespace jm::host
