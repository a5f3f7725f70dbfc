#include "media_writer.h"

#include <charconv>

namespace rampart::sdp::detail {

std::string& bodyScratch() {
  thread_local std::string buf;
  return buf;
}

void putRtpmap(Out& o, const Bridge::CodecEntry& c, uint8_t pt) {
  o.put("a=rtpmap:").num(pt).put(' ', c.name, '/').num(c.clock);
  if (c.explicit_channels || c.channels != 1) {
    o.put('/').num(c.channels);
  }
  o.put("\r\n");
  if (!c.fmtp.empty()) {
    o.put("a=fmtp:").num(pt).put(' ', c.fmtp, "\r\n");
  }
}

Result<bool> emitTrunkMedia(Out& o, const LegConfig& leg, const Emit& e) {
  if (!e.active) {
    o.put("m=", e.kind, " 0 ", e.proto, ' ', e.first_format, "\r\n");
    return true;
  }
  if (e.slot >= leg.local.ports.size() || leg.local.ports[e.slot].rtp == 0) {
    return missing("no RTP port for a trunk m-line");
  }
  const PortPair& pp = leg.local.ports[e.slot];
  o.put("m=", e.kind, ' ').num(pp.rtp).put(' ', e.proto);
  for (const Bridge::CodecEntry& c : *e.codecs) {
    o.put(' ').num(e.use_out_pt ? c.pt_out : c.pt);
  }
  o.put("\r\n");
  for (const Bridge::CodecEntry& c : *e.codecs) {
    putRtpmap(o, c, e.use_out_pt ? c.pt_out : c.pt);
  }
  uint32_t ptime = leg.profile->ptime != 0 ? leg.profile->ptime : e.ptime;
  if (ptime != 0 && detail::is(e.kind, "audio")) {
    o.put("a=ptime:").num(ptime).put("\r\n");
  }
  if (e.maxptime != 0) {
    o.put("a=maxptime:").num(e.maxptime).put("\r\n");
  }
  if (e.rtcp_mux) {
    o.put("a=rtcp-mux\r\n");
  } else {
    o.put("a=rtcp:").num(rtcpPort(pp)).put("\r\n");
  }
  if (isSavp(e.proto)) {
    if (e.slot >= leg.local.sdes_keys.size() || leg.local.sdes_keys[e.slot].empty()) {
      return missing("no SDES key for an RTP/SAVP m-line");
    }
    o.put("a=crypto:").num(e.crypto_tag).put(' ', e.crypto_suite, " inline:");
    o.put(leg.local.sdes_keys[e.slot], "\r\n");
  }
  o.put("a=", directionName(e.direction), "\r\n");
  if (e.pass_from != nullptr && !leg.profile->allow_attributes.empty()) {
    for (const Line& l : e.pass_from->view.lines().subspan(1)) {
      if (l.type != 'a') {
        continue;
      }
      std::string_view name = splitAttribute(l.value).name;
      for (const std::string& allowed : leg.profile->allow_attributes) {
        if (name == allowed) {
          o.put("a=", l.value, "\r\n");
          break;
        }
      }
    }
  }
  return true;
}

Result<bool> emitWebRtcMedia(Out& o, const LegConfig& leg, const Emit& e) {
  const LocalMedia& lm = leg.local;
  std::string_view at = addrType(lm.address);
  if (!e.active) {
    o.put("m=", e.kind, " 0 ", e.proto, ' ', e.first_format, "\r\n");
    o.put("c=IN ", at, ' ', lm.address, "\r\n");
    if (!e.mid.empty()) {
      o.put("a=mid:", e.mid, "\r\n");
    }
    return true;
  }
  if (lm.ports.empty() || lm.ports[0].rtp == 0) {
    return missing("no port for the WebRTC BUNDLE transport");
  }
  if (lm.ice_ufrag.empty() || lm.ice_pwd.empty()) {
    return missing("WebRTC needs ice ufrag and ice pwd");
  }
  if (e.dtls && lm.fingerprint.empty()) {
    return missing("WebRTC with DTLS needs the DTLS fingerprint");
  }
  if (e.sdes && (lm.sdes_keys.empty() || lm.sdes_keys[0].empty())) {
    return missing("WebRTC with SDES needs an SDES key");
  }
  uint16_t port = lm.ports[0].rtp;
  o.put("m=", e.kind, ' ').num(port).put(' ', e.proto);
  for (const Bridge::CodecEntry& c : *e.codecs) {
    o.put(' ').num(e.use_out_pt ? c.pt_out : c.pt);
  }
  o.put("\r\n");
  o.put("c=IN ", at, ' ', lm.address, "\r\n");
  o.put("a=mid:", e.mid, "\r\n");
  o.put("a=ice-ufrag:", lm.ice_ufrag, "\r\n");
  o.put("a=ice-pwd:", lm.ice_pwd, "\r\n");
  if (e.dtls) {
    o.put("a=fingerprint:sha-256 ", lm.fingerprint, "\r\n");
    o.put("a=setup:", e.setup, "\r\n");
  }
  if (e.sdes) {
    o.put("a=crypto:").num(e.crypto_tag).put(' ', e.crypto_suite, " inline:");
    o.put(lm.sdes_keys[0], "\r\n");
  }
  o.put("a=", directionName(e.direction), "\r\n");
  o.put("a=rtcp-mux\r\n");
  for (const Bridge::CodecEntry& c : *e.codecs) {
    putRtpmap(o, c, e.use_out_pt ? c.pt_out : c.pt);
  }
  if (e.ptime != 0 && detail::is(e.kind, "audio")) {
    o.put("a=ptime:").num(e.ptime).put("\r\n");
  }
  o.put("a=candidate:1 1 udp 2130706431 ", lm.address, ' ').num(port).put(" typ host\r\n");
  o.put("a=end-of-candidates\r\n");
  return true;
}

void emitSessionTail(Out& o, const LegConfig& leg, std::span<const std::string_view> bundle) {
  const LocalMedia& lm = leg.local;
  o.put("s=", leg.profile->session_name, "\r\n");
  if (leg.profile->kind == ProfileKind::Trunk) {
    o.put("c=IN ", addrType(lm.address), ' ', lm.address, "\r\n");
  }
  o.put("t=0 0\r\n");
  if (leg.profile->kind == ProfileKind::WebRtc) {
    if (!bundle.empty()) {
      o.put("a=group:BUNDLE");
      for (std::string_view m : bundle) {
        o.put(' ', m);
      }
      o.put("\r\n");
    }
    o.put("a=ice-lite\r\n");
  }
}

std::vector<Emit>& emitScratch(size_t n) {
  thread_local std::vector<Emit> v;
  v.assign(n, Emit{});
  return v;
}
std::vector<std::string_view>& bundleScratch() {
  thread_local std::vector<std::string_view> v;
  v.clear();
  return v;
}

std::string_view targetProto(const Profile& p, std::string_view kind) {
  if (p.kind == ProfileKind::WebRtc) {
    return p.dtls ? "UDP/TLS/RTP/SAVPF" : "RTP/SAVPF";
  }
  (void)kind;
  return p.srtp == SrtpMode::Off ? "RTP/AVP" : "RTP/SAVP";
}

std::string_view slotProto(const Profile& p, const Bridge::Slot& slot) {
  if (slot.transport == kTransportSavp) {
    return "RTP/SAVP";
  }
  if (slot.transport == kTransportAvp) {
    return "RTP/AVP";
  }
  return targetProto(p, slot.kind);
}

}  // namespace rampart::sdp::detail
