#pragma once
// Everything one worker lcore owns: its queues, flow table, neighbour table, rings and
// counters. Nothing here is shared with another worker; the IfaceSet is read-only.
#include <cstdint>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <rampart/dp/stats_layout.h>
#include <rampart/platform/abi.h>
#include <rampart/platform/spsc_ring.h>

#include "flow/flow_table.h"
#include "net/iface.h"
#include "net/neighbour.h"
#include "stats/drop_reasons.h"
#include "worker/steering.h"
#include "worker/tx_buffer.h"

namespace rampart::dp {

inline constexpr uint32_t kPendingCap = 128;      // packets waiting for next-hop resolution
inline constexpr uint32_t kCmdPerPass = 32;       // commands applied per loop pass
inline constexpr uint32_t kInjectPerPass = 32;
inline constexpr uint32_t kDumpPerPass = 64;      // FlowInfo records per pass while dumping
inline constexpr uint32_t kMaxProbes = 3;

struct PendingPkt {
  rte_mbuf* m;
  uint16_t neigh;
  uint16_t iface;
  uint64_t deadline_tsc;
};

struct WorkerConfig {
  uint32_t worker;
  uint16_t queue;
  uint32_t flow_capacity;
  uint32_t default_idle_s;
  uint32_t idle_backoff_us;  // 0: pure polling
};

struct LcoreCtx {
  WorkerConfig cfg;
  const IfaceSet* ifaces;
  rte_mempool* pool;
  FlowTable flows;
  NeighTable neigh;
  PendingPkt pending[kPendingCap];
  uint32_t pending_n;
  TxBuffer tx[kMaxPorts];

  platform::RingConsumer cmd;
  platform::RingProducer evt;
  platform::RingProducer punt;
  platform::RingConsumer inject;
  Steering* steer;  // shared between the workers; nullptr with one worker


  WorkerStats* stats;
  FlowStats* flow_stats;

  // Control-plane session: commands other than Hello are refused until a Hello succeeds.
  bool attached;
  bool dumping;
  uint32_t dump_seq;
  uint32_t dump_cursor;
  uint32_t dump_count;
  uint32_t idle_cursor;

  // Time: TSC read once per burst, converted to CLOCK_MONOTONIC for the stats region.
  uint64_t tsc_hz;
  uint64_t now_tsc;
  uint64_t now_ns;  // monoNs(now_tsc), computed once per pass (a 128-bit division)
  uint64_t mono_base_ns;
  uint64_t tsc_base;
  uint16_t ip_id;
  uint64_t epoch;             // the region's epoch, reported in HelloAck
  uint64_t next_house_tsc;    // neighbour probes and pending timeouts
  uint64_t next_idle_tsc;     // idle-flow scan
  uint64_t last_drain_tsc;
  uint32_t empty_passes;

  uint64_t monoNs(uint64_t tsc) const {
    return mono_base_ns +
           static_cast<uint64_t>((static_cast<unsigned __int128>(tsc - tsc_base) * 1000000000u) /
                                 tsc_hz);
  }
  void drop(uint16_t iface, DropReason r, uint64_t n = 1) {
    bump(stats->ports[iface].drops[static_cast<uint32_t>(r)], n);
  }
};

// Prepares a worker context (allocates its flow table). @return false on allocation failure.
bool lcoreInit(LcoreCtx& ctx, const WorkerConfig& cfg, const IfaceSet* ifaces,
               rte_mempool* pool, void* stats_area, platform::RingHeader* cmd,
               platform::RingHeader* evt, platform::RingHeader* punt,
               platform::RingHeader* inject, uint64_t tsc_hz);

// Releases the flows (wiping their keys) and frees packets still held.
void lcoreFini(LcoreCtx& ctx);

}  // namespace rampart::dp
