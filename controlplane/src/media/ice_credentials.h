#pragma once
// ICE-lite credentials Rampart advertises to a browser (RFC 8445 section 5.3): a ufrag of at
// least 24 bits and a password of at least 128 bits of randomness, from ice-chars.
#include <string>

#include <rampart/platform/result.h>

namespace rampart::cp::ice {

inline constexpr size_t kUfragLength = 8;  // 48 bits
inline constexpr size_t kPwdLength = 24;   // 144 bits

/// Random ice-chars (ALPHA / DIGIT / "+" / "/") from the CSPRNG.
Result<std::string> randomChars(size_t count);

}  // namespace rampart::cp::ice
