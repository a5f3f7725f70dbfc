#include "worker/neighbour_resolution.h"

#include <cstring>

#include "pkt/bytes.h"
#include "pkt/checksum.h"
#include "pkt/parse.h"
#include "worker/egress.h"

namespace rampart::dp {
namespace {

constexpr uint64_t kPendingTimeoutMs = 1000;
constexpr uint64_t kProbeIntervalMs = 300;
constexpr uint64_t kProbeBackoffMs = 5000;
// A next hop in use is re-confirmed after this long without an ARP/ND packet from it (the MAC
// stays in use meanwhile), and forgotten when kMaxProbes probes go unanswered: a peer that
// moved to a new MAC without a gratuitous ARP, or went away, is then resolved afresh.
constexpr uint64_t kReachableMs = 30000;

uint64_t msToTsc(const LcoreCtx& ctx, uint64_t ms) { return ms * ctx.tsc_hz / 1000; }

// An ARP request for `n`'s address from `out`, or nullptr (no IPv4 address, no room).
rte_mbuf* buildArpRequest(rte_mbuf* m, const Iface& out, const Neighbour& n) {
  if (!out.has_v4) {
    return nullptr;
  }
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kEthHdrLen + kArpLen));
  if (f == nullptr) {
    return nullptr;
  }
  static constexpr uint8_t kBcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  writeEth(f, kBcast, out.mac, kEtherArp);
  uint8_t* a = f + kEthHdrLen;
  store16(a, 1);
  store16(a + 2, kEtherIpv4);
  a[4] = 6;
  a[5] = 4;
  store16(a + 6, 1);
  std::memcpy(a + 8, out.mac, 6);
  std::memcpy(a + 14, out.v4, 4);
  std::memset(a + 18, 0, 6);
  std::memcpy(a + 24, n.ip, 4);
  return m;
}

// A neighbour solicitation for `n`'s address from `out`, or nullptr (no IPv6, no room).
rte_mbuf* buildNeighbourSolicitation(rte_mbuf* m, const Iface& out, const Neighbour& n) {
  if (!out.has_v6) {
    return nullptr;
  }
  auto* f =
      reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kEthHdrLen + kIpv6HdrLen + kNdMessageLen));
  if (f == nullptr) {
    return nullptr;
  }
  // Solicited-node multicast group ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX.
  uint8_t group[16] = {0xff, 0x02, 0, 0, 0,    0,        0,        0,
                       0,    0,    0, 1, 0xff, n.ip[13], n.ip[14], n.ip[15]};
  uint8_t mac[6] = {0x33, 0x33, 0xff, n.ip[13], n.ip[14], n.ip[15]};
  writeEth(f, mac, out.mac, kEtherIpv6);
  uint8_t* ip = f + kEthHdrLen;
  writeNdMessage(ip, {135, 0, out.v6, group, n.ip, 1, out.mac});
  return m;
}

