#include <jm/sdk/service_registry.hpp>

#include <map>
#include <mutex>

namespace jm::sdk {
namespace {

class Registry final : public ServiceRegistry {
public:
    std::vector<std::string> instances(std::string_view kind) const override {
        std::lock_guard lock(m_mutex);
        std::vector<std::string> out;
        for (const auto& [key, service] : m_services)
            if (key.first == kind) out.push_back(key.second);
        return out;
    }

    void removeInstance(std::string_view instance) override {
        std::lock_guard lock(m_mutex);
        std::erase_if(m_services, [&](const auto& entry) { return entry.first.second == instance; });
    }

protected:
    Result<void> addErased(std::string_view kind, std::string_view instance, Service* service) override {
        std::lock_guard lock(m_mutex);
        auto [it, inserted] = m_services.try_emplace({std::string(kind), std::string(instance)}, service);
        if (!inserted)
            return fail(errc::already_exists, "a " + std::string(kind) + " service called '" + std::string(instance) +
                                                  "' is already registered");
        return {};
    }

    Result<Service*> getErased(std::string_view kind, std::string_view instance) const override {
        std::lock_guard lock(m_mutex);
        auto it = m_services.find({std::string(kind), std::string(instance)});
        if (it != m_services.end()) return it->second;
        std::string available;
        for (const auto& [key, service] : m_services)
            if (key.first == kind) available += (available.empty() ? "" : ", ") + key.second;
        return fail(errc::not_found, "no " + std::string(kind) + " service called '" + std::string(instance) +
                                         "' (available: " + (available.empty() ? "none" : available) + ")");
    }

private:
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, std::string>, Service*> m_services;
};

} // namespace

ServiceRegistryPtr makeServiceRegistry() { return std::make_unique<Registry>(); }

} // namespace jm::sdk
