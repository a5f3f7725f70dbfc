#pragma once
// Packets the worker builds itself (transcoded media, RTCP of a transcoded leg, RFC 4733 events
// played into a relayed stream) leave like a relayed packet of their flow would: SRTP protect
// with the flow's out context, fresh L2-L4 headers, the flow's next hop.
#include <cstdint>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// Copies the plain RTP (or RTCP: the flow's RTCP port when the out leg has one) into a new
// mbuf and sends it. `fs`: the flow's counters (nullptr for a flow already erased, whose last
// report still leaves: worker/xcode_bye.h). @return false when it was dropped (no mbuf,
// protect refused, no route; counted).
bool sendOnFlow(LcoreCtx& ctx, FlowEntry& f, FlowStats* fs, const uint8_t* rtp, uint32_t len,
                bool rtcp);

}  // namespace rampart::dp
