#include "media/media_session.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include <rampart/sdp/parser.h>

#include "media/flow_spec.h"
#include "media/ice_credentials.h"
#include "media/sdes_keys.h"
#include "media/transcode_book.h"
#include "media/xcode_setup.h"

namespace rampart::cp {

namespace {

// One m-line of an SDP, reduced to what flows are made of.
struct StreamInfo {
  std::string kind;
  std::string address;  // c= (media-level, else session-level); "" when absent
  bool hold = false;    // 0.0.0.0 / :: / no address: the peer's address is unknown
  bool ipv6 = false;
  uint16_t port = 0;
  uint16_t rtcpPort = 0;  // a=rtcp, else port + 1
  bool mux = false;
  std::vector<std::string> cryptos;  // a=crypto values: secret

  StreamInfo() = default;
  StreamInfo(const StreamInfo&) = default;
  StreamInfo& operator=(const StreamInfo&) = default;
  ~StreamInfo() {
    for (std::string& c : cryptos) {
      sdes::wipe(c);
    }
  }
};

Error sdpError(const sdp::Error& e) {
  using C = sdp::ErrorCode;
  ErrorCode code = ErrorCode::Malformed;
  switch (e.code) {
    case C::OfferPending:
    case C::NoPendingOffer: code = ErrorCode::Conflict; break;
    case C::NoAcceptableMedia:
    case C::ReofferRemovedMedia:
    case C::MidChanged:
    case C::AnswerMismatch: code = ErrorCode::NotAcceptable; break;
    case C::MissingLocalParameter:
    case C::BadOption: code = ErrorCode::Internal; break;
    default: break;
  }
  return Error(code, "SDP: " + sdp::describe(e));
}

Result<std::vector<StreamInfo>> readStreams(std::string_view body) {
  std::vector<StreamInfo> out;
  if (body.empty()) {
    return out;
  }
  sdp::Result<sdp::Session> parsed = sdp::parse(body);
  if (!parsed.ok()) {
    return sdpError(parsed.error());
  }
  const sdp::Session& s = parsed.value();
  std::optional<sdp::Connection> sessionConn = s.connection();
  out.resize(s.mediaCount());
  for (size_t i = 0; i < s.mediaCount(); ++i) {
    sdp::MediaView mv = s.media(i);
    sdp::MediaLine ml = mv.mediaLine();
    StreamInfo& si = out[i];
    si.kind.assign(ml.kind);
    si.port = ml.port;
    if (std::optional<sdp::Connection> c = mv.connection(sessionConn)) {
      si.address.assign(c->address);
      si.ipv6 = c->addr_type == "IP6";
    }
    si.hold = si.address.empty() || si.address == "0.0.0.0" || si.address == "::";
    si.mux = mv.hasAttribute("rtcp-mux");
    si.rtcpPort = ml.port == 0 ? 0 : static_cast<uint16_t>(ml.port + 1);
    if (std::optional<std::string_view> rtcp = mv.attribute("rtcp")) {
      sdp::Rtcp r;
      if (sdp::parseRtcp(*rtcp, r).ok()) {
        si.rtcpPort = r.port;
      }
    }
    mv.forEachAttribute("crypto", [&](std::string_view v) { si.cryptos.emplace_back(v); });
  }
  return out;
}

uint32_t cryptoTag(std::string_view value) {
  uint64_t tag = 0;
  sdp::parseUint(value.substr(0, value.find(' ')), tag, UINT32_MAX);
  return static_cast<uint32_t>(tag);
}

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

Error ackError(const abi::Ack& ack) {
  std::string what = std::string("dataplane refused ") +
                     abi::msgTypeName(static_cast<abi::MsgType>(ack.cmd_type)) + " (status " +
                     std::to_string(ack.status) + ")";
  switch (ack.status) {
    case abi::kErrNoSpace: return Error(ErrorCode::Overloaded, what + ": flow table full");
    case abi::kErrExist: return Error(ErrorCode::AlreadyExists, what + ": endpoint in use");
    case abi::kErrInval: return Error(ErrorCode::InvalidArgument, what);
    case abi::kErrNotSup: return Error(ErrorCode::Unsupported, what);
    case abi::kErrNoEnt: return Error(ErrorCode::NotFound, what + ": no such flow");
    default: return Error(ErrorCode::Internal, what);
  }
}

// Would sdp::Bridge answer this offered suite with the key of the realm's suite?
bool bridgeWouldPick(const sdp::Profile& p, std::string_view suite) {
  if (suite == p.sdes_suite) {
    return true;
  }
  bool cm128 = suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32";
  return cm128 && sdp::Crypto::keySaltBytes(p.sdes_suite) == sdp::Crypto::keySaltBytes(suite);
}

}  // namespace

namespace {

Result<uint32_t> submitOp(MediaContext& ctx, uint32_t worker, const MediaSession::Op& op,
                          FlowSink::AckHandler handler) {
  using Kind = MediaSession::Op::Kind;
  ++ctx.stats.flow_commands;
  if (op.kind == Kind::Del) {
    abi::FlowDel d{};
    d.hdr.type = abi::MsgType::FlowDel;
    d.hdr.size = sizeof d;
    d.hdr.flow = op.handle;
    return ctx.sink.submit(worker, d.hdr, std::move(handler));
  }
  if (op.kind == Kind::Xcode) {
    abi::XcodeSetup x = op.xcode;
    x.hdr = {};
    x.hdr.type = abi::MsgType::XcodeSetup;
    x.hdr.size = sizeof x;
    x.hdr.flow = op.handle;
    return ctx.sink.submit(worker, x.hdr, std::move(handler));
  }
  if (op.kind == Kind::Ice) {
    abi::FlowIce m = op.ice;
    m.hdr = {};
    m.hdr.type = abi::MsgType::FlowIce;
    m.hdr.size = sizeof m;
    m.hdr.flow = op.handle;
    Result<uint32_t> r = ctx.sink.submit(worker, m.hdr, std::move(handler));
    OPENSSL_cleanse(&m, sizeof m);
    return r;
  }
  abi::FlowAdd m = op.spec;
  m.hdr = {};
  m.hdr.type = op.kind == Kind::Add ? abi::MsgType::FlowAdd : abi::MsgType::FlowModify;
  m.hdr.size = sizeof m;
  m.hdr.flow = op.kind == Kind::Modify ? op.handle : 0;
  Result<uint32_t> r = ctx.sink.submit(worker, m.hdr, std::move(handler));
  OPENSSL_cleanse(&m, sizeof m);
  return r;
}

struct BatchState {
  std::vector<MediaSession::Op> ops;
  size_t remaining = 0;
  std::function<void(std::vector<MediaSession::Op>&)> finished;
  std::weak_ptr<bool> alive;
  MediaContext* ctx = nullptr;
  uint32_t worker = 0;
};

void completeOne(const std::shared_ptr<BatchState>& st) {
  if (--st->remaining != 0) {
    return;
  }
  if (!st->alive.expired()) {
    st->finished(st->ops);
    return;
  }
  // The session is gone: nobody will delete what this batch created.
  for (const MediaSession::Op& op : st->ops) {
    if (op.ok && op.kind == MediaSession::Op::Kind::Add) {
      MediaSession::Op del;
      del.kind = MediaSession::Op::Kind::Del;
      del.handle = op.handle;
      static_cast<void>(submitOp(*st->ctx, st->worker, del, [](Result<abi::Ack>) {}));
    }
  }
}

}  // namespace

MediaSession::MediaSession(MediaContext& ctx, const MediaRealm& a, const MediaRealm& b,
                           uint64_t callId)
    : ctx_(ctx),
      callId_(callId),
      bridge_(sdp::LegConfig{a.profile, {}}, sdp::LegConfig{b.profile, {}}) {
  legs_[0].realm = a;
  legs_[1].realm = b;
  for (Leg leg : {Leg::A, Leg::B}) {
    sdp::LocalMedia& lm = bridge_.local(leg);
    lm.address = legs_[idx(leg)].realm.address.text;
    // Unique per call and leg; RFC 8866 only asks for uniqueness.
    lm.session_id = (callId << 1) | static_cast<uint64_t>(idx(leg));
  }
}

MediaSession::~MediaSession() {
  alive_.reset();
  if (!closed_) {
    teardown(nullptr);
  }
  wipeSecrets();
}

void MediaSession::wipeSecrets() {
  for (LegState& l : legs_) {
    for (abi::SrtpParams& k : l.keys) {
      sdes::wipe(k);
    }
    l.keys.clear();
    if (l.web.keys) {
      sdes::wipe(l.web.keys->local);
      sdes::wipe(l.web.keys->remote);
    }
    sdes::wipe(l.remoteSdp);
    sdes::wipe(l.localSdp);
  }
  for (Leg leg : {Leg::A, Leg::B}) {
    for (std::string& k : bridge_.local(leg).sdes_keys) {
      sdes::wipe(k);
    }
  }
  sdes::wipe(pending_.body);
  sdes::wipe(pending_.outBody);
  for (ProgrammedFlow& f : flows_) {
    wipeSpec(f.spec);
  }
}

void MediaSession::syncBridgeLocal(Leg leg) {
  LegState& l = legs_[idx(leg)];
  sdp::LocalMedia& lm = bridge_.local(leg);
  lm.ports = l.ports;
  for (std::string& k : lm.sdes_keys) {
    sdes::wipe(k);
  }
  lm.sdes_keys.assign(l.keys.size(), std::string());
  for (size_t i = 0; i < l.keys.size(); ++i) {
    if (l.keys[i].key_len != 0) {
      lm.sdes_keys[i] = sdes::encodeInline(l.keys[i]);
    }
  }
}

Result<void> MediaSession::ensureResources(Leg from, size_t offerMedia,
                                           const std::vector<bool>& live, bool offerHasSavp,
                                           PendingOffer& pending) {
  if (!hasWorker_) {
    worker_ = ctx_.workers.acquire();
    hasWorker_ = true;
  }
  auto ensure = [&](Leg leg, size_t i, bool key) -> Result<void> {
    LegState& l = legs_[idx(leg)];
    if (l.ports.size() <= i) {
      l.ports.resize(i + 1);
    }
    if (l.ports[i].rtp == 0) {
      Result<uint16_t> p = l.realm.ports->allocate();
      if (!p.ok()) {
        return p.error();
      }
      l.ports[i] = sdp::PortPair{p.value(), static_cast<uint16_t>(p.value() + 1)};
      pending.allocated.emplace_back(leg, i);
    }
    if (!key) {
      return {};
    }
    if (l.keys.size() <= i) {
      l.keys.resize(i + 1, abi::SrtpParams{});
    }
    if (l.keys[i].key_len == 0) {
      const std::string& suiteText = l.realm.profile->sdes_suite;
      std::optional<abi::SrtpSuite> suite = sdes::suiteFromName(suiteText);
      if (!suite) {
        return Error(ErrorCode::Unsupported,
                     "realm SDES suite " + suiteText + " is not supported by the dataplane");
      }
      Result<abi::SrtpParams> k = sdes::generate(*suite);
      if (!k.ok()) {
        return k.error();
      }
      l.keys[i] = k.value();
      abi::SrtpParams& tmp = k.value();
      sdes::wipe(tmp);
    }
    return {};
  };
  const Leg to = otherLeg(from);
  const sdp::Profile& px = *legs_[idx(from)].realm.profile;
  const sdp::Profile& py = *legs_[idx(to)].realm.profile;
  // The offerer's m-lines keep their index; key them if the answer may be RTP/SAVP (or SDES
  // toward a browser, which may come with any browser offer).
  const bool browserX = px.kind == sdp::ProfileKind::WebRtc;
  bool keyX = px.srtp != sdp::SrtpMode::Off || offerHasSavp || browserX;
  for (size_t i = 0; i < offerMedia; ++i) {
    if (live[i]) {
      if (Result<void> r = ensure(from, i, keyX); !r.ok()) {
        return r;
      }
    }
  }
  // The answerer's layout is decided inside the Bridge: every m-line it has plus at most one
  // per offered m-line; what stays unused is freed right after the offer.
  // A dual SRTP offer gives each offered m-line two there.
  size_t count = bridge_.slotCount(to) + offerMedia * (py.srtp == sdp::SrtpMode::Dual ? 2 : 1);
  for (size_t i = 0; i < count; ++i) {
    // Toward a browser every offer carries an SDES key; a dual offer keys its RTP/SAVP m-line.
    bool keyY = py.srtp != sdp::SrtpMode::Off || py.kind == sdp::ProfileKind::WebRtc;
    if (Result<void> r = ensure(to, i, keyY); !r.ok()) {
      return r;
    }
  }
  syncBridgeLocal(from);
  syncBridgeLocal(to);
  return {};
}

void MediaSession::releaseAllocated(const PendingOffer& pending) {
  for (const auto& [leg, i] : pending.allocated) {
    LegState& l = legs_[idx(leg)];
    if (i < l.ports.size() && l.ports[i].rtp != 0) {
      static_cast<void>(l.realm.ports->free(l.ports[i].rtp));
      l.ports[i] = sdp::PortPair{};
    }
  }
  syncBridgeLocal(Leg::A);
  syncBridgeLocal(Leg::B);
}

Result<std::string> MediaSession::offer(Leg from, std::string_view body) {
  if (closed_ || closeRequested_) {
    return Error(ErrorCode::Unavailable, "media session closed");
  }
  if (pending_.active) {
    return Error(ErrorCode::Conflict, "an offer is already pending");
  }
  if (busy_) {
    return Error(ErrorCode::Conflict, "flows of the last negotiation are still being programmed");
  }
  for (const LegState& l : legs_) {
    if (l.realm.profile == nullptr || l.realm.ports == nullptr) {
      return Error(ErrorCode::Internal, "media realm without profile or port allocator");
    }
    if (l.realm.profile->kind == sdp::ProfileKind::WebRtc && l.realm.profile->dtls &&
        ctx_.dtls == nullptr) {
      return Error(ErrorCode::Unsupported, "WebRTC media needs DTLS, which is not configured");
    }
  }
  for (Leg leg : {Leg::A, Leg::B}) {
    if (Result<void> r = ensureWebRtcLocal(leg, false); !r.ok()) {
      return r.error();
    }
  }
  sdp::Result<sdp::Session> parsed = sdp::parse(body);
  if (!parsed.ok()) {
    return sdpError(parsed.error());
  }
  const sdp::Session& s = parsed.value();
  const sdp::Profile& px = *legs_[idx(from)].realm.profile;
  const size_t n = s.mediaCount();
  std::vector<bool> live(n, false);
  bool savp = false;
  for (size_t i = 0; i < n; ++i) {
    sdp::MediaView mv = s.media(i);
    sdp::MediaLine ml = mv.mediaLine();
    live[i] = ml.port != 0;
    if (!live[i] || (ml.proto != "RTP/SAVP" && ml.proto != "RTP/SAVPF")) {
      continue;
    }
    savp = true;
    // Refuse now what the dataplane could not apply later: the a=crypto the Bridge will answer.
    bool chosen = false;
    Result<void> bad;
    mv.forEachAttribute("crypto", [&](std::string_view v) {
      sdp::Crypto c;
      if (chosen || !sdp::parseCrypto(v, c).ok() || !bridgeWouldPick(px, c.suite)) {
        return;
      }
      chosen = true;
      Result<abi::SrtpParams> k = sdes::fromCrypto(c);
      if (!k.ok()) {
        bad = Error(ErrorCode::NotAcceptable,
                    "m-line " + std::to_string(i + 1) + ": " + k.error().message);
      } else {
        sdes::wipe(k.value());
      }
    });
    if (!bad.ok()) {
      return bad.error();
    }
  }
  PendingOffer p;
  p.from = from;
  if (Result<void> r = ensureResources(from, n, live, savp, p); !r.ok()) {
    releaseAllocated(p);
    return r.error();
  }
  sdp::Result<std::string> out = bridge_.offer(from, s);
  if (!out.ok()) {
    releaseAllocated(p);
    return sdpError(out.error());
  }
  // Answerer ports beyond the layout the Bridge settled on were never advertised.
  const Leg to = otherLeg(from);
  PendingOffer unused;
  std::erase_if(p.allocated, [&](const std::pair<Leg, size_t>& a) {
    if (a.first == to && a.second >= bridge_.slotCount(to)) {
      unused.allocated.push_back(a);
      return true;
    }
    return false;
  });
  if (!unused.allocated.empty()) {
    releaseAllocated(unused);
    legs_[idx(to)].ports.resize(bridge_.slotCount(to));
    syncBridgeLocal(to);
  }
  p.active = true;
  p.body.assign(body);
  p.outBody = out.value();
  pending_ = std::move(p);
  return std::move(out).value();
}

void MediaSession::answerFromLast(std::function<void(Result<std::string>)> done) {
  const Leg to = otherLeg(pending_.from);
  std::string last = legs_[idx(to)].remoteSdp;
  answer(to, last, std::move(done));
  sdes::wipe(last);
}

void MediaSession::cancelOffer() {
  if (!pending_.active) {
    return;
  }
  bridge_.cancelOffer();
  releaseAllocated(pending_);
  sdes::wipe(pending_.body);
  sdes::wipe(pending_.outBody);
  pending_ = PendingOffer{};
}

MediaSession::SdpSnapshot MediaSession::snapshot() const {
  return {legs_[0].remoteSdp, legs_[0].localSdp, legs_[1].remoteSdp, legs_[1].localSdp};
}

void MediaSession::restore(SdpSnapshot& s) {
  for (size_t i = 0; i < 2; ++i) {
    sdes::wipe(legs_[i].remoteSdp);
    sdes::wipe(legs_[i].localSdp);
    legs_[i].remoteSdp = std::move(s[2 * i]);
    legs_[i].localSdp = std::move(s[2 * i + 1]);
  }
}

Result<MediaSession::FlowList> MediaSession::desiredFlows(const FlowList& previous) const {
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
  auto findPrev = [&](FlowKey k) -> const ProgrammedFlow* {
    for (const ProgrammedFlow& f : previous) {
      if (f.key == k) {
        return &f;
      }
    }
    return nullptr;
  };
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
      LegMedia& x = lm[L];
      if (x.slot >= remote[L].size() || x.slot >= local[L].size() || remote[L][x.slot].port == 0 ||
          local[L][x.slot].port == 0) {
        usable = false;
        break;
      }
      const StreamInfo& rs = remote[L][x.slot];
      const StreamInfo& ls = local[L][x.slot];
      const MediaRealm& realm = legs_[L].realm;
      x.mux = rs.mux && ls.mux;
      x.local = endpoint(realm.address, ls.port);
      x.localRtcp = ls.rtcpPort;
      const bool browser = realm.profile->kind == sdp::ProfileKind::WebRtc;
      const sdp::Keying keying = bridge_.keying(static_cast<Leg>(L));
      if (!ls.cryptos.empty() && (!browser || keying == sdp::Keying::Sdes)) {
        // Our a=crypto is the key we send to this peer; its a=crypto with the same tag is the
        // key it sends to us.
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
          return Error(ErrorCode::NotAcceptable,
                       "peer SDP lacks a=crypto tag " + std::to_string(tag));
        }
        Result<abi::SrtpParams> pk = sdes::fromCryptoLine(*peer);
        if (!pk.ok()) {
          return Error(pk.error().code, "peer a=crypto: " + pk.error().message);
        }
        x.peerKey = pk.value();
        sdes::wipe(pk.value());
      }
      if (browser) {
        // ICE, not c=, says where the browser is: the dataplane fills in the address its
        // authenticated check came from (remote port 0 until then). Keys come from DTLS, or
        // from the SDES a=crypto lines read above.
        x.mux = true;
        x.known = true;
        x.latch = false;
        const std::optional<DtlsKeys>& keys = legs_[L].web.keys;
        if (keying == sdp::Keying::Sdes) {
          continue;
        }
        if (keys) {
          x.peerKey = keys->remote;
          x.ourKey = keys->local;
        } else {
          x.awaitKeys = true;
        }
        continue;
      }
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
        x.latch = realm.latch || isPrivate(*addr);
      } else if (const ProgrammedFlow* prev =
                     findPrev({static_cast<uint8_t>(L), 0, static_cast<uint16_t>(x.slot)})) {
        // RFC 2543 hold: keep sending where the peer was before.
        x.remote = prev->spec.in_remote;
        x.known = x.remote.port != 0;
        x.remoteRtcp = static_cast<uint16_t>(x.remote.port + 1);
        if (const ProgrammedFlow* r =
                findPrev({static_cast<uint8_t>(L), 1, static_cast<uint16_t>(x.slot)})) {
          x.remoteRtcp = r->spec.in_remote.port;
        }
        x.latch = (prev->spec.flags & abi::kFlowLatch) != 0;
      } else {
        x.latch = true;
      }
      x.latch = x.latch || realm.profile->kind == sdp::ProfileKind::WebRtc;
    }
    if (!usable) {
      continue;
    }
    uint32_t clock = 0;
    for (const sdp::PayloadMapping& p : m.payloads) {
      if (p.encoding != "telephone-event") {
        clock = p.clock_rate;
        break;
      }
    }
    const bool video = m.kind == "video";
    for (size_t X = 0; X < 2; ++X) {
      const size_t Y = 1 - X;
      const LegMedia& x = lm[X];
      const LegMedia& y = lm[Y];
      if (!y.known) {
        continue;  // nowhere to send yet (the other peer started on hold)
      }
      for (uint8_t rtcp = 0; rtcp < 2; ++rtcp) {
        if (rtcp == 1 && x.mux) {
          continue;
        }
        ProgrammedFlow pf;
        pf.key = FlowKey{static_cast<uint8_t>(X), rtcp, static_cast<uint16_t>(x.slot)};
        abi::FlowAdd& f = pf.spec;
        f.in_port = legs_[X].realm.dp_port;
        f.out_port = legs_[Y].realm.dp_port;
        f.flags = static_cast<uint16_t>(
            (x.mux && rtcp == 0 ? abi::kFlowRtcpMuxIn : 0) | (rtcp ? abi::kFlowRtcpOnly : 0) |
            (x.latch ? abi::kFlowLatch : 0) | (video ? abi::kFlowVideo : 0) |
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
        f.latch_window_ms = x.latch ? legs_[X].realm.latch_window_ms : 0;
        f.idle_timeout_s = legs_[X].realm.idle_timeout_s;
        f.srtp_in = x.peerKey;
        f.srtp_out = y.ourKey;
        f.cookie = callId_;
        f.clock_rate = clock;
        if (m.transcoded) {
          // Each direction runs at its own codec's clock; RTP goes through the transcoder.
          const sdp::TranscodeSide& in = X == 0 ? m.side_a : m.side_b;
          f.clock_rate = in.clock_rate;
          if (rtcp == 0) {
            pf.xcode = xcodeSetupFor(in, X == 0 ? m.side_b : m.side_a, callId_);
          }
        }
        out.push_back(std::move(pf));
      }
    }
  }
  return out;
}

