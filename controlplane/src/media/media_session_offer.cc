// MediaSession's offer half of an offer/answer exchange: check the offer, allocate what the
// answering leg needs and pass the offer on through the Bridge.
#include <utility>

#include <rampart/sdp/parser.h>

#include "media/media_session.h"
#include "media/sdes_keys.h"
#include "media/sdp_streams.h"

namespace rampart::cp {
namespace {

// Would sdp::Bridge answer this offered suite with the key of the realm's suite?
bool bridgeWouldPick(const sdp::Profile& p, std::string_view suite) {
  if (suite == p.sdes_suite) {
    return true;
  }
  bool cm128 = suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32";
  return cm128 && sdp::Crypto::keySaltBytes(p.sdes_suite) == sdp::Crypto::keySaltBytes(suite);
}

// Marks the live m-lines and whether any is RTP/SAVP(F), and refuses now what the dataplane
// could not apply later: the a=crypto the Bridge will answer with.
Result<void> checkOfferedMedia(const sdp::Session& s, const sdp::Profile& px,
                               std::vector<bool>& live, bool& savp) {
  const size_t n = s.mediaCount();
  for (size_t i = 0; i < n; ++i) {
    sdp::MediaView mv = s.media(i);
    sdp::MediaLine ml = mv.mediaLine();
    live[i] = ml.port != 0;
    if (!live[i] || (ml.proto != "RTP/SAVP" && ml.proto != "RTP/SAVPF")) {
      continue;
    }
    savp = true;
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
  return {};
}

}  // namespace

// Leg @p leg's m-line @p i: a port pair (recorded in @p pending, so a failed offer frees it)
// and, with @p key, an SDES key of the realm's suite.
Result<void> MediaSession::ensureSlot(Leg leg, size_t i, bool key, PendingOffer& pending) {
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
}

Result<void> MediaSession::ensureResources(Leg from, size_t offerMedia,
                                           const std::vector<bool>& live, bool offerHasSavp,
                                           PendingOffer& pending) {
  if (!hasWorker_) {
    worker_ = ctx_.workers.acquire();
    hasWorker_ = true;
  }
  const Leg to = otherLeg(from);
  const sdp::Profile& px = *legs_[idx(from)].realm.profile;
  const sdp::Profile& py = *legs_[idx(to)].realm.profile;
  // The offerer's m-lines keep their index; key them if the answer may be RTP/SAVP (or SDES
  // toward a browser, which may come with any browser offer).
  const bool browserX = px.kind == sdp::ProfileKind::WebRtc;
  bool keyX = px.srtp != sdp::SrtpMode::Off || offerHasSavp || browserX;
  for (size_t i = 0; i < offerMedia; ++i) {
    if (live[i]) {
      if (Result<void> r = ensureSlot(from, i, keyX, pending); !r.ok()) {
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
    if (Result<void> r = ensureSlot(to, i, keyY, pending); !r.ok()) {
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
  const size_t n = s.mediaCount();
  std::vector<bool> live(n, false);
  bool savp = false;
  if (Result<void> r = checkOfferedMedia(s, *legs_[idx(from)].realm.profile, live, savp); !r.ok()) {
    return r.error();
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
  releaseUnadvertised(otherLeg(from), p);
  p.active = true;
  p.body.assign(body);
  p.outBody = out.value();
  pending_ = std::move(p);
  return std::move(out).value();
}

// Answerer ports beyond the layout the Bridge settled on were never advertised: they go back.
void MediaSession::releaseUnadvertised(Leg to, PendingOffer& p) {
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

}  // namespace rampart::cp
