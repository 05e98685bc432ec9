#pragma once

#include <jm/sdk/result.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace jm::host {

// The node data directory holds the wallet's addresses and history (and a maker's commitments
// and earnings): it and everything in it are private to the user who runs jmnode.

//! Sets the process umask to 077, so every file and directory jmnode (and its plugins) creates
//! afterwards has no group or other access. Called at start by the command line, and by
//! RocksDbDatabase::open for the files RocksDB makes. Process-wide; idempotent.
void restrictNewFiles();

//! Creates `dir` and any missing parents, each with mode 0700 whatever the umask. An existing
//! directory is left as it is (see dataDirAccessWarning). Errors: errc::io_error when a
//! component cannot be created or `dir` exists and is not a directory.
jm::sdk::Result<void> createPrivateDirectory(const std::filesystem::path& dir);

//! A warning to show when the existing directory `dir` can be read, written or entered by its
//! group or others (as OpenSSH warns about private keys), naming its mode and the fix; nullopt
//! when it is private or does not exist.
std::optional<std::string> dataDirAccessWarning(const std::filesystem::path& dir);

} // namespace jm::host
