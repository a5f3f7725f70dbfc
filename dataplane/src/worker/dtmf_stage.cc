#include "worker/dtmf_stage.h"

#include "pkt/bytes.h"
#include "pkt/rtp_header.h"
#include "worker/post_event.h"
#include "worker/xcode_io.h"

namespace rampart::dp {
namespace {

void postDtmf(LcoreCtx& ctx, const FlowEntry& f, uint32_t index, const uint8_t* ev, uint32_t ts) {
  auto e = flowEvent<abi::DtmfEvent>(ctx, abi::MsgType::DtmfEvent, f, index);
  e.rtp_ts = ts;
  e.event = ev[0];
  e.volume = ev[1] & 0x3f;
  e.duration = load16(ev + 2);
  e.clock_rate = f.clock_rate;
  postEvent(ctx, e);
}

}  // namespace

int32_t applyDtmfReport(LcoreCtx& ctx, const abi::DtmfReport& r) {
  FlowEntry* e = ctx.flows.get(r.hdr.flow);
  if (e == nullptr) {
    return abi::kErrNoEnt;
  }
  if (r.event_pt > 127) {
    return abi::kErrInval;
  }
  e->dtmf_pt = r.event_pt;
  e->dtmf_flags = r.event_pt != 0 && r.drop != 0 ? kDtmfDrop : 0;
  e->dtmf_flags |= r.inband != 0 ? kDtmfInband : 0;
  if (e->xcode == kXcodeMedia && !xcodeToneReport(ctx, r.hdr.flow, r.inband != 0)) {
    return abi::kErrBusy;  // the transcoder's ring is full: the control plane may try again
  }
  return abi::kOk;
}

bool dtmfObserve(LcoreCtx& ctx, FlowEntry& f, uint32_t index, const uint8_t* rtp, uint32_t len) {
  if (len < 12 || (rtp[1] & 0x7f) != f.dtmf_pt) {
    return false;
  }
  RtpPayload at{};
  if (!rtpPayload(rtp, len, &at) || at.length < 4 || rtp[at.offset] > 15) {
    return (f.dtmf_flags & kDtmfDrop) != 0;
  }
  const uint8_t* ev = rtp + at.offset;
  uint32_t ts = load32(rtp + 4);
  // One report per event: at its first end packet (E bit), whose duration is the final one.
  bool seen = (f.dtmf_flags & kDtmfSeen) != 0 && f.dtmf_ts == ts;
  if ((ev[1] & 0x80) != 0 && !seen) {
    postDtmf(ctx, f, index, ev, ts);
    f.dtmf_flags |= kDtmfSeen;
    f.dtmf_ts = ts;
  }
  return (f.dtmf_flags & kDtmfDrop) != 0;
}

bool dtmfInbandReport(LcoreCtx& ctx, const FlowEntry& f, uint32_t index, const abi::XcTone& t) {
  if ((f.dtmf_flags & kDtmfInband) == 0 || t.event > 15 || t.clock_rate < 8000 ||
      t.clock_rate > 48000) {
    return false;
  }
  auto e = flowEvent<abi::DtmfEvent>(ctx, abi::MsgType::DtmfEvent, f, index);
  e.rtp_ts = t.rtp_ts;
  e.event = t.event;
  e.volume = t.volume & 0x3f;
  e.duration = t.duration;
  e.clock_rate = t.clock_rate;
  postEvent(ctx, e);
  return true;
}

}  // namespace rampart::dp
