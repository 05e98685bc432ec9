#include <storage/data_dir.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <vector>

namespace jm::host {

using jm::sdk::errc;

void restrictNewFiles() { ::umask(077); }

jm::sdk::Result<void> createPrivateDirectory(const std::filesystem::path& dir) {
    // The missing components, outermost first; each is made 0700 (not through
    // create_directories, whose modes follow the umask).
    std::vector<std::filesystem::path> missing;
    std::error_code ec;
    for (auto p = dir; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0700) == 0)
            ::chmod(it->c_str(), 0700); // mkdir's mode is masked by the umask: an odd umask must not lock us out
        else if (errno != EEXIST)       // EEXIST: made meanwhile by someone else; left as it is
            return jm::sdk::fail(errc::io_error,
                                 "cannot create directory " + it->string() + ": " + std::strerror(errno));
    }
    if (!std::filesystem::is_directory(dir, ec))
        return jm::sdk::fail(errc::io_error, "data directory " + dir.string() + " exists but is not a directory");
    return {};
}

std::optional<std::string> dataDirAccessWarning(const std::filesystem::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    auto mode = st.st_mode & 07777;
    if ((mode & 077) == 0) return std::nullopt;
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    return "data directory " + dir.string() + " is accessible by group or others (mode " + octal +
           "); it holds the wallet's addresses and history. Make it private with: chmod 700 '" + dir.string() + "'";
}

} // namespace jm::host
