// A plugin whose handshake is wrong in one field, chosen by JM_BAD_FIELD at build time:
// 1 = ABI major, 2 = SDK header hash, 3 = build id, 4 = exports only a v2 entry symbol.
// The loader must refuse it before touching any C++ object (module() aborts if called).
#include <jm/sdk/abi.hpp>

#include <cstdlib>

namespace {
jm::sdk::PluginModule* module() { std::abort(); }

const jm_plugin_info* entry() noexcept {
    static const jm_plugin_info info {
        sizeof(jm_plugin_info),
#if JM_BAD_FIELD == 1
            JM_SDK_ABI_MAJOR + 1,
#else
            JM_SDK_ABI_MAJOR,
#endif
#if JM_BAD_FIELD == 2
            "0000000000000000000000000000000000000000000000000000000000000000",
#else
            JM_SDK_ABI_HASH,
#endif
#if JM_BAD_FIELD == 3
            "clang-99;libc++;boost-0",
#else
            JM_SDK_BUILD_ID,
#endif
            "bad_abi", "0.0.1", &module
    };
    return &info;
}
} // namespace

#if JM_BAD_FIELD == 4
BOOST_DLL_ALIAS(entry, jm_plugin_entry_v2)
#else
BOOST_DLL_ALIAS(entry, jm_plugin_entry_v1)
#endif
