#include <cli/commands.hpp>

namespace jm::host {

const std::vector<Command>& commands() {
    static const std::vector<Command> list{
        {"run", "run the node with the plugins a config enables", runCommand},
        {"plugins", "list the plugins found, with their factories or why they were refused", pluginsCommand},
        {"config check", "validate a config file and print every problem with its JSON path", configCheckCommand},
        {"help-plugin", "print a plugin factory's configuration keys with defaults", helpPluginCommand},
    };
    return list;
}

} // namespace jm::host
