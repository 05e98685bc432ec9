#include <plugins/barrier.hpp>
#include <plugins/instance_plan.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace jm::host {

using jm::sdk::ConfigProblem;

bool validInstanceName(std::string_view name) {
    if (name.empty() || name.size() > 64 || name == "default") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

namespace {

int kindRank(std::string_view kind) {
    if (kind == "backend") return 0;
    if (kind == "fee" || kind == "chooser" || kind == "yieldgen") return 1;
    if (kind == "role") return 2;
    if (kind == "notifier") return 3;
    return 4;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none" : out;
}

// Orders plans so that providers of a service kind come before its consumers (stable
// topological sort; ties broken by kind rank, then config order).
std::vector<InstancePlan> order(std::vector<InstancePlan> plans, std::vector<ConfigProblem>& problems) {
    std::stable_sort(plans.begin(), plans.end(), [](const auto& a, const auto& b) {
        return kindRank(a.factory->kind()) < kindRank(b.factory->kind());
    });
    std::map<std::string, std::vector<std::size_t>> providers;
    for (std::size_t i = 0; i < plans.size(); ++i)
        for (const auto& kind : plans[i].factory->provides())
            providers[kind].push_back(i);
    std::vector<std::set<std::size_t>> needs(plans.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
        for (const auto& kind : plans[i].factory->dependencies()) {
            auto it = providers.find(kind);
            if (it == providers.end()) {
                problems.push_back({plans[i].path, "instance '" + plans[i].name + "' needs a '" + kind +
                                                       "' service but no configured plugin instance provides one"});
                continue;
            }
            for (auto p : it->second)
                if (p != i) needs[i].insert(p);
        }
    }
    std::vector<InstancePlan> sorted;
    std::vector<bool> done(plans.size(), false);
    while (sorted.size() < plans.size()) {
        bool progressed = false;
        for (std::size_t i = 0; i < plans.size(); ++i) {
            if (done[i]) continue;
            if (std::all_of(needs[i].begin(), needs[i].end(), [&](auto p) { return done[p]; })) {
                done[i] = true;
                sorted.push_back(plans[i]);
                progressed = true;
                break; // restart so earlier-ranked instances keep precedence
            }
        }
        if (!progressed) {
            std::vector<std::string> stuck;
            for (std::size_t i = 0; i < plans.size(); ++i)
                if (!done[i]) stuck.push_back(plans[i].name);
            problems.push_back({"$.plugins", "dependency cycle between instances: " + joined(stuck)});
            break;
        }
    }
    return sorted;
}

} // namespace

std::vector<InstancePlan> planInstances(const NodeConfig& config, const PluginLoader& loader,
                                        std::vector<ConfigProblem>& problems) {
    std::vector<InstancePlan> plans;
    std::set<std::string> names;
    for (const auto& entry : config.plugins) {
        const PluginRecord* plugin = loader.find(entry.load);
        if (!plugin) {
            std::string message = "unknown plugin '" + entry.load + "'";
            auto loaded = loader.loadedNames();
            if (auto hint = jm::sdk::closestMatch(entry.load, loaded)) message += "; did you mean '" + *hint + "'?";
            message += " (loaded plugins: " + joined(loaded) + ")";
            for (const auto& r : loader.records())
                if (!r.loaded && r.name == entry.load)
                    message = "plugin '" + entry.load + "' was refused: " + r.refusal;
            problems.push_back({entry.path + ".load", message});
            continue;
        }
        std::vector<jm::sdk::PluginFactory*> chosen;
        std::vector<std::string> factory_names;
        for (auto* f : plugin->factories)
            factory_names.emplace_back(f->name());
        if (entry.factory) {
            auto it = std::find_if(plugin->factories.begin(), plugin->factories.end(),
                                   [&](auto* f) { return f->name() == *entry.factory; });
            if (it == plugin->factories.end()) {
                std::string message = "plugin '" + entry.load + "' has no factory '" + *entry.factory + "'";
                if (auto hint = jm::sdk::closestMatch(*entry.factory, factory_names))
                    message += "; did you mean '" + *hint + "'?";
                message += " (factories: " + joined(factory_names) + ")";
                problems.push_back({entry.path + ".factory", message});
                continue;
            }
            chosen.push_back(*it);
        } else if (plugin->factories.size() == 1 || (entry.config.empty() && !entry.instance)) {
            // One factory, or a family loaded whole: an instance of each, named after its factory.
            chosen = plugin->factories;
        } else {
            problems.push_back({entry.path, "plugin '" + entry.load + "' has several factories (" +
                                                joined(factory_names) + "); name one with \"factory\""});
            continue;
        }
        if (chosen.empty()) {
            problems.push_back({entry.path + ".load", "plugin '" + entry.load + "' provides no factory"});
            continue;
        }
        for (auto* factory : chosen) {
            InstancePlan plan;
            plan.plugin = plugin;
            plan.factory = factory;
            plan.name = (entry.instance && chosen.size() == 1) ? *entry.instance : std::string(factory->name());
            plan.path = entry.path;
            plan.config = entry.config;
            if (!validInstanceName(plan.name)) {
                problems.push_back(
                    {entry.path + ".instance",
                     "invalid instance name '" + plan.name + "' (use letters, digits, '_', '-', '.'; at most 64)"});
                continue;
            }
            if (plan.name == WALLET_NAMESPACE || plan.name.starts_with(std::string(WALLET_NAMESPACE) + ".")) {
                problems.push_back(
                    {entry.path + ".instance", "instance name '" + plan.name +
                                                   "' is reserved: it would share a wallet's storage; give this "
                                                   "instance another \"instance\""});
                continue;
            }
            if (!names.insert(plan.name).second) {
                problems.push_back(
                    {entry.path + ".instance",
                     "instance name '" + plan.name + "' is used twice; give one of them another \"instance\""});
                continue;
            }
            // The factory's own checks need a config the schema accepted (defaults filled).
            if (factory->configSchema().validate(plan.config, entry.path + ".config", problems)) {
                auto checked =
                    callPlugin("checkConfig of instance '" + plan.name + "'", [&]() -> jm::sdk::Result<void> {
                        factory->checkConfig(plan.config, config.network, entry.path + ".config", problems);
                        return {};
                    });
                if (!checked) problems.push_back({entry.path + ".config", checked.error().message});
            }
            plans.push_back(std::move(plan));
        }
    }
    return order(std::move(plans), problems);
}

} // namespace jm::host
