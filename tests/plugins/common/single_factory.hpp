#pragma once

#include <jm/sdk/abi.hpp>
#include <jm/sdk/plugin.hpp>

#include <functional>

namespace jm::test {

//! A module with one factory whose create() is a lambda: enough for the loader probes.
class SingleFactoryModule : public jm::sdk::PluginModule {
public:
    using CreateFn =
        std::function<jm::sdk::Result<jm::sdk::PluginPtr>(jm::sdk::PluginContext&, const boost::json::object&)>;

    SingleFactoryModule(std::string name, jm::sdk::ConfigSchema schema, CreateFn create) :
        m_factory(std::move(name), std::move(schema), std::move(create)) {}

    std::span<jm::sdk::PluginFactory* const> factories() override { return {m_list, 1}; }

private:
    class Factory final : public jm::sdk::PluginFactory {
    public:
        Factory(std::string name, jm::sdk::ConfigSchema schema, CreateFn create) :
            m_name(std::move(name)), m_schema(std::move(schema)), m_create(std::move(create)) {}
        std::string_view kind() const override { return "test"; }
        std::string_view name() const override { return m_name; }
        std::string_view description() const override { return "loader test probe"; }
        const jm::sdk::ConfigSchema& configSchema() const override { return m_schema; }
        jm::sdk::Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx,
                                                   const boost::json::object& config) override {
            return m_create(ctx, config);
        }

    private:
        std::string m_name;
        jm::sdk::ConfigSchema m_schema;
        CreateFn m_create;
    };
    Factory m_factory;
    jm::sdk::PluginFactory* m_list[1] = {&m_factory};
};

} // namespace jm::test
