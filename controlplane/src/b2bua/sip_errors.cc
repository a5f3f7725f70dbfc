#include "b2bua/sip_errors.h"

namespace rampart::cp {

SipStatus sipStatusFor(const Error& e) {
  // Reason phrases carry our own short text, never a peer's bytes unfiltered.
  std::string reason = e.message.substr(0, 96);
  for (auto& c : reason) {
    if (c == '\r' || c == '\n' || static_cast<unsigned char>(c) < 0x20) {
      c = ' ';
    }
  }
  switch (e.code) {
    case ErrorCode::Malformed: return {400, reason.empty() ? "Bad Request" : reason, false};
    case ErrorCode::NotAcceptable:
    case ErrorCode::Unsupported:
      return {488, reason.empty() ? "Not Acceptable Here" : reason, false};
    case ErrorCode::Conflict: return {491, "Request Pending", false};
    case ErrorCode::PermissionDenied: return {403, reason.empty() ? "Forbidden" : reason, false};
    case ErrorCode::Unauthenticated: return {401, "Unauthorized", false};
    case ErrorCode::NotFound: return {404, "Not Found", false};
    case ErrorCode::Overloaded:
    case ErrorCode::Unavailable: return {503, "Service Unavailable", true};
    case ErrorCode::Timeout: return {500, "Media Setup Timed Out", false};
    default: return {500, "Server Internal Error", false};
  }
}

}  // namespace rampart::cp
