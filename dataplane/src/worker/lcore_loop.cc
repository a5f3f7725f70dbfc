// The worker pipeline, one pass (run to completion, no locks, no allocation, no syscalls
// except the optional idle sleep):
//
//   for each port: rte_eth_rx_burst(port, my queue, 32); then my handoff ring
//     parseFrame()          L2-L4, every length checked          -> drop(Malformed...)
//     ARP / ND              answer for our addresses, learn MACs  -> TX on the same port
//                           (and copy what was learnt to the other workers)
//     UDP to our address    flow lookup on the local endpoint     -> another worker's flow:
//                                                                    its handoff ring
//                                                                 -> else drop(NoFlow)
//       RFC 7983 demux      STUN: ICE-lite check answered here    -> drop(IceUnauthenticated...)
//                           DTLS (from the ICE-selected remote) -> punt ring; other -> drop
//       held flows          awaiting DTLS keys / ICE selection    -> drop(AwaitKeys, NoRemote)
//       strict source       programmed or latched peer only       -> drop(WrongSource)
//       SRTP unprotect      libsrtp2, in place                    -> drop(SrtpAuth/Replay)
//       stats, SSRC rewrite, SRTP protect with the out leg's key
//       new L2-L4 headers, DSCP, checksums; next hop (neighbour table or parked)
//     tx_buffer             burst TX; what the PMD refuses is freed and counted
//   TX drain when the RX queues ran dry or 100 us passed
//   command ring (<= 32 per pass), inject ring, neighbour and idle timers
//
// Every mbuf ends in exactly one of: TX, a counted drop, a punt copy (then freed), or a
// parked slot in the neighbour queue (which itself ends in TX or a counted drop).
#include "worker/lcore_loop.h"

#include <strings.h>
#include <time.h>
#include <cstring>
#include <new>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <rampart/platform/assert.h>
#include <rampart/platform/shm_region.h>

#include "flow/cmd_apply.h"
#include "pkt/parse.h"
#include "srtp/srtp_fast.h"
#include "worker/arp_nd.h"
#include "worker/egress.h"
#include "worker/idle_scan.h"
#include "worker/inject.h"
#include "worker/neighbour_resolution.h"
#include "worker/relay_dtmf.h"
#include "worker/udp_stage.h"
#include "worker/xcode_io.h"

