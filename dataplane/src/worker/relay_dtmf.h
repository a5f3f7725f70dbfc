#pragma once
// RFC 4733 events played into a relayed stream, for a digit the control plane got as SIP INFO
// from a leg that signals DTMF that way (DtmfInject on a flow that is not transcoded). The
// events go out in the stream's own SSRC, starting at the last relayed timestamp: a start
// packet (marker), an update every 20 ms, three end packets. Each one takes the next sequence
// number, and every relayed packet after it is shifted by one (FlowEntry.seq_shift), so the
// receiver sees one unbroken sequence. Several digits for one flow play one after another.
#include <cstdint>

#include <rampart/platform/abi.h>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// DtmfInject on a relayed flow. @return the Ack status: kErrNotSup without an event PT,
// kErrBusy before the flow has relayed RTP (no SSRC to speak in yet) or with every slot taken.
int32_t startRelayDtmf(LcoreCtx& ctx, const FlowEntry& f, const abi::DtmfInject& d);

// Sends the event packets that are due. @return packets sent.
uint32_t serviceRelayDtmf(LcoreCtx& ctx);

}  // namespace rampart::dp
