#pragma once
// The transcoder's side of the <shm>.xc region: per dataplane worker, reads the ring of
// arrived packets (setups, teardowns, RTP of transcoded flows) and writes transcoded RTP to
// the return ring. Sessions are keyed by the flow handle the worker gave.
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>

#include "xcode_session.h"

namespace rampart::xc {

// Counters of one worker's rings, written by the transcoder into that worker's stats area of
// the .xc region (read by metrics exporters).
struct XcStats {
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
  uint64_t dtmf_events;
  uint64_t cpu_ns;
  // RTCP terminated per leg (xcode_rtcp.h); appended, readers of the older layout still work.
  uint64_t rtcp_in;           // valid compound RTCP from a peer (never relayed)
  uint64_t rtcp_out;          // Rampart's own reports sent
  uint64_t rtcp_bad;          // invalid RTCP (RFC 3550 A.2) or of no session: dropped
  uint64_t rtcp_rtt_samples;  // round trips measured from report blocks about our SSRCs
};

inline constexpr uint32_t kXcPerPass = 64;
inline constexpr uint64_t kRtcpTickNs = 20000000;  // how often due reports are looked for

class Engine {
 public:
  explicit Engine(const platform::ShmRegion& region);
  /// One pass over every worker's ring. @return slots handled.
  uint32_t poll();
  uint64_t sessions() const;

 private:
  struct Worker {
    platform::RingConsumer in;
    platform::RingProducer out;
    XcStats* stats = nullptr;  // in the region, or `local` when the region has no room
    XcStats local{};
    std::unordered_map<uint64_t, std::unique_ptr<XcodeSession>> sessions;
  };
  void handle(Worker& w, const abi::PacketSlot& h, const uint8_t* payload);
  void setup(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len);
  void media(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len);
  bool send(Worker& w, uint8_t kind, uint64_t flow, const uint8_t* data, uint16_t len);
  static XcodeSession* find(Worker& w, uint64_t flow);
  // engine_rtcp.cc: RTCP terminated per leg.
  void rtcp(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len);
  static void noteMedia(XcodeSession& s, const uint8_t* in, uint16_t len, int n_out);
  void reports(Worker& w, uint64_t now_ns);
  void sendReport(Worker& w, uint64_t flow, XcodeSession& s, uint64_t now_ns);
  std::vector<Worker> workers_;
  uint64_t next_tick_ns_ = 0;
};

}  // namespace rampart::xc
