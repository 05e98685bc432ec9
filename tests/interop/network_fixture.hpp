#pragma once
// The fixture of every interop runner: skip without the reference install or Bitcoin Core (a
// SKIPPED line, exit 77), and a fresh ReferenceNetwork per test case.

#include "reference_network.hpp"

#include <util/bitcoind.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

namespace jm::test::interop {

struct SkipWithoutReference {
    SkipWithoutReference() { skipWithoutReference(); }
};

inline ReferenceInstall referenceInstall() {
    std::string why;
    auto install = findReferenceInstall(why);
    if (!install) throw std::runtime_error(why);
    return *install;
}

struct NetworkFixture {
    NetworkFixture() : network(referenceInstall(), findBitcoinCore().value()) {}
    ReferenceNetwork network;
};

} // namespace jm::test::interop
