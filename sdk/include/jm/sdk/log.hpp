#pragma once

#include <jm/sdk/export.hpp>

#include <boost/log/attributes/constant.hpp>
#include <boost/log/expressions/keyword.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/sources/severity_channel_logger.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace jm::sdk {

//! Log levels, lowest first.
enum class Severity { trace, debug, info, warning, error, fatal };

//! "trace" ... "fatal". Executor: any. Errors: none.
JM_SDK_API std::string_view toString(Severity s) noexcept;
//! Parses "trace" ... "fatal" (also "warn"); nullopt when unknown. Executor: any.
JM_SDK_API std::optional<Severity> parseSeverity(std::string_view s) noexcept;
JM_SDK_API std::ostream& operator<<(std::ostream& os, Severity s);

//! The logger handed to each plugin instance. Its channel attribute is the instance name.
//! Boost.Log is linked shared everywhere, so records from plugins reach the host's one core;
//! only the host adds sinks and filters.
//! Executor: thread-safe (the _mt logger). Ownership: owned by the PluginContext.
using Logger = boost::log::sources::severity_channel_logger_mt<Severity, std::string>;

//! Makes a logger for a channel (normally an instance name or "host"). Executor: any.
JM_SDK_API Logger makeLogger(std::string channel);

BOOST_LOG_ATTRIBUTE_KEYWORD(logSeverity, "Severity", ::jm::sdk::Severity)
BOOST_LOG_ATTRIBUTE_KEYWORD(logChannel, "Channel", std::string)

} // namespace jm::sdk

//! JM_LOG(ctx.logger(), info) << "synced " << n << " addresses";
//! Never log mnemonics, seeds, private keys or passwords.
#define JM_LOG(logger, level) BOOST_LOG_SEV((logger), ::jm::sdk::Severity::level)
