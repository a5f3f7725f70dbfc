#pragma once
// UDP on a media address: flow lookup, strict source / latching, SRTP unprotect -> rewrite ->
// protect, DSCP, egress; STUN/DTLS punted to the control plane; RTCP statistics per RFC 3550.
#include <rte_mbuf.h>

#include "pkt/parse.h"
#include "worker/lcore_ctx.h"

namespace rampart::dp {

// `f` is the flow listening on the destination (looked up by lookupUdp ahead of time so the
// burst's lookups overlap), nullptr when none.
void handleUdp(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry* f);

// The flow for a UDP packet to one of our addresses on `in`, or nullptr (not ours / no flow).
inline FlowEntry* lookupUdp(LcoreCtx& ctx, const Iface& in, const PacketInfo& pi) {
  if (!ownsAddress(in, pi.family, pi.dst)) {
    return nullptr;
  }
  return ctx.flows.lookup(pi.family, in.index, pi.dst, pi.dst_port);
}

// Sends up to kInjectPerPass packets the control plane placed on the inject ring.
uint32_t serviceInject(LcoreCtx& ctx);

// Posts FlowIdle for flows silent longer than their idle timeout (a slice per call).
void scanIdle(LcoreCtx& ctx);

}  // namespace rampart::dp
