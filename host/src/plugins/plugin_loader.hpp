#pragma once

#include <jm/sdk/plugin.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace jm::host {

//! One plugin file found in a plugin directory, loaded or refused.
struct PluginRecord {
    std::filesystem::path path;
    std::string name;    //!< from the handshake; the file stem when refused before it
    std::string version; //!< from the handshake
    bool loaded = false;
    std::string refusal; //!< why it was refused (empty when loaded)
    std::vector<jm::sdk::PluginFactory*> factories;
};

//! Finds *.so files in plugin directories, dlopens each with RTLD_NOW|RTLD_LOCAL, checks the C
//! handshake (entry symbol, struct size, ABI major, SDK header hash, build id) before touching
//! any C++ object, then asks the module for its factories behind an exception barrier.
//! Libraries are never unloaded (architecture.md 9.7): their handles are kept until exit.
//! Executor: main thread only, before I/O threads start (dlopen is not thread-safe everywhere).
class PluginLoader {
public:
    //! Loads every *.so in `dirs` (in order; a name seen before is refused as a duplicate).
    //! A directory that does not exist is skipped. Never throws; failures are records.
    void loadDirectories(const std::vector<std::filesystem::path>& dirs);
    //! Loads one file. Returns its record (also kept in records()).
    const PluginRecord& loadFile(const std::filesystem::path& file);

    const std::vector<PluginRecord>& records() const { return m_records; }
    //! The loaded plugin called `name`, or null.
    const PluginRecord* find(std::string_view name) const;
    //! Names of the loaded plugins.
    std::vector<std::string> loadedNames() const;

private:
    std::vector<PluginRecord> m_records;
};

//! The built-in plugin directory (<prefix>/<libdir>/jmnode/plugins relative to the executable)
//! followed by the entries of $JMNODE_PLUGIN_PATH (colon-separated).
std::vector<std::filesystem::path> defaultPluginDirs();

} // namespace jm::host
