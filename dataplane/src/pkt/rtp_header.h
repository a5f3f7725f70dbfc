#pragma once
// RTP fixed header walk (RFC 3550 5.1) shared by the worker, the SRTP fast path and the
// transcoder. Pure functions over untrusted bytes: every length is checked before it is read.
#include <cstddef>
#include <cstdint>

#include "pkt/bytes.h"

namespace rampart::dp {

inline constexpr uint32_t kRtpFixedLen = 12;

// Header length with CSRCs and a header extension, or 0 when it does not fit in `len`. Padding
// is not looked at (SRTP encrypts it with the payload).
inline uint32_t rtpHeaderLen(const uint8_t* p, std::size_t len) {
  if (len < kRtpFixedLen) {
    return 0;
  }
  uint32_t h = kRtpFixedLen + 4u * (p[0] & 0x0f);
  if ((p[0] & 0x10) != 0) {  // extension: 4-byte header, then its length in words
    if (len < h + 4u) {
      return 0;
    }
    h += 4u + 4u * uint32_t{load16(p + h + 2)};
  }
  return h <= len ? h : 0;
}

// Where a plain RTP packet's payload lies: after the header, before the padding.
struct RtpPayload {
  uint32_t offset;
  uint32_t length;
};

// Version 2 RTP with CSRCs, extension and padding (its last byte counts it). @return false when
// malformed: short, another version, a header or padding longer than the packet, padding of 0.
inline bool rtpPayload(const uint8_t* p, std::size_t len, RtpPayload* out) {
  if (len < kRtpFixedLen || (p[0] >> 6) != 2) {
    return false;
  }
  const uint32_t off = rtpHeaderLen(p, len);
  if (off == 0) {
    return false;
  }
  std::size_t end = len;
  if ((p[0] & 0x20) != 0) {
    const uint8_t pad = p[len - 1];
    if (pad == 0 || pad > len - off) {
      return false;
    }
    end = len - pad;
  }
  out->offset = off;
  out->length = static_cast<uint32_t>(end - off);
  return true;
}

}  // namespace rampart::dp
