// RTTI and exceptions across the plugin boundary (architecture.md 10.2):
// with config "throw": true, create() throws jm::sdk::Exception(errc::unsupported) and the host
// must catch it as that type (keeping its code); otherwise it returns an instance that is also
// a jm::sdk::Service, which the host must be able to dynamic_cast to.
#include "../common/single_factory.hpp"

namespace {

class RttiSmoke final : public jm::sdk::Plugin, public jm::sdk::Service {
public:
    jm::sdk::Result<void> start() override { return {}; }
    void stop(std::function<void()> done) override { done(); }
};

jm::sdk::ConfigSchema schema() {
    jm::sdk::ConfigSchema s;
    s.optional("throw", jm::sdk::ConfigType::Bool, false, "throw jm::sdk::Exception from create()");
    return s;
}

class Module final : public jm::test::SingleFactoryModule {
public:
    Module() :
        SingleFactoryModule(
            "rtti_smoke", schema(),
            [](jm::sdk::PluginContext&, const boost::json::object& config) -> jm::sdk::Result<jm::sdk::PluginPtr> {
                if (*jm::sdk::configBool(config, "throw"))
                    throw jm::sdk::Exception(jm::sdk::Error(jm::sdk::errc::unsupported, "rtti_smoke threw on purpose"));
                return std::make_unique<RttiSmoke>();
            }) {}
};

} // namespace

JM_PLUGIN_ENTRY("rtti_smoke", "0.0.1", Module)
