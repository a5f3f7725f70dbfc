#pragma once
// The transcoder's side of the <shm>.xc region: per dataplane worker, reads the ring of
// arrived packets (setups, teardowns, RTP of transcoded flows) and writes transcoded RTP to
// the return ring. Sessions are keyed by the flow handle the worker gave.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>
#include <rampart/platform/xcode_stats.h>

#include "xcode_session.h"

namespace rampart::xc {

// Counters of one worker's rings (platform/xcode_stats.h).
using XcStats = platform::XcodeStats;

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
  void dtmf(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len);
  void toneReport(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len);
  void send(Worker& w, uint64_t flow, const XcodeSession& s, int n);
  bool sendSlot(Worker& w, uint8_t kind, uint64_t flow, const uint8_t* data, uint16_t len);
  static XcodeSession* find(Worker& w, uint64_t flow);
  // engine_rtcp.cc: RTCP terminated per leg.
  void rtcp(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len);
  static void noteMedia(XcodeSession& s, const uint8_t* in, uint16_t len, int n_out);
  void reports(Worker& w, uint64_t now_ns);
  void sendReport(Worker& w, uint64_t flow, XcodeSession& s, uint64_t now_ns);
  static std::size_t buildReport(Worker& w, XcodeSession& s, uint64_t now_ns, uint8_t* buf,
                                 std::size_t cap);
  void teardown(Worker& w, uint64_t flow);
  void sendBye(Worker& w, uint64_t flow, XcodeSession& s);
  std::vector<Worker> workers_;
  uint64_t next_tick_ns_ = 0;
};

}  // namespace rampart::xc
