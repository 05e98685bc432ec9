#include <cli/prepared_node.hpp>

#include <iostream>

namespace jm::host {

std::vector<std::filesystem::path> pluginSearchPath(const std::vector<std::filesystem::path>& config_dirs,
                                                    const std::vector<std::filesystem::path>& extra_dirs) {
    std::vector<std::filesystem::path> dirs = extra_dirs;
    dirs.insert(dirs.end(), config_dirs.begin(), config_dirs.end());
    for (auto& d : defaultPluginDirs())
        dirs.push_back(d);
    return dirs;
}

std::optional<PreparedNode> prepareNode(const std::filesystem::path& config_file,
                                        const std::vector<std::filesystem::path>& extra_dirs) {
    auto root = readConfigFile(config_file);
    if (!root) {
        std::cerr << "error: " << root.error().message << "\n";
        return std::nullopt;
    }
    std::vector<jm::sdk::ConfigProblem> problems;
    auto config = parseNodeConfig(*root, config_file, problems);
    PreparedNode prepared;
    prepared.loader = std::make_unique<PluginLoader>();
    if (config) {
        prepared.loader->loadDirectories(pluginSearchPath(config->plugin_dirs, extra_dirs));
        prepared.plans = planInstances(*config, *prepared.loader, problems);
    }
    if (!problems.empty()) {
        std::cerr << config_file.string() << ": " << problems.size() << " problem" << (problems.size() == 1 ? "" : "s")
                  << ":\n";
        for (const auto& p : problems)
            std::cerr << "  " << p.path << ": " << p.message << "\n";
        return std::nullopt;
    }
    prepared.config = std::move(*config);
    return prepared;
}

} // namespace jm::host