MediaSession::Batch MediaSession::changesTo(FlowList& desired, bool adds) const {
  Batch ops;
  for (ProgrammedFlow& want : desired) {
    auto cur = std::find_if(flows_.begin(), flows_.end(),
                            [&](const ProgrammedFlow& f) { return f.key == want.key; });
    if (cur == flows_.end() && adds) {
      Op op;
      op.kind = Op::Kind::Add;
      op.key = want.key;
      op.spec = want.spec;
      ops.push_back(op);
    } else if (cur != flows_.end() && !sameSpec(cur->spec, want.spec)) {
      Op op;
      op.kind = Op::Kind::Modify;
      op.key = want.key;
      op.spec = want.spec;
      op.oldSpec = cur->spec;
      op.handle = cur->handle;
      ops.push_back(op);
    }
    wipeSpec(want.spec);
  }
  return ops;
}

void MediaSession::runBatch(Batch ops, std::function<void(Batch&)> finished) {
  busy_ = true;
  auto st = std::make_shared<BatchState>();
  st->ops = std::move(ops);
  st->remaining = st->ops.size() + 1;  // +1: nothing completes before every op is submitted
  st->finished = std::move(finished);
  st->alive = alive_;
  st->ctx = &ctx_;
  st->worker = worker_;
  for (size_t i = 0; i < st->ops.size(); ++i) {
    Op& op = st->ops[i];
    Result<uint32_t> r = submitOp(ctx_, worker_, op, [st, i](Result<abi::Ack> ack) {
      Op& o = st->ops[i];
      if (!ack.ok()) {
        o.error = ack.error();
      } else if (ack.value().status == abi::kOk ||
                 (o.kind == Op::Kind::Del && ack.value().status == abi::kErrNoEnt)) {
        o.ok = true;
        if (o.kind == Op::Kind::Add) {
          o.handle = ack.value().hdr.flow;
        }
      } else {
        o.error = ackError(ack.value());
      }
      if (!o.ok) {
        ++st->ctx->stats.flow_failures;
      }
      completeOne(st);
    });
    if (!r.ok()) {
      op.error = r.error();
      ++ctx_.stats.flow_failures;
      completeOne(st);
    }
  }
  completeOne(st);
}

