#include "plan_store.hpp"

#include <jm/sdk/files.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace jm::plugins::tumbler {

namespace {
constexpr std::string_view PLAN = "plan";
constexpr std::string_view FINISHED = "finished/";
constexpr jm::sdk::WriteOptions SYNCED{.sync = true};
} // namespace

jm::sdk::Result<std::optional<jm::tumbler::TumblePlan>> PlanStore::load() const {
    auto text = m_store.get(PLAN);
    if (!text) return text.error();
    if (!*text) return std::optional<jm::tumbler::TumblePlan>();
    boost::system::error_code ec;
    auto value = boost::json::parse(**text, ec);
    if (ec) return jm::sdk::fail(jm::sdk::errc::corrupt_data, "the stored tumble plan is not JSON");
    auto plan = jm::tumbler::planFromJson(value);
    if (!plan) return plan.error();
    return std::optional<jm::tumbler::TumblePlan>(std::move(*plan));
}

jm::sdk::Result<void> PlanStore::save(const jm::tumbler::TumblePlan& plan) {
    if (auto r = m_store.put(PLAN, boost::json::serialize(jm::tumbler::toJson(plan)), SYNCED); !r) return r;
    return writeStatusFile(plan);
}

jm::sdk::Result<void> PlanStore::archive(const jm::tumbler::TumblePlan& plan) {
    jm::sdk::WriteBatch batch;
    batch.put(std::string(FINISHED) + plan.id, boost::json::serialize(jm::tumbler::toJson(plan)));
    batch.erase(PLAN);
    return m_store.write(batch, SYNCED);
}

jm::sdk::Result<void> PlanStore::writeStatusFile(const jm::tumbler::TumblePlan& plan) const {
    return jm::sdk::writeFileAtomically(m_statusFile, boost::json::serialize(jm::tumbler::toJson(plan)) + "\n");
}

} // namespace jm::plugins::tumbler
