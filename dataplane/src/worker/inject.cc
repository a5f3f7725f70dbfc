#include "worker/inject.h"

#include <cstring>

#include <rte_mbuf.h>

#include "worker/egress.h"
#include "worker/neighbour_resolution.h"

namespace rampart::dp {
namespace {

// The slot keeps the contract (dataplane/README.md): a port of ours, a payload that fits,
// our address as the source, both ports set.
bool slotValid(const IfaceSet& is, const abi::PacketSlot& h) {
  return h.port < is.count && h.len <= abi::kMaxPacket && (h.family == 4 || h.family == 6) &&
         h.local.port != 0 && h.remote.port != 0 &&
         ownsAddress(is.ifaces[h.port], h.family, h.local.addr);
}

// Sends one valid slot: a fresh mbuf with the payload and new headers, to the next hop.
void injectOne(LcoreCtx& ctx, const abi::PacketSlot& h, const uint8_t* payload) {
  const Iface& out = ctx.ifaces->ifaces[h.port];
  uint8_t nh_ip[16];
  if (!nextHopAddress(out, h.family, h.remote.addr, nh_ip)) {
    ctx.drop(h.port, DropReason::NoRoute);
    return;
  }
  uint16_t nh = neighbourFor(ctx, h.family, h.port, nh_ip);
  if (nh == kNoNeigh) {
    ctx.drop(h.port, DropReason::NoNeighbour);
    return;
  }
  rte_mbuf* m = ctx.pool != nullptr ? rte_pktmbuf_alloc(ctx.pool) : nullptr;
  auto* p = m != nullptr ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, h.len)) : nullptr;
  if (p == nullptr) {
    if (m != nullptr) {
      rte_pktmbuf_free(m);
    }
    ctx.drop(h.port, DropReason::NoMbuf);
    return;
  }
  std::memcpy(p, payload, h.len);
  L4Tuple t{h.family,     static_cast<uint8_t>(out.dscp_audio << 2),
            h.local.port, h.remote.port,
            h.local.addr, h.remote.addr};
  if (!writeUdpHeaders(ctx, out, m, 0, t)) {
    rte_pktmbuf_free(m);
    ctx.drop(h.port, DropReason::NoMbuf);
    return;
  }
  bump(ctx.stats->ports[h.port].injected);
  sendViaNeighbour(ctx, h.port, nh, m);
}

}  // namespace

uint32_t serviceInject(LcoreCtx& ctx) {
  uint32_t n = ctx.inject.available(kInjectPerPass);
  n = n < kInjectPerPass ? n : kInjectPerPass;
  for (uint32_t i = 0; i < n; ++i) {
    const auto* slot = static_cast<const uint8_t*>(ctx.inject.slot(i));
    abi::PacketSlot h;
    std::memcpy(&h, slot, sizeof(h));
    if (!slotValid(*ctx.ifaces, h)) {
      // The control plane broke the contract: no port to charge a packet drop to.
      bump(ctx.stats->inject_refused);
      continue;
    }
    injectOne(ctx, h, slot + sizeof(h));
  }
  if (n > 0) {
    ctx.inject.release(n);
  }
  return n;
}

}  // namespace rampart::dp
