#pragma once

#include <jm/sdk/result.hpp>

#include <exception>
#include <string>
#include <type_traits>

namespace jm::host {

//! The exception barrier around every host→plugin call (architecture.md 9.1 rule 6): runs `f`,
//! turning anything it throws into an Error of errc::plugin_failed (or the jm::sdk::Exception's
//! own error) whose message starts with `what`. `f` returns Result<T>.
template <class F> auto callPlugin(std::string_view what, F&& f) noexcept -> std::invoke_result_t<F> {
    try {
        return f();
    } catch (const jm::sdk::Exception& e) {
        return e.error().withContext(std::string(what) + " threw");
    } catch (const std::exception& e) {
        return jm::sdk::fail(jm::sdk::errc::plugin_failed, std::string(what) + " threw: " + e.what());
    } catch (...) {
        return jm::sdk::fail(jm::sdk::errc::plugin_failed, std::string(what) + " threw a non-standard exception");
    }
}

} // namespace jm::host
