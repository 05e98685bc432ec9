// Publishes `count` role.coinjoin_completed/1 events when started: a stand-in for the roles
// in the notify integration test.
#include "../common/single_factory.hpp"

#include <jm/sdk/events.hpp>

namespace {

class EventSource final : public jm::sdk::Plugin {
public:
    EventSource(jm::sdk::PluginContext& ctx, std::int64_t count) : m_ctx(ctx), m_count(count) {}
    jm::sdk::Result<void> start() override {
        for (std::int64_t i = 0; i < m_count; ++i)
            m_ctx.bus().publish(jm::sdk::events::CoinjoinCompleted{"txid" + std::to_string(i), 100000 + i, "maker"});
        return {};
    }
    void stop(std::function<void()> done) override { done(); }

private:
    jm::sdk::PluginContext& m_ctx;
    std::int64_t m_count;
};

jm::sdk::ConfigSchema schema() {
    jm::sdk::ConfigSchema s;
    s.optional("count", jm::sdk::ConfigType::Int, 3, "events published at start");
    return s;
}

class Module final : public jm::test::SingleFactoryModule {
public:
    Module() :
        SingleFactoryModule(
            "event_source", schema(),
            [](jm::sdk::PluginContext& ctx, const boost::json::object& config) -> jm::sdk::Result<jm::sdk::PluginPtr> {
                return std::make_unique<EventSource>(ctx, *jm::sdk::configInt(config, "count"));
            }) {}
};

} // namespace

JM_PLUGIN_ENTRY("event_source", "0.0.1", Module)
