#include "worker/udp_stage.h"

#include <cstring>

#include <rte_mbuf.h>

#include "ice/stun_stage.h"
#include "pkt/bytes.h"
#include "pkt/demux.h"
#include "worker/dtmf_stage.h"
#include "worker/egress.h"
#include "worker/neighbour_resolution.h"
#include "worker/post_event.h"
#include "worker/xcode_io.h"

namespace rampart::dp {
namespace {

constexpr uint16_t kMaxDropout = 3000;
constexpr uint16_t kMaxMisorder = 100;
constexpr uint32_t kSeqMod = 1u << 16;

void postSsrcChange(LcoreCtx& ctx, const FlowEntry& f, uint32_t index, uint32_t old_ssrc,
                    uint32_t new_ssrc) {
  auto ev = flowEvent<abi::SsrcChange>(ctx, abi::MsgType::SsrcChange, f, index);
  ev.old_ssrc = old_ssrc;
  ev.new_ssrc = new_ssrc;
  postEvent(ctx, ev);
}

void initSeq(RtpRx& r, uint16_t seq) {
  r.base_seq = seq;
  r.max_seq = seq;
  r.bad_seq = kSeqMod + 1;
  r.cycles = 0;
  r.received = 0;
  r.transit = 0;
}

// RFC 3550 A.1 (without probation: packets here already passed strict source and SRTP
// authentication) and A.8. Runs after authentication so forged packets cannot skew it.
void rtpStats(LcoreCtx& ctx, FlowEntry& f, uint32_t index, const uint8_t* rtp) {
  RtpRx& r = f.rtp;
  uint16_t seq = load16(rtp + 2);
  uint32_t ts = load32(rtp + 4);
  uint32_t ssrc = load32(rtp + 8);
  if (!r.have_ssrc || r.ssrc != ssrc) {
    if (r.have_ssrc) {
      postSsrcChange(ctx, f, index, r.ssrc, ssrc);
    }
    r.have_ssrc = true;
    r.ssrc = ssrc;
    r.jitter_q4 = 0;
    initSeq(r, seq);
    publish(ctx.flow_stats[index].ssrc, ssrc);
  } else {
    uint16_t udelta = static_cast<uint16_t>(seq - r.max_seq);
    if (udelta < kMaxDropout) {
      if (seq < r.max_seq) {
        r.cycles += kSeqMod;
      }
      r.max_seq = seq;
    } else if (udelta <= kSeqMod - kMaxMisorder) {
      if (seq == r.bad_seq) {
        initSeq(r, seq);  // the sender restarted its sequence
      } else {
        r.bad_seq = (seq + 1u) & (kSeqMod - 1);
        return;
      }
    }
  }
  r.received++;
  uint32_t expected = r.cycles + r.max_seq - r.base_seq + 1;
  publish(ctx.flow_stats[index].rtp_lost, expected > r.received ? expected - r.received : 0u);
  // Arrival time in RTP timestamp units.
  auto arrival =
      static_cast<uint32_t>((static_cast<unsigned __int128>(ctx.now_ns) * f.ts_per_ns_q32) >> 32);
  int64_t transit = static_cast<int32_t>(arrival - ts);
  if (r.received > 1) {
    int64_t d = transit - r.transit;
    if (d < 0) {
      d = -d;
    }
    // A.8: J += (|D| - J) / 16, with J kept scaled by 16.
    r.jitter_q4 += static_cast<uint32_t>(d) - ((r.jitter_q4 + 8) >> 4);
    publish(ctx.flow_stats[index].jitter_ts, r.jitter_q4 >> 4);
  }
  r.transit = transit;
}

void flowDrop(LcoreCtx& ctx, const Iface& in, uint32_t index, rte_mbuf* m, DropReason r) {
  ctx.drop(in.index, r);
  bump(ctx.flow_stats[index].drops);
  rte_pktmbuf_free(m);
}

// A DTLS record to the control plane (its handshake runs there).
void puntDtls(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, uint32_t index) {
  if (pi.payload_len > abi::kMaxPacket) {
    flowDrop(ctx, in, index, m, DropReason::PuntTooLarge);
    return;
  }
  if (ctx.punt.freeSlots(1) == 0) {
    ctx.punt.noteFull();
    flowDrop(ctx, in, index, m, DropReason::PuntFull);
    return;
  }
  auto* slot = static_cast<uint8_t*>(ctx.punt.slot(0));
  abi::PacketSlot h{};
  h.len = pi.payload_len;
  h.port = in.index;
  h.family = pi.family;
  h.kind = abi::kPacketDtls;  // STUN is answered by the worker (ice/stun_stage.cc)
  std::memcpy(h.local.addr, pi.dst, 16);
  h.local.port = pi.dst_port;
  std::memcpy(h.remote.addr, pi.src, 16);
  h.remote.port = pi.src_port;
  h.flow = ctx.flows.handleOf(index);
  std::memcpy(slot, &h, sizeof(h));
  std::memcpy(slot + sizeof(h), rte_pktmbuf_mtod(m, uint8_t*) + pi.payload_off, pi.payload_len);
  ctx.punt.publish(1);
  bump(ctx.stats->ports[in.index].punted);
  rte_pktmbuf_free(m);
}

// Strict source, or a latching window still open for a stranger. `*from_peer`: the source is
// the flow's programmed or latched peer.
[[gnu::always_inline]] inline bool sourceAdmitted(LcoreCtx& ctx, FlowEntry& f, const PacketInfo& pi,
                                                  bool* from_peer) {
  uint32_t alen = pi.family == 4 ? 4 : 16;
  *from_peer =
      f.remote_known && f.remote_port == pi.src_port && std::memcmp(f.remote, pi.src, alen) == 0;
  if (*from_peer) {
    return true;
  }
  // A stranger is dropped unless the control plane opened a learning window and, for SRTP,
  // the packet authenticates afterwards (closing RTP Bleed / RTP Inject).
  if (f.latch_deadline_tsc == 0 || ctx.now_tsc > f.latch_deadline_tsc) {
    f.latch_deadline_tsc = 0;
    return false;
  }
  return true;
}

void latch(FlowEntry& f, const PacketInfo& pi) {
  std::memset(f.remote, 0, 16);
  std::memcpy(f.remote, pi.src, pi.family == 4 ? 4 : 16);
  f.remote_port = pi.src_port;
  f.remote_known = true;
  f.latch_deadline_tsc = 0;  // latched: strict from now on
}

// Counters, RFC 3550 statistics and the SSRC and sequence rewrites of an authenticated packet.
[[gnu::always_inline]] inline void account(LcoreCtx& ctx, FlowEntry& f, uint32_t index,
                                           const PacketInfo& pi, uint8_t* pkt, bool rtcp) {
  FlowStats& fs = ctx.flow_stats[index];
  bump(fs.packets);
  bump(fs.bytes, pi.payload_len);
  publish(fs.last_seen_ns, ctx.now_ns);
  f.idle_reported = false;
  if (!rtcp) {
    rtpStats(ctx, f, index, pkt);
    f.last_ts = load32(pkt + 4);
    if (__builtin_expect(f.seq_shift != 0, 0)) {
      store16(pkt + 2, static_cast<uint16_t>(load16(pkt + 2) + f.seq_shift));
    }
    if (f.ssrc_rewrite != 0) {
      store32(pkt + 8, f.ssrc_rewrite);
    }
  } else if (f.ssrc_rewrite != 0) {
    store32(pkt + 4, f.ssrc_rewrite);  // sender SSRC of the first report
  }
}

// Bytes the out-leg protection may use from the payload's start (the mbuf's tailroom counts).
uint32_t payloadCapacity(const rte_mbuf* m, const PacketInfo& pi) {
  return static_cast<uint32_t>(rte_pktmbuf_tailroom(m)) + rte_pktmbuf_data_len(m) - pi.payload_off;
}

// New L2-L4 headers around the (protected) payload and the next hop. `len`: its length now.
[[gnu::always_inline]] inline void sendOut(LcoreCtx& ctx, const Iface& in, uint32_t index,
                                           FlowEntry& f, rte_mbuf* m, const PacketInfo& pi,
                                           uint32_t len, bool rtcp) {
  // The payload now spans [payload_off, payload_off + len): resize the mbuf around it.
  m->data_len = static_cast<uint16_t>(pi.payload_off + len);
  m->pkt_len = m->data_len;
  const Iface& out = ctx.ifaces->ifaces[f.out_iface];
  if (!writeUdpHeaders(ctx, out, m, pi.payload_off, outTuple(f, rtcp))) {
    flowDrop(ctx, in, index, m, DropReason::NoRoute);
    return;
  }
  sendViaNeighbour(ctx, f.out_iface, f.neigh, m);
}

}  // namespace

void udpAdmit(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry* f,
              UdpBatch& batch) {
  if (f == nullptr) {
    // Also covers a prober hitting an unallocated port: silence, never an ICMP error.
    ctx.drop(in.index,
             ownsAddress(in, pi.family, pi.dst) ? DropReason::NoFlow : DropReason::NotForUs);
    rte_pktmbuf_free(m);
    return;
  }
  uint32_t index = ctx.flows.indexOf(f);
  uint8_t* pkt = rte_pktmbuf_mtod(m, uint8_t*) + pi.payload_off;
  uint32_t len = pi.payload_len;
  PayloadKind kind = demuxPayload(pkt, len);
  if (kind == PayloadKind::Stun) {
    handleStun(ctx, in, m, pi, *f, index);
    return;
  }
  if (kind == PayloadKind::Dtls) {
    if (!dtlsAdmitted(ctx, *f, index, pi)) {
      flowDrop(ctx, in, index, m, DropReason::DtlsNotSelected);
      return;
    }
    puntDtls(ctx, in, m, pi, index);
    return;
  }
  if (kind == PayloadKind::Other) {
    flowDrop(ctx, in, index, m, DropReason::NotRtp);
    return;
  }
  // Held flows: DTLS-SRTP keys not programmed yet, or the remote toward the browser not yet
  // chosen by ICE (out_remote port 0). One predictable branch on lines already loaded.
  if (__builtin_expect((f->flags & abi::kFlowAwaitKeys) != 0 || f->out_rport == 0, 0)) {
    flowDrop(ctx, in, index, m,
             (f->flags & abi::kFlowAwaitKeys) != 0 ? DropReason::AwaitKeys : DropReason::NoRemote);
    return;
  }
  bool rtcp = kind == PayloadKind::Rtcp;
  bool rtcp_port = (f->flags & abi::kFlowRtcpOnly) != 0;
  if (rtcp_port ? !rtcp : (rtcp && (f->flags & abi::kFlowRtcpMuxIn) == 0)) {
    flowDrop(ctx, in, index, m, DropReason::RtcpNotMux);
    return;
  }
  bool from_peer = false;
  if (!sourceAdmitted(ctx, *f, pi, &from_peer)) {
    flowDrop(ctx, in, index, m, DropReason::WrongSource);
    return;
  }
  if (m->nb_segs != 1) {
    flowDrop(ctx, in, index, m, DropReason::Multiseg);
    return;
  }
  batch.items[batch.n++] = UdpBatch::Item{m, &pi, &in, f, index, pkt, len, rtcp, from_peer};
}

namespace {

// After unprotection (or for plain input): latch, counters, then the transcoder, or the out
// leg: plain output leaves at once, protected output is queued for one protect burst.
void deliver(LcoreCtx& ctx, UdpBatch::Item& it, SrtpOp* out_ops, uint32_t* out_n) {
  FlowEntry& f = *it.f;
  if (!it.from_peer) {
    latch(f, *it.pi);
  }
  account(ctx, f, it.index, *it.pi, it.pkt, it.rtcp);
  if (__builtin_expect(f.dtmf_pt != 0, 0) && !it.rtcp &&
      dtmfObserve(ctx, f, it.index, it.pkt, it.len)) {
    flowDrop(ctx, *it.in, it.index, it.m, DropReason::DtmfSignalled);  // heard as SIP INFO
    it.m = nullptr;
    return;
  }
  if (__builtin_expect(f.xcode != 0, 0)) {
    // Transcoded: the codec work runs in rampart-transcoder, which also terminates RTCP per
    // leg (the other leg's reports describe another stream, so they are never relayed).
    if (it.rtcp) {
      rtcpToTranscoder(ctx, it.in->index, f, it.index, it.m, it.pkt, it.len);
    } else {
      toTranscoder(ctx, it.in->index, it.index, it.m, it.pkt, it.len);
    }
    it.m = nullptr;
    return;
  }
  if (it.rtcp) {
    rtcpObserve(f.rtcp_rtt, it.pkt, it.len, ctx.now_ns);  // the leg's round trip (rtcp_rtt.h)
  }
  if (!f.srtp_out.active()) {
    sendOut(ctx, *it.in, it.index, f, it.m, *it.pi, it.len, it.rtcp);
    it.m = nullptr;
    return;
  }
  out_ops[(*out_n)++] =
      SrtpOp{&f.srtp_out, it.pkt, it.len, payloadCapacity(it.m, *it.pi), it.rtcp, kNoDrop};
}

}  // namespace

void udpFinish(LcoreCtx& ctx, UdpBatch& batch) {
  SrtpOp ops[kBurst];
  uint32_t in_n = 0;
  for (uint32_t i = 0; i < batch.n; ++i) {
    UdpBatch::Item& it = batch.items[i];
    if (it.f->srtp_in.active()) {
      ops[in_n++] = SrtpOp{&it.f->srtp_in, it.pkt, it.len, it.len, it.rtcp, kNoDrop};
    }
  }
  srtpUnprotectBurst(ops, in_n);
  SrtpOp out_ops[kBurst];
  UdpBatch::Item* out_items[kBurst];
  uint32_t out_n = 0;
  uint32_t k = 0;
  for (uint32_t i = 0; i < batch.n; ++i) {
    UdpBatch::Item& it = batch.items[i];
    if (it.f->srtp_in.active()) {
      SrtpOp& op = ops[k++];
      if (op.result != kNoDrop) {
        flowDrop(ctx, *it.in, it.index, it.m, op.result);
        continue;
      }
      it.len = op.len;
    }
    uint32_t before = out_n;
    deliver(ctx, it, out_ops, &out_n);
    if (out_n != before) {
      out_items[before] = &it;
    }
  }
  srtpProtectBurst(out_ops, out_n);
  for (uint32_t j = 0; j < out_n; ++j) {
    UdpBatch::Item& it = *out_items[j];
    if (out_ops[j].result != kNoDrop) {
      flowDrop(ctx, *it.in, it.index, it.m, out_ops[j].result);
      continue;
    }
    sendOut(ctx, *it.in, it.index, *it.f, it.m, *it.pi, out_ops[j].len, it.rtcp);
  }
  batch.n = 0;
}

}  // namespace rampart::dp
