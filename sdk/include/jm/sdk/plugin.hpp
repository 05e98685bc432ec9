#pragma once

#include <jm/sdk/config.hpp>
#include <jm/sdk/context.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace jm::sdk {

//! One running instance made by a PluginFactory.
//! Executor: every member is called on the instance's strand (ctx.executor()).
//! No exception may leave these members; the host's barrier catches and disables the instance
//! if one does, but the contract is Result.
class JM_SDK_API Plugin {
public:
    virtual ~Plugin();
    //! Called once after every instance is created, in dependency order.
    //! Errors: any; the node then stops the started instances and exits non-zero.
    virtual Result<void> start() = 0;
    //! Begins an orderly stop: cancel timers and sockets, finish or abandon work, then call
    //! `done` exactly once (on any thread). The host waits with a deadline.
    virtual void stop(std::function<void()> done) = 0;
};

using PluginPtr = std::unique_ptr<Plugin>;

//! Makes instances of one plugin type and describes its configuration.
//! Ownership: owned by its PluginModule (static storage in the plugin .so, never unloaded).
//! Executor: kind/name/description/configSchema/dependencies/provides are pure and thread-safe;
//! create() is called on the new instance's strand.
class JM_SDK_API PluginFactory {
public:
    virtual ~PluginFactory();
    //! "role" | "backend" | "fee" | "chooser" | "yieldgen" | "notifier" | "test".
    virtual std::string_view kind() const = 0;
    //! Unique within the module: "core", "log", "webhook", "fidelity_bond_weighted", ...
    virtual std::string_view name() const = 0;
    //! One line for `jmnode plugins` and `jmnode help-plugin`.
    virtual std::string_view description() const = 0;
    virtual const ConfigSchema& configSchema() const = 0;
    //! Service kinds this factory's instances consume (e.g. "backend/1"): providers start first
    //! and stop last.
    virtual std::vector<std::string> dependencies() const { return {}; }
    //! Service kinds its instances register in create().
    virtual std::vector<std::string> provides() const { return {}; }
    //! Makes an instance. `config` was validated against configSchema() (defaults filled);
    //! copy what you need, do not keep references into it.
    //! Ownership: `ctx` outlives the returned instance.
    //! Errors: errc::invalid_config for values the schema cannot express; any other.
    virtual Result<PluginPtr> create(PluginContext& ctx, const boost::json::object& config) = 0;
    //! Checks what configSchema() cannot express (values that depend on each other or on the
    //! node's `network`: "mainnet", "testnet", "signet", "regtest"), so that `jmnode config check`
    //! and `run` report every mistake before any instance is created. Appends one ConfigProblem
    //! per mistake to `problems`, its path starting with `path` (e.g. "$.plugins[2].config");
    //! returns true when it found none. The default finds none.
    //! Executor: any (the host calls it on its main thread); pure: it must not connect, resolve
    //! names, read files or keep state. Ownership: `config` (validated against configSchema(),
    //! defaults filled) and `problems` are borrowed for the call only.
    //! Errors: reported through `problems`, never thrown (the host's barrier turns an escaped
    //! exception into one problem).
    virtual bool checkConfig(const boost::json::object& config, std::string_view network, std::string_view path,
                             std::vector<ConfigProblem>& problems) const;
};

//! The C++ entry of a plugin .so, returned by jm_plugin_info::module after the handshake.
//! Lists its factories with explicit calls (no static self-registration).
//! Ownership: static storage in the plugin. Executor: host main thread.
class JM_SDK_API PluginModule {
public:
    virtual ~PluginModule();
    virtual std::span<PluginFactory* const> factories() = 0;
};

//! The usual PluginModule: it owns one default-constructed instance of each factory type and
//! lists them in the order given, e.g.
//!   JM_PLUGIN_ENTRY("taker", "0.1.0", jm::sdk::FactoryList<TakerFactory>)
//! (with two or more factories, name the type with a `using` first: the macro takes one
//! argument). Each type appears once. Ownership and executor: as PluginModule.
template <class... Factories> class FactoryList final : public PluginModule {
public:
    FactoryList() : m_list{&std::get<Factories>(m_factories)...} {}
    std::span<PluginFactory* const> factories() override { return m_list; }

private:
    std::tuple<Factories...> m_factories;
    std::array<PluginFactory*, sizeof...(Factories)> m_list;
};

} // namespace jm::sdk
