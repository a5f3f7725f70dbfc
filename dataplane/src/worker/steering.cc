#include "worker/steering.h"

#include <cstdio>
#include <cstring>
#include <new>

#include <rte_lcore.h>

#include "worker/lcore_ctx.h"

namespace rampart::dp {
namespace {

constexpr uint32_t kOwnerSlots = kMaxPorts * 2u * 65536u;

}  // namespace

Steering::~Steering() {
  for (uint32_t w = 0; w < platform::kMaxWorkers; ++w) {
    rte_ring_free(handoff_[w]);
    rte_ring_free(neigh_[w]);
  }
  delete[] owner_;
}

bool Steering::init(uint32_t workers, const char* tag) {
  if (workers < 2 || workers > platform::kMaxWorkers) {
    return false;
  }
  workers_ = workers;
  owner_ = new (std::nothrow) std::atomic<uint8_t>[kOwnerSlots];
  if (owner_ == nullptr) {
    return false;
  }
  for (uint32_t i = 0; i < kOwnerSlots; ++i) {
    owner_[i].store(0, std::memory_order_relaxed);
  }
  auto socket = static_cast<int>(rte_socket_id());
  for (uint32_t w = 0; w < workers; ++w) {
    char name[RTE_RING_NAMESIZE];
    std::snprintf(name, sizeof(name), "%s_ho%u", tag, w);
    handoff_[w] = rte_ring_create(name, kHandoffSlots, socket, RING_F_SC_DEQ);
    std::snprintf(name, sizeof(name), "%s_nb%u", tag, w);
    neigh_[w] =
        rte_ring_create_elem(name, sizeof(NeighUpdate), kNeighShareSlots, socket, RING_F_SC_DEQ);
    if (handoff_[w] == nullptr || neigh_[w] == nullptr) {
      return false;
    }
  }
  return true;
}

bool handOff(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const FlowKey& k) {
  int owner = ctx.steer->owner(k);
  if (owner < 0 || static_cast<uint32_t>(owner) == ctx.cfg.worker) {
    return false;  // nobody (or, in a race with our own erase, we) holds it: no flow
  }
  m->port = in.port_id;  // the owner's arrival port (not every PMD fills it in)
  if (rte_ring_mp_enqueue(ctx.steer->handoff(static_cast<uint32_t>(owner)), m) != 0) {
    ctx.drop(in.index, DropReason::HandoffFull);
    rte_pktmbuf_free(m);
    return true;
  }
  bump(ctx.stats->handoff_out);
  return true;
}

}  // namespace rampart::dp
