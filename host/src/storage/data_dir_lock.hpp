#pragma once

#include <jm/sdk/result.hpp>

#include <filesystem>

namespace jm::host {

//! Exclusive ownership of a node data directory for the life of the process: an flock on
//! <datadir>/jmnode.lock holding the owner's pid. A second node on the same directory is refused.
//! Move-only; released on destruction (and by the kernel if the process dies).
class DataDirLock {
public:
    //! Creates the directory if needed (createPrivateDirectory: 0700) and takes the lock.
    //! Errors: errc::already_exists when another process holds it (the message names the
    //! directory and that process's pid); errc::io_error when the directory or file cannot be made.
    static jm::sdk::Result<DataDirLock> acquire(const std::filesystem::path& datadir);

    DataDirLock(DataDirLock&& other) noexcept;
    DataDirLock& operator=(DataDirLock&& other) noexcept;
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;
    ~DataDirLock();

    const std::filesystem::path& path() const { return m_path; }

private:
    DataDirLock(int fd, std::filesystem::path path) : m_fd(fd), m_path(std::move(path)) {}
    int m_fd = -1;
    std::filesystem::path m_path;
};

} // namespace jm::host