void MediaSession::afterBatch() {
  busy_ = false;
  if (closeRequested_) {
    closeRequested_ = false;
    teardown(std::move(closeDone_));
    return;
  }
  if (keysDirty_) {
    keysDirty_ = false;
    applyKeys();
  }
}

void MediaSession::answer(Leg from, std::string_view body,
                          std::function<void(Result<std::string>)> done) {
  if (closed_ || closeRequested_) {
    done(Error(ErrorCode::Unavailable, "media session closed"));
    return;
  }
  if (busy_) {
    done(Error(ErrorCode::Conflict, "flows of the last negotiation are still being programmed"));
    return;
  }
  if (!pending_.active || pending_.from == from) {
    done(Error(ErrorCode::Conflict, "no offer is pending toward this leg"));
    return;
  }
  sdp::Result<sdp::Session> parsed = sdp::parse(body);
  if (!parsed.ok()) {
    done(sdpError(parsed.error()));
    return;
  }
  if (bridge_.iceRestartPending(pending_.from)) {
    if (Result<void> r = ensureWebRtcLocal(pending_.from, true); !r.ok()) {
      done(r.error());
      return;
    }
  }
  sdp::Result<std::string> out = bridge_.answer(from, parsed.value());
  if (!out.ok()) {
    done(sdpError(out.error()));
    return;
  }
  const Leg x = pending_.from;
  const Leg y = from;
  SdpSnapshot old = snapshot();
  LegState& lx = legs_[idx(x)];
  LegState& ly = legs_[idx(y)];
  sdes::wipe(lx.remoteSdp);
  sdes::wipe(lx.localSdp);
  sdes::wipe(ly.remoteSdp);
  sdes::wipe(ly.localSdp);
  lx.remoteSdp = std::move(pending_.body);
  ly.localSdp = std::move(pending_.outBody);
  ly.remoteSdp.assign(body);
  lx.localSdp = out.value();
  lastOfferer_ = x;
  pending_ = PendingOffer{};

  for (Leg leg : {Leg::A, Leg::B}) {
    if (Result<void> r = readWebRtcRemote(leg); !r.ok()) {
      restore(old);
      done(r.error());
      return;
    }
  }
  if (Result<void> r = bookTranscoding(); !r.ok()) {
    restore(old);
    done(r.error());
    return;
  }
  if (isWebRtc(Leg::A) || isWebRtc(Leg::B)) {
    // The browser starts its checks and handshake as soon as it has the answer: ICE state and
    // the DTLS endpoint must exist before the answer is relayed.
    done = [this, alive = std::weak_ptr<bool>(alive_),
            inner = std::move(done)](Result<std::string> r) mutable {
      if (!r.ok() || alive.expired()) {
        inner(std::move(r));
        return;
      }
      programWebRtc(
          [inner = std::move(inner), body = std::move(r).value()](Result<void> w) mutable {
            if (w.ok()) {
              inner(std::move(body));
              return;
            }
            sdes::wipe(body);
            inner(w.error());
          });
    };
  }
  Result<FlowList> desired = desiredFlows(flows_);
  if (!desired.ok()) {
    restore(old);
    done(desired.error());
    return;
  }
  XcodeList xcodes;
  for (const ProgrammedFlow& f : desired.value()) {
    xcodes.emplace_back(f.key, f.xcode);
  }
  Batch phase1 = changesTo(desired.value(), true);
  size_t deletes = 0;
  size_t xcodeChanges = 0;
  std::vector<FlowKey> wanted;
  for (const ProgrammedFlow& f : desired.value()) {
    wanted.push_back(f.key);
  }
  for (const ProgrammedFlow& f : flows_) {
    deletes += std::find(wanted.begin(), wanted.end(), f.key) == wanted.end() ? 1 : 0;
  }
  for (const auto& [key, want] : xcodes) {
    auto cur = std::find_if(flows_.begin(), flows_.end(),
                            [&](const ProgrammedFlow& f) { return f.key == key; });
    abi::XcodeSetup none{};
    xcodeChanges +=
        std::memcmp(cur != flows_.end() ? &cur->xcode : &none, &want, sizeof want) != 0 ? 1 : 0;
  }
  if (phase1.empty() && deletes == 0 && xcodeChanges == 0) {
    done(std::move(out).value());
    return;
  }
  if (!ctx_.sink.ready()) {
    restore(old);
    done(Error(ErrorCode::Unavailable, "dataplane not attached"));
    return;
  }
  runBatch(std::move(phase1), [this, wanted = std::move(wanted), xcodes = std::move(xcodes),
                               reply = std::move(out).value(), done = std::move(done),
                               old = std::move(old)](Batch& b) mutable {
    // Phase 1 (adds and modifies) succeeded as a whole or is undone; transcoding set-ups and
    // deletes come after, so a failure never leaves a stream without its old flows.
    bool ok = std::all_of(b.begin(), b.end(), [](const Op& o) { return o.ok; });
    if (!ok) {
      finishAnswer(b, std::move(reply), std::move(done), std::move(old));
      return;
    }
    for (Op& op : b) {
      if (op.kind == Op::Kind::Add) {
        flows_.push_back(ProgrammedFlow{op.key, op.spec, op.handle, {}});
      } else {
        for (ProgrammedFlow& f : flows_) {
          if (f.key == op.key) {
            wipeSpec(f.spec);
            f.spec = op.spec;
          }
        }
      }
    }
    for (SdpSnapshot::value_type& s : old) {
      sdes::wipe(s);
    }
    programXcode(xcodes, std::move(wanted), std::move(reply), std::move(done));
  });
}

