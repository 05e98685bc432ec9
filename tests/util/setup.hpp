#pragma once

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

} // namespace jm::test
