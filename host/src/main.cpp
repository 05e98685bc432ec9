#include <cli/cli.hpp>

int main(int argc, char** argv) { return jm::host::runCli(argc, argv); }
