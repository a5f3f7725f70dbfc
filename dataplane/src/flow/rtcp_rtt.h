#pragma once
// Round-trip inputs from relayed RTCP (RFC 3550 section 6.4.1). Rampart sends no RTCP of its
// own, but it sees both halves of the exchange: the sender report it forwards toward a party and
// that party's report block quoting it (LSR) with the delay it held it (DLSR). Per flow the
// worker remembers the last few SRs it forwarded (NTP middle 32 bits and when) and the last
// report block it received (LSR, and arrival minus DLSR); the control plane, which knows the
// leg's two flows, pairs them: RTT = (arrival - DLSR) - forward time. Only the first packet of
// a compound is read (RFC 3550 section 6.1: it is always an SR or an RR), and only its header
// and first report block, on authenticated, decrypted payloads.
#include <cstdint>

#include <rampart/platform/abi.h>

namespace rampart::dp {

struct RtcpRtt {
  uint32_t sr_mid[abi::kRtcpSrSlots];    // 0: empty slot
  uint32_t sr_at_us[abi::kRtcpSrSlots];  // CLOCK_MONOTONIC microseconds mod 2^32
  uint32_t rr_lsr;                       // 0: no report block with an LSR yet
  uint32_t rr_at_us;                     // arrival minus DLSR
  uint8_t sr_next;                       // ring position of the next SR
};

namespace rtcp_detail {
inline uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
}  // namespace rtcp_detail

// Reads the SR header and the first report block of the compound at `pkt` (`len` bytes, the
// RTCP payload without SRTCP trailer). Anything malformed is ignored: the relay forwards it
// as it did before, it only teaches nothing.
inline void rtcpObserve(RtcpRtt& r, const uint8_t* pkt, uint32_t len, uint64_t now_ns) {
  using rtcp_detail::be32;
  if (len < 8 || (pkt[0] >> 6) != 2) {
    return;
  }
  const uint32_t bytes = ((static_cast<uint32_t>(pkt[2]) << 8 | pkt[3]) + 1) * 4;
  const uint32_t count = pkt[0] & 0x1fu;
  const uint32_t now_us = static_cast<uint32_t>(now_ns / 1000);
  uint32_t block = 0;
  if (pkt[1] == 200) {  // SR: sender info (NTP at offset 8), then report blocks at 28
    if (bytes > len || bytes < 28) {
      return;
    }
    const uint32_t mid = be32(pkt + 10);
    r.sr_mid[r.sr_next] = mid;
    r.sr_at_us[r.sr_next] = now_us;
    r.sr_next = static_cast<uint8_t>((r.sr_next + 1) % abi::kRtcpSrSlots);
    block = 28;
  } else if (pkt[1] == 201) {  // RR: report blocks at 8
    if (bytes > len) {
      return;
    }
    block = 8;
  } else {
    return;
  }
  if (count == 0 || block + 24 > bytes) {
    return;
  }
  const uint32_t lsr = be32(pkt + block + 16);
  if (lsr == 0) {
    return;  // no SR received yet by that party (RFC 3550: LSR 0)
  }
  const uint64_t dlsr_us = static_cast<uint64_t>(be32(pkt + block + 20)) * 1000000 / 65536;
  r.rr_lsr = lsr;
  r.rr_at_us = now_us - static_cast<uint32_t>(dlsr_us);
}

}  // namespace rampart::dp
