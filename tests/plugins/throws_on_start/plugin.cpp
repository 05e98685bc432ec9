// Fails in start(), by throwing (config "mode": "throw") or by returning an error ("error").
// Reports on the bus when its stop() is called, so tests see that a failed start is stopped.
#include "../common/single_factory.hpp"
#include "../common/smoke_result.hpp"

#include <stdexcept>

namespace {

class ThrowsOnStart final : public jm::sdk::Plugin {
public:
    ThrowsOnStart(jm::sdk::PluginContext& ctx, std::string mode) : m_ctx(ctx), m_mode(std::move(mode)) {}
    jm::sdk::Result<void> start() override {
        if (m_mode == "throw") throw std::runtime_error("boom from throws_on_start");
        return jm::sdk::fail(jm::sdk::errc::unavailable, "throws_on_start refuses to start");
    }
    void stop(std::function<void()> done) override {
        m_ctx.bus().publish(jm::test::SmokeResult{"stopped", true, std::string(m_ctx.instanceName())});
        done();
    }

private:
    jm::sdk::PluginContext& m_ctx;
    std::string m_mode;
};

jm::sdk::ConfigSchema schema() {
    jm::sdk::ConfigField mode;
    mode.name = "mode";
    mode.default_value = "throw";
    mode.allowed = {"throw", "error"};
    mode.description = "how start() fails";
    jm::sdk::ConfigSchema s;
    s.add(mode);
    return s;
}

class Module final : public jm::test::SingleFactoryModule {
public:
    Module() :
        SingleFactoryModule(
            "throws_on_start", schema(),
            [](jm::sdk::PluginContext& ctx, const boost::json::object& config) -> jm::sdk::Result<jm::sdk::PluginPtr> {
                return std::make_unique<ThrowsOnStart>(ctx, *jm::sdk::configString(config, "mode"));
            }) {}
};

} // namespace

JM_PLUGIN_ENTRY("throws_on_start", "0.0.1", Module)
