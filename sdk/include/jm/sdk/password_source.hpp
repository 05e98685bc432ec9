#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>
#include <jm/sdk/service_registry.hpp>

#include <string>
#include <string_view>

namespace jm::sdk {

//! The person running the node, asked for a secret (a wallet password). `jmnode run` provides
//! one as service "password/1" under the name "host": it reads the file descriptor given with
//! --password-fd (one line per request) or asks on the terminal with echo off. Secrets never come
//! from the config text or the command line.
//! Executor: any; blocking (someone types), so call it only from start(). Calls are serialised.
//! Errors: errc::unavailable when there is neither a terminal nor --password-fd, errc::io_error at
//! the end of the input. The caller wipes the returned secret (sodium_memzero) after use.
class JM_SDK_API PasswordSource : public Service {
public:
    static constexpr std::string_view service_kind = "password/1";
    static constexpr std::string_view host_instance = "host";
    ~PasswordSource() override;

    //! Shows `prompt` (on a terminal) and returns one line without its newline.
    virtual Result<std::string> read(std::string_view prompt) = 0;
};

class PluginContext;

//! The wallet password of a role instance (maker, taker): read from `password_file` with
//! readSecretFile (a relative path is under the node's data directory) when it is set, else asked
//! through the host's PasswordSource with a prompt naming `role` and the instance.
//! Executor: any; blocking, so call it only from start().
//! Errors: those of readSecretFile and PasswordSource::read; errc::invalid_config when neither a
//! file is set nor a PasswordSource is provided.
JM_SDK_API Result<std::string> readWalletPassword(PluginContext& ctx, const std::string& password_file,
                                                  std::string_view role);

} // namespace jm::sdk
