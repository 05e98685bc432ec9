#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <string>
#include <string_view>

namespace jm::bitcoin {

//! The 8-character output-descriptor checksum of BIP380 (what Bitcoin Core appends after '#').
//! Executor: any; pure. Errors: errc::invalid_argument for a character outside the descriptor
//! alphabet.
JM_SDK_API jm::sdk::Result<std::string> descriptorChecksum(std::string_view descriptor);
//! `descriptor` + "#" + its checksum. Executor: any; pure. Errors: as descriptorChecksum.
JM_SDK_API jm::sdk::Result<std::string> withDescriptorChecksum(std::string_view descriptor);

} // namespace jm::bitcoin
