#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <filesystem>
#include <string_view>

namespace jm::sdk {

//! Replaces `path` with `text` plus a newline through a temporary file beside it and a rename,
//! so that a reader (e.g. a status command) sees the old content or the new, never half of it.
//! Not synced to disk: meant for status and port files that are rewritten, not for state.
//! Executor: any; blocking file I/O, so plugins call it on the blocking executor.
//! Errors: errc::io_error naming the file when it cannot be written or renamed.
JM_SDK_API Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view text);

} // namespace jm::sdk
