#pragma once
// UDP on a media address: flow lookup, strict source / latching, SRTP unprotect -> rewrite ->
// protect, DSCP, egress; STUN/DTLS punted to the control plane; RTCP statistics per RFC 3550.
#include <rte_mbuf.h>

#include "pkt/parse.h"
#include "worker/lcore_ctx.h"

namespace rampart::dp {

// `f` is the flow listening on the destination (looked up for the whole burst ahead of time,
// lcore_loop.cc, so the lookups' cache misses overlap), nullptr when none.
void handleUdp(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry* f);

// Sends up to kInjectPerPass packets the control plane placed on the inject ring.
uint32_t serviceInject(LcoreCtx& ctx);

// Posts FlowIdle for flows silent longer than their idle timeout (a slice per call).
void scanIdle(LcoreCtx& ctx);

}  // namespace rampart::dp
