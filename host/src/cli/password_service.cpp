#include <cli/password_service.hpp>

namespace jm::host {

jm::sdk::Result<std::string> PasswordService::read(std::string_view prompt) {
    std::lock_guard lock(m_mutex);
    auto line = m_input.read(std::string(prompt));
    if (!line && line.error().code == jm::sdk::errc::io_error &&
        line.error().message.find("terminal") != std::string::npos)
        return jm::sdk::fail(jm::sdk::errc::unavailable, line.error().message);
    return line;
}

} // namespace jm::host
