#pragma once
// Strict base64 (RFC 4648): the one codec for SDES keys (a=crypto inline), JWT parts
// (base64url) and the lab tools' key options.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::platform {

enum class Base64Alphabet { Standard, Url };  // "+/" or "-_" (RFC 4648 sections 4 and 5)

/// Padded standard base64 of `len` bytes.
std::string base64Encode(const uint8_t* data, std::size_t len);

/// Decodes `text`; '=' padding is optional. @return nullopt on any character outside the
/// alphabet, an impossible length, or non-zero leftover bits (a non-canonical encoding).
std::optional<std::vector<uint8_t>> base64Decode(
    std::string_view text, Base64Alphabet alphabet = Base64Alphabet::Standard);

}  // namespace rampart::platform
