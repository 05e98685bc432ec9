#pragma once

#include <jm/sdk/kv_store.hpp>
#include <jm/tumbler/tumbler_service.hpp>

#include <filesystem>
#include <optional>

namespace jm::plugins::tumbler {

//! The tumble plan in the instance's KvStore (key "plan", one JSON document, so a step's new
//! state and the plan's are written together, synced), mirrored to a status file
//! `jmnode tumble status` reads beside a running node. A finished plan is kept under
//! "finished/<id>" when a new one starts.
//! Executor: the tumbler's strand. Errors: storage errors; errc::corrupt_data for a damaged plan.
class PlanStore {
public:
    PlanStore(jm::sdk::KvStore& store, std::filesystem::path status_file) :
        m_store(store), m_statusFile(std::move(status_file)) {}

    jm::sdk::Result<std::optional<jm::tumbler::TumblePlan>> load() const;
    //! Writes the plan (synced) and then the status file. The store is the truth, but a status
    //! file that cannot be written is an error too: the caller stops the tumble rather than run
    //! on with a status the user reads that no longer moves.
    jm::sdk::Result<void> save(const jm::tumbler::TumblePlan& plan);
    //! Keeps a finished plan under "finished/<id>" and clears "plan".
    jm::sdk::Result<void> archive(const jm::tumbler::TumblePlan& plan);
    jm::sdk::Result<void> writeStatusFile(const jm::tumbler::TumblePlan& plan) const;
    const std::filesystem::path& statusFile() const { return m_statusFile; }

private:
    jm::sdk::KvStore& m_store;
    std::filesystem::path m_statusFile;
};

} // namespace jm::plugins::tumbler
