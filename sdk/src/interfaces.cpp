// Out-of-line virtual destructors: the key functions that give every SDK interface one exported
// vtable and type_info in libjm_sdk.so, so catch and dynamic_cast work across plugins
// (architecture.md section 10.2).
#include <jm/sdk/context.hpp>
#include <jm/sdk/event_bus.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/password_source.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/sdk/service_registry.hpp>

namespace jm::sdk {

Plugin::~Plugin() = default;
PluginFactory::~PluginFactory() = default;
bool PluginFactory::checkConfig(const boost::json::object&, std::string_view, std::string_view,
                                std::vector<ConfigProblem>&) const {
    return true;
}
PluginModule::~PluginModule() = default;
PluginContext::~PluginContext() = default;
Result<KvStorePtr> PluginContext::openWalletStore(std::string_view) {
    return fail(errc::unsupported, "this host keeps no wallets");
}
EventBus::~EventBus() = default;
Subscription::State::~State() = default;
Service::~Service() = default;
ServiceRegistry::~ServiceRegistry() = default;
KvStore::~KvStore() = default;
PasswordSource::~PasswordSource() = default;

} // namespace jm::sdk