// Each flow whose transcoding changed (a new transcoded call, a codec change in a re-INVITE,
// back to relaying) gets its XcodeSetup; the dataplane routes its media accordingly.
void MediaSession::programXcode(const XcodeList& desired, std::vector<FlowKey> wanted,
                                std::string reply, std::function<void(Result<std::string>)> done) {
  Batch ops;
  for (const auto& [key, x] : desired) {
    for (const ProgrammedFlow& f : flows_) {
      if (f.key == key && std::memcmp(&f.xcode, &x, sizeof x) != 0) {
        Op op;
        op.kind = Op::Kind::Xcode;
        op.key = key;
        op.handle = f.handle;
        op.xcode = x;
        ops.push_back(op);
      }
    }
  }
  if (ops.empty()) {
    deleteUnwanted(wanted, std::move(reply), std::move(done));
    return;
  }
  runBatch(std::move(ops), [this, wanted = std::move(wanted), reply = std::move(reply),
                            done = std::move(done)](Batch& b) mutable {
    std::optional<Error> first;
    for (const Op& op : b) {
      for (ProgrammedFlow& f : flows_) {
        if (op.ok && f.key == op.key) {
          f.xcode = op.xcode;
        }
      }
      if (!op.ok && !first) {
        first = op.error;  // the B2BUA ends the call; close() deletes every flow
      }
    }
    if (first) {
      afterBatch();
      sdes::wipe(reply);
      done(std::move(*first));
      return;
    }
    deleteUnwanted(wanted, std::move(reply), std::move(done));
  });
}

