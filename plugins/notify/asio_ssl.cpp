// Boost.Asio's SSL non-template code. libjm_sdk.so compiles Asio's core once for every plugin
// (sdk/src/asio.cpp) but not its SSL part, which would make every SDK user link OpenSSL; the
// notify plugin is the only TLS user, so it is compiled here, hidden inside the plugin
// (static core library, --exclude-libs). It keeps no per-thread state of its own.
#include <boost/asio/ssl/impl/src.hpp>
