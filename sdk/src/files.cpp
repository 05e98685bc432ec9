#include <jm/sdk/files.hpp>

#include <fstream>

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

} // namespace jm::sdk
