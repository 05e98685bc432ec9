#include <jm/taker/coinjoin_service.hpp>

namespace jm::taker {

// The key function: one exported vtable for the interface (architecture.md section 10.2).
CoinjoinService::~CoinjoinService() = default;

} // namespace jm::taker
