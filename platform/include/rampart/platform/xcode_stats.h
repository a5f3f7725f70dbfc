#pragma once
// Counters of rampart-transcoder for one dataplane worker's rings, kept in that worker's stats
// area of the <shm>.xc region: written by the transcoder only, read by the dataplane's metrics
// exporter. Fields are appended only, so an exporter never misreads an older transcoder.
#include <cstdint>

namespace rampart::platform {

struct XcodeStats {
  uint64_t setups;
  uint64_t setup_errors;
  uint64_t teardowns;
  uint64_t sessions_active;
  uint64_t in_packets;
  uint64_t out_packets;
  uint64_t bad_packets;
  uint64_t unknown_flow;
  uint64_t out_full;
  uint64_t plc_frames;
  uint64_t fec_frames;
  uint64_t dtmf_events;    // RFC 4733 events mapped between the legs
  uint64_t cpu_ns;         // the transcoder thread's CPU time in codec work
  uint64_t dtmf_inband;    // in-band tones detected and sent as RFC 4733 events
  uint64_t dtmf_sip_info;  // SIP INFO digits (DtmfInject) sent as RFC 4733 events
  // RTCP terminated per transcoded leg (dataplane/transcoder/src/xcode_rtcp.h).
  uint64_t rtcp_in;           // valid compound RTCP from a peer (never relayed)
  uint64_t rtcp_out;          // Rampart's own reports sent
  uint64_t rtcp_bad;          // invalid RTCP (RFC 3550 A.2) or of no session: dropped
  uint64_t rtcp_rtt_samples;  // round trips measured from report blocks about our SSRCs
  // Set by each transcoder when it attaches (its CLOCK_MONOTONIC, atomic store): a worker that
  // sees it change knows the codec state of its transcoded flows is gone (XcodeRestart).
  uint64_t attached_ns;
  uint64_t rtcp_bye;  // RTCP BYEs sent as transcoded flows ended (in rtcp_out too)
};

}  // namespace rampart::platform
