#pragma once
// One direction of one media leg. The key is Rampart's local endpoint (the SBC allocates every
// media port, so the local address:port alone identifies the flow); the remote is checked
// against the programmed or latched peer (strict source).
#include <cstdint>

#include "flow/rtcp_rtt.h"
#include "srtp/srtp_ctx.h"

namespace rampart::dp {

struct FlowKey {
  uint8_t family;  // 4 or 6
  uint8_t _pad;
  uint16_t iface;  // IfaceSet index
  uint16_t port;   // local UDP port, host order
  uint16_t _pad2;
  uint8_t addr[16];  // local address (IPv4 in the first 4 bytes, rest zero)
};

// RFC 3550 appendix A.1 (sequence tracking) and A.8 (jitter) state.
struct RtpRx {
  bool have_ssrc;
  uint16_t max_seq;
  uint32_t ssrc;
  uint32_t cycles;
  uint32_t base_seq;
  uint32_t bad_seq;
  uint32_t received;
  int64_t transit;
  uint32_t jitter_q4;  // jitter * 16 (A.8 keeps four fractional bits)
};

// FlowEntry.xcode. A separate-port RTCP flow is marked too, so a transcoded call's reports
// reach the transcoder (which terminates RTCP per leg) instead of being relayed.
inline constexpr uint8_t kXcodeMedia = 1;     // RTP (and muxed RTCP) go to the transcoder
inline constexpr uint8_t kXcodeRtcpPort = 2;  // RTCP of the transcoded flow `xcode_link`

inline constexpr uint8_t kDtmfDrop = 1;    // reported events are not forwarded
inline constexpr uint8_t kDtmfSeen = 2;    // dtmf_ts holds a reported event
inline constexpr uint8_t kDtmfInband = 4;  // digits the transcoder detects in-band are reported

struct alignas(64) FlowEntry {
  FlowKey key;
  uint32_t generation;
  bool in_use;
  bool remote_known;  // false while waiting to latch
  bool idle_reported;
  uint8_t tos;     // DSCP << 2 for egress
  uint16_t flags;  // abi::kFlow*
  uint16_t out_iface;
  uint16_t remote_port;
  uint16_t neigh;  // next hop of the out leg
  uint8_t remote[16];
  uint64_t latch_deadline_tsc;  // 0: latching closed
  // Egress tuple.
  uint8_t out_family;
  uint8_t xcode;       // kXcode*: media (or this RTCP port's reports) go to rampart-transcoder
  uint8_t dtmf_pt;     // DtmfReport: telephone-event PT to report (0: none)
  uint8_t dtmf_flags;  // kDtmf* below
  uint16_t out_lport;
  uint16_t out_rport;
  uint16_t out_rtcp_lport;  // 0: RTCP leaves like RTP
  uint16_t out_rtcp_rport;
  uint8_t out_local[16];
  uint8_t out_remote[16];
  uint32_t ssrc_rewrite;
  uint32_t clock_rate;
  uint64_t ts_per_ns_q32;  // clock_rate / 1e9 in 32.32 fixed point (jitter without a divide)
  uint32_t idle_timeout_s;
  uint32_t dtmf_ts;  // RTP timestamp of the last event reported (kDtmfSeen)
  uint32_t last_ts;  // RTP timestamp of the last packet relayed (where a played event starts)
  // Added to every relayed sequence number: one per event packet the worker played into the
  // stream (worker/relay_dtmf.h), so the receiver sees one unbroken sequence.
  uint16_t seq_shift;
  uint64_t cookie;
  RtpRx rtp;
  RtcpRtt rtcp_rtt;  // RTCP seen on this flow, for the leg's round trip (FlowInfo rtcp_*)
  SrtpCtx srtp_in;   // inactive: input is plain
  SrtpCtx srtp_out;  // inactive: output is plain
  // kXcodeMedia: handle of the flow's separate RTCP port (0: rtcp-mux or none);
  // kXcodeRtcpPort: handle of the transcoded RTP flow. Cold: read only when xcode != 0.
  uint64_t xcode_link;
};

}  // namespace rampart::dp
