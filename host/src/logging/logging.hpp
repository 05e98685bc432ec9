#pragma once

#include <jm/sdk/log.hpp>
#include <jm/sdk/result.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace jm::host {

//! The "log" section of the node config.
struct LogSettings {
    jm::sdk::Severity level = jm::sdk::Severity::info;
    //! Per-channel levels (channel = plugin instance name, or "host", "bus", "loader").
    std::map<std::string, jm::sdk::Severity, std::less<>> channels;
    //! Log file; empty = none. Relative paths are relative to the data directory.
    std::filesystem::path file;
    //! Also log to stderr.
    bool console = true;
};

//! Installs the host's sinks into the one Boost.Log core (replacing earlier ones): stderr and
//! an optional file, each filtered by channel level. Only the host adds sinks; plugins emit.
//! Executor: main thread, before plugins start. Errors: errc::io_error when the file cannot
//! be opened.
jm::sdk::Result<void> setupLogging(const LogSettings& settings);

//! Removes the host's sinks (flushes them first). Executor: main thread, at exit.
void shutdownLogging();

} // namespace jm::host
