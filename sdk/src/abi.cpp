#include <jm/sdk/abi.hpp>

namespace jm::sdk {

const char* sdkAbiHash() noexcept { return JM_SDK_ABI_HASH; }
const char* sdkBuildId() noexcept { return JM_SDK_BUILD_ID; }

} // namespace jm::sdk
