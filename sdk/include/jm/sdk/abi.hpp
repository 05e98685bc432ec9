#pragma once

#include <jm/sdk/abi_version.hpp> // generated at configure time: JM_SDK_ABI_HASH, JM_SDK_BUILD_FLAGS
#include <jm/sdk/export.hpp>

#include <boost/config.hpp>
#include <boost/dll/alias.hpp>
#include <boost/version.hpp>

#include <cstdint>

//! The plugin ABI major version. Bumping it changes the entry symbol's name
//! (jm_plugin_entry_v<N>), so an old host reports "not a v<N> plugin" instead of crashing.
#define JM_SDK_ABI_MAJOR 1

#define JM_SDK_STR2(x) #x
#define JM_SDK_STR(x) JM_SDK_STR2(x)
#if defined(NDEBUG)
#define JM_SDK_BUILD_NDEBUG "ndebug"
#else
#define JM_SDK_BUILD_NDEBUG "debug"
#endif

//! Everything that must be equal between host and plugin for the C++ ABI to match: compiler
//! and version, libstdc++'s string ABI, the Boost version, NDEBUG, and the tree-wide flags
//! (sanitizers) that CMake puts into abi_version.hpp.
#define JM_SDK_BUILD_ID                                                                                                \
    "gcc-" JM_SDK_STR(__GNUC__) "." JM_SDK_STR(__GNUC_MINOR__) ";cxx11abi-" JM_SDK_STR(                                \
        _GLIBCXX_USE_CXX11_ABI) ";boost-" JM_SDK_STR(BOOST_VERSION) ";" JM_SDK_BUILD_NDEBUG ";" JM_SDK_BUILD_FLAGS

namespace jm::sdk {
class PluginModule;

//! The ABI hash and build id libjm_sdk.so was built with. The host compares a plugin's
//! handshake against these. Executor: any. Ownership: static strings.
JM_SDK_API const char* sdkAbiHash() noexcept;
JM_SDK_API const char* sdkBuildId() noexcept;
} // namespace jm::sdk

extern "C" {
//! The C handshake every plugin exports through jm_plugin_entry_v1. Only plain C data, read by
//! the host before any C++ object of the plugin is touched.
struct jm_plugin_info {
    std::uint32_t struct_size;          //!< sizeof(jm_plugin_info) at plugin build time
    std::uint32_t abi_major;            //!< JM_SDK_ABI_MAJOR
    const char* abi_hash;               //!< JM_SDK_ABI_HASH
    const char* build_id;               //!< JM_SDK_BUILD_ID
    const char* name;                   //!< the plugin's name, used by "load" in the config
    const char* version;                //!< the plugin's own version (semver)
    jm::sdk::PluginModule* (*module)(); //!< called only after every check passed
};
}

//! Declares a plugin's entry point. Use once per plugin, at namespace scope in plugin.cpp:
//!   JM_PLUGIN_ENTRY("notify", "0.1.0", jm::plugins::notify::Module)
//! MODULE_CLASS derives from jm::sdk::PluginModule and is default-constructible; it is created
//! on first call of module() (no static-initialisation work) and never destroyed before exit.
#define JM_PLUGIN_ENTRY(NAME, VERSION, MODULE_CLASS)                                                                   \
    namespace jm_plugin_entry_detail {                                                                                 \
    inline jm::sdk::PluginModule* module() {                                                                           \
        static MODULE_CLASS instance;                                                                                  \
        return &instance;                                                                                              \
    }                                                                                                                  \
    inline const jm_plugin_info* entry() noexcept {                                                                    \
        static const jm_plugin_info info{                                                                              \
            sizeof(jm_plugin_info), JM_SDK_ABI_MAJOR, JM_SDK_ABI_HASH, JM_SDK_BUILD_ID, NAME, VERSION, &module};       \
        return &info;                                                                                                  \
    }                                                                                                                  \
    }                                                                                                                  \
    BOOST_DLL_ALIAS(jm_plugin_entry_detail::entry, jm_plugin_entry_v1)
