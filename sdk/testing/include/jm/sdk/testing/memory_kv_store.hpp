#pragma once

#include <jm/sdk/kv_store.hpp>

#include <map>
#include <mutex>
#include <vector>

namespace jm::sdk::testing {

//! An in-memory KvStore with the real store's semantics (ordered keys, atomic batches) but no
//! durability. Test double only. Executor: thread-safe.
class MemoryKvStore final : public KvStore {
public:
    Result<std::optional<std::string>> get(std::string_view key) const override;
    Result<void> put(std::string_view key, std::string_view value, WriteOptions options = {}) override;
    Result<void> erase(std::string_view key, WriteOptions options = {}) override;
    Result<void> write(const WriteBatch& batch, WriteOptions options = {}) override;
    Result<void> iterate(std::string_view prefix,
                         const std::function<bool(std::string_view key, std::string_view value)>& fn) const override;
    //! Nothing on disk to rewrite: counts the call (see compactions()).
    Result<void> compact(std::string_view prefix) override;
    //! How many writes asked for sync (tests of "persist before reveal" check it).
    std::size_t syncedWrites() const;
    //! The prefixes compact() was called with, in order.
    std::vector<std::string> compactions() const;

private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::string, std::less<>> m_data;
    std::size_t m_synced = 0;
    std::vector<std::string> m_compactions;
};

} // namespace jm::sdk::testing
