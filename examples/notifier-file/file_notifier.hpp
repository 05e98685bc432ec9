#pragma once

#include <jm/sdk/plugin.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace example {

//! Appends each chosen bus event to a file, one line per event: "<topic> <json>".
//! Runs on its instance's strand like every plugin; file writes are small and appended.
class FileNotifier final : public jm::sdk::Plugin {
public:
    FileNotifier(jm::sdk::PluginContext& ctx, std::string path, std::vector<std::string> topics);

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    //! The factory's configuration keys.
    static const jm::sdk::ConfigSchema& schema();

private:
    void write(const jm::sdk::EventView& event);

    jm::sdk::PluginContext& m_ctx;
    std::string m_path;
    std::vector<std::string> m_topics;
    std::ofstream m_out;
    std::vector<jm::sdk::Subscription> m_subscriptions;
};

} // namespace example
