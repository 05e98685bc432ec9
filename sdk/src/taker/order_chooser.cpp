#include <jm/taker/order_chooser.hpp>

namespace jm::taker {

// The key function: one exported vtable for the interface (architecture.md section 10.2).
OrderChooser::~OrderChooser() = default;

} // namespace jm::taker
