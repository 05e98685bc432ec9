#include <plugins/plugin_loader.hpp>

#include <jm/sdk/abi.hpp>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace jm::host {
namespace {

// Handles are kept here until process exit and never closed: unloading a plugin whose code
// may still be referenced (queued handlers, shared_ptr deleters, vtables) is undefined.
std::vector<boost::dll::shared_library>& libraryRegistry() {
    static auto* registry = new std::vector<boost::dll::shared_library>(); // intentionally leaked
    return *registry;
}

std::string describeOtherAbi(const boost::dll::shared_library& lib) {
    for (int major = 0; major < 16; ++major) {
        if (major == JM_SDK_ABI_MAJOR) continue;
        if (lib.has("jm_plugin_entry_v" + std::to_string(major)))
            return "built for plugin ABI v" + std::to_string(major) + ", this node speaks v" +
                   std::to_string(JM_SDK_ABI_MAJOR) + "; rebuild it against this SDK";
    }
    return "not a jmnode plugin: no jm_plugin_entry_v" + std::to_string(JM_SDK_ABI_MAJOR) + " symbol";
}

// Checks the C handshake; returns the refusal reason, empty when acceptable.
std::string checkHandshake(const jm_plugin_info* info) {
    if (!info) return "the entry point returned no plugin info";
    if (info->struct_size != sizeof(jm_plugin_info))
        return "plugin info has size " + std::to_string(info->struct_size) + ", expected " +
               std::to_string(sizeof(jm_plugin_info)) + "; rebuild it against this SDK";
    if (info->abi_major != JM_SDK_ABI_MAJOR)
        return "built for plugin ABI v" + std::to_string(info->abi_major) + ", this node speaks v" +
               std::to_string(JM_SDK_ABI_MAJOR) + "; rebuild it against this SDK";
    if (!info->abi_hash || std::strcmp(info->abi_hash, JM_SDK_ABI_HASH) != 0)
        return std::string("built against different SDK headers (hash ") + (info->abi_hash ? info->abi_hash : "none") +
               ", this node has " + JM_SDK_ABI_HASH + "); rebuild it against this SDK";
    if (!info->build_id || std::strcmp(info->build_id, JM_SDK_BUILD_ID) != 0)
        return std::string("built with another toolchain or flags (") + (info->build_id ? info->build_id : "none") +
               ", this node: " + JM_SDK_BUILD_ID + "); rebuild it with the same compiler, Boost and flags";
    if (!info->name || !*info->name) return "the plugin has no name";
    if (!info->module) return "the plugin has no module function";
    return {};
}

} // namespace

const PluginRecord& PluginLoader::loadFile(const std::filesystem::path& file) {
    PluginRecord record;
    record.path = file;
    record.name = file.stem().string();
    auto refuse = [&](std::string reason) -> const PluginRecord& {
        record.refusal = std::move(reason);
        m_records.push_back(std::move(record));
        return m_records.back();
    };

    boost::system::error_code ec;
    boost::dll::shared_library lib(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
        const char* why = ::dlerror();
        return refuse("cannot load: " + (why ? std::string(why) : ec.message()));
    }
    std::string entry_name = "jm_plugin_entry_v" + std::to_string(JM_SDK_ABI_MAJOR);
    if (!lib.has(entry_name)) return refuse(describeOtherAbi(lib));

    const jm_plugin_info* info = nullptr;
    try {
        auto entry = lib.get_alias<const jm_plugin_info*() noexcept>(entry_name);
        info = entry();
    } catch (const std::exception& e) {
        return refuse(std::string("reading the entry point failed: ") + e.what());
    }
    if (auto reason = checkHandshake(info); !reason.empty()) return refuse(reason);
    record.name = info->name;
    record.version = info->version ? info->version : "";
    if (find(record.name)) return refuse("a plugin called '" + record.name + "' was already loaded from another file");

    // From here on C++: the handshake guarantees the same SDK headers and toolchain.
    try {
        jm::sdk::PluginModule* module = info->module();
        if (!module) return refuse("the plugin's module() returned null");
        auto factories = module->factories();
        record.factories.assign(factories.begin(), factories.end());
        for (auto* f : record.factories)
            if (!f) return refuse("the plugin listed a null factory");
    } catch (const std::exception& e) {
        return refuse(std::string("the plugin threw while listing its factories: ") + e.what());
    } catch (...) {
        return refuse("the plugin threw while listing its factories");
    }
    record.loaded = true;
    libraryRegistry().push_back(std::move(lib));
    m_records.push_back(std::move(record));
    return m_records.back();
}

void PluginLoader::loadDirectories(const std::vector<std::filesystem::path>& dirs) {
    std::vector<std::filesystem::path> seen;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) continue;
        auto canonical = std::filesystem::canonical(dir, ec);
        if (ec || std::find(seen.begin(), seen.end(), canonical) != seen.end()) continue;
        seen.push_back(canonical);
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            if (entry.path().extension() == ".so") files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files)
            loadFile(f);
    }
}

const PluginRecord* PluginLoader::find(std::string_view name) const {
    for (const auto& r : m_records)
        if (r.loaded && r.name == name) return &r;
    return nullptr;
}

std::vector<std::string> PluginLoader::loadedNames() const {
    std::vector<std::string> names;
    for (const auto& r : m_records)
        if (r.loaded) names.push_back(r.name);
    return names;
}

std::vector<std::filesystem::path> defaultPluginDirs() {
    std::vector<std::filesystem::path> dirs;
    boost::system::error_code ec;
    auto exe = boost::dll::program_location(ec);
    if (!ec) {
        // Installed: <prefix>/bin/jmnode and <prefix>/<libdir>/jmnode/plugins; the build tree
        // uses lib/jmnode/plugins whatever the libdir.
        auto prefix = exe.parent_path().parent_path();
        dirs.push_back((prefix / JMNODE_PLUGIN_SUBDIR).lexically_normal());
        auto build_tree = (prefix / "lib" / "jmnode" / "plugins").lexically_normal();
        if (build_tree != dirs.back()) dirs.push_back(build_tree);
    }
    if (const char* env = std::getenv("JMNODE_PLUGIN_PATH")) {
        std::string_view rest(env);
        while (!rest.empty()) {
            auto colon = rest.find(':');
            auto part = rest.substr(0, colon);
            if (!part.empty()) dirs.emplace_back(std::string(part));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    return dirs;
}

} // namespace jm::host
