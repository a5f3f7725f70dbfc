#include "flow/cmd_apply.h"

#include <strings.h>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include <rampart/platform/abi.h>

#include "ice/stun_stage.h"
#include "worker/dtmf_stage.h"
#include "worker/lcore_ctx.h"
#include "worker/neighbour_resolution.h"
#include "worker/post_event.h"
#include "worker/xcode_io.h"

namespace rampart::dp {
namespace {

using abi::MsgType;

void ack(LcoreCtx& ctx, const abi::MsgHeader& cmd, int32_t status, uint64_t flow) {
  abi::Ack a{};
  a.hdr.type = MsgType::Ack;
  a.hdr.size = sizeof(a);
  a.hdr.seq = cmd.seq;
  a.hdr.flow = flow;
  a.status = status;
  a.cmd_type = static_cast<uint16_t>(cmd.type);
  if (status != abi::kOk) {
    bump(ctx.stats->commands_refused);
  }
  postEvent(ctx, a);
}

// The one place SRTP key bytes of a command are wiped (the local copy and the shared slot).
void wipeKeys(abi::FlowAdd& m) {
  explicit_bzero(m.srtp_in.key, sizeof(m.srtp_in.key));
  explicit_bzero(m.srtp_out.key, sizeof(m.srtp_out.key));
}

// Everything FlowAdd/FlowModify need, validated and resolved before the table is touched, so a
// refused command leaves the table exactly as it was.
struct Prepared {
  FlowKey key;
  uint8_t out_family;
  uint16_t out_iface;
  bool has_out_remote;  // out_remote port != 0 (0: toward a browser, ICE will choose it)
  uint8_t nh_ip[16];
  uint8_t tos;
  SrtpCtx in;
  SrtpCtx out;
};

void copyAddr(uint8_t* dst, const uint8_t* src, uint8_t family) {
  std::memset(dst, 0, 16);
  std::memcpy(dst, src, family == 4 ? 4 : 16);
}

int32_t prepare(LcoreCtx& ctx, const abi::FlowAdd& m, Prepared* p) {
  const IfaceSet& is = *ctx.ifaces;
  if (m.in_port >= is.count || m.out_port >= is.count) {
    return abi::kErrInval;
  }
  const Iface& in = is.ifaces[m.in_port];
  const Iface& out = is.ifaces[m.out_port];
  uint8_t in_family = (m.flags & abi::kFlowIpv6) != 0 ? 6 : 4;
  p->out_family = (m.flags & abi::kFlowOutIpv6) != 0 ? 6 : 4;
  if (m.in_local.port == 0 || !ownsAddress(in, in_family, m.in_local.addr)) {
    return abi::kErrInval;
  }
  if (m.out_local.port == 0 || !ownsAddress(out, p->out_family, m.out_local.addr)) {
    return abi::kErrInval;
  }
  // in_remote port 0 without kFlowLatch: nothing is admitted until an ICE check selects the
  // remote. out_remote port 0: packets are held (NoRemote) until an ICE selection fills it.
  if (m.dscp > 63 && m.dscp != abi::kDscpRealmDefault) {
    return abi::kErrInval;
  }
  if ((m.out_rtcp_local_port == 0) != (m.out_rtcp_remote_port == 0)) {
    return abi::kErrInval;
  }
  p->has_out_remote = m.out_remote.port != 0;
  if (p->has_out_remote && !nextHopAddress(out, p->out_family, m.out_remote.addr, p->nh_ip)) {
    return abi::kErrInval;  // off-link and the realm has no gateway of that family
  }
  std::memset(&p->key, 0, sizeof(p->key));
  p->key.family = in_family;
  p->key.iface = m.in_port;
  p->key.port = m.in_local.port;
  std::memcpy(p->key.addr, m.in_local.addr, in_family == 4 ? 4 : 16);
  p->out_iface = m.out_port;
  uint8_t dscp = m.dscp;
  if (dscp == abi::kDscpRealmDefault) {
    dscp = (m.flags & abi::kFlowVideo) != 0 ? out.dscp_video : out.dscp_audio;
  }
  p->tos = static_cast<uint8_t>(dscp << 2);
  int32_t st = p->in.init(m.srtp_in, SrtpCtx::Dir::Inbound);
  if (st != abi::kOk) {
    return st;
  }
  return p->out.init(m.srtp_out, SrtpCtx::Dir::Outbound);
}

// Keeps the per-engine gauges (rampart_dp_srtp_*) as flows gain or lose SRTP contexts.
void countEngines(LcoreCtx& ctx, const FlowEntry& e, int sign) {
  for (const SrtpCtx* c : {&e.srtp_in, &e.srtp_out}) {
    uint8_t eng = c->engine();
    uint64_t& g = eng == abi::kSrtpEngineFast ? ctx.stats->srtp_fast : ctx.stats->srtp_libsrtp;
    if (eng != abi::kSrtpEngineNone) {
      publish(g, g + static_cast<uint64_t>(static_cast<int64_t>(sign)));
    }
  }
}

void installAction(LcoreCtx& ctx, FlowEntry& e, const abi::FlowAdd& m, Prepared& p,
                   uint16_t neigh) {
  e.flags = m.flags;
  e.tos = p.tos;
  e.out_iface = p.out_iface;
  e.out_family = p.out_family;
  e.neigh = neigh;
  copyAddr(e.remote, m.in_remote.addr, e.key.family);
  e.remote_port = m.in_remote.port;
  e.remote_known = m.in_remote.port != 0;
  e.latch_deadline_tsc = 0;
  if ((m.flags & abi::kFlowLatch) != 0) {
    uint64_t ms = m.latch_window_ms != 0 ? m.latch_window_ms : 30000;
    e.latch_deadline_tsc = ctx.now_tsc + ms * ctx.tsc_hz / 1000;
  }
  e.out_lport = m.out_local.port;
  e.out_rport = m.out_remote.port;
  e.out_rtcp_lport = m.out_rtcp_local_port;
  e.out_rtcp_rport = m.out_rtcp_remote_port;
  copyAddr(e.out_local, m.out_local.addr, p.out_family);
  copyAddr(e.out_remote, m.out_remote.addr, p.out_family);
  e.ssrc_rewrite = m.ssrc_rewrite;
  e.clock_rate = m.clock_rate != 0 ? m.clock_rate : 8000;
  e.ts_per_ns_q32 = (uint64_t{e.clock_rate} << 32) / 1000000000u;
  e.idle_timeout_s = m.idle_timeout_s != 0 ? m.idle_timeout_s : ctx.cfg.default_idle_s;
  e.idle_reported = false;
  e.cookie = m.cookie;
  countEngines(ctx, e, -1);  // a modify replaces the contexts
  e.srtp_in = static_cast<SrtpCtx&&>(p.in);
  e.srtp_out = static_cast<SrtpCtx&&>(p.out);
  countEngines(ctx, e, +1);
}

void resetFlowStats(LcoreCtx& ctx, uint32_t index, uint32_t generation) {
  FlowStats& fs = ctx.flow_stats[index];
  publish(fs.packets, uint64_t{0});
  publish(fs.bytes, uint64_t{0});
  publish(fs.drops, uint64_t{0});
  publish(fs.last_seen_ns, ctx.monoNs(ctx.now_tsc));
  publish(fs.ssrc, 0u);
  publish(fs.rtp_lost, 0u);
  publish(fs.jitter_ts, 0u);
  publish(fs.generation, generation);
}

// A local endpoint carries one flow direction in the whole dataplane, not just per worker:
// packets for it may arrive on any worker's queue and go to the one the owner map names.
bool heldElsewhere(const LcoreCtx& ctx, const FlowKey& k) {
  if (ctx.steer == nullptr) {
    return false;
  }
  int owner = ctx.steer->owner(k);
  return owner >= 0 && static_cast<uint32_t>(owner) != ctx.cfg.worker;
}

void flowAdd(LcoreCtx& ctx, abi::FlowAdd& m) {
  Prepared p;
  int32_t st = prepare(ctx, m, &p);
  if (st != abi::kOk) {
    ack(ctx, m.hdr, st, 0);
    return;
  }
  if (heldElsewhere(ctx, p.key)) {
    ack(ctx, m.hdr, abi::kErrExist, 0);
    return;
  }
  uint16_t nh = kNoNeigh;
  if (p.has_out_remote) {
    nh = neighbourFor(ctx, p.out_family, p.out_iface, p.nh_ip);
    if (nh == kNoNeigh) {
      ack(ctx, m.hdr, abi::kErrNeighFull, 0);
      return;
    }
  }
  uint32_t index = 0;
  st = ctx.flows.insert(p.key, &index);
  if (st != abi::kOk) {
    ack(ctx, m.hdr, st, 0);
    return;
  }
  if (nh != kNoNeigh) {
    ctx.neigh.at(nh).refs++;
  }
  if (ctx.steer != nullptr) {
    ctx.steer->claim(p.key, ctx.cfg.worker);
  }
  FlowEntry& e = ctx.flows.at(index);
  installAction(ctx, e, m, p, nh);
  e.rtp = RtpRx{};
  e.rtcp_rtt = RtcpRtt{};
  e.last_ts = 0;
  e.seq_shift = 0;
  resetFlowStats(ctx, index, e.generation);
  publish(ctx.stats->flows_live, uint64_t{ctx.flows.live()});
  ack(ctx, m.hdr, abi::kOk, ctx.flows.handleOf(index));
}

void flowModify(LcoreCtx& ctx, abi::FlowAdd& m) {
  FlowEntry* e = ctx.flows.get(m.hdr.flow);
  if (e == nullptr) {
    ack(ctx, m.hdr, abi::kErrNoEnt, m.hdr.flow);
    return;
  }
  Prepared p;
  int32_t st = prepare(ctx, m, &p);
  if (st != abi::kOk) {
    ack(ctx, m.hdr, st, m.hdr.flow);
    return;
  }
  if (!keyEqual(e->key, p.key) && heldElsewhere(ctx, p.key)) {
    ack(ctx, m.hdr, abi::kErrExist, m.hdr.flow);
    return;
  }
  // The out leg's remote survives when the modify gives port 0, and always when an ICE
  // selection chose it (only an authenticated check moves it), as long as it still leaves from
  // the same port and family.
  const uint32_t index = abi::unpackHandle(m.hdr.flow).index;
  const IceState& ice = ctx.ice.states[index];
  const bool keep_out = (!p.has_out_remote || ice.out_selected) && e->out_rport != 0 &&
                        e->out_family == p.out_family && e->out_iface == p.out_iface;
  uint16_t nh = kNoNeigh;
  if (keep_out) {
    nh = e->neigh;
  } else if (p.has_out_remote) {
    nh = neighbourFor(ctx, p.out_family, p.out_iface, p.nh_ip);
    if (nh == kNoNeigh) {
      ack(ctx, m.hdr, abi::kErrNeighFull, m.hdr.flow);
      return;
    }
  }
  FlowKey old_key = e->key;
  st = ctx.flows.rekey(index, p.key);
  if (st != abi::kOk) {
    ack(ctx, m.hdr, st, m.hdr.flow);
    return;
  }
  if (ctx.steer != nullptr && !keyEqual(old_key, p.key)) {
    ctx.steer->release(old_key, ctx.cfg.worker);
    ctx.steer->claim(p.key, ctx.cfg.worker);
  }
  if (!keep_out) {
    if (nh != kNoNeigh) {
      ctx.neigh.at(nh).refs++;
    }
    if (e->neigh != kNoNeigh) {
      ctx.neigh.unref(e->neigh);
    }
  }
  // Counters, RTP statistics, the latched or ICE-selected peer of an unchanged remote and the
  // ICE state (side table) survive a re-key.
  bool keep_latched = e->remote_known && (m.in_remote.port == 0 || (ice.active && ice.selected));
  uint8_t old_remote[16];
  uint16_t old_port = e->remote_port;
  std::memcpy(old_remote, e->remote, 16);
  uint8_t old_out_remote[16];
  uint16_t old_out_port = e->out_rport;
  std::memcpy(old_out_remote, e->out_remote, 16);
  installAction(ctx, *e, m, p, nh);
  if (keep_latched) {
    std::memcpy(e->remote, old_remote, 16);
    e->remote_port = old_port;
    e->remote_known = true;
  }
  if (keep_out) {
    std::memcpy(e->out_remote, old_out_remote, 16);
    e->out_rport = old_out_port;
  }
  if (ctx.ice.states[index].active) {
    e->latch_deadline_tsc = 0;  // only an authenticated check moves an ICE flow's remote
  }
  ack(ctx, m.hdr, abi::kOk, m.hdr.flow);
}

void flowDel(LcoreCtx& ctx, const abi::MsgHeader& h) {
  FlowEntry* e = ctx.flows.get(h.flow);
  if (e == nullptr) {
    ack(ctx, h, abi::kErrNoEnt, h.flow);
    return;
  }
  uint32_t index = abi::unpackHandle(h.flow).index;
  clearIce(ctx, index);
  countEngines(ctx, *e, -1);
  if (e->xcode != 0) {
    xcodeTeardown(ctx, h.flow);  // may keep the out action and its next hop for the RTCP BYE
  }
  if (e->neigh != kNoNeigh) {
    ctx.neigh.unref(e->neigh);
  }
  if (ctx.steer != nullptr) {
    ctx.steer->release(e->key, ctx.cfg.worker);
  }
  ctx.flows.erase(index);
  publish(ctx.flow_stats[index].generation, 0u);
  publish(ctx.stats->flows_live, uint64_t{ctx.flows.live()});
  ack(ctx, h, abi::kOk, h.flow);
}

void fillInfo(LcoreCtx& ctx, uint32_t index, uint32_t seq, abi::FlowInfo* fi) {
  FlowEntry& e = ctx.flows.at(index);
  const FlowStats& fs = ctx.flow_stats[index];
  std::memset(fi, 0, sizeof(*fi));
  fi->hdr.type = MsgType::FlowInfo;
  fi->hdr.size = sizeof(*fi);
  fi->hdr.seq = seq;
  fi->hdr.flow = ctx.flows.handleOf(index);
  fi->cookie = e.cookie;
  fi->in_port = e.key.iface;
  fi->flags = e.flags;
  fi->ssrc_in = e.rtp.ssrc;
  std::memcpy(fi->in_local.addr, e.key.addr, 16);
  fi->in_local.port = e.key.port;
  std::memcpy(fi->in_remote.addr, e.remote, 16);
  fi->in_remote.port = e.remote_port;
  fi->packets = fs.packets;
  fi->bytes = fs.bytes;
  fi->drops = fs.drops;
  fi->last_seen_ns = fs.last_seen_ns;
  fi->rtp_lost = fs.rtp_lost;
  fi->jitter_ts = fs.jitter_ts;
  fi->srtp_in_engine = e.srtp_in.engine();
  fi->srtp_out_engine = e.srtp_out.engine();
  e.srtp_in.streamState(&fi->srtp_in_ssrc, &fi->srtp_in_roc, &fi->srtp_in_seq);
  e.srtp_out.streamState(&fi->srtp_out_ssrc, &fi->srtp_out_roc, &fi->srtp_out_seq);
  std::memcpy(fi->rtcp_sr_mid, e.rtcp_rtt.sr_mid, sizeof(fi->rtcp_sr_mid));
  std::memcpy(fi->rtcp_sr_at_us, e.rtcp_rtt.sr_at_us, sizeof(fi->rtcp_sr_at_us));
  fi->rtcp_rr_lsr = e.rtcp_rtt.rr_lsr;
  fi->rtcp_rr_at_us = e.rtcp_rtt.rr_at_us;
}

void flowQuery(LcoreCtx& ctx, const abi::MsgHeader& h) {
  if (ctx.flows.get(h.flow) == nullptr) {
    ack(ctx, h, abi::kErrNoEnt, h.flow);
    return;
  }
  abi::FlowInfo fi;
  fillInfo(ctx, abi::unpackHandle(h.flow).index, h.seq, &fi);
  postEvent(ctx, fi);
  ack(ctx, h, abi::kOk, h.flow);
}

// BanAdd / BanDel / BanClear. A full set refuses the add (kErrNoSpace): the control plane
// still drops that source's signalling, only its media is not pre-filtered.
void applyBan(LcoreCtx& ctx, const uint8_t* slot, uint32_t size) {
  abi::BanMsg b{};
  std::memcpy(&b, slot, size < sizeof(b) ? size : sizeof(b));
  int32_t st = abi::kOk;
  if (b.hdr.type == MsgType::BanClear) {
    ctx.bans.clear();
  } else if (b.family != 4 && b.family != 6) {
    st = abi::kErrInval;
  } else if (b.hdr.type == MsgType::BanAdd) {
    st = ctx.bans.add(b.family, b.addr) ? abi::kOk : abi::kErrNoSpace;
  } else {
    st = ctx.bans.remove(b.family, b.addr) ? abi::kOk : abi::kErrNoEnt;
  }
  ack(ctx, b.hdr, st, 0);
}

void hello(LcoreCtx& ctx, const uint8_t* slot, uint32_t size) {
  abi::Hello h{};
  std::memcpy(&h, slot, size < sizeof(h) ? size : sizeof(h));
  abi::HelloAck r{};
  r.hdr.type = MsgType::HelloAck;
  r.hdr.size = sizeof(r);
  r.hdr.seq = h.hdr.seq;
  r.status = abi::checkHello(h, size, r.reason, sizeof(r.reason));
  r.abi_major = abi::kAbiMajor;
  r.abi_minor = abi::kAbiMinor;
  r.worker = ctx.cfg.worker;
  r.flows_live = ctx.flows.live();
  // A new control plane starts a new session: a dump left by the old one is abandoned.
  ctx.dumping = false;
  ctx.attached = r.status == abi::kOk;
  r.dp_epoch = ctx.epoch;
  if (r.status != abi::kOk) {
    bump(ctx.stats->commands_refused);
  }
  postEvent(ctx, r);
}

}  // namespace

void applyCommand(LcoreCtx& ctx, uint8_t* slot, uint32_t slot_size) {
  abi::MsgHeader h;
  std::memcpy(&h, slot, sizeof(h));
  bump(ctx.stats->commands);
  // Hello is judged by checkHello alone so an older/newer peer gets a reasoned refusal.
  if (h.type == MsgType::Hello) {
    uint32_t size = h.size < slot_size ? h.size : slot_size;
    hello(ctx, slot, size);
    return;
  }
  // Key material leaves the shared slot as soon as it is read, whatever the verdict (refused
  // before a Hello, too short, bad suite...): a local copy is used and wiped below.
  bool carries_keys = h.type == MsgType::FlowAdd || h.type == MsgType::FlowModify;
  bool carries_pwd = h.type == MsgType::FlowIce;
  abi::FlowIce ice{};
  if (carries_pwd) {
    std::memcpy(&ice, slot, slot_size < sizeof(ice) ? slot_size : sizeof(ice));
    static_assert(sizeof(abi::FlowIce) <= abi::kCmdSlotSize);
    explicit_bzero(slot + offsetof(abi::FlowIce, local_pwd), sizeof(ice.local_pwd));
  }
  abi::FlowAdd m{};
  if (carries_keys) {
    std::memcpy(&m, slot, slot_size < sizeof(m) ? slot_size : sizeof(m));
    static_assert(sizeof(abi::FlowAdd) <= abi::kCmdSlotSize);
    if (slot_size >= sizeof(abi::FlowAdd)) {
      wipeKeys(*reinterpret_cast<abi::FlowAdd*>(slot));
    } else {
      explicit_bzero(slot, slot_size);
    }
  }
  int32_t st = abi::checkHeader(h, slot_size);
  if (st == abi::kOk && !ctx.attached) {
    st = abi::kErrProto;
  }
  if (st != abi::kOk) {
    ack(ctx, h, st, h.flow);
  } else {
    switch (h.type) {
      case MsgType::FlowAdd: flowAdd(ctx, m); break;
      case MsgType::FlowModify: flowModify(ctx, m); break;
      case MsgType::FlowDel: flowDel(ctx, h); break;
      case MsgType::FlowIce: ack(ctx, h, applyFlowIce(ctx, ice), h.flow); break;
      case MsgType::XcodeSetup: {
        abi::XcodeSetup xs;  // checkHeader saw at least sizeof(xs) bytes
        std::memcpy(&xs, slot, sizeof(xs));
        ack(ctx, h, applyXcodeSetup(ctx, xs), h.flow);
        break;
      }
      case MsgType::DtmfReport: {
        abi::DtmfReport r;
        std::memcpy(&r, slot, sizeof(r));
        ack(ctx, h, applyDtmfReport(ctx, r), h.flow);
        break;
      }
      case MsgType::DtmfInject: {
        abi::DtmfInject d;
        std::memcpy(&d, slot, sizeof(d));
        ack(ctx, h, applyDtmfInject(ctx, d), h.flow);
        break;
      }
      case MsgType::FlowQuery: flowQuery(ctx, h); break;
      case MsgType::BanAdd:
      case MsgType::BanDel:
      case MsgType::BanClear: applyBan(ctx, slot, slot_size); break;
      case MsgType::FlowDump:
        // FlowDumpEnd answers a dump (the client waits for it, not for an Ack).
        ctx.dumping = true;
        ctx.dump_seq = h.seq;
        ctx.dump_cursor = 0;
        ctx.dump_count = 0;
        break;
      default: ack(ctx, h, abi::kErrNotSup, h.flow); break;
    }
  }
  if (carries_keys) {
    wipeKeys(m);
  }
  if (carries_pwd) {
    explicit_bzero(ice.local_pwd, sizeof(ice.local_pwd));
  }
}

void continueDump(LcoreCtx& ctx) {
  uint32_t budget = kDumpPerPass;
  while (ctx.dump_cursor < ctx.flows.capacity() && budget > 0) {
    if (ctx.evt.freeSlots(2) < 2) {
      return;  // resume when the control plane has drained its events
    }
    uint32_t i = ctx.dump_cursor++;
    if (!ctx.flows.at(i).in_use) {
      continue;
    }
    abi::FlowInfo fi;
    fillInfo(ctx, i, ctx.dump_seq, &fi);
    ctx.evt.enqueue(&fi, sizeof(fi));
    ++ctx.dump_count;
    --budget;
  }
  if (ctx.dump_cursor >= ctx.flows.capacity() && ctx.evt.freeSlots(1) >= 1) {
    abi::FlowDumpEnd end{};
    end.hdr.type = MsgType::FlowDumpEnd;
    end.hdr.size = sizeof(end);
    end.hdr.seq = ctx.dump_seq;
    end.flows = ctx.dump_count;
    ctx.evt.enqueue(&end, sizeof(end));
    ctx.dumping = false;
  }
}

uint32_t serviceCommands(LcoreCtx& ctx) {
  if (ctx.dumping) {
    // Commands behind a dump wait, so the dump is a consistent snapshot of the table.
    continueDump(ctx);
    return 0;
  }
  uint32_t n = ctx.cmd.available(kCmdPerPass);
  n = n < kCmdPerPass ? n : kCmdPerPass;
  uint32_t done = 0;
  for (; done < n; ++done) {
    // A command produces at most two events (FlowInfo + Ack); wait for room rather than lose
    // an answer.
    if (ctx.evt.freeSlots(2) < 2 || ctx.dumping) {
      break;
    }
    applyCommand(ctx, static_cast<uint8_t*>(ctx.cmd.mutableSlot(done)), ctx.cmd.slotSize());
  }
  if (done > 0) {
    ctx.cmd.release(done);
  }
  return done;
}

}  // namespace rampart::dp
