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

// A burst's UDP packets that reached SRTP (or plain relaying), kept together so the SRTP work
// runs as one unprotect burst and one protect burst (srtp/srtp_fast.h: multi-buffer crypto).
struct UdpBatch {
  struct Item {
    rte_mbuf* m;
    const PacketInfo* pi;  // the burst's parse results (processBurst's array)
    const Iface* in;
    FlowEntry* f;
    uint32_t index;
    uint8_t* pkt;  // the payload (RTP/RTCP)
    uint32_t len;
    bool rtcp;
    bool from_peer;
  };
  uint32_t n = 0;
  Item items[kBurst];
};

// Everything before SRTP: RFC 7983 demux, held flows, strict source. `f` is the flow listening
// on the destination (looked up for the whole burst ahead of time, lcore_loop.cc, so the
// lookups' cache misses overlap), nullptr when none. The packet is consumed (dropped, answered,
// punted) or appended to `batch`.
void udpAdmit(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry* f,
              UdpBatch& batch);
// SRTP for the whole batch, counters, then out (or to the transcoder). Empties the batch.
void udpFinish(LcoreCtx& ctx, UdpBatch& batch);

}  // namespace rampart::dp
