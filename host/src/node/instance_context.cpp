#include <node/instance_context.hpp>

namespace jm::host {

InstanceContext::InstanceContext(std::string name, boost::asio::io_context& ioc, boost::asio::thread_pool& blocking,
                                 jm::sdk::EventBus& bus, jm::sdk::ServiceRegistry& services, jm::sdk::KvStorePtr store,
                                 std::string network, std::filesystem::path datadir, ShutdownFn shutdown) :
    m_name(std::move(name)),
    m_strand(boost::asio::make_strand(ioc)), m_blocking(blocking), m_bus(bus), m_services(services),
    m_logger(jm::sdk::makeLogger(m_name)), m_store(std::move(store)), m_network(std::move(network)),
    m_datadir(std::move(datadir)), m_shutdown(std::move(shutdown)) {}

void InstanceContext::requestShutdown(std::string_view reason) noexcept {
    try {
        m_shutdown(std::string(m_name) + ": " + std::string(reason));
    } catch (...) {
        // noexcept by contract: a failure to log must not take the plugin down.
    }
}

jm::sdk::Result<jm::sdk::KvStorePtr> InstanceContext::openWalletStore(std::string_view name) {
    if (!m_walletStore) return jm::sdk::PluginContext::openWalletStore(name);
    return m_walletStore(name);
}

} // namespace jm::host