void MediaSession::deleteUnwanted(const std::vector<FlowKey>& wanted, std::string reply,
                                  std::function<void(Result<std::string>)> done) {
  Batch phase2;
  for (const ProgrammedFlow& f : flows_) {
    if (std::find(wanted.begin(), wanted.end(), f.key) == wanted.end()) {
      Op op;
      op.kind = Op::Kind::Del;
      op.key = f.key;
      op.handle = f.handle;
      phase2.push_back(op);
    }
  }
  if (phase2.empty()) {
    afterBatch();
    if (closed_) {
      done(Error(ErrorCode::Unavailable, "media session closed"));
    } else {
      done(std::move(reply));
    }
    return;
  }
  runBatch(std::move(phase2),
           [this, reply = std::move(reply), done = std::move(done)](Batch& dels) mutable {
             finishDeletes(dels, std::move(reply), std::move(done));
           });
}

void MediaSession::finishAnswer(Batch& phase1, std::string out,
                                std::function<void(Result<std::string>)> done, SdpSnapshot old) {
  sdes::wipe(out);
  Error first;
  bool found = false;
  Batch rollback;
  for (const Op& op : phase1) {
    if (!op.ok && !found) {
      first = op.error;
      found = true;
    }
    if (op.ok && op.kind == Op::Kind::Add) {
      Op del;
      del.kind = Op::Kind::Del;
      del.key = op.key;
      del.handle = op.handle;
      rollback.push_back(del);
    } else if (op.ok && op.kind == Op::Kind::Modify) {
      Op back;
      back.kind = Op::Kind::Modify;
      back.key = op.key;
      back.spec = op.oldSpec;
      back.handle = op.handle;
      rollback.push_back(back);
    }
  }
  restore(old);
  runBatch(std::move(rollback),
           [this, first = std::move(first), done = std::move(done)](Batch&) mutable {
             // A rollback that fails too leaves flows the B2BUA ends with the call (close()).
             afterBatch();
             done(std::move(first));
           });
}

