#pragma once
// RFC 7983 (updating RFC 5764 section 5.1.2) first-byte demultiplexing of a UDP payload on a
// media port, plus the RFC 5761 RTP/RTCP split by payload type.
#include <cstdint>

namespace rampart::dp {

enum class PayloadKind : uint8_t { Stun, Dtls, Rtp, Rtcp, Other };

inline constexpr uint32_t kRtpMinLen = 12;
inline constexpr uint32_t kRtcpMinLen = 8;

inline PayloadKind demuxPayload(const uint8_t* p, uint32_t len) {
  if (len == 0) {
    return PayloadKind::Other;
  }
  uint8_t b = p[0];
  if (b <= 3) {
    // A STUN header is 20 bytes; anything shorter cannot be a message worth punting.
    return len >= 20 ? PayloadKind::Stun : PayloadKind::Other;
  }
  if (b >= 20 && b <= 63) {
    return len >= 13 ? PayloadKind::Dtls : PayloadKind::Other;  // DTLS record header
  }
  if (b >= 128 && b <= 191) {
    if (len < 2) {
      return PayloadKind::Other;
    }
    // RFC 5761 section 4: RTCP packet types 192-223 never collide with the RTP payload types
    // in use (marker bit folded in).
    uint8_t pt = p[1];
    if (pt >= 192 && pt <= 223) {
      return len >= kRtcpMinLen ? PayloadKind::Rtcp : PayloadKind::Other;
    }
    return len >= kRtpMinLen ? PayloadKind::Rtp : PayloadKind::Other;
  }
  return PayloadKind::Other;
}

}  // namespace rampart::dp
