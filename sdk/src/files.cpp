#include <jm/sdk/context.hpp>
#include <jm/sdk/files.hpp>
#include <jm/sdk/password_source.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jm::sdk {

Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view text) {
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text << '\n';
        if (!out) return fail(errc::io_error, "cannot write " + tmp.string());
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return fail(errc::io_error, "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
    return {};
}

// Beyond what files.hpp says: a file over 16 KiB is refused, and a symbolic link counts as the
// file it names (its target's type and mode are checked).
Result<std::string> readSecretFile(const std::filesystem::path& path) {
    const std::string name = "secret file " + path.string();
    // Opened first and checked through the descriptor: what is read is what was checked (no
    // swap between a stat and the open), and O_NONBLOCK keeps a FIFO from blocking the open.
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return fail(errc::invalid_config, name + ": " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(errc::invalid_config, name + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(errc::invalid_config, name + " is not a file");
    if ((st.st_mode & 077) != 0) {
        std::ostringstream mode;
        mode << std::oct << (st.st_mode & 0777);
        return fail(errc::invalid_config, name + " has mode 0" + mode.str() +
                                              "; it must be readable by its owner only (chmod 600 " + path.string() +
                                              ")");
    }
    // A password or a token is a line: a bigger file is the wrong file, not read into memory.
    constexpr std::size_t MAX_SECRET = 16 * 1024;
    if (st.st_size > static_cast<off_t>(MAX_SECRET))
        return fail(errc::invalid_config, name + " is too big for a secret (over 16 KiB): is it the right file?");
    std::string text(MAX_SECRET + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        auto n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(errc::invalid_config, name + " cannot be read: " + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > MAX_SECRET)
        return fail(errc::invalid_config, name + " is too big for a secret (over 16 KiB): is it the right file?");
    text.resize(got);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    if (text.empty()) return fail(errc::invalid_config, name + " is empty");
    if (text.find_first_of("\r\n") != std::string::npos)
        return fail(errc::invalid_config, name + " holds more than one line");
    return text;
}

Result<std::string> readWalletPassword(PluginContext& ctx, const std::string& password_file, std::string_view role) {
    if (!password_file.empty()) {
        std::filesystem::path path = password_file;
        if (path.is_relative()) path = ctx.dataDir() / path;
        auto password = readSecretFile(path);
        if (!password) return password.error().withContext("password_file");
        return password;
    }
    auto source = ctx.services().get<PasswordSource>(PasswordSource::host_instance);
    if (!source)
        return fail(errc::invalid_config, "the " + std::string(role) +
                                              " needs the wallet password: set password_file or run with "
                                              "`jmnode run --password-fd N`");
    return (*source)->read("Wallet password for " + std::string(role) + " '" + std::string(ctx.instanceName()) + "': ");
}

} // namespace jm::sdk
