#include "worker/xcode_io.h"

#include <cstring>

#include <rte_random.h>

#include "pkt/bytes.h"
#include "worker/dtmf_stage.h"
#include "worker/flow_send.h"
#include "worker/post_event.h"
#include "worker/relay_dtmf.h"
#include "worker/xcode_bye.h"

namespace rampart::dp {
namespace {

bool codecValid(const abi::XcodeCodec& c) {
  return c.codec != abi::XcodeCodecId::None &&
         static_cast<uint8_t>(c.codec) <= static_cast<uint8_t>(abi::XcodeCodecId::Opus) &&
         c.payload_type < 128 && c.dtmf_pt < 128 && c.clock_rate >= 8000 && c.clock_rate <= 48000 &&
         c.channels <= 2 && c.ptime_ms <= 120;
}

// One slot on the transcoder ring. @return false when it is full.
bool enqueueXc(LcoreCtx& ctx, uint64_t handle, uint8_t kind, const void* data, uint32_t len) {
  if (ctx.to_xc.freeSlots(1) == 0) {
    ctx.to_xc.noteFull();
    return false;
  }
  auto* slot = static_cast<uint8_t*>(ctx.to_xc.slot(0));
  abi::PacketSlot h{};
  h.len = static_cast<uint16_t>(len);
  h.kind = kind;
  h.flow = handle;
  std::memcpy(slot, &h, sizeof(h));
  if (len > 0) {
    std::memcpy(slot + sizeof(h), data, len);
  }
  ctx.to_xc.publish(1);
  return true;
}

// The flow carrying the call's other direction listens on the local endpoint this flow sends
// from (the control plane programs both directions of a leg pair that way).
uint64_t reverseOf(LcoreCtx& ctx, const FlowEntry& e) {
  FlowKey k = FlowTable::makeKey(e.out_family, e.out_iface, e.out_local, e.out_lport);
  FlowEntry* r = ctx.flows.lookup(k, ctx.flows.hash(k));
  return r != nullptr ? ctx.flows.handleOf(ctx.flows.indexOf(r)) : 0;
}

// This flow's separate RTCP port: the reverse flow sends its RTCP from it.
void linkRtcpPort(LcoreCtx& ctx, FlowEntry& e, uint64_t handle, uint64_t reverse) {
  FlowEntry* r = reverse != 0 ? ctx.flows.get(reverse) : nullptr;
  e.xcode_link = 0;
  if (r == nullptr || r->out_rtcp_lport == 0) {
    return;  // rtcp-mux: reports arrive on the media port
  }
  FlowKey k = FlowTable::makeKey(e.key.family, e.key.iface, e.key.addr, r->out_rtcp_lport);
  FlowEntry* p = ctx.flows.lookup(k, ctx.flows.hash(k));
  if (p != nullptr && (p->flags & abi::kFlowRtcpOnly) != 0) {
    p->xcode = kXcodeRtcpPort;
    p->xcode_link = handle;
    e.xcode_link = ctx.flows.handleOf(ctx.flows.indexOf(p));
  }
}

// Back to relaying (or gone): the RTCP port relays again.
void unlinkRtcpPort(LcoreCtx& ctx, FlowEntry& e, uint64_t handle) {
  FlowEntry* p = e.xcode_link != 0 ? ctx.flows.get(e.xcode_link) : nullptr;
  if (p != nullptr && p->xcode == kXcodeRtcpPort && p->xcode_link == handle) {
    p->xcode = 0;
    p->xcode_link = 0;
  }
  e.xcode_link = 0;
}

}  // namespace

int32_t applyXcodeSetup(LcoreCtx& ctx, const abi::XcodeSetup& s) {
  FlowEntry* e = ctx.flows.get(s.hdr.flow);
  if (e == nullptr) {
    return abi::kErrNoEnt;
  }
  if (!ctx.to_xc.valid()) {
    return abi::kErrBusy;
  }
  if (s.from.codec == abi::XcodeCodecId::None) {
    if (e->xcode == kXcodeMedia &&
        !enqueueXc(ctx, s.hdr.flow, abi::kPacketXcTeardown, nullptr, 0)) {
      return abi::kErrBusy;
    }
    if (e->xcode == kXcodeMedia) {
      unlinkRtcpPort(ctx, *e, s.hdr.flow);
      e->xcode = 0;
      xcByeExpect(ctx, s.hdr.flow, nullptr);  // the flow lives on: its BYE leaves by it
    }
    return abi::kOk;
  }
  if (!codecValid(s.from) || !codecValid(s.to) || (e->flags & abi::kFlowRtcpOnly) != 0) {
    return abi::kErrInval;
  }
  abi::XcodeSetupSlot slot{};
  slot.setup = s;
  while (slot.setup.out_ssrc == 0) {
    slot.setup.out_ssrc = static_cast<uint32_t>(rte_rand());
  }
  slot.reverse_flow = reverseOf(ctx, *e);
  // Ring order is the synchronisation: the setup reaches the transcoder before any packet.
  if (!enqueueXc(ctx, s.hdr.flow, abi::kPacketXcSetup, &slot, sizeof(slot))) {
    return abi::kErrBusy;
  }
  if (e->xcode == kXcodeMedia) {
    xcByeExpect(ctx, s.hdr.flow, nullptr);  // the replaced session's BYE (a new SSRC follows)
  }
  e->xcode = kXcodeMedia;
  linkRtcpPort(ctx, *e, s.hdr.flow, slot.reverse_flow);
  if ((e->dtmf_flags & kDtmfInband) != 0 && !xcodeToneReport(ctx, s.hdr.flow, true)) {
    bump(ctx.stats->xcode_refused);  // the new session sends in-band digits as events
  }
  return abi::kOk;
}

bool xcodeToneReport(LcoreCtx& ctx, uint64_t handle, bool on) {
  uint8_t v = on ? 1 : 0;
  return ctx.to_xc.valid() && enqueueXc(ctx, handle, abi::kPacketXcToneReport, &v, 1);
}

void watchTranscoder(LcoreCtx& ctx) {
  xcByeExpire(ctx);
  if (ctx.xc_stats == nullptr) {
    return;
  }
  uint64_t at = __atomic_load_n(&ctx.xc_stats->attached_ns, __ATOMIC_ACQUIRE);
  if (at == 0 || at == ctx.xc_attached_ns) {
    return;  // 0: no transcoder yet, or one clearing its stats while it attaches
  }
  bool replaced = ctx.xc_attached_ns != 0;
  ctx.xc_attached_ns = at;
  if (!replaced) {
    return;  // the first attach: setups queued before it are still in the ring
  }
  abi::XcodeRestart ev{};
  ev.hdr.type = abi::MsgType::XcodeRestart;
  ev.hdr.size = sizeof(ev);
  ev.attached_ns = at;
  postEvent(ctx, ev);
}

int32_t applyDtmfInject(LcoreCtx& ctx, const abi::DtmfInject& d) {
  FlowEntry* e = ctx.flows.get(d.hdr.flow);
  if (e == nullptr) {
    return abi::kErrNoEnt;
  }
  if (d.event > 15 || d.volume > 63 || d.duration_ms == 0) {
    return abi::kErrInval;
  }
  if (e->xcode != kXcodeMedia) {
    return startRelayDtmf(ctx, *e, d);  // the worker plays it into the relayed stream
  }
  return enqueueXc(ctx, d.hdr.flow, abi::kPacketXcDtmf, &d, sizeof(d)) ? abi::kOk : abi::kErrBusy;
}

void xcodeTeardown(LcoreCtx& ctx, uint64_t handle) {
  FlowEntry* e = ctx.flows.get(handle);
  if (e == nullptr || e->xcode != kXcodeMedia) {
    return;  // an RTCP port: its media flow finds the link stale
  }
  unlinkRtcpPort(ctx, *e, handle);
  if (!ctx.to_xc.valid()) {
    return;
  }
  if (!enqueueXc(ctx, handle, abi::kPacketXcTeardown, nullptr, 0)) {
    bump(ctx.stats->xcode_refused);  // the transcoder frees it when its ring drains
    return;
  }
  xcByeExpect(ctx, handle, e);  // the out action stays for the transcoder's BYE
}

void toTranscoder(LcoreCtx& ctx, uint16_t in_iface, uint32_t index, rte_mbuf* m, const uint8_t* rtp,
                  uint32_t len) {
  if (len > abi::kMaxPacket ||
      !enqueueXc(ctx, ctx.flows.handleOf(index), abi::kPacketXcRtp, rtp, len)) {
    ctx.drop(in_iface, DropReason::XcodeFull);
    bump(ctx.flow_stats[index].drops);
  } else {
    bump(ctx.stats->xcode_to);
  }
  rte_pktmbuf_free(m);
}

void rtcpToTranscoder(LcoreCtx& ctx, uint16_t in_iface, FlowEntry& f, uint32_t index, rte_mbuf* m,
                      const uint8_t* rtcp, uint32_t len) {
  // The party's block about Rampart's SR (sendFromTranscoder noted it): the leg's round trip
  // for the control plane, exactly as on a relayed leg. Its own SR goes no further.
  rtcpObserveBlock(f.rtcp_rtt, rtcp, len, ctx.now_ns);
  uint64_t media = f.xcode == kXcodeRtcpPort ? f.xcode_link : ctx.flows.handleOf(index);
  const FlowEntry* mf = f.xcode == kXcodeRtcpPort ? ctx.flows.get(media) : &f;
  if (mf == nullptr || mf->xcode != kXcodeMedia || len > abi::kMaxPacket ||
      !enqueueXc(ctx, media, abi::kPacketXcRtcp, rtcp, len)) {
    ctx.drop(in_iface, DropReason::XcodeRtcp);
    bump(ctx.flow_stats[index].drops);
  } else {
    bump(ctx.stats->xcode_to);
  }
  rte_pktmbuf_free(m);
}

// A transcoded packet leaves like a relayed one of its flow would (worker/flow_send.h); Rampart's
// own SR toward the leg is noted first, for the leg's round trip.
void sendFromTranscoder(LcoreCtx& ctx, FlowEntry& f, FlowStats* fs, const uint8_t* rtp,
                        uint32_t len, bool rtcp) {
  if (rtcp && fs != nullptr) {
    rtcpObserveSr(f.rtcp_rtt, rtp, len, ctx.now_ns);
  }
  if (sendOnFlow(ctx, f, fs, rtp, len, rtcp)) {
    bump(ctx.stats->xcode_from);
  }
}

namespace {

// The transcoder parses hostile payloads: trust nothing it writes. RTP must look like RTP,
// RTCP like a report (RFC 3550 6.1: version 2, SR or RR first).
bool returnedHeaderValid(const abi::PacketSlot& h, const uint8_t* p) {
  bool rtcp = h.kind == abi::kPacketXcRtcp || h.kind == abi::kPacketXcBye;
  return (h.kind == abi::kPacketXcRtp || rtcp) && h.len >= (rtcp ? 8 : 12) &&
         h.len <= abi::kMaxPacket - 64 && (p[0] >> 6) == 2 && (!rtcp || p[1] == 200 || p[1] == 201);
}

// ... and of a transcoded flow that can send.
bool returnedSlotValid(const abi::PacketSlot& h, const uint8_t* p, const FlowEntry* f) {
  if (!returnedHeaderValid(h, p)) {
    return false;
  }
  return f != nullptr && f->xcode == kXcodeMedia && f->out_rport != 0 &&
         (f->flags & abi::kFlowAwaitKeys) == 0;
}

// A digit the transcoder detected in-band: the flow's DtmfEvent, when it asked for them.
bool toneReported(LcoreCtx& ctx, const abi::PacketSlot& h, const uint8_t* p, const FlowEntry* f) {
  abi::XcTone t{};
  if (h.len < sizeof t || f == nullptr || f->xcode != kXcodeMedia) {
    return false;
  }
  std::memcpy(&t, p, sizeof t);
  return dtmfInbandReport(ctx, *f, abi::unpackHandle(h.flow).index, t);
}

}  // namespace

uint32_t serviceXcode(LcoreCtx& ctx) {
  if (!ctx.from_xc.valid()) {
    return 0;
  }
  uint32_t n = ctx.from_xc.available(kInjectPerPass);
  n = n < kInjectPerPass ? n : kInjectPerPass;
  for (uint32_t i = 0; i < n; ++i) {
    const auto* slot = static_cast<const uint8_t*>(ctx.from_xc.slot(i));
    abi::PacketSlot h;
    std::memcpy(&h, slot, sizeof(h));
    const uint8_t* pkt = slot + sizeof(h);
    if (h.kind == abi::kPacketXcBye) {  // the flow may be gone: its kept out action sends it
      if (!returnedHeaderValid(h, pkt) || !xcByeSend(ctx, h, pkt)) {
        bump(ctx.stats->xcode_refused);
      }
      continue;
    }
    FlowEntry* f = ctx.flows.get(h.flow);
    if (h.kind == abi::kPacketXcTone) {
      if (!toneReported(ctx, h, pkt, f)) {
        bump(ctx.stats->xcode_refused);
      }
      continue;
    }
    if (!returnedSlotValid(h, pkt, f)) {
      bump(ctx.stats->xcode_refused);
      continue;
    }
    sendFromTranscoder(ctx, *f, &ctx.flow_stats[abi::unpackHandle(h.flow).index], pkt, h.len,
                       h.kind == abi::kPacketXcRtcp);
  }
  if (n > 0) {
    ctx.from_xc.release(n);
  }
  return n;
}

}  // namespace rampart::dp
