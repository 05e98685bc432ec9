#include "neutrino_plugin.hpp"

namespace jm::plugins::backend_neutrino {

NeutrinoPlugin::NeutrinoPlugin(jm::sdk::PluginContext& ctx, std::unique_ptr<RunningChainSource> source,
                               NeutrinoSettings settings) :
    m_source(std::move(source)),
    m_backend(std::make_unique<NeutrinoBackend>(ctx, *m_source, std::move(settings))) {}

NeutrinoPlugin::~NeutrinoPlugin() {
    m_backend.reset(); // before the source it holds a reference to
}

jm::sdk::Result<void> NeutrinoPlugin::start() {
    if (auto started = m_source->start(); !started) return started;
    m_backend->start();
    return {};
}

void NeutrinoPlugin::stop(std::function<void()> done) {
    m_backend->stop();
    m_source->stop(std::move(done));
}

namespace {

class NeutrinoFactory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "backend"; }
    std::string_view name() const override { return "neutrino"; }
    std::string_view description() const override {
        return "BIP157/158 light client inside the node (no full node, no sidecar): the wallet found through "
               "compact block filters from peers, broadcast over P2P; counterparties' coins need NG "
               "neutrino_compat hints; fee estimates come from a fee instance";
    }
    const jm::sdk::ConfigSchema& configSchema() const override { return NeutrinoSettings::schema(); }
    std::vector<std::string> provides() const override { return {"backend/1"}; }
    bool checkConfig(const boost::json::object& config, std::string_view network, std::string_view path,
                     std::vector<jm::sdk::ConfigProblem>& problems) const override {
        return checkP2pConfig(network, config, path, problems);
    }
    jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                               const boost::json::object& config) override {
        auto settings = NeutrinoSettings::fromConfig(config);
        if (!settings) return settings.error();
        auto source = makeP2pChainSource(ctx, config);
        if (!source) return source.error();
        auto plugin = std::make_unique<NeutrinoPlugin>(ctx, std::move(*source), std::move(*settings));
        if (auto r = ctx.services().provide<jm::chain::BlockchainBackend>(ctx.instanceName(), plugin->backend()); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(plugin));
    }
};

} // namespace

jm::sdk::PluginFactory& neutrinoFactory() {
    static NeutrinoFactory factory;
    return factory;
}

} // namespace jm::plugins::backend_neutrino
