#include <jm/sdk/testing/memory_kv_store.hpp>

namespace jm::sdk::testing {

Result<std::optional<std::string>> MemoryKvStore::get(std::string_view key) const {
    std::lock_guard lock(m_mutex);
    auto it = m_data.find(key);
    if (it == m_data.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
}

Result<void> MemoryKvStore::put(std::string_view key, std::string_view value, WriteOptions options) {
    WriteBatch b;
    b.put(key, value);
    return write(b, options);
}

Result<void> MemoryKvStore::erase(std::string_view key, WriteOptions options) {
    WriteBatch b;
    b.erase(key);
    return write(b, options);
}

Result<void> MemoryKvStore::write(const WriteBatch& batch, WriteOptions options) {
    std::lock_guard lock(m_mutex);
    for (const auto& op : batch.ops()) {
        if (op.erase)
            m_data.erase(op.key);
        else
            m_data.insert_or_assign(op.key, op.value);
    }
    if (options.sync) ++m_synced;
    return {};
}

Result<void> MemoryKvStore::iterate(std::string_view prefix,
                                    const std::function<bool(std::string_view, std::string_view)>& fn) const {
    std::lock_guard lock(m_mutex);
    for (auto it = m_data.lower_bound(prefix); it != m_data.end() && it->first.starts_with(prefix); ++it)
        if (!fn(it->first, it->second)) break;
    return {};
}

Result<void> MemoryKvStore::compact(std::string_view prefix) {
    std::lock_guard lock(m_mutex);
    m_compactions.emplace_back(prefix);
    return {};
}

std::vector<std::string> MemoryKvStore::compactions() const {
    std::lock_guard lock(m_mutex);
    return m_compactions;
}

std::size_t MemoryKvStore::syncedWrites() const {
    std::lock_guard lock(m_mutex);
    return m_synced;
}

} // namespace jm::sdk::testing
