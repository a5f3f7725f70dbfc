#pragma once
// Helpers shared by the fast path's AES-CM (srtp_fast.cc) and AEAD-GCM (srtp_fast_gcm.cc)
// packet code. Internal to dataplane/src/srtp.
#include <cstdint>
#include <cstring>

#include "pkt/bytes.h"
#include "srtp/srtp_fast.h"

struct IMB_MGR;

namespace rampart::dp {

inline constexpr uint32_t kSrtcpE = 0x80000000u;

inline bool isGcm(const FastSrtp& r) {
  return r.suite == abi::SrtpSuite::AeadAes128Gcm || r.suite == abi::SrtpSuite::AeadAes256Gcm;
}

// RTP header length with CSRCs and extension, or 0 when it does not fit in `len` (libsrtp2's
// srtp_validate_rtp_header).
inline uint32_t rtpHeaderLen(const uint8_t* p, uint32_t len) {
  if (len < 12) {
    return 0;
  }
  uint32_t h = 12 + 4 * (p[0] & 0x0f);
  if ((p[0] & 0x10) != 0) {
    if (len < h + 4) {
      return 0;
    }
    h += 4 + 4 * uint32_t{load16(p + h + 2)};
  }
  return h <= len ? h : 0;
}

inline bool tagEqual(const uint8_t* a, const uint8_t* b, uint32_t n) {
  uint8_t d = 0;
  for (uint32_t i = 0; i < n; ++i) {
    d |= static_cast<uint8_t>(a[i] ^ b[i]);
  }
  return d == 0;
}

inline DropReason verdictDrop(ReplayVerdict v) {
  return v == ReplayVerdict::Ok ? kNoDrop : DropReason::SrtpReplay;
}

inline SsrcSlot* findSlot(FastSrtp& r, uint32_t ssrc) {
  for (SsrcSlot& s : r.slots) {
    if (s.stamp != 0 && s.ssrc == ssrc) {
      return &s;
    }
  }
  return nullptr;
}

// A fresh stream for `ssrc` in the free or least recently used slot.
inline SsrcSlot* claimSlot(FastSrtp& r, uint32_t ssrc) {
  SsrcSlot* victim = &r.slots[0];
  for (SsrcSlot& s : r.slots) {
    if (s.stamp < victim->stamp) {
      victim = &s;
    }
  }
  if (victim->stamp != 0) {
    r.ssrc_evictions++;
  }
  std::memset(static_cast<void*>(victim), 0, sizeof(*victim));
  victim->ssrc = ssrc;
  return victim;
}

inline void touch(FastSrtp& r, SsrcSlot* s) {
  if (++r.clock == 0) {  // wrapped: restart the stamps, keeping their order
    for (SsrcSlot& o : r.slots) {
      o.stamp = o.stamp != 0 ? 1 : 0;
    }
    r.clock = 2;
  }
  s->stamp = r.clock;
}

inline SsrcSlot* slotFor(FastSrtp& r, uint32_t ssrc) {
  SsrcSlot* s = findSlot(r, ssrc);
  if (s == nullptr) {
    s = claimSlot(r, ssrc);
  }
  touch(r, s);
  return s;
}

// AEAD-AES-GCM (RFC 7714), one packet per call.
DropReason gcmUnprotectRtp(IMB_MGR* m, FastOp& op);
DropReason gcmProtectRtp(IMB_MGR* m, FastOp& op);
DropReason gcmUnprotectRtcp(IMB_MGR* m, FastOp& op);
DropReason gcmProtectRtcp(IMB_MGR* m, FastOp& op);

}  // namespace rampart::dp
