#pragma once
// Steering between workers. A flow lives in one worker's table, but a NIC's RSS (or
// net_af_packet's fanout) spreads packets over the workers' RX queues by a hash the dataplane
// does not choose. So:
//  - the owner map says which worker holds the flow listening on (port, family, local UDP
//    port); a worker that misses in its own table looks there and hands the packet over on
//    the owner's handoff ring (multi-producer, single-consumer);
//  - what one worker learns from ARP/ND is copied to the others on their neighbour rings,
//    since the answer to a worker's solicitation may arrive on another worker's queue
//    (the rings live here; worker/neighbour_resolution.cc fills and drains them).
// With one worker there is no Steering (LcoreCtx::steer is nullptr) and nothing changes.
#include <atomic>
#include <cstdint>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <rampart/platform/shm_region.h>

#include "flow/flow_entry.h"

namespace rampart::dp {

struct LcoreCtx;
struct Iface;

inline constexpr uint32_t kHandoffSlots = 4096;    // packets waiting for one worker
inline constexpr uint32_t kNeighShareSlots = 256;  // neighbour updates waiting for one worker
inline constexpr uint32_t kHandoffPerPass = 32;

// One MAC learnt from ARP/ND, as copied to the other workers (the ring element).
struct NeighUpdate {
  uint8_t family;
  uint8_t create;  // the packet was addressed to us (NeighTable::learn's `create`)
  uint16_t iface;
  uint8_t mac[6];
  uint8_t pad[2];
  uint8_t ip[16];
};
static_assert(sizeof(NeighUpdate) % 4 == 0);

class Steering {
 public:
  Steering() = default;
  ~Steering();
  Steering(const Steering&) = delete;
  Steering& operator=(const Steering&) = delete;

  // Rings and the owner map for `workers` workers (>= 2). `tag` keeps ring names unique per
  // process. @return false when memory or a ring cannot be had.
  bool init(uint32_t workers, const char* tag);
  uint32_t workers() const { return workers_; }

  // The worker holding the flow keyed `k`, or -1. Read by any worker.
  int owner(const FlowKey& k) const {
    uint8_t v = owner_[slot(k)].load(std::memory_order_relaxed);
    return static_cast<int>(v) - 1;
  }
  // Written by the worker that inserts or erases the flow.
  void claim(const FlowKey& k, uint32_t worker) {
    owner_[slot(k)].store(static_cast<uint8_t>(worker + 1), std::memory_order_relaxed);
  }
  // Clears the entry only if `worker` still holds it (another worker may have claimed the
  // port since).
  void release(const FlowKey& k, uint32_t worker) {
    auto expected = static_cast<uint8_t>(worker + 1);
    owner_[slot(k)].compare_exchange_strong(expected, 0, std::memory_order_relaxed);
  }

  rte_ring* handoff(uint32_t worker) const { return handoff_[worker]; }
  rte_ring* neighShare(uint32_t worker) const { return neigh_[worker]; }

 private:
  static uint32_t slot(const FlowKey& k) {
    return ((static_cast<uint32_t>(k.iface) * 2u + (k.family == 6 ? 1u : 0u)) << 16) | k.port;
  }

  uint32_t workers_ = 0;
  std::atomic<uint8_t>* owner_ = nullptr;  // kMaxPorts * 2 * 65536 entries: worker + 1, 0 none
  rte_ring* handoff_[platform::kMaxWorkers]{};
  rte_ring* neigh_[platform::kMaxWorkers]{};
};

// Packet path, on a table miss for a UDP packet to our address (flow key `k`): when another
// worker owns a flow there, hands `m` to it (lcore_loop.cc drains the ring as the owner's
// second input). @return true when `m` was consumed (handed over, or dropped and counted as
// HandoffFull).
bool handOff(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const FlowKey& k);

}  // namespace rampart::dp
