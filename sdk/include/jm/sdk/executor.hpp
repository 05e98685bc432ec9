#pragma once

#include <boost/asio/any_io_executor.hpp>

namespace jm::sdk {

//! The executor type at the plugin boundary. For a plugin instance it wraps the strand the host
//! made for it, so everything that calls into the plugin is serialised.
using Executor = boost::asio::any_io_executor;

} // namespace jm::sdk
