// Config text → JSON (comments allowed) → node-level validation with defaults. Must never
// crash or hang, whatever the bytes.
#include <config/node_config.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = jm::host::parseConfigText(text, "fuzz");
    if (!parsed) return 0;
    std::vector<jm::sdk::ConfigProblem> problems;
    auto config = jm::host::parseNodeConfig(*parsed, "/tmp/fuzz.json", problems);
    if (config && !problems.empty()) __builtin_trap(); // a config is returned only without problems
    return 0;
}
