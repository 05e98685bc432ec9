// Boost.Asio's non-template code, compiled once here and exported from libjm_sdk.so
// (BOOST_ASIO_SEPARATE_COMPILATION with BOOST_ASIO_DECL = default visibility, both PUBLIC on
// jm_sdk). Header-only Asio would give the host and every plugin their own copy of the
// scheduler's per-thread state (call_stack TLS), and a plugin's socket operations then crash in
// the host's reactor: found by the notify plugin's first real connect.
#include <boost/asio/impl/src.hpp>
