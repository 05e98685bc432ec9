#include <cli/commands.hpp>
#include <cli/options.hpp>
#include <cli/prepared_node.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iostream>

namespace jm::host {

namespace po = boost::program_options;

namespace {

boost::json::array toJson(const std::vector<std::string>& list) {
    boost::json::array a;
    for (const auto& s : list)
        a.emplace_back(s);
    return a;
}

boost::json::value recordJson(const PluginRecord& r) {
    boost::json::object o{{"name", r.name},
                          {"version", r.version},
                          {"file", r.path.string()},
                          {"status", r.loaded ? "loaded" : "refused"}};
    if (!r.loaded) o["reason"] = r.refusal;
    boost::json::array factories;
    for (auto* f : r.factories)
        factories.push_back(boost::json::object{{"kind", f->kind()},
                                                {"name", f->name()},
                                                {"description", f->description()},
                                                {"dependencies", toJson(f->dependencies())},
                                                {"provides", toJson(f->provides())}});
    o["factories"] = std::move(factories);
    return o;
}

} // namespace

int pluginsCommand(const std::vector<std::string>& args) {
    po::options_description options("jmnode plugins");
    addPluginDirOption(options);
    options.add_options()("json", "print JSON");
    int code = 0;
    auto vm = parseOptions(args, "jmnode plugins [--json] [--plugin-dir DIR]...", options, {}, code);
    if (!vm) return code;
    auto dirs = pluginDirs(*vm);
    auto search = pluginSearchPath({}, dirs);
    PluginLoader loader;
    loader.loadDirectories(search);

    if (vm->count("json")) {
        boost::json::array plugins;
        for (const auto& r : loader.records())
            plugins.push_back(recordJson(r));
        boost::json::array searched;
        for (const auto& d : search)
            searched.emplace_back(d.string());
        std::cout << boost::json::serialize(boost::json::object{{"search_path", searched}, {"plugins", plugins}})
                  << "\n";
        return 0;
    }
    std::cout << "Plugin search path:\n";
    for (const auto& d : search)
        std::cout << "  " << d.string() << "\n";
    if (loader.records().empty()) std::cout << "No plugins found.\n";
    for (const auto& r : loader.records()) {
        std::cout << "\n"
                  << r.name << (r.version.empty() ? "" : " " + r.version) << "  [" << (r.loaded ? "loaded" : "refused")
                  << "]  " << r.path.string() << "\n";
        if (!r.loaded) std::cout << "  refused: " << r.refusal << "\n";
        for (auto* f : r.factories)
            std::cout << "  " << f->kind() << "/" << f->name() << ": " << f->description() << "\n";
    }
    return 0;
}

} // namespace jm::host
