// The chooser plugin: REF's four order choosers as "chooser/1" services for the taker role.
#include "chooser_factories.hpp"

#include <jm/sdk/abi.hpp>

namespace jm::plugins::chooser {
namespace {

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return chooserFactories(); }
};

} // namespace
} // namespace jm::plugins::chooser

JM_PLUGIN_ENTRY("chooser", "0.1.0", jm::plugins::chooser::Module)