void MediaSession::finishDeletes(Batch& phase2, std::string out,
                                 std::function<void(Result<std::string>)> done) {
  std::optional<Error> first;
  for (const Op& op : phase2) {
    if (op.ok) {
      auto it = std::find_if(flows_.begin(), flows_.end(),
                             [&](const ProgrammedFlow& f) { return f.key == op.key; });
      if (it != flows_.end()) {
        wipeSpec(it->spec);
        flows_.erase(it);
      }
    } else if (!first) {
      first = op.error;  // the flow stays listed: close() deletes it again
    }
  }
  afterBatch();
  if (first) {
    sdes::wipe(out);
    done(std::move(*first));
  } else if (closed_) {
    done(Error(ErrorCode::Unavailable, "media session closed"));
  } else {
    done(std::move(out));
  }
}

void MediaSession::close(std::function<void()> done) {
  if (closed_) {
    if (done) {
      done();
    }
    return;
  }
  if (busy_) {
    // Wait for the commands in flight: their Acks carry handles that must be deleted too.
    closeRequested_ = true;
    if (closeDone_ && done) {
      closeDone_ = [a = std::move(closeDone_), b = std::move(done)] {
        a();
        b();
      };
    } else if (done) {
      closeDone_ = std::move(done);
    }
    return;
  }
  teardown(std::move(done));
}

