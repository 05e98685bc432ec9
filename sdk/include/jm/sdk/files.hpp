#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace jm::sdk {

//! Replaces `path` with `text` plus a newline through a temporary file beside it and a rename,
//! so that a reader (e.g. a status command) sees the old content or the new, never half of it.
//! Not synced to disk: meant for status and port files that are rewritten, not for state.
//! Executor: any; blocking file I/O, so plugins call it on the blocking executor.
//! Errors: errc::io_error naming the file when it cannot be written or renamed.
JM_SDK_API Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view text);

//! Reads a secret (a wallet password, a service token) from a one-line file that only its owner
//! can read or write: a regular file with no group or other permission bits (refused otherwise,
//! as ssh refuses its keys: anyone else able to read it could spend the wallet or use the token).
//! Trailing newlines are removed; an empty file or one of several lines is refused.
//! Executor: any; blocking file I/O.
//! Errors: errc::invalid_config naming the file and the problem (missing, not a file, its mode and
//! the chmod that fixes it, empty, several lines), never its content.
JM_SDK_API Result<std::string> readSecretFile(const std::filesystem::path& path);

} // namespace jm::sdk
