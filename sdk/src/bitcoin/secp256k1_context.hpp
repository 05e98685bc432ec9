#pragma once

#include <secp256k1.h>

namespace jm::bitcoin::detail {

//! The process's one libsecp256k1 context, created and randomized (blinding) on first use.
//! Thread-safe for signing and verification. Private to libjm_sdk.so.
const secp256k1_context* secpContext();

} // namespace jm::bitcoin::detail