void MediaSession::teardown(std::function<void()> done) {
  closed_ = true;
  releaseTranscoding();
  for (LegState& l : legs_) {
    if (l.web.dtlsFlow != 0 && ctx_.dtls != nullptr) {
      ctx_.dtls->close(l.web.dtlsFlow);
      l.web.dtlsFlow = 0;
    }
  }
  if (pending_.active) {
    bridge_.cancelOffer();
    pending_ = PendingOffer{};
  }
  struct Teardown {
    MediaContext* ctx = nullptr;
    std::vector<std::pair<PortAllocator*, uint16_t>> ports;
    size_t remaining = 0;
    std::function<void()> done;
  };
  auto t = std::make_shared<Teardown>();
  t->ctx = &ctx_;
  t->done = std::move(done);
  for (LegState& l : legs_) {
    for (const sdp::PortPair& p : l.ports) {
      if (p.rtp != 0) {
        t->ports.emplace_back(l.realm.ports, p.rtp);
      }
    }
    l.ports.clear();
  }
  std::vector<uint64_t> handles;
  for (const ProgrammedFlow& f : flows_) {
    handles.push_back(f.handle);
  }
  wipeSecrets();
  flows_.clear();
  const uint32_t worker = worker_;
  if (hasWorker_) {
    ctx_.workers.release(worker_);
    hasWorker_ = false;
  }
  // Ports go back only when the dataplane no longer listens on them; a dataplane that does not
  // answer has lost the flows or will with its restart, so they go back anyway (and counted).
  auto finish = [t] {
    if (--t->remaining != 0) {
      return;
    }
    for (const auto& [alloc, rtp] : t->ports) {
      static_cast<void>(alloc->free(rtp));
    }
    if (t->done) {
      t->done();
    }
  };
  t->remaining = handles.size() + 1;
  const bool ready = ctx_.sink.ready();
  for (uint64_t h : handles) {
    if (!ready) {
      ++ctx_.stats.deletes_unacked;
      finish();
      continue;
    }
    Op del;
    del.kind = Op::Kind::Del;
    del.handle = h;
    Result<uint32_t> r = submitOp(ctx_, worker, del, [t, finish](Result<abi::Ack> ack) {
      if (!ack.ok()) {
        ++t->ctx->stats.deletes_unacked;
      } else if (ack.value().status != abi::kOk && ack.value().status != abi::kErrNoEnt) {
        ++t->ctx->stats.flow_failures;
      }
      finish();
    });
    if (!r.ok()) {
      ++ctx_.stats.deletes_unacked;
      finish();
    }
  }
  finish();
}

