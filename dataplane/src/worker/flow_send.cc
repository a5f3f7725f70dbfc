#include "worker/flow_send.h"

#include <cstring>

#include <rte_mbuf.h>

#include "worker/egress.h"
#include "worker/neighbour_resolution.h"

namespace rampart::dp {

bool sendOnFlow(LcoreCtx& ctx, FlowEntry& f, FlowStats* fs, const uint8_t* rtp, uint32_t len,
                bool rtcp) {
  rte_mbuf* m = ctx.pool != nullptr ? rte_pktmbuf_alloc(ctx.pool) : nullptr;
  auto* p = m != nullptr ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len)) : nullptr;
  if (p == nullptr) {
    if (m != nullptr) {
      rte_pktmbuf_free(m);
    }
    ctx.drop(f.out_iface, DropReason::NoMbuf);
    return false;
  }
  std::memcpy(p, rtp, len);
  if (f.srtp_out.active()) {
    uint32_t cap = static_cast<uint32_t>(rte_pktmbuf_tailroom(m)) + len;
    DropReason r =
        rtcp ? f.srtp_out.protectRtcp(p, &len, cap) : f.srtp_out.protectRtp(p, &len, cap);
    if (r != kNoDrop) {
      ctx.drop(f.out_iface, r);
      if (fs != nullptr) {
        bump(fs->drops);
      }
      rte_pktmbuf_free(m);
      return false;
    }
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = len;
  }
  if (!writeUdpHeaders(ctx, ctx.ifaces->ifaces[f.out_iface], m, 0, outTuple(f, rtcp))) {
    ctx.drop(f.out_iface, DropReason::NoRoute);
    rte_pktmbuf_free(m);
    return false;
  }
  sendViaNeighbour(ctx, f.out_iface, f.neigh, m);
  return true;
}

}  // namespace rampart::dp
