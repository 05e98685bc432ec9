#include <jm/sdk/context.hpp>
#include <jm/sdk/files.hpp>
#include <jm/sdk/password_source.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
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

Result<std::string> readSecretFile(const std::filesystem::path& path) {
    const std::string name = "secret file " + path.string();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail(errc::invalid_config, name + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(errc::invalid_config, name + " is not a file");
    if ((st.st_mode & 077) != 0) {
        std::ostringstream mode;
        mode << std::oct << (st.st_mode & 0777);
        return fail(errc::invalid_config, name + " has mode 0" + mode.str() +
                                              "; it must be readable by its owner only (chmod 600 " + path.string() +
                                              ")");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(errc::invalid_config, name + " cannot be read");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
