#include "worker/relay_dtmf.h"

#include <algorithm>

#include "pkt/bytes.h"
#include "worker/flow_send.h"

namespace rampart::dp {
namespace {

constexpr uint64_t kPacketNs = 20'000'000;  // one update per 20 ms
constexpr uint64_t kGapNs = 40'000'000;     // silence between two digits of one flow
constexpr uint8_t kEndPackets = 3;          // RFC 4733 2.5.1.4: the end packet, sent three times

// When the last digit queued for `flow` is over (or `now` when none is).
uint64_t flowFreeAt(const LcoreCtx& ctx, uint64_t flow, uint64_t now) {
  uint64_t at = now;
  for (const RelayDtmf& r : ctx.relay_dtmf) {
    if (r.flow != flow) {
      continue;
    }
    uint64_t packets = (r.total - r.duration + r.step - 1) / r.step + (kEndPackets - r.ends);
    at = std::max(at, r.next_ns + packets * kPacketNs + kGapNs);
  }
  return at;
}

// The next packet of `r`: an update while the duration grows, then the end packets.
void buildEvent(RelayDtmf& r, FlowEntry& f, uint8_t* pkt) {
  bool first = !r.started;
  if (first) {
    r.started = true;
    r.ssrc = f.ssrc_rewrite != 0 ? f.ssrc_rewrite : f.rtp.ssrc;
    r.ts = f.last_ts + r.step;  // where the next audio frame would start
  }
  if (r.duration < r.total) {
    r.duration = std::min(r.duration + r.step, r.total);
  }
  bool end = r.duration >= r.total;
  if (end) {
    r.ends++;
  }
  f.seq_shift++;
  pkt[0] = 0x80;
  pkt[1] = static_cast<uint8_t>((first ? 0x80 : 0) | r.pt);
  store16(pkt + 2, static_cast<uint16_t>(f.rtp.max_seq + f.seq_shift));
  store32(pkt + 4, r.ts);
  store32(pkt + 8, r.ssrc);
  pkt[12] = r.event;
  pkt[13] = static_cast<uint8_t>((end ? 0x80 : 0) | r.volume);
  store16(pkt + 14, static_cast<uint16_t>(r.duration));
}

}  // namespace

int32_t startRelayDtmf(LcoreCtx& ctx, const FlowEntry& f, const abi::DtmfInject& d) {
  if (d.event_pt == 0 || d.event_pt > 127) {
    return abi::kErrNotSup;  // no telephone-event on that leg (or an older control plane)
  }
  if (!f.rtp.have_ssrc) {
    return abi::kErrBusy;
  }
  RelayDtmf* slot = nullptr;
  for (RelayDtmf& r : ctx.relay_dtmf) {
    if (r.flow == 0) {
      slot = &r;
      break;
    }
  }
  if (slot == nullptr) {
    return abi::kErrBusy;
  }
  uint32_t clock = d.clock_rate != 0 ? d.clock_rate : (f.clock_rate != 0 ? f.clock_rate : 8000);
  RelayDtmf r;
  r.next_ns = flowFreeAt(ctx, d.hdr.flow, ctx.now_ns);
  r.flow = d.hdr.flow;
  r.step = std::max(clock / 50, 1u);
  // The duration field is 16 bits; longer digits are cut there (about 1.3 s at 48 kHz).
  r.total = static_cast<uint32_t>(
      std::clamp<uint64_t>(uint64_t{d.duration_ms} * clock / 1000, r.step, 0xffff));
  r.event = d.event;
  r.volume = d.volume;
  r.pt = d.event_pt;
  *slot = r;
  ctx.relay_dtmf_active++;
  return abi::kOk;
}

uint32_t serviceRelayDtmf(LcoreCtx& ctx) {
  if (ctx.relay_dtmf_active == 0) {
    return 0;
  }
  uint32_t sent = 0;
  for (RelayDtmf& r : ctx.relay_dtmf) {
    if (r.flow == 0 || r.next_ns > ctx.now_ns) {
      continue;
    }
    FlowEntry* f = ctx.flows.get(r.flow);
    if (f != nullptr && f->out_rport != 0) {
      uint8_t pkt[16];
      buildEvent(r, *f, pkt);
      sent += sendOnFlow(ctx, *f, &ctx.flow_stats[abi::unpackHandle(r.flow).index], pkt,
                         sizeof(pkt), false)
                  ? 1
                  : 0;
    }
    r.next_ns += kPacketNs;
    if (f == nullptr || r.ends >= kEndPackets) {
      r = RelayDtmf{};  // played, or its flow is gone
      ctx.relay_dtmf_active--;
    }
  }
  return sent;
}

}  // namespace rampart::dp
