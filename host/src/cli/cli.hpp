#pragma once

namespace jm::host {

//! The jmnode command line: `jmnode <command> [options]`. Returns the process exit code:
//! 0 success, 1 failure at run time, 2 bad usage or config.
int runCli(int argc, char** argv);

} // namespace jm::host
