#include <logging/logging.hpp>

#include <boost/core/null_deleter.hpp>
#include <boost/log/attributes/clock.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/support/date_time.hpp>
#include <boost/log/utility/setup/common_attributes.hpp>

#include <fstream>
#include <iostream>
#include <memory>

namespace jm::host {
namespace {

namespace logging = boost::log;
using Sink = logging::sinks::synchronous_sink<logging::sinks::text_ostream_backend>;

std::vector<boost::shared_ptr<Sink>>& installedSinks() {
    static std::vector<boost::shared_ptr<Sink>> sinks;
    return sinks;
}

boost::shared_ptr<Sink> makeSink(boost::shared_ptr<std::ostream> stream, const LogSettings& settings) {
    auto backend = boost::make_shared<logging::sinks::text_ostream_backend>();
    backend->add_stream(stream);
    backend->auto_flush(true);
    auto sink = boost::make_shared<Sink>(backend);
    auto channels = settings.channels;
    auto level = settings.level;
    sink->set_filter([channels, level](const logging::attribute_value_set& attrs) {
        auto severity = attrs[jm::sdk::logSeverity];
        if (!severity) return true; // records from outside the SDK macros
        auto channel = attrs[jm::sdk::logChannel];
        auto threshold = level;
        if (channel) {
            auto it = channels.find(channel.get());
            if (it != channels.end()) threshold = it->second;
        }
        return severity.get() >= threshold;
    });
    sink->set_formatter(logging::expressions::stream
                        << logging::expressions::format_date_time<boost::posix_time::ptime>("TimeStamp",
                                                                                            "%Y-%m-%dT%H:%M:%S.%f")
                        << " [" << jm::sdk::logSeverity << "] [" << jm::sdk::logChannel << "] "
                        << logging::expressions::smessage);
    return sink;
}

} // namespace

jm::sdk::Result<void> setupLogging(const LogSettings& settings) {
    shutdownLogging();
    auto core = logging::core::get();
    static bool attributes_added = false;
    if (!attributes_added) {
        core->add_global_attribute("TimeStamp", logging::attributes::utc_clock());
        attributes_added = true;
    }
    if (settings.console) {
        auto sink = makeSink(boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()), settings);
        core->add_sink(sink);
        installedSinks().push_back(sink);
    }
    if (!settings.file.empty()) {
        auto file = boost::make_shared<std::ofstream>(settings.file, std::ios::app);
        if (!*file) return jm::sdk::fail(jm::sdk::errc::io_error, "cannot open log file " + settings.file.string());
        auto sink = makeSink(file, settings);
        core->add_sink(sink);
        installedSinks().push_back(sink);
    }
    return {};
}

void shutdownLogging() {
    auto core = logging::core::get();
    for (auto& sink : installedSinks()) {
        sink->flush();
        core->remove_sink(sink);
    }
    installedSinks().clear();
}

} // namespace jm::host