// A new dataplane knows nothing of transcoding either: each transcoded flow gets its setup
// again (the transcoder makes fresh codec state for it).
void MediaSession::reprogramXcode(std::function<void(Result<void>)> done) {
  Batch ops;
  for (const ProgrammedFlow& f : flows_) {
    if (f.xcode.from.codec != abi::XcodeCodecId::None) {
      Op op;
      op.kind = Op::Kind::Xcode;
      op.key = f.key;
      op.handle = f.handle;
      op.xcode = f.xcode;
      ops.push_back(op);
    }
  }
  if (ops.empty()) {
    afterBatch();
    done(Result<void>());
    return;
  }
  runBatch(std::move(ops), [this, done = std::move(done)](Batch& b) mutable {
    afterBatch();
    for (const Op& op : b) {
      if (!op.ok) {
        done(op.error);
        return;
      }
    }
    done(Result<void>());
  });
}

Result<void> MediaSession::bookTranscoding() {
  std::string pair;
  for (const sdp::StreamMapping& m : bridge_.mappings()) {
    if (m.active && m.transcoded && pair.empty()) {
      pair = codecPairLabel(m.side_a, m.side_b);
    }
  }
  if (pair == transcodePair_ || ctx_.transcode == nullptr) {
    transcodePair_ = ctx_.transcode == nullptr ? std::string() : pair;
    return {};
  }
  releaseTranscoding();
  if (!pair.empty()) {
    uint32_t a = legs_[0].realm.realm_index;
    uint32_t b = legs_[1].realm.realm_index;
    if (!ctx_.transcode->acquire(a, b, pair)) {
      return Error(ErrorCode::NotAcceptable,
                   "no codec in common and the realm's transcoded-call limit is reached");
    }
    transcodePair_ = pair;
  }
  return {};
}

void MediaSession::releaseTranscoding() {
  if (!transcodePair_.empty() && ctx_.transcode != nullptr) {
    ctx_.transcode->release(legs_[0].realm.realm_index, legs_[1].realm.realm_index, transcodePair_);
  }
  transcodePair_.clear();
}

void MediaSession::replayXcode(std::function<void(Result<void>)> done) {
  if (closed_ || closeRequested_) {
    done(Error(ErrorCode::Unavailable, "media session closed"));
  } else if (busy_) {
    done(Error(ErrorCode::Conflict, "flows are being programmed"));
  } else if (!ctx_.sink.ready()) {
    done(Error(ErrorCode::Unavailable, "dataplane not attached"));
  } else {
    reprogramXcode(std::move(done));
  }
}

void MediaSession::reprogram(std::function<void(Result<void>)> done) {
  if (closed_ || closeRequested_) {
    done(Error(ErrorCode::Unavailable, "media session closed"));
    return;
  }
  if (busy_) {
    done(Error(ErrorCode::Conflict, "flows are being programmed"));
    return;
  }
  if (flows_.empty()) {
    done(Result<void>());
    return;
  }
  if (!ctx_.sink.ready()) {
    done(Error(ErrorCode::Unavailable, "dataplane not attached"));
    return;
  }
  Batch adds;
  for (const ProgrammedFlow& f : flows_) {
    Op op;
    op.kind = Op::Kind::Add;
    op.key = f.key;
    op.spec = f.spec;
    adds.push_back(op);
  }
  runBatch(std::move(adds), [this, done = std::move(done)](Batch& b) mutable {
    bool ok = std::all_of(b.begin(), b.end(), [](const Op& o) { return o.ok; });
    if (ok) {
      for (size_t i = 0; i < b.size() && i < flows_.size(); ++i) {
        flows_[i].handle = b[i].handle;
      }
      reprogramXcode(std::move(done));
      return;
    }
    Error first;
    Batch dels;
    for (const Op& op : b) {
      if (op.ok) {
        Op del;
        del.kind = Op::Kind::Del;
        del.handle = op.handle;
        dels.push_back(del);
      } else if (first.message.empty()) {
        first = op.error;
      }
    }
    // The call cannot carry media any more; the B2BUA ends it (close() frees the ports).
    for (ProgrammedFlow& f : flows_) {
      wipeSpec(f.spec);
    }
    flows_.clear();
    runBatch(std::move(dels),
             [this, first = std::move(first), done = std::move(done)](Batch&) mutable {
               afterBatch();
               done(std::move(first));
             });
  });
}

}  // namespace rampart::cp
