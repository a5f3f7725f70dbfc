#pragma once
// The UDP stage of the packet path: a packet to one of our media addresses, with the flow
// listening on its destination. RFC 7983 demux (STUN answered by ice/stun_stage.cc, DTLS
// punted to the control plane), held flows (awaiting keys or an ICE selection), strict source
// or latching, SRTP unprotect, counters and RFC 3550 statistics, SSRC rewrite, SRTP protect
// with the out leg's key, new headers and the next hop.
#include <rte_mbuf.h>

#include "pkt/parse.h"
#include "worker/lcore_ctx.h"

namespace rampart::dp {

// `f` is the flow listening on the destination (looked up for the whole burst ahead of time,
// lcore_loop.cc, so the lookups' cache misses overlap), nullptr when none.
void handleUdp(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry* f);

}  // namespace rampart::dp
