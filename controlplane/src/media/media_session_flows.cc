// MediaSession::desiredFlows: the dataplane flows the committed SDPs of both legs call for.
#include <algorithm>
#include <cstring>
#include <optional>

#include "media/media_session.h"
#include "media/sdes_keys.h"
#include "media/sdp_streams.h"
#include "media/xcode_setup.h"

namespace rampart::cp {
namespace {

// What flows are built from, per leg of one linked stream pair.
struct LegMedia {
  size_t slot = 0;
  bool mux = false;
  bool known = false;  // the peer's address is known (not on RFC 2543 hold since the start)
  bool latch = false;
  bool awaitKeys = false;  // a browser leg before its DTLS handshake finished
  abi::Endpoint local{}, remote{};
  uint16_t localRtcp = 0, remoteRtcp = 0;
  abi::SrtpParams peerKey{}, ourKey{};
  ~LegMedia() {
    sdes::wipe(peerKey);
    sdes::wipe(ourKey);
  }
};

// What one leg's SDPs and state say about it, as desiredFlows reads them.
struct LegInput {
  const std::vector<StreamInfo>& remote;
  const std::vector<StreamInfo>& local;
  const MediaRealm& realm;
  sdp::Keying keying;
  const std::optional<DtlsKeys>& dtlsKeys;
};

// Addresses a phone behind NAT typically puts in its SDP: its real source will differ.
bool isPrivate(const platform::IpAddress& a) {
  const uint8_t* b = a.bytes;
  if (a.family == 4) {
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
           (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254);
  }
  return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

abi::Endpoint endpoint(const platform::IpAddress& a, uint16_t port) {
  abi::Endpoint e{};
  std::memcpy(e.addr, a.bytes, sizeof e.addr);
  e.port = port;
  return e;
}

const ProgrammedFlow* findFlow(const std::vector<ProgrammedFlow>& flows, FlowKey k) {
  for (const ProgrammedFlow& f : flows) {
    if (f.key == k) {
      return &f;
    }
  }
  return nullptr;
}

// Our a=crypto is the key we send to this peer; its a=crypto with the same tag is the key it
// sends to us.
Result<void> readSdesKeys(LegMedia& x, const StreamInfo& rs, const StreamInfo& ls) {
  const std::string& ours = ls.cryptos.front();
  Result<abi::SrtpParams> k = sdes::fromCryptoLine(ours);
  if (!k.ok()) {
    return Error(ErrorCode::Internal, "own a=crypto: " + k.error().message);
  }
  x.ourKey = k.value();
  sdes::wipe(k.value());
  uint32_t tag = cryptoTag(ours);
  auto peer = std::find_if(rs.cryptos.begin(), rs.cryptos.end(),
                           [&](const std::string& c) { return cryptoTag(c) == tag; });
  if (peer == rs.cryptos.end()) {
    return Error(ErrorCode::NotAcceptable, "peer SDP lacks a=crypto tag " + std::to_string(tag));
  }
  Result<abi::SrtpParams> pk = sdes::fromCryptoLine(*peer);
  if (!pk.ok()) {
    return Error(pk.error().code, "peer a=crypto: " + pk.error().message);
  }
  x.peerKey = pk.value();
  sdes::wipe(pk.value());
  return {};
}

// ICE, not c=, says where the browser is: the dataplane fills in the address its authenticated
// check came from (remote port 0 until then). Keys come from DTLS, or from the SDES a=crypto
// lines already read.
void browserLeg(LegMedia& x, const LegInput& in) {
  x.mux = true;
  x.known = true;
  x.latch = false;
  if (in.keying == sdp::Keying::Sdes) {
    return;
  }
  if (in.dtlsKeys) {
    x.peerKey = in.dtlsKeys->remote;
    x.ourKey = in.dtlsKeys->local;
  } else {
    x.awaitKeys = true;
  }
}

// Where a SIP peer's media goes: its c= address, or during RFC 2543 hold where it was before.
Result<void> plainLeg(LegMedia& x, size_t leg, const StreamInfo& rs, const LegInput& in,
                      const std::vector<ProgrammedFlow>& previous) {
  const auto L = static_cast<uint8_t>(leg);
  const auto slot = static_cast<uint16_t>(x.slot);
  if (!rs.hold) {
    std::optional<platform::IpAddress> addr = platform::parseIpAddress(rs.address);
    if (!addr) {
      return Error(ErrorCode::NotAcceptable, "c= " + rs.address + " is not an IP address");
    }
    // TODO(media): IPv6 media (realm address6, kFlowIpv6/kFlowOutIpv6, our SDP in IP6).
    if (addr->family != 4 || rs.ipv6) {
      return Error(ErrorCode::Unsupported, "IPv6 media is not supported yet");
    }
    x.remote = endpoint(*addr, rs.port);
    x.remoteRtcp = rs.rtcpPort;
    x.known = true;
    x.latch = in.realm.latch || isPrivate(*addr);
  } else if (const ProgrammedFlow* prev = findFlow(previous, {L, 0, slot})) {
    // RFC 2543 hold: keep sending where the peer was before.
    x.remote = prev->spec.in_remote;
    x.known = x.remote.port != 0;
    x.remoteRtcp = static_cast<uint16_t>(x.remote.port + 1);
    if (const ProgrammedFlow* r = findFlow(previous, {L, 1, slot})) {
      x.remoteRtcp = r->spec.in_remote.port;
    }
    x.latch = (prev->spec.flags & abi::kFlowLatch) != 0;
  } else {
    x.latch = true;
  }
  x.latch = x.latch || in.realm.profile->kind == sdp::ProfileKind::WebRtc;
  return {};
}

// One leg of a linked stream pair. @return false when the stream is not usable on this leg
// (no such m-line, or port 0 on either side).
Result<bool> readLegMedia(LegMedia& x, size_t leg, const LegInput& in,
                          const std::vector<ProgrammedFlow>& previous) {
  if (x.slot >= in.remote.size() || x.slot >= in.local.size() || in.remote[x.slot].port == 0 ||
      in.local[x.slot].port == 0) {
    return false;
  }
  const StreamInfo& rs = in.remote[x.slot];
  const StreamInfo& ls = in.local[x.slot];
  x.mux = rs.mux && ls.mux;
  x.local = endpoint(in.realm.address, ls.port);
  x.localRtcp = ls.rtcpPort;
  const bool browser = in.realm.profile->kind == sdp::ProfileKind::WebRtc;
  if (!ls.cryptos.empty() && (!browser || in.keying == sdp::Keying::Sdes)) {
    if (Result<void> r = readSdesKeys(x, rs, ls); !r.ok()) {
      return r.error();
    }
  }
  if (browser) {
    browserLeg(x, in);
    return true;
  }
  if (Result<void> r = plainLeg(x, leg, rs, in, previous); !r.ok()) {
    return r.error();
  }
  return true;
}

// The clock of the stream's first codec that is not telephone-event (0: none).
uint32_t streamClock(const sdp::StreamMapping& m) {
  for (const sdp::PayloadMapping& p : m.payloads) {
    if (p.encoding != "telephone-event") {
      return p.clock_rate;
    }
  }
  return 0;
}

// The flow of one direction (X to Y) on its RTP or RTCP port.
ProgrammedFlow directionFlow(const sdp::StreamMapping& m, const LegMedia& x, const LegMedia& y,
                             const MediaRealm& rx, const MediaRealm& ry, size_t X, uint8_t rtcp,
                             uint64_t callId) {
  ProgrammedFlow pf;
  pf.key = FlowKey{static_cast<uint8_t>(X), rtcp, static_cast<uint16_t>(x.slot)};
  abi::FlowAdd& f = pf.spec;
  f.in_port = rx.dp_port;
  f.out_port = ry.dp_port;
  f.flags = static_cast<uint16_t>(
      (x.mux && rtcp == 0 ? abi::kFlowRtcpMuxIn : 0) | (rtcp ? abi::kFlowRtcpOnly : 0) |
      (x.latch ? abi::kFlowLatch : 0) | (m.kind == "video" ? abi::kFlowVideo : 0) |
      (x.awaitKeys || y.awaitKeys ? abi::kFlowAwaitKeys : 0));
  f.dscp = abi::kDscpRealmDefault;
  f.in_local = x.local;
  f.in_remote = x.remote;
  if (rtcp == 1) {
    f.in_local.port = x.localRtcp;
    f.in_remote.port = x.known ? x.remoteRtcp : 0;
  }
  f.out_local = y.local;
  f.out_remote = y.remote;
  if (!y.mux) {
    f.out_rtcp_local_port = y.localRtcp;
    f.out_rtcp_remote_port = y.remoteRtcp;
  }
  f.latch_window_ms = x.latch ? rx.latch_window_ms : 0;
  f.idle_timeout_s = rx.idle_timeout_s;
  f.srtp_in = x.peerKey;
  f.srtp_out = y.ourKey;
  f.cookie = callId;
  f.clock_rate = streamClock(m);
  if (m.transcoded) {
    // Each direction runs at its own codec's clock; RTP goes through the transcoder.
    const sdp::TranscodeSide& in = X == 0 ? m.side_a : m.side_b;
    f.clock_rate = in.clock_rate;
    if (rtcp == 0) {
      pf.xcode = xcodeSetupFor(in, X == 0 ? m.side_b : m.side_a, callId);
    }
  }
  return pf;
}

}  // namespace

Result<MediaSession::FlowList> MediaSession::desiredFlows(const FlowList& previous) const {
  std::vector<StreamInfo> remote[2], local[2];
  for (size_t i = 0; i < 2; ++i) {
    Result<std::vector<StreamInfo>> r = readStreams(legs_[i].remoteSdp);
    Result<std::vector<StreamInfo>> l = readStreams(legs_[i].localSdp);
    if (!r.ok()) {
      return r.error();
    }
    if (!l.ok()) {
      return l.error();
    }
    remote[i] = std::move(r.value());
    local[i] = std::move(l.value());
  }
  const LegInput in[2] = {
      {remote[0], local[0], legs_[0].realm, bridge_.keying(Leg::A), legs_[0].web.keys},
      {remote[1], local[1], legs_[1].realm, bridge_.keying(Leg::B), legs_[1].web.keys}};
  FlowList out;
  for (const sdp::StreamMapping& m : bridge_.mappings()) {
    if (!m.active || m.slot_a < 0 || m.slot_b < 0) {
      continue;
    }
    LegMedia lm[2];
    lm[0].slot = static_cast<size_t>(m.slot_a);
    lm[1].slot = static_cast<size_t>(m.slot_b);
    bool usable = true;
    for (size_t L = 0; L < 2 && usable; ++L) {
      Result<bool> r = readLegMedia(lm[L], L, in[L], previous);
      if (!r.ok()) {
        return r.error();
      }
      usable = r.value();
    }
    if (!usable) {
      continue;
    }
    for (size_t X = 0; X < 2; ++X) {
      const size_t Y = 1 - X;
      if (!lm[Y].known) {
        continue;  // nowhere to send yet (the other peer started on hold)
      }
      for (uint8_t rtcp = 0; rtcp < 2; ++rtcp) {
        if (rtcp == 1 && lm[X].mux) {
          continue;
        }
        out.push_back(
            directionFlow(m, lm[X], lm[Y], legs_[X].realm, legs_[Y].realm, X, rtcp, callId_));
      }
    }
  }
  return out;
}

}  // namespace rampart::cp