namespace rampart::dp {
namespace {

// DPDK's TSC rate can be an estimate (rounded to 10 MHz in a VM: 0.2 % off, 36 ms over 20 s).
// The control plane compares our last_seen_ns with its CLOCK_MONOTONIC (media idle checks), so
// each idle scan re-anchors the conversion to that clock.
void resyncClock(LcoreCtx& ctx) {
  ctx.tsc_base = ctx.now_tsc;
  ctx.mono_base_ns = platform::monotonicNs();
  ctx.now_ns = ctx.mono_base_ns;
}

constexpr uint64_t kDrainUs = 100;
constexpr uint64_t kNeighbourTimerMs = 10;
constexpr uint64_t kIdleScanMs = 100;
constexpr uint32_t kEmptyPassesBeforeSleep = 256;

// Two stages per burst. First every packet is parsed and looked up, in steps across the
// burst so that the cache misses overlap (hash and prefetch the bucket, prefetch the entry the
// bucket names, compare; then prefetch the flow's entry and counters). Then each packet is
// acted on with its session heads prefetched one packet ahead. `from_handoff`: the packets
// came from another worker's queue (already counted as received there, never handed on again).
void processBurst(LcoreCtx& ctx, const Iface& in, rte_mbuf** pkts, uint16_t n, bool from_handoff) {
  PortCounters& pc = ctx.stats->ports[in.index];
  PacketInfo pi[kBurst];
  DropReason verdict[kBurst];
  FlowEntry* flow[kBurst];
  FlowKey key[kBurst];
  uint32_t hash[kBurst];
  bool keyed[kBurst];  // UDP to one of our addresses: has a flow key
  uint64_t bytes = 0;
  UdpBatch udp;
  for (uint16_t k = 0; k < n; ++k) {
    if (k + 1 < n) {
      rte_prefetch0(rte_pktmbuf_mtod(pkts[k + 1], void*));
    }
    bytes += rte_pktmbuf_pkt_len(pkts[k]);
    // Only the first segment is parsed; media fits one (multi-segment is dropped later).
    verdict[k] = parseFrame(rte_pktmbuf_mtod(pkts[k], const uint8_t*),
                            rte_pktmbuf_data_len(pkts[k]), &pi[k]);
    // A banned source costs a parse and one probe: no flow lookup, handoff or crypto.
    if (verdict[k] == kNoDrop && pi[k].kind == PktKind::Udp &&
        ctx.bans.contains(pi[k].family, pi[k].src)) {
      verdict[k] = DropReason::Banned;
    }
    keyed[k] = verdict[k] == kNoDrop && pi[k].kind == PktKind::Udp &&
               ownsAddress(in, pi[k].family, pi[k].dst);
    if (keyed[k]) {
      key[k] = FlowTable::makeKey(pi[k].family, in.index, pi[k].dst, pi[k].dst_port);
      hash[k] = ctx.flows.hash(key[k]);
      ctx.flows.prefetchBucket(hash[k]);
    }
  }
  for (uint16_t k = 0; k < n; ++k) {
    if (keyed[k]) {
      ctx.flows.prefetchEntry(hash[k]);
    }
  }
  for (uint16_t k = 0; k < n; ++k) {
    flow[k] = keyed[k] ? ctx.flows.lookup(key[k], hash[k]) : nullptr;
    if (flow[k] != nullptr) {
      for (std::size_t off = 0; off < sizeof(FlowEntry); off += 64) {
        __builtin_prefetch(reinterpret_cast<const uint8_t*>(flow[k]) + off);
      }
      __builtin_prefetch(&ctx.flow_stats[ctx.flows.indexOf(flow[k])], 1);
    } else if (keyed[k] && ctx.steer != nullptr && !from_handoff &&
               handOff(ctx, in, pkts[k], key[k])) {
      pkts[k] = nullptr;  // now the owner's
    }
  }
  if (!from_handoff) {
    bump(pc.rx_packets, n);
    bump(pc.rx_bytes, bytes);
  }
  // The SRTP state of every flow of the burst, while admission runs (the crypto comes after
  // it, for the whole burst at once: udpFinish).
  for (uint16_t k = 0; k < n; ++k) {
    if (flow[k] != nullptr) {
      flow[k]->srtp_in.prefetch();
      flow[k]->srtp_out.prefetch();
    }
  }
  for (uint16_t k = 0; k < n; ++k) {
    rte_mbuf* m = pkts[k];
    if (m == nullptr) {
      continue;  // handed to another worker
    }
    if (verdict[k] != kNoDrop) {
      ctx.drop(in.index, verdict[k]);
      rte_pktmbuf_free(m);
      continue;
    }
    switch (pi[k].kind) {
      case PktKind::Udp: udpAdmit(ctx, in, m, pi[k], flow[k], udp); break;
      case PktKind::Arp: handleArp(ctx, in, m, pi[k]); break;
      case PktKind::NdSolicit:
      case PktKind::NdAdvert: handleNd(ctx, in, m, pi[k]); break;
    }
  }
  udpFinish(ctx, udp);
}

// Packets other workers received for this worker's flows, in runs of the same arrival port.
uint32_t serviceHandoff(LcoreCtx& ctx) {
  rte_mbuf* pkts[kBurst];
  unsigned n = rte_ring_sc_dequeue_burst(ctx.steer->handoff(ctx.cfg.worker),
                                         reinterpret_cast<void**>(pkts), kBurst, nullptr);
  bump(ctx.stats->handoff_in, n);
  unsigned start = 0;
  while (start < n) {
    unsigned end = start + 1;
    while (end < n && pkts[end]->port == pkts[start]->port) {
      ++end;
    }
    const Iface* in = ctx.ifaces->byPort(pkts[start]->port);
    if (in == nullptr) {
      rte_pktmbuf_free_bulk(pkts + start, end - start);  // cannot happen: handOff sets port
    } else {
      processBurst(ctx, *in, pkts + start, static_cast<uint16_t>(end - start), true);
    }
    start = end;
  }
  return n;
}

void flushAll(LcoreCtx& ctx) {
  for (uint32_t i = 0; i < ctx.ifaces->count; ++i) {
    txFlush(ctx.tx[i], ctx.stats->ports[i]);
  }
}

// Commands (or the dump in progress), injected packets and neighbour updates from the other
// workers. @return how much work was found (0: an empty pass).
uint32_t serviceControlPlane(LcoreCtx& ctx) {
  uint32_t work = serviceCommands(ctx);
  if (ctx.dumping) {
    work++;
  }
  uint32_t injected = serviceInject(ctx) + serviceXcode(ctx) + serviceRelayDtmf(ctx);
  uint32_t shared = serviceNeighbourShare(ctx);
  if (injected > 0 || shared > 0) {
    flushAll(ctx);  // injected packets and packets released by a neighbour just learnt
  }
  return work + injected + shared;
}

// Neighbour timers every kNeighbourTimerMs, the idle scan every kIdleScanMs.
void runTimers(LcoreCtx& ctx) {
  if (ctx.now_tsc >= ctx.next_neigh_timer_tsc) {
    runNeighbourTimers(ctx);
    ctx.next_neigh_timer_tsc = ctx.now_tsc + kNeighbourTimerMs * ctx.tsc_hz / 1000;
    flushAll(ctx);  // released parked packets and solicitations
  }
  if (ctx.now_tsc >= ctx.next_idle_tsc) {
    resyncClock(ctx);
    scanIdle(ctx);
    watchTranscoder(ctx);
    ctx.next_idle_tsc = ctx.now_tsc + kIdleScanMs * ctx.tsc_hz / 1000;
  }
}

}  // namespace

std::unique_ptr<LcoreCtx> makeLcoreCtx(const WorkerSetup& setup) {
  // A setup without these is a programming error in the caller, not a runtime condition.
  RAMPART_RELEASE_ASSERT(setup.ifaces != nullptr && setup.ifaces->count <= kMaxPorts &&
                             setup.stats_area != nullptr && setup.tsc_hz != 0,
                         "incomplete WorkerSetup");
  auto ctx = std::make_unique<LcoreCtx>();
  const WorkerConfig& cfg = setup.cfg;
  if (!ctx->flows.init(cfg.flow_capacity)) {
    return nullptr;
  }
  ctx->ice.states.reset(new (std::nothrow) IceState[cfg.flow_capacity]());
  if (!ctx->ice.states) {
    return nullptr;
  }
  iceAgentInit(&ctx->ice.agent);
  ctx->cfg = cfg;
  ctx->ifaces = setup.ifaces;
  ctx->pool = setup.pool;
  for (uint32_t i = 0; i < setup.ifaces->count; ++i) {
    ctx->tx[i] = TxBuffer{setup.ifaces->ifaces[i].port_id, cfg.queue, 0, {}};
  }
  ctx->cmd = platform::RingConsumer(setup.rings.cmd);
  ctx->evt = platform::RingProducer(setup.rings.evt);
  ctx->punt = platform::RingProducer(setup.rings.punt);
  ctx->inject = platform::RingConsumer(setup.rings.inject);
  if (setup.rings.to_xc != nullptr && setup.rings.from_xc != nullptr) {
    ctx->to_xc = platform::RingProducer(setup.rings.to_xc);
    ctx->from_xc = platform::RingConsumer(setup.rings.from_xc);
    ctx->xc_stats = static_cast<const platform::XcodeStats*>(setup.xc_stats_area);
  }
  ctx->steer = setup.steer;
  ctx->epoch = setup.epoch;
  ctx->stats = static_cast<WorkerStats*>(setup.stats_area);
  std::memset(ctx->stats, 0, sizeof(WorkerStats));
  ctx->stats->magic = kStatsMagic;
  ctx->stats->version = kStatsVersion;
  ctx->stats->worker = cfg.worker;
  ctx->stats->n_ports = setup.ifaces->count;
  ctx->stats->n_drop_reasons = kDropReasonCount;
  ctx->stats->flow_capacity = cfg.flow_capacity;
  ctx->flow_stats = flowStatsArray(setup.stats_area);
  std::memset(static_cast<void*>(ctx->flow_stats), 0, sizeof(FlowStats) * cfg.flow_capacity);
  ctx->tsc_hz = setup.tsc_hz;
  ctx->tsc_base = rte_rdtsc();
  ctx->mono_base_ns = platform::monotonicNs();
  ctx->now_tsc = ctx->tsc_base;
  ctx->now_ns = ctx->mono_base_ns;
  return ctx;
}

void lcoreFini(LcoreCtx& ctx) {
  if (ctx.steer != nullptr) {  // packets handed to us after our last pass
    rte_mbuf* m = nullptr;
    while (rte_ring_sc_dequeue(ctx.steer->handoff(ctx.cfg.worker), reinterpret_cast<void**>(&m)) ==
           0) {
      rte_pktmbuf_free(m);
    }
  }
  for (uint32_t i = 0; i < ctx.pending_n; ++i) {
    rte_pktmbuf_free(ctx.pending[i].m);
  }
  ctx.pending_n = 0;
  for (uint32_t i = 0; i < ctx.ifaces->count; ++i) {
    for (uint16_t k = 0; k < ctx.tx[i].count; ++k) {
      rte_pktmbuf_free(ctx.tx[i].pkts[k]);
    }
    ctx.tx[i].count = 0;
  }
  xcByeFini(ctx);
  for (uint32_t i = 0; i < ctx.flows.capacity(); ++i) {
    if (ctx.steer != nullptr && ctx.flows.at(i).in_use) {
      ctx.steer->release(ctx.flows.at(i).key, ctx.cfg.worker);
    }
    ctx.flows.erase(i);  // wipes keys
    explicit_bzero(&ctx.ice.states[i], sizeof(IceState));
  }
}

uint32_t workerPass(LcoreCtx& ctx) {
  ctx.now_tsc = rte_rdtsc();
  ctx.now_ns = ctx.monoNs(ctx.now_tsc);
  uint32_t total = 0;
  bool full_burst = false;
  rte_mbuf* pkts[kBurst];
  for (uint32_t i = 0; i < ctx.ifaces->count; ++i) {
    const Iface& in = ctx.ifaces->ifaces[i];
    uint16_t n = rte_eth_rx_burst(in.port_id, ctx.cfg.queue, pkts, kBurst);
    if (n > 0) {
      processBurst(ctx, in, pkts, n, false);
    }
    total += n;
    full_burst = full_burst || n == kBurst;
  }
  if (ctx.steer != nullptr) {
    uint32_t from_others = serviceHandoff(ctx);
    total += from_others;
    full_burst = full_burst || from_others == kBurst;
  }
  // Drain now when the queues ran dry (lowest latency at low load); under sustained load the
  // buffers fill to a full burst by themselves, and the timer bounds what is left behind.
  if (!full_burst || ctx.now_tsc - ctx.last_drain_tsc > kDrainUs * ctx.tsc_hz / 1000000) {
    flushAll(ctx);
    ctx.last_drain_tsc = ctx.now_tsc;
  }
  uint32_t work = total + serviceControlPlane(ctx);
  runTimers(ctx);
  bump(ctx.stats->loop_passes);
  ctx.empty_passes = work == 0 ? ctx.empty_passes + 1 : 0;
  return total;
}

void workerLoop(LcoreCtx& ctx, const std::atomic<bool>& stop) {
  // The SRTP fast path's ipsec-mb manager is per thread: set it up before the first packet.
  (void)fastSrtpMgr();
  while (!stop.load(std::memory_order_relaxed)) {
    workerPass(ctx);
    // Optional l3fwd-power style back-off for labs and tests sharing a small machine:
    // sleep only after a run of empty passes, so a busy worker never sleeps.
    if (ctx.cfg.idle_backoff_us != 0 && ctx.empty_passes >= kEmptyPassesBeforeSleep) {
      timespec ts{0, static_cast<long>(ctx.cfg.idle_backoff_us) * 1000};
      nanosleep(&ts, nullptr);
      bump(ctx.stats->idle_sleeps);
    }
  }
}

}  // namespace rampart::dp
