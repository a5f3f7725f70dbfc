// DTMF between a realm that signals it in the media (RFC 4733) and one that signals it with SIP
// INFO (realms[i].sdp.dtmf): events arriving from an rfc4733 leg are reported by the dataplane
// (DtmfReport/DtmfEvent), taken out of the media and sent to the other leg as INFO; an INFO
// from a sip_info leg is answered here and played toward the rfc4733 leg as events
// (DtmfInject): by the transcoder on a transcoded call, by the dataplane worker in a relayed
// stream. Everything else is relayed as before.
#include <strings.h>

#include <rampart/platform/log.h>

#include "b2bua/call_manager.h"
#include "b2bua/dtmf_info.h"

namespace rampart::cp {
namespace {

Leg otherLeg(Leg l) { return l == Leg::A ? Leg::B : Leg::A; }

struct EventPayload {
  uint8_t pt = 0;  // 0: none negotiated
  uint32_t clock_rate = 0;
};

// The telephone-event leg @p from uses on m-line @p slot.
EventPayload eventPayload(const MediaSession& media, Leg from, uint16_t slot) {
  for (const sdp::StreamMapping& m : media.bridge().mappings()) {
    bool a = from == Leg::A;
    if (!m.active || (a ? m.slot_a : m.slot_b) != slot) {
      continue;
    }
    if (m.transcoded) {
      const sdp::TranscodeSide& side = a ? m.side_a : m.side_b;
      return {side.event_pt, side.clock_rate};
    }
    for (const sdp::PayloadMapping& p : m.payloads) {
      if (strcasecmp(p.encoding.c_str(), "telephone-event") == 0) {
        return {a ? p.pt_a : p.pt_b, p.clock_rate};
      }
    }
  }
  return {};
}

uint8_t eventPt(const MediaSession& media, Leg from, uint16_t slot) {
  return eventPayload(media, from, slot).pt;
}

// The flow carrying @p from's media toward the other leg on which to play an event: the
// transcoded one, else a relayed one whose out leg negotiated telephone-event (filling @p d's
// event_pt and clock_rate). nullptr: none.
const ProgrammedFlow* eventFlow(const MediaSession& media, Leg from, abi::DtmfInject& d) {
  for (const ProgrammedFlow& f : media.flows()) {
    if (f.key.from == static_cast<uint8_t>(from) && f.key.rtcp == 0 && f.xcode.to.dtmf_pt != 0) {
      return &f;
    }
  }
  for (const ProgrammedFlow& f : media.flows()) {
    if (f.key.from != static_cast<uint8_t>(from) || f.key.rtcp != 0 || f.handle == 0) {
      continue;
    }
    EventPayload ev = eventPayload(media, otherLeg(from), f.key.slot);
    if (ev.pt != 0) {
      d.event_pt = ev.pt;
      d.clock_rate = ev.clock_rate;
      return &f;
    }
  }
  return nullptr;
}

}  // namespace

platform::DtmfMode CallManager::dtmfMode(const Call& call, Leg leg) const {
  uint32_t r = call.media->realmIndex(leg);
  return r < config_.realms.size() ? config_.realms[r].sdp.dtmf : platform::DtmfMode::Rfc4733;
}

// After each negotiation (and a dataplane restart): the flows from an rfc4733 leg toward a
// sip_info leg report their events and drop them from the media; a transcoded flow with a
// G.711 input also reports the digits the transcoder detects in-band (DtmfReport.inband).
void CallManager::programDtmf(Call& call) {
  if (!call.media) {
    return;
  }
  for (const ProgrammedFlow& f : call.media->flows()) {
    auto from = static_cast<Leg>(f.key.from);
    if (f.key.rtcp != 0 || dtmfMode(call, from) != platform::DtmfMode::Rfc4733 ||
        dtmfMode(call, otherLeg(from)) != platform::DtmfMode::SipInfo) {
      continue;
    }
    abi::DtmfReport r{};
    r.hdr.type = abi::MsgType::DtmfReport;
    r.hdr.size = sizeof r;
    r.hdr.flow = f.handle;
    r.event_pt = eventPt(*call.media, from, f.key.slot);
    r.drop = 1;
    abi::XcodeCodecId in = f.xcode.from.codec;
    r.inband = in == abi::XcodeCodecId::Pcmu || in == abi::XcodeCodecId::Pcma ? 1 : 0;
    if (r.event_pt == 0 && r.inband == 0) {
      continue;  // no telephone-event negotiated and no tones to listen for: nothing to report
    }
    uint64_t id = call.id;
    auto submitted = media_.sink.submit(call.media->worker(), r.hdr, [id](Result<abi::Ack> ack) {
      if (!ack || ack.value().status != abi::kOk) {
        RAMPART_LOG(platform::LogLevel::Warn, "b2bua", "call %llu: DTMF reporting not set up",
                    static_cast<unsigned long long>(id));
      }
    });
    static_cast<void>(submitted);
  }
}

void CallManager::onDtmfEvent(uint64_t call_id, uint64_t flow, const abi::DtmfEvent& ev) {
  Call* call = find(call_id);
  const ProgrammedFlow* f = call && call->media ? call->media->flowByHandle(flow) : nullptr;
  if (f == nullptr || call->state != CallState::Confirmed || ev.event > 15) {
    return;
  }
  Leg to = otherLeg(static_cast<Leg>(f->key.from));
  uint32_t realm = call->media->realmIndex(to);
  bool relay = realm >= config_.realms.size() ||
               config_.realms[realm].sdp.dtmf_info == platform::DtmfInfoFormat::DtmfRelay;
  uint32_t clock = ev.clock_rate != 0 ? ev.clock_rate : 8000;
  DtmfDigit d{ev.event, static_cast<uint16_t>(
                            std::min<uint64_t>(uint64_t{ev.duration} * 1000 / clock, 5000))};
  sip::Message info = buildInDialog(*call, to, "INFO");
  info.content_type = std::string(dtmfInfoType(relay));
  info.body = dtmfInfoBody(d, relay);
  sendInDialog(*call, to, std::move(info), [](const TransactionLayer::ClientEvent&) {});
  dtmf_->Add({{"method", "sip_info"}, {"direction", "sent"}}).Increment();
}

// An INFO carrying a digit from a sip_info leg, when the other leg hears events: answered here,
// played toward that leg by the transcoder (transcoded call) or by the dataplane worker in the
// relayed stream. @return false: relay it (no telephone-event negotiated toward that leg).
bool CallManager::playDtmfInfo(Call& call, Leg from, uint64_t txn, const sip::Message& req) {
  if (!call.media || !isDtmfInfo(req.content_type) ||
      dtmfMode(call, from) != platform::DtmfMode::SipInfo ||
      dtmfMode(call, otherLeg(from)) != platform::DtmfMode::Rfc4733) {
    return false;
  }
  abi::DtmfInject d{};
  const ProgrammedFlow* toward = eventFlow(*call.media, from, d);
  if (toward == nullptr) {
    return false;
  }
  auto digit = parseDtmfInfo(req.content_type, req.body);
  if (!digit) {
    respond(txn, req, 400, "No DTMF Signal In Body");
    return true;
  }
  d.hdr.type = abi::MsgType::DtmfInject;
  d.hdr.size = sizeof d;
  d.hdr.flow = toward->handle;
  d.event = digit->event;
  d.volume = 10;
  d.duration_ms = digit->duration_ms;
  sip::Message original = req;
  auto submitted =
      media_.sink.submit(call.media->worker(), d.hdr, [this, txn, original](Result<abi::Ack> ack) {
        bool ok = ack && ack.value().status == abi::kOk;
        respond(txn, original, ok ? 200 : 500, ok ? "" : "DTMF Not Played");
      });
  if (!submitted) {
    respond(txn, req, 503, "");
    return true;
  }
  dtmf_->Add({{"method", "sip_info"}, {"direction", "received"}}).Increment();
  return true;
}

}  // namespace rampart::cp
