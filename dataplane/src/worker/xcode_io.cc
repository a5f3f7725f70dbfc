#include "worker/xcode_io.h"

#include <cstring>

#include <rte_random.h>

#include "pkt/bytes.h"
#include "worker/egress.h"
#include "worker/neighbour_resolution.h"

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
    if (e->xcode != 0 && !enqueueXc(ctx, s.hdr.flow, abi::kPacketXcTeardown, nullptr, 0)) {
      return abi::kErrBusy;
    }
    e->xcode = 0;
    return abi::kOk;
  }
  if (!codecValid(s.from) || !codecValid(s.to) || (e->flags & abi::kFlowRtcpOnly) != 0) {
    return abi::kErrInval;
  }
  abi::XcodeSetup copy = s;
  while (copy.out_ssrc == 0) {
    copy.out_ssrc = static_cast<uint32_t>(rte_rand());
  }
  // Ring order is the synchronisation: the setup reaches the transcoder before any packet.
  if (!enqueueXc(ctx, s.hdr.flow, abi::kPacketXcSetup, &copy, sizeof(copy))) {
    return abi::kErrBusy;
  }
  e->xcode = 1;
  return abi::kOk;
}

int32_t applyDtmfInject(LcoreCtx& ctx, const abi::DtmfInject& d) {
  FlowEntry* e = ctx.flows.get(d.hdr.flow);
  if (e == nullptr) {
    return abi::kErrNoEnt;
  }
  if (d.event > 15 || d.volume > 63 || d.duration_ms == 0) {
    return abi::kErrInval;
  }
  if (e->xcode == 0) {
    return abi::kErrNotSup;  // a relayed stream's sequence numbers are not ours to extend
  }
  return enqueueXc(ctx, d.hdr.flow, abi::kPacketXcDtmf, &d, sizeof(d)) ? abi::kOk : abi::kErrBusy;
}

void xcodeTeardown(LcoreCtx& ctx, uint64_t handle) {
  if (ctx.to_xc.valid() && !enqueueXc(ctx, handle, abi::kPacketXcTeardown, nullptr, 0)) {
    bump(ctx.stats->xcode_refused);  // the transcoder frees it when its ring drains
  }
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

namespace {

// A transcoded packet leaves like a relayed one of its flow would: protect, headers, next hop.
void sendTranscoded(LcoreCtx& ctx, FlowEntry& f, uint32_t index, const uint8_t* rtp, uint32_t len) {
  rte_mbuf* m = ctx.pool != nullptr ? rte_pktmbuf_alloc(ctx.pool) : nullptr;
  auto* p = m != nullptr ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, len)) : nullptr;
  if (p == nullptr) {
    if (m != nullptr) {
      rte_pktmbuf_free(m);
    }
    ctx.drop(f.out_iface, DropReason::NoMbuf);
    return;
  }
  std::memcpy(p, rtp, len);
  if (f.srtp_out.active()) {
    uint32_t cap = static_cast<uint32_t>(rte_pktmbuf_tailroom(m)) + len;
    DropReason r = f.srtp_out.protectRtp(p, &len, cap);
    if (r != kNoDrop) {
      ctx.drop(f.out_iface, r);
      bump(ctx.flow_stats[index].drops);
      rte_pktmbuf_free(m);
      return;
    }
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = len;
  }
  L4Tuple t{f.out_family, f.tos, f.out_lport, f.out_rport, f.out_local, f.out_remote};
  if (!writeUdpHeaders(ctx, ctx.ifaces->ifaces[f.out_iface], m, 0, t)) {
    ctx.drop(f.out_iface, DropReason::NoRoute);
    rte_pktmbuf_free(m);
    return;
  }
  bump(ctx.stats->xcode_from);
  sendViaNeighbour(ctx, f.out_iface, f.neigh, m);
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
    const uint8_t* rtp = slot + sizeof(h);
    // The transcoder parses hostile payloads: trust nothing it writes.
    FlowEntry* f = ctx.flows.get(h.flow);
    if (h.kind != abi::kPacketXcRtp || h.len < 12 || h.len > abi::kMaxPacket - 64 ||
        (rtp[0] >> 6) != 2 || f == nullptr || f->xcode == 0 || f->out_rport == 0 ||
        (f->flags & abi::kFlowAwaitKeys) != 0) {
      bump(ctx.stats->xcode_refused);
      continue;
    }
    sendTranscoded(ctx, *f, abi::unpackHandle(h.flow).index, rtp, h.len);
  }
  if (n > 0) {
    ctx.from_xc.release(n);
  }
  return n;
}

}  // namespace rampart::dp
