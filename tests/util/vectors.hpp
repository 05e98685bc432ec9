#pragma once

#include <boost/json/value.hpp>

#include <filesystem>
#include <string>

namespace jm::test {

//! tests/data in the source tree (vectors, configs).
std::filesystem::path dataDir();
//! Parses tests/data/vectors/<name> (e.g. "bip32.json"); fails the test when missing or invalid.
boost::json::value loadVectors(const std::string& name);
//! Reads a whole file; fails the test when it cannot be read.
std::string readFile(const std::filesystem::path& path);

} // namespace jm::test
