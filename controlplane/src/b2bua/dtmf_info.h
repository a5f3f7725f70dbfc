#pragma once
// SIP INFO bodies that carry DTMF (no RFC, common practice; what PBXs and JsSIP send):
// application/dtmf-relay ("Signal=5\r\nDuration=160\r\n") and application/dtmf ("5").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::cp {

struct DtmfDigit {
  uint8_t event = 0;           // RFC 4733 code: 0-9, * = 10, # = 11, A-D = 12-15
  uint16_t duration_ms = 250;  // dtmf-relay's Duration; the default when absent
};

/// True for the two content types (case-insensitive, parameters ignored).
bool isDtmfInfo(std::string_view content_type);

/// The digit of an INFO body of that content type, or nothing when the body names no key.
/// Durations are clamped to 40..5000 ms.
std::optional<DtmfDigit> parseDtmfInfo(std::string_view content_type, std::string_view body);

/// The body and content type Rampart sends for @p d (relay: dtmf-relay, else dtmf).
std::string dtmfInfoBody(const DtmfDigit& d, bool relay);
std::string_view dtmfInfoType(bool relay);

}  // namespace rampart::cp
