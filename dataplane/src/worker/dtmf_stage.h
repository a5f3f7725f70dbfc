#pragma once
// RFC 4733 events the control plane turns into SIP INFO (DtmfReport): the worker reports each
// event of a flow once, when its first end packet arrives, and drops the event packets when the
// other leg hears DTMF as SIP INFO only.
#include <cstdint>

#include <rampart/platform/abi.h>

#include "worker/lcore_ctx.h"

namespace rampart::dp {

// DtmfReport: sets or clears (event_pt 0) the flow's reporting. @return the Ack status.
int32_t applyDtmfReport(LcoreCtx& ctx, const abi::DtmfReport& r);

// A plain (decrypted) RTP packet of a flow with dtmf_pt set. @return true when the packet is a
// telephone-event to drop (kDtmfDrop); the caller counts and frees it.
bool dtmfObserve(LcoreCtx& ctx, FlowEntry& f, uint32_t index, const uint8_t* rtp, uint32_t len);

// A digit rampart-transcoder detected in-band on a transcoded flow's input (kPacketXcTone):
// reported as the flow's DtmfEvent when it has kDtmfInband. @return false (a refused slot)
// when it does not, or the digit is out of range.
bool dtmfInbandReport(LcoreCtx& ctx, const FlowEntry& f, uint32_t index, const abi::XcTone& t);

}  // namespace rampart::dp
