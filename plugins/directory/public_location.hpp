#pragma once

#include <mutex>
#include <string>
#include <utility>

namespace jm::plugins::directory {

//! The directory's public location ("<onion>.onion:5222"), listed in the peerlists it sends;
//! empty = not listed. Set from the config, or later, when the directory's own onion service is
//! published (Tor hands the address out only then).
//! Executor: any: every I/O thread reads it, the plugin's strand sets it (a mutex guards it;
//! it is read once per peerlist, far from the hot path).
class PublicLocation {
public:
    explicit PublicLocation(std::string initial = {}) : m_value(std::move(initial)) {}

    std::string get() const {
        std::lock_guard lock(m_mutex);
        return m_value;
    }
    void set(std::string value) {
        std::lock_guard lock(m_mutex);
        m_value = std::move(value);
    }

private:
    mutable std::mutex m_mutex;
    std::string m_value;
};

} // namespace jm::plugins::directory
