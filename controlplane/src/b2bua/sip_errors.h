#pragma once
// The one place where an Error from any layer (platform, sdp, media, dataplane link) becomes
// the SIP response the caller receives (STYLE 4b.4).
#include <string>

#include <rampart/platform/result.h>

namespace rampart::cp {

struct SipStatus {
  int code = 500;
  std::string reason;        // reason phrase (names the problem for 400/488)
  bool retry_after = false;  // add Retry-After (overload, dataplane missing)
};

/// Malformed -> 400, NotAcceptable -> 488, Conflict -> 491, PermissionDenied -> 403,
/// Unauthenticated -> 401, NotFound -> 404, Overloaded/Unavailable -> 503 with Retry-After,
/// Timeout -> 500 (a dataplane Ack timeout; a SIP timeout is 408 at its source),
/// Unsupported -> 488 for SDP or 420/501 as the caller decides, everything else -> 500.
SipStatus sipStatusFor(const Error& error);

}  // namespace rampart::cp
