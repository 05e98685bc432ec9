// Boost.Asio's SSL and Boost.URL non-template code for the fee plugin's mempool factory, compiled
// here and hidden inside the plugin (static core library, --exclude-libs) like plugins/notify's:
// libjm_sdk.so carries neither, so that SDK users need not link OpenSSL.
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/url/src.hpp>
