#pragma once
// Everything one worker lcore owns: its queues, flow table, neighbour table, rings and
// counters. Nothing here is shared with another worker; the IfaceSet is read-only.
#include <cstdint>
#include <memory>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <rampart/dp/stats_layout.h>
#include <rampart/platform/abi.h>
#include <rampart/platform/spsc_ring.h>
#include <rampart/platform/xcode_stats.h>

#include "flow/ban_set.h"
#include "flow/flow_table.h"
#include "ice/ice_state.h"
#include "net/iface.h"
#include "net/neighbour.h"
#include "stats/drop_reasons.h"
#include "worker/steering.h"
#include "worker/tx_buffer.h"
#include "worker/xcode_bye.h"

namespace rampart::dp {

inline constexpr uint32_t kPendingCap = 128;  // packets waiting for next-hop resolution
inline constexpr uint32_t kCmdPerPass = 32;   // commands applied per loop pass
inline constexpr uint32_t kInjectPerPass = 32;
inline constexpr uint32_t kDumpPerPass = 64;  // FlowInfo records per pass while dumping
inline constexpr uint32_t kMaxProbes = 3;

struct PendingPkt {
  rte_mbuf* m;
  uint16_t neigh;
  uint16_t iface;
  uint64_t deadline_tsc;
};

// One RFC 4733 event the worker plays into a relayed stream (worker/relay_dtmf.h).
struct RelayDtmf {
  uint64_t flow = 0;  // handle; 0: a free slot
  uint64_t next_ns = 0;
  uint32_t ssrc = 0;
  uint32_t ts = 0;
  uint32_t step = 0;      // timestamp units per packet (20 ms)
  uint32_t total = 0;     // the event's duration in timestamp units
  uint32_t duration = 0;  // in the last packet sent
  uint8_t event = 0;
  uint8_t volume = 0;
  uint8_t pt = 0;
  uint8_t ends = 0;  // end packets sent (three in all)
  bool started = false;
};
inline constexpr uint32_t kRelayDtmfSlots = 16;

struct WorkerConfig {
  uint32_t worker = 0;
  uint16_t queue = 0;
  uint32_t flow_capacity = 0;
  uint32_t default_idle_s = 0;
  uint32_t idle_backoff_us = 0;  // 0: pure polling
};

// The rings of one worker in the shared-memory region.
struct WorkerRings {
  platform::RingHeader* cmd = nullptr;
  platform::RingHeader* evt = nullptr;
  platform::RingHeader* punt = nullptr;
  platform::RingHeader* inject = nullptr;
  platform::RingHeader* to_xc = nullptr;    // <shm>.xc: packets for rampart-transcoder
  platform::RingHeader* from_xc = nullptr;  // <shm>.xc: transcoded packets to send
};

// Everything a worker context is built from (makeLcoreCtx).
struct WorkerSetup {
  WorkerConfig cfg;
  const IfaceSet* ifaces = nullptr;
  rte_mempool* pool = nullptr;  // nullptr only in command-only tests: no packet is built
  void* stats_area = nullptr;   // workerStatsBytes(cfg.flow_capacity) bytes, 64-byte aligned
  WorkerRings rings;
  // This worker's stats area in <shm>.xc (platform::XcodeStats, written by the transcoder);
  // nullptr without a transcoder region.
  const void* xc_stats_area = nullptr;
  uint64_t tsc_hz = 0;
  uint64_t epoch = 0;         // the region's epoch, reported in HelloAck
  Steering* steer = nullptr;  // shared between the workers; nullptr with one worker
};

struct LcoreCtx {
  WorkerConfig cfg;
  const IfaceSet* ifaces = nullptr;
  rte_mempool* pool = nullptr;
  FlowTable flows;
  BanSet bans;   // sources dropped on arrival (the control plane's ban list)
  IceTable ice;  // ICE-lite credentials and selection, indexed like `flows`
  NeighTable neigh;
  PendingPkt pending[kPendingCap]{};
  uint32_t pending_n = 0;
  TxBuffer tx[kMaxPorts]{};

  platform::RingConsumer cmd;
  platform::RingProducer evt;
  platform::RingProducer punt;
  platform::RingConsumer inject;
  platform::RingProducer to_xc;  // invalid when the dataplane has no transcoder region
  platform::RingConsumer from_xc;
  const platform::XcodeStats* xc_stats = nullptr;  // the transcoder's, for attached_ns
  uint64_t xc_attached_ns = 0;                     // the transcoder attach last seen
  XcByeTable xc_bye;          // out actions of torn-down transcoded flows, kept for their RTCP BYE
  Steering* steer = nullptr;  // shared between the workers; nullptr with one worker
  RelayDtmf relay_dtmf[kRelayDtmfSlots]{};
  uint32_t relay_dtmf_active = 0;

  WorkerStats* stats = nullptr;
  FlowStats* flow_stats = nullptr;

  // Control-plane session: commands other than Hello are refused until a Hello succeeds.
  bool attached = false;
  bool dumping = false;
  uint32_t dump_seq = 0;
  uint32_t dump_cursor = 0;
  uint32_t dump_count = 0;
  uint32_t idle_cursor = 0;

  // Time: TSC read once per burst, converted to CLOCK_MONOTONIC for the stats region.
  uint64_t tsc_hz = 0;
  uint64_t now_tsc = 0;
  uint64_t now_ns = 0;  // monoNs(now_tsc), computed once per pass (a 128-bit division)
  uint64_t mono_base_ns = 0;
  uint64_t tsc_base = 0;
  uint16_t ip_id = 0;
  uint64_t epoch = 0;                 // the region's epoch, reported in HelloAck
  uint64_t next_neigh_timer_tsc = 0;  // neighbour probes and parked-packet timeouts
  uint64_t next_idle_tsc = 0;         // idle-flow scan
  uint64_t last_drain_tsc = 0;
  uint32_t empty_passes = 0;

  uint64_t monoNs(uint64_t tsc) const {
    return mono_base_ns +
           static_cast<uint64_t>((static_cast<unsigned __int128>(tsc - tsc_base) * 1000000000u) /
                                 tsc_hz);
  }
  void drop(uint16_t iface, DropReason r, uint64_t n = 1) {
    bump(stats->ports[iface].drops[static_cast<uint32_t>(r)], n);
  }
};

// The one place a worker context is built: allocates its flow table, attaches its rings,
// clears and stamps its stats area. @return nullptr when the flow table cannot be allocated.
std::unique_ptr<LcoreCtx> makeLcoreCtx(const WorkerSetup& setup);

// Releases the flows (wiping their keys) and frees packets still held.
void lcoreFini(LcoreCtx& ctx);

}  // namespace rampart::dp
