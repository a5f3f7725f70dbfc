#pragma once
// Round-trip inputs from RTCP (RFC 3550 section 6.4.1). On a relayed leg Rampart sends no RTCP
// of its own, but it sees both halves of the exchange: the sender report it forwards toward a
// party and that party's report block quoting it (LSR) with the delay it held it (DLSR). On a
// transcoded leg the SR is rampart-transcoder's own, seen as the worker sends it, and the block
// is seen as the party's report arrives, before it goes to the transcoder. Per flow the
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
// The compound's first packet (SR or RR, RFC 3550 6.1): its size, or 0 when malformed.
inline uint32_t firstReport(const uint8_t* pkt, uint32_t len) {
  if (len < 8 || (pkt[0] >> 6) != 2 || (pkt[1] != 200 && pkt[1] != 201)) {
    return 0;
  }
  const uint32_t bytes = ((static_cast<uint32_t>(pkt[2]) << 8 | pkt[3]) + 1) * 4;
  return bytes <= len && (pkt[1] == 201 || bytes >= 28) ? bytes : 0;
}
}  // namespace rtcp_detail

// An SR sent toward the party this flow's out leg reaches (relayed, or Rampart's own on a
// transcoded leg): remembered by the middle 32 bits of its NTP time.
inline void rtcpObserveSr(RtcpRtt& r, const uint8_t* pkt, uint32_t len, uint64_t now_ns) {
  if (rtcp_detail::firstReport(pkt, len) == 0 || pkt[1] != 200) {
    return;
  }
  r.sr_mid[r.sr_next] = rtcp_detail::be32(pkt + 10);
  r.sr_at_us[r.sr_next] = static_cast<uint32_t>(now_ns / 1000);
  r.sr_next = static_cast<uint8_t>((r.sr_next + 1) % abi::kRtcpSrSlots);
}

// The first report block of a report the party this flow receives from sent: its LSR, and
// its arrival minus DLSR.
inline void rtcpObserveBlock(RtcpRtt& r, const uint8_t* pkt, uint32_t len, uint64_t now_ns) {
  using rtcp_detail::be32;
  const uint32_t bytes = rtcp_detail::firstReport(pkt, len);
  if (bytes == 0) {
    return;
  }
  const uint32_t block = pkt[1] == 200 ? 28 : 8;
  if ((pkt[0] & 0x1fu) == 0 || block + 24 > bytes) {
    return;
  }
  const uint32_t lsr = be32(pkt + block + 16);
  if (lsr == 0) {
    return;  // no SR received yet by that party (RFC 3550: LSR 0)
  }
  const uint64_t dlsr_us = static_cast<uint64_t>(be32(pkt + block + 20)) * 1000000 / 65536;
  r.rr_lsr = lsr;
  r.rr_at_us = static_cast<uint32_t>(now_ns / 1000) - static_cast<uint32_t>(dlsr_us);
}

// A relayed compound (`len` bytes, the RTCP payload without SRTCP trailer): its SR goes on
// toward the other party, its first block came from this flow's party. Anything malformed is
// ignored: the relay forwards it as it did before, it only teaches nothing.
inline void rtcpObserve(RtcpRtt& r, const uint8_t* pkt, uint32_t len, uint64_t now_ns) {
  rtcpObserveSr(r, pkt, len, now_ns);
  rtcpObserveBlock(r, pkt, len, now_ns);
}

}  // namespace rampart::dp
