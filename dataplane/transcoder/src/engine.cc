#include "engine.h"

#include <cstddef>
#include <cstring>

#include <rampart/platform/log.h>

namespace rampart::xc {
namespace {
constexpr const char* kLog = "xc";

void add(uint64_t& c, uint64_t n = 1) {
  __atomic_store_n(&c, c + n, __ATOMIC_RELAXED);  // single writer; readers see whole values
}
}  // namespace

Engine::Engine(const platform::ShmRegion& region) {
  workers_.resize(region.workers());
  for (uint32_t i = 0; i < region.workers(); ++i) {
    Worker& w = workers_[i];
    w.in = platform::RingConsumer(region.ring(i, platform::RingKind::Punt));
    w.out = platform::RingProducer(region.ring(i, platform::RingKind::Inject));
    w.stats = &w.local;
    if (region.statsSize(i) >= sizeof(XcStats)) {
      w.stats = static_cast<XcStats*>(region.stats(i));
      std::memset(static_cast<void*>(w.stats), 0, sizeof(XcStats));
    }
    // Tells the worker a transcoder (maybe a new one) is here: it asks for the setups again.
    __atomic_store_n(&w.stats->attached_ns, platform::monotonicNs(), __ATOMIC_RELEASE);
  }
}

uint64_t Engine::sessions() const {
  uint64_t n = 0;
  for (const auto& w : workers_) {
    n += w.sessions.size();
  }
  return n;
}

uint32_t Engine::poll() {
  uint32_t work = 0;
  for (Worker& w : workers_) {
    uint32_t n = w.in.available(kXcPerPass);
    n = n < kXcPerPass ? n : kXcPerPass;
    for (uint32_t i = 0; i < n; ++i) {
      const auto* slot = static_cast<const uint8_t*>(w.in.slot(i));
      abi::PacketSlot h;
      std::memcpy(&h, slot, sizeof h);
      if (h.len <= abi::kMaxPacket) {
        handle(w, h, slot + sizeof h);
      }
    }
    if (n > 0) {
      w.in.release(n);
    }
    work += n;
  }
  uint64_t now = monoNs();
  if (now >= next_tick_ns_) {
    next_tick_ns_ = now + kRtcpTickNs;
    for (Worker& w : workers_) {
      reports(w, now);
    }
  }
  return work;
}

void Engine::handle(Worker& w, const abi::PacketSlot& h, const uint8_t* payload) {
  switch (h.kind) {
    case abi::kPacketXcRtp: media(w, h.flow, payload, h.len); break;
    case abi::kPacketXcSetup: setup(w, h.flow, payload, h.len); break;
    case abi::kPacketXcRtcp: rtcp(w, h.flow, payload, h.len); break;
    case abi::kPacketXcDtmf: dtmf(w, h.flow, payload, h.len); break;
    case abi::kPacketXcTeardown: teardown(w, h.flow); break;
    case abi::kPacketXcToneReport: toneReport(w, h.flow, payload, h.len); break;
    default: add(w.stats->bad_packets); break;
  }
}

// Codec state is made here, when the flow is programmed, never per packet.
void Engine::setup(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len) {
  abi::XcodeSetup s{};
  if (len < sizeof s) {
    add(w.stats->setup_errors);
    return;
  }
  std::memcpy(&s, payload, sizeof s);
  auto sess = XcodeSession::create(s);
  if (!sess) {
    RAMPART_LOG(platform::LogLevel::Warn, kLog, "flow %llx: setup refused: %s",
                static_cast<unsigned long long>(flow), sess.error().message.c_str());
    add(w.stats->setup_errors);
    return;
  }
  // The worker appends the reverse flow (ABI 1.7): the session pair that makes a leg's RTCP.
  uint64_t reverse = 0;
  if (len >= sizeof(abi::XcodeSetupSlot)) {
    std::memcpy(&reverse, payload + offsetof(abi::XcodeSetupSlot, reverse_flow), sizeof reverse);
  }
  sess.value()->rtcp().init(s.out_ssrc, s.to.clock_rate, s.from.clock_rate);
  sess.value()->rtcp().reverse = reverse;
  XcodeSession* partner = find(w, reverse);
  if (partner != nullptr && partner->rtcp().reverse == 0) {
    partner->rtcp().reverse = flow;  // its setup came before this flow existed
  }
  auto old = w.sessions.find(flow);
  bool fresh = old == w.sessions.end();
  if (!fresh && old->second->rtcp().tx.ssrc != s.out_ssrc) {
    sendBye(w, flow, *old->second);  // a codec change starts a new stream: the old one leaves
  }
  w.sessions[flow] = std::move(sess.value());
  add(w.stats->setups);
  if (fresh) {
    add(w.stats->sessions_active);
  }
}

XcodeSession* Engine::find(Worker& w, uint64_t flow) {
  auto it = flow != 0 ? w.sessions.find(flow) : w.sessions.end();
  return it != w.sessions.end() ? it->second.get() : nullptr;
}

// One slot on the return ring. @return false (counted) when it is full.
bool Engine::sendSlot(Worker& w, uint8_t kind, uint64_t flow, const uint8_t* data, uint16_t len) {
  if (w.out.freeSlots(1) == 0) {
    w.out.noteFull();
    add(w.stats->out_full);
    return false;
  }
  auto* slot = static_cast<uint8_t*>(w.out.slot(0));
  abi::PacketSlot h{};
  h.len = len;
  h.kind = kind;
  h.flow = flow;
  std::memcpy(slot, &h, sizeof h);
  std::memcpy(slot + sizeof h, data, len);
  w.out.publish(1);
  return true;
}

void Engine::media(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len) {
  XcodeSession* sp = find(w, flow);
  if (sp == nullptr) {
    add(w.stats->unknown_flow);
    return;
  }
  XcodeSession& s = *sp;
  SessionStats before = s.stats();
  int n = s.onRtp(payload, len);
  noteMedia(s, payload, len, n);
  send(w, flow, s, n);
  abi::XcTone tone{};
  if (s.takeTone(&tone)) {  // a digit the other leg hears as SIP INFO: the worker reports it
    uint8_t buf[sizeof tone];
    std::memcpy(buf, &tone, sizeof tone);
    sendSlot(w, abi::kPacketXcTone, flow, buf, sizeof buf);
  }
  const SessionStats& a = s.stats();
  add(w.stats->in_packets);
  add(w.stats->out_packets, a.out_packets - before.out_packets);
  add(w.stats->bad_packets, (a.bad_packets - before.bad_packets) + (a.wrong_pt - before.wrong_pt));
  add(w.stats->plc_frames, a.plc_frames - before.plc_frames);
  add(w.stats->fec_frames, a.fec_frames - before.fec_frames);
  add(w.stats->dtmf_events, a.dtmf_events - before.dtmf_events);
  add(w.stats->dtmf_inband, a.dtmf_inband - before.dtmf_inband);
  add(w.stats->cpu_ns, a.decode_ns - before.decode_ns);
}

// A DTMF event the control plane got as SIP INFO, sent in the flow's outgoing stream.
void Engine::dtmf(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len) {
  auto it = w.sessions.find(flow);
  abi::DtmfInject d{};
  if (it == w.sessions.end() || len < sizeof d) {
    add(w.stats->unknown_flow);
    return;
  }
  std::memcpy(&d, payload, sizeof d);
  int n = it->second->injectDtmf(d.event, d.volume, d.duration_ms);
  if (n < 0) {
    add(w.stats->bad_packets);  // the leg negotiated no telephone-event
    return;
  }
  add(w.stats->dtmf_sip_info);
  add(w.stats->out_packets, static_cast<uint64_t>(n));  // the updates count with the audio
  noteMedia(*it->second, nullptr, 0, n);                // and in the leg's SR
  send(w, flow, *it->second, n);
}

// DtmfReport.inband through the worker: digits detected in-band are reported, not sent.
void Engine::toneReport(Worker& w, uint64_t flow, const uint8_t* payload, uint16_t len) {
  XcodeSession* s = find(w, flow);
  if (s == nullptr || len < 1) {
    add(w.stats->unknown_flow);
    return;
  }
  s->reportTones(payload[0] != 0);
}

void Engine::send(Worker& w, uint64_t flow, const XcodeSession& s, int n) {
  for (int i = 0; i < n; ++i) {
    sendSlot(w, abi::kPacketXcRtp, flow, s.out(i).data, s.out(i).len);
  }
}

}  // namespace rampart::xc
