#pragma once
// ARP and IPv6 neighbour discovery for the media addresses the dataplane owns (the kernel has
// no address on these ports): answers requests/solicitations in place and learns peers' MACs.
#include <rte_mbuf.h>

#include "pkt/parse.h"
#include "worker/lcore_ctx.h"

namespace rampart::dp {

void handleArp(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi);
void handleNd(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi);

}  // namespace rampart::dp
