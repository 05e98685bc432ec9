#pragma once

#include <chrono>
#include <cstdio>
#include <functional>

namespace jm::bench {

//! Runs `fn` in batches of 64 for about `seconds`, prints and returns operations per second.
inline double rate(const char* name, double seconds, const std::function<void()>& fn) {
    using clock = std::chrono::steady_clock;
    std::size_t n = 0;
    auto start = clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    while (clock::now() < deadline) {
        for (int i = 0; i < 64; ++i)
            fn();
        n += 64;
    }
    double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    double per_second = static_cast<double>(n) / elapsed;
    std::printf("%-48s %12.0f /s   (%zu in %.2f s)\n", name, per_second, n, elapsed);
    return per_second;
}

} // namespace jm::bench
