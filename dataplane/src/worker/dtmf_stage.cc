#include "worker/dtmf_stage.h"

#include "pkt/bytes.h"

namespace rampart::dp {
namespace {

// Offset of the RTP payload (after CSRCs and a header extension), or 0 when truncated.
uint32_t rtpPayloadOffset(const uint8_t* rtp, uint32_t len) {
  if (len < 12) {
    return 0;
  }
  uint32_t off = 12 + 4u * (rtp[0] & 0x0f);
  if ((rtp[0] & 0x10) != 0) {
    if (len < off + 4) {
      return 0;
    }
    off += 4 + 4u * load16(rtp + off + 2);
  }
  return off <= len ? off : 0;
}

void postEvent(LcoreCtx& ctx, const FlowEntry& f, uint32_t index, const uint8_t* ev, uint32_t ts) {
  abi::DtmfEvent e{};
  e.hdr.type = abi::MsgType::DtmfEvent;
  e.hdr.size = sizeof(e);
  e.hdr.flow = ctx.flows.handleOf(index);
  e.cookie = f.cookie;
  e.rtp_ts = ts;
  e.event = ev[0];
  e.volume = ev[1] & 0x3f;
  e.duration = load16(ev + 2);
  e.clock_rate = f.clock_rate;
  if (!ctx.evt.enqueue(&e, sizeof(e))) {
    bump(ctx.stats->events_lost);
  }
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
  return abi::kOk;
}

bool dtmfObserve(LcoreCtx& ctx, FlowEntry& f, uint32_t index, const uint8_t* rtp, uint32_t len) {
  if (len < 12 || (rtp[1] & 0x7f) != f.dtmf_pt) {
    return false;
  }
  uint32_t off = rtpPayloadOffset(rtp, len);
  if (off == 0 || len - off < 4 || rtp[off] > 15) {
    return (f.dtmf_flags & kDtmfDrop) != 0;
  }
  const uint8_t* ev = rtp + off;
  uint32_t ts = load32(rtp + 4);
  // One report per event: at its first end packet (E bit), whose duration is the final one.
  bool seen = (f.dtmf_flags & kDtmfSeen) != 0 && f.dtmf_ts == ts;
  if ((ev[1] & 0x80) != 0 && !seen) {
    postEvent(ctx, f, index, ev, ts);
    f.dtmf_flags |= kDtmfSeen;
    f.dtmf_ts = ts;
  }
  return (f.dtmf_flags & kDtmfDrop) != 0;
}

}  // namespace rampart::dp