// Sends an ARP request / neighbour solicitation for entry `idx` and schedules the next one.
void solicit(LcoreCtx& ctx, uint16_t idx) {
  Neighbour& n = ctx.neigh.at(idx);
  n.probes++;
  n.next_probe_tsc =
      ctx.now_tsc + msToTsc(ctx, n.probes >= kMaxProbes ? kProbeBackoffMs : kProbeIntervalMs);
  if (n.probes >= kMaxProbes) {
    n.probes = 0;  // start a new round after the back-off
  }
  if (ctx.pool == nullptr) {
    return;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(ctx.pool);
  if (m == nullptr) {
    bump(ctx.stats->alloc_failed);  // no packet of anyone's was lost: retried next round
    return;
  }
  const Iface& out = ctx.ifaces->ifaces[n.iface];
  if ((n.family == 4 ? buildArpRequest(m, out, n) : buildNeighbourSolicitation(m, out, n)) ==
      nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  txPush(ctx.tx[n.iface], ctx.stats->ports[n.iface], m);
}

// Parked packets whose neighbour resolved leave; those past their deadline are dropped.
void releaseOrExpireParked(LcoreCtx& ctx) {
  uint32_t keep = 0;
  for (uint32_t i = 0; i < ctx.pending_n; ++i) {
    PendingPkt p = ctx.pending[i];
    Neighbour& n = ctx.neigh.at(p.neigh);
    if (n.state == NeighState::Reachable) {
      n.pending--;
      std::memcpy(rte_pktmbuf_mtod(p.m, uint8_t*), n.mac, 6);
      txPush(ctx.tx[p.iface], ctx.stats->ports[p.iface], p.m);
    } else if (ctx.now_tsc >= p.deadline_tsc) {
      n.pending--;
      rte_pktmbuf_free(p.m);
      ctx.drop(p.iface, DropReason::NoNeighbour);
    } else {
      ctx.pending[keep++] = p;
    }
  }
  ctx.pending_n = keep;
  publish(ctx.stats->neigh_pending, uint64_t{keep});
}

// Resolves next hops of programmed flows ahead of their first packet, keeps trying (with
// back-off) for those still waiting, and re-confirms the silent ones in use.
void probeNextHops(LcoreCtx& ctx) {
  for (uint16_t i = 0; i < kNeighCapacity; ++i) {
    Neighbour& n = ctx.neigh.at(i);
    if (n.state == NeighState::Incomplete && (n.refs > 0 || n.pending > 0) &&
        ctx.now_tsc >= n.next_probe_tsc) {
      solicit(ctx, i);
    } else if (n.state == NeighState::Reachable && n.refs > 0 &&
               ctx.now_tsc - n.confirmed_tsc >= msToTsc(ctx, kReachableMs) &&
               ctx.now_tsc >= n.next_probe_tsc) {
      if (n.stale_probes >= kMaxProbes) {
        n.state = NeighState::Incomplete;  // packets park from now on; resolution restarts
        n.stale_probes = 0;
        n.probes = 0;
        n.next_probe_tsc = ctx.now_tsc;
        bump(ctx.stats->neigh_expired);
      } else {
        n.stale_probes++;
        solicit(ctx, i);
      }
    }
  }
}

// Copies a MAC learnt from ARP/ND to every other worker.
void shareNeighbour(LcoreCtx& ctx, uint8_t family, uint16_t iface, const uint8_t* ip,
                    const uint8_t* mac, bool create) {
  if (ctx.steer == nullptr) {
    return;
  }
  NeighUpdate u{};
  u.family = family;
  u.create = create ? 1 : 0;
  u.iface = iface;
  std::memcpy(u.mac, mac, 6);
  std::memcpy(u.ip, ip, family == 4 ? 4 : 16);
  for (uint32_t w = 0; w < ctx.steer->workers(); ++w) {
    if (w != ctx.cfg.worker &&
        rte_ring_mp_enqueue_elem(ctx.steer->neighShare(w), &u, sizeof(u)) != 0) {
      bump(ctx.stats->neigh_share_lost);
    }
  }
}

}  // namespace

uint16_t neighbourFor(LcoreCtx& ctx, uint8_t family, uint16_t iface, const uint8_t* nh_ip) {
  uint16_t nh = ctx.neigh.findOrCreate(family, iface, nh_ip);
  if (nh == kNoNeigh) {
    bump(ctx.stats->neigh_table_full);
  }
  return nh;
}

void sendViaNeighbour(LcoreCtx& ctx, uint16_t iface, uint16_t neigh, rte_mbuf* m) {
  Neighbour& n = ctx.neigh.at(neigh);
  PortCounters& pc = ctx.stats->ports[iface];
  if (n.state == NeighState::Reachable) [[likely]] {
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), n.mac, 6);
    txPush(ctx.tx[iface], pc, m);
    return;
  }
  if (ctx.pending_n >= kPendingCap) {
    rte_pktmbuf_free(m);
    ctx.drop(iface, DropReason::NoNeighbour);
    return;
  }
  ctx.pending[ctx.pending_n++] = {m, neigh, iface, ctx.now_tsc + msToTsc(ctx, kPendingTimeoutMs)};
  n.pending++;
  publish(ctx.stats->neigh_pending, uint64_t{ctx.pending_n});
  if (n.probes == 0 || ctx.now_tsc >= n.next_probe_tsc) {
    solicit(ctx, neigh);
  }
}

void runNeighbourTimers(LcoreCtx& ctx) {
  releaseOrExpireParked(ctx);
  probeNextHops(ctx);
}

uint16_t learnNeighbour(LcoreCtx& ctx, uint8_t family, uint16_t iface, const uint8_t* ip,
                        const uint8_t* mac, bool create) {
  // The solicitation this answers may have been another worker's.
  shareNeighbour(ctx, family, iface, ip, mac, create);
  uint16_t nh = ctx.neigh.learn(family, iface, ip, mac, create, ctx.now_tsc);
  if (create && nh == kNoNeigh) {
    bump(ctx.stats->neigh_table_full);
  }
  return nh;
}

void releaseParked(LcoreCtx& ctx, uint16_t neigh) {
  if (neigh != kNoNeigh && ctx.neigh.at(neigh).pending > 0) {
    releaseOrExpireParked(ctx);
  }
}

uint32_t serviceNeighbourShare(LcoreCtx& ctx) {
  if (ctx.steer == nullptr) {
    return 0;
  }
  NeighUpdate u[16];
  unsigned n = rte_ring_sc_dequeue_burst_elem(ctx.steer->neighShare(ctx.cfg.worker), u,
                                              sizeof(NeighUpdate), 16, nullptr);
  bool release = false;
  for (unsigned i = 0; i < n; ++i) {
    if (u[i].iface >= ctx.ifaces->count) {
      continue;
    }
    uint16_t nh =
        ctx.neigh.learn(u[i].family, u[i].iface, u[i].ip, u[i].mac, u[i].create != 0, ctx.now_tsc);
    release = release || (nh != kNoNeigh && ctx.neigh.at(nh).pending > 0);
  }
  if (release) {
    releaseOrExpireParked(ctx);  // packets parked on a next hop just learnt leave now
  }
  return n;
}

}  // namespace rampart::dp
