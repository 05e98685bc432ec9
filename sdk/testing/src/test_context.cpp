#include <jm/sdk/testing/test_context.hpp>

namespace jm::sdk::testing {

namespace {

//! A KvStore handle forwarding to a store owned by the context (as the host's namespaces).
class ForwardingStore final : public KvStore {
public:
    explicit ForwardingStore(KvStore& target) : m_target(target) {}
    Result<std::optional<std::string>> get(std::string_view key) const override { return m_target.get(key); }
    Result<void> put(std::string_view key, std::string_view value, WriteOptions options) override {
        return m_target.put(key, value, options);
    }
    Result<void> erase(std::string_view key, WriteOptions options) override { return m_target.erase(key, options); }
    Result<void> write(const WriteBatch& batch, WriteOptions options) override {
        return m_target.write(batch, options);
    }
    Result<void> iterate(std::string_view prefix,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const override {
        return m_target.iterate(prefix, fn);
    }
    Result<void> compact(std::string_view prefix) override { return m_target.compact(prefix); }

private:
    KvStore& m_target;
};

} // namespace

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

Result<KvStorePtr> TestContext::openWalletStore(std::string_view name) {
    if (name != "wallet") return fail(errc::not_found, "no wallet '" + std::string(name) + "' in the test context");
    return KvStorePtr(std::make_unique<ForwardingStore>(m_walletStore));
}

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
