#include <jm/sdk/kv_store.hpp>

namespace jm::sdk {

void WriteBatch::put(std::string_view key, std::string_view value) {
    m_ops.push_back(Op{false, std::string(key), std::string(value)});
}

void WriteBatch::erase(std::string_view key) { m_ops.push_back(Op{true, std::string(key), {}}); }

} // namespace jm::sdk
