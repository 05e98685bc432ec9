#include "file_notifier.hpp"

#include <boost/json/serialize.hpp>

namespace example {

FileNotifier::FileNotifier(jm::sdk::PluginContext& ctx, std::string path, std::vector<std::string> topics) :
    m_ctx(ctx), m_path(std::move(path)), m_topics(std::move(topics)) {}

const jm::sdk::ConfigSchema& FileNotifier::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        schema.required("path", jm::sdk::ConfigType::String, "file the events are appended to");
        jm::sdk::ConfigField on;
        on.name = "on";
        on.type = jm::sdk::ConfigType::List;
        on.element = jm::sdk::ConfigType::String;
        on.default_value = boost::json::array{"*"};
        on.description = "topics to write (\"*\" for all)";
        schema.add(on);
        return schema;
    }();
    return s;
}

jm::sdk::Result<void> FileNotifier::start() {
    m_out.open(m_path, std::ios::app);
    if (!m_out) return jm::sdk::fail(jm::sdk::errc::io_error, "cannot open " + m_path + " for appending");
    for (const auto& topic : m_topics)
        m_subscriptions.push_back(
            m_ctx.bus().subscribeTopic(topic, m_ctx.executor(), [this](const jm::sdk::EventView& e) { write(e); }));
    JM_LOG(m_ctx.logger(), info) << "writing " << m_topics.size() << " topic(s) to " << m_path;
    return {};
}

void FileNotifier::write(const jm::sdk::EventView& event) {
    m_out << event.topic << " " << boost::json::serialize(event.json()) << "\n";
    m_out.flush();
}

void FileNotifier::stop(std::function<void()> done) {
    m_subscriptions.clear();
    m_out.close();
    done();
}

} // namespace example
