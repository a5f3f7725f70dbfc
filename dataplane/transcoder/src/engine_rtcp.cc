// RTCP terminated per transcoded leg (docs/ARCHITECTURE.md, "Transcoding"). A call's two
// transcoded directions are two sessions on one worker, X (leg A -> leg B) and Y (B -> A),
// each naming the other as `reverse`. Leg A's reports pair them: RTCP from A arrives on X's
// flow (X receives A's stream: the peer's SR gives LSR; its blocks about Y's SSRC give the
// round trip), and Rampart's report to A leaves by Y's flow (Y sends to A) with Y's sender
// info and a block about the stream X receives.
#include "engine.h"

#include "rtp_packet.h"

namespace rampart::xc {
namespace {

void add(uint64_t& c, uint64_t n = 1) {
  __atomic_store_n(&c, c + n, __ATOMIC_RELAXED);  // single writer; readers see whole values
}

}  // namespace

// The statistics RTCP reports on, taken from the RTP going through a session: every valid
// packet in (whatever the decoder makes of it) and every packet out.
void Engine::noteMedia(XcodeSession& s, const uint8_t* in, uint16_t len, int n_out) {
  RtpView v{};
  if (in != nullptr && parseRtp(in, len, &v)) {
    s.rtcp().received(v.seq, v.ts, v.ssrc);
  }
  for (int i = 0; i < n_out; ++i) {
    const OutPacket& o = s.out(i);
    if (parseRtp(o.data, o.len, &v)) {
      s.rtcp().sent(v.ts, v.payload_len, v.pt == s.setup().to.payload_type);
    }
  }
}

// A peer's compound RTCP, arrived on the flow whose session receives that peer's media.
void Engine::rtcp(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len) {
  XcodeSession* s = find(w, flow);
  if (s == nullptr) {
    add(w.stats->rtcp_bad);
    return;
  }
  XcodeSession* back = find(w, s->rtcp().reverse);  // sends to this peer: what it reports on
  RtcpIn in;
  uint32_t ours = back != nullptr ? back->rtcp().tx.ssrc : 0;
  if (!parseRtcp(payload, len, ours, &in)) {
    add(w.stats->rtcp_bad);
    return;
  }
  add(w.stats->rtcp_in);
  RtcpReceiver& rx = s->rtcp().rx;
  if (in.sr && rx.have && in.sender_ssrc == rx.ssrc) {
    rx.lsr = in.sr_ntp_mid;
    rx.lsr_at_ns = monoNs();
  }
  uint32_t rtt = 0;
  if (in.block && back != nullptr &&
      roundTrip(ntpMiddle(ntpNow()), in.about.lsr, in.about.dlsr, &rtt)) {
    back->rtcp().tx.rtt_q16 = rtt;
    ++back->rtcp().tx.rtt_samples;
    add(w.stats->rtcp_rtt_samples);
  }
}

// Each session reports to the leg it sends to, on RFC 3550's randomised interval, once media
// flows either way on that leg.
void Engine::reports(Worker& w, uint64_t now_ns) {
  for (auto& [flow, sp] : w.sessions) {
    RtcpState& st = sp->rtcp();
    if (st.next_report_ns == 0) {
      XcodeSession* peer = find(w, st.reverse);
      if (st.tx.packets > 0 || (peer != nullptr && peer->rtcp().rx.have)) {
        st.schedule(now_ns, kRtcpFirstMs);
      }
    } else if (now_ns >= st.next_report_ns) {
      sendReport(w, flow, *sp, now_ns);
      st.schedule(now_ns, kRtcpIntervalMs);
    }
  }
}

// Rampart's compound report for the leg `s` sends to. @return its bytes, 0 when it does not fit.
std::size_t Engine::buildReport(Worker& w, XcodeSession& s, uint64_t now_ns, uint8_t* buf,
                                std::size_t cap) {
  XcodeSession* peer = find(w, s.rtcp().reverse);  // receives from the leg s sends to
  ReportBlock rb;
  const ReportBlock* block = nullptr;
  if (peer != nullptr && peer->rtcp().rx.have) {
    rb = makeReportBlock(peer->rtcp().rx, now_ns);
    block = &rb;
  }
  return writeReport(buf, cap, s.rtcp().tx, block, ntpNow(), now_ns);
}

void Engine::sendReport(Worker& w, uint64_t flow, XcodeSession& s, uint64_t now_ns) {
  uint8_t buf[128];
  std::size_t n = buildReport(w, s, now_ns, buf, sizeof buf);
  if (n > 0 && sendSlot(w, abi::kPacketXcRtcp, flow, buf, static_cast<uint16_t>(n))) {
    add(w.stats->rtcp_out);
    ++s.rtcp().reports;
  }
}

// The flow has gone (FlowDel) or went back to relaying: its session leaves the leg it sent
// to, and says so (RFC 3550 6.6) before its codec state is freed.
void Engine::teardown(Worker& w, uint64_t flow) {
  auto it = w.sessions.find(flow);
  if (it == w.sessions.end()) {
    return;
  }
  sendBye(w, flow, *it->second);
  w.sessions.erase(it);
  add(w.stats->teardowns);
  add(w.stats->sessions_active, static_cast<uint64_t>(-1));
}

// A last SR/RR + SDES, then BYE with the session's SSRC, as kPacketXcBye: the worker kept the
// flow's out action for this one packet. A session that never sent RTP or RTCP on its leg
// sends no BYE (RFC 3550 6.3.7); its partner's block is included while the partner lives.
void Engine::sendBye(Worker& w, uint64_t flow, XcodeSession& s) {
  const RtcpState& st = s.rtcp();
  if (st.tx.packets == 0 && st.reports == 0) {
    return;
  }
  uint8_t buf[136];
  std::size_t n = buildReport(w, s, monoNs(), buf, sizeof buf);
  std::size_t bye = n > 0 ? writeBye(buf + n, sizeof buf - n, st.tx.ssrc) : 0;
  if (bye > 0 && sendSlot(w, abi::kPacketXcBye, flow, buf, static_cast<uint16_t>(n + bye))) {
    add(w.stats->rtcp_out);
    add(w.stats->rtcp_bye);
  }
}

}  // namespace rampart::xc
