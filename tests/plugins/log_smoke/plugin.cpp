// Logs one record through ctx.logger() in start(); the test checks the host's Boost.Log core
// (one shared core, architecture.md 10.6) received it on the instance's channel.
#include "../common/single_factory.hpp"

#include <jm/sdk/log.hpp>

namespace {

class LogSmoke final : public jm::sdk::Plugin {
public:
    explicit LogSmoke(jm::sdk::PluginContext& ctx) : m_ctx(ctx) {}
    jm::sdk::Result<void> start() override {
        JM_LOG(m_ctx.logger(), info) << "log_smoke record from the plugin";
        return {};
    }
    void stop(std::function<void()> done) override { done(); }

private:
    jm::sdk::PluginContext& m_ctx;
};

class Module final : public jm::test::SingleFactoryModule {
public:
    Module() :
        SingleFactoryModule(
            "log_smoke", {},
            [](jm::sdk::PluginContext& ctx, const boost::json::object&) -> jm::sdk::Result<jm::sdk::PluginPtr> {
                return std::make_unique<LogSmoke>(ctx);
            }) {}
};

} // namespace

JM_PLUGIN_ENTRY("log_smoke", "0.0.1", Module)
