#include <jm/sdk/testing/test_context.hpp>

namespace jm::sdk::testing {

TestContext::TestContext(std::string instance, std::string network) :
    m_strand(boost::asio::make_strand(m_ioc)), m_bus(makeEventBus(makeLogger("bus"))),
    m_services(makeServiceRegistry()), m_logger(makeLogger(instance)), m_instance(std::move(instance)),
    m_network(std::move(network)), m_dataDir(std::filesystem::temp_directory_path()) {}

TestContext::~TestContext() { m_blocking.join(); }

Executor TestContext::executor() { return m_strand; }
Executor TestContext::blockingExecutor() { return m_blocking.get_executor(); }
EventBus& TestContext::bus() { return *m_bus; }
ServiceRegistry& TestContext::services() { return *m_services; }
Logger& TestContext::logger() { return m_logger; }
KvStore& TestContext::store() { return m_store; }
std::string_view TestContext::instanceName() const { return m_instance; }
std::string_view TestContext::network() const { return m_network; }
const std::filesystem::path& TestContext::dataDir() const { return m_dataDir; }

void TestContext::requestShutdown(std::string_view reason) noexcept {
    std::lock_guard lock(m_mutex);
    m_shutdownReason = reason;
}

std::size_t TestContext::poll() {
    m_ioc.restart();
    return m_ioc.poll();
}

std::string TestContext::shutdownReason() const {
    std::lock_guard lock(m_mutex);
    return m_shutdownReason;
}

} // namespace jm::sdk::testing
