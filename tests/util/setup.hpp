#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace jm::test {

//! A fresh temporary directory, removed (recursively) on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

//! The build tree's bin/ and plugin directory, and the source tree's tests/data.
std::filesystem::path binDir();
std::filesystem::path pluginDir();

//! A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it).
std::uint16_t freeLoopbackPort();

} // namespace jm::test
