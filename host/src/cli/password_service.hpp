#pragma once

#include <cli/secret_input.hpp>

#include <jm/sdk/password_source.hpp>

#include <mutex>

namespace jm::host {

//! The "password/1" service `jmnode run` gives plugins: SecretInput behind a mutex, so that two
//! roles starting at once never interleave their prompts or their lines of --password-fd.
class PasswordService final : public jm::sdk::PasswordSource {
public:
    //! `fd` < 0: ask on the terminal.
    explicit PasswordService(int fd) : m_input(fd) {}
    jm::sdk::Result<std::string> read(std::string_view prompt) override;

private:
    std::mutex m_mutex;
    SecretInput m_input;
};

} // namespace jm::host
