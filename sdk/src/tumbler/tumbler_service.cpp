#include <jm/tumbler/tumbler_service.hpp>

namespace jm::tumbler {

// The key function: one exported vtable for the interface (architecture.md section 10.2).
TumblerService::~TumblerService() = default;

} // namespace jm::tumbler
