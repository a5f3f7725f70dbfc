#include <rampart/sdp/normalize.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <span>

#include "bridge_model.h"
#include "media_writer.h"

namespace rampart::sdp {

using namespace detail;  // the Bridge's private model and its readers and writers

// ---- Bridge ---------------------------------------------------------------------------------

// Bound for finding a free mid: more tries than m-lines can exist (Limits::maxMedia).
constexpr size_t kMaxMidTries = 1024;

Bridge::Bridge(LegConfig a, LegConfig b) {
  legs_[0].config = std::move(a);
  legs_[1].config = std::move(b);
  for (LegState& l : legs_) {
    if (!l.config.profile) {
      l.config.profile = std::make_shared<const Profile>();
    }
  }
}

Bridge::~Bridge() = default;

void Bridge::cancelOffer() noexcept {
  if (pending_.active) {
    LegState& offerer = legs_[index(pending_.from)];
    offerer.remoteUfrag.swap(offerer.prevRemoteUfrag);
    offerer.iceRestart = false;
  }
  pending_.active = false;
}
Bridge::Bridge(Bridge&&) noexcept = default;
Bridge& Bridge::operator=(Bridge&&) noexcept = default;

size_t Bridge::slotCount(Leg leg) const noexcept { return legs_[index(leg)].slots.size(); }

std::string Bridge::finish(Leg to, std::string_view body) {
  LegState& ls = legs_[index(to)];
  // A 64-bit hash of everything after o=: the version moves only when the SDP really changed
  // (an identical session refresh keeps it). A collision would only skip one increment.
  // Four independent scalar lanes keep the multiplies from forming one long dependency chain;
  // the tail is one overlapping word rather than a byte-by-byte multiply chain.
  const size_t n = body.size();
  const char* p = body.data();
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  auto mix = [](uint64_t h, const char* at) {
    uint64_t w;
    std::memcpy(&w, at, 8);
    h = (h ^ w) * kMul;
    return h ^ (h >> 29);
  };
  uint64_t h0 = 1469598103934665603ull ^ n, h1 = kMul, h2 = 0xC2B2AE3D27D4EB4Full,
           h3 = 0x165667B19E3779F9ull;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    h0 = mix(h0, p + i);
    h1 = mix(h1, p + i + 8);
    h2 = mix(h2, p + i + 16);
    h3 = mix(h3, p + i + 24);
  }
  for (; i + 8 <= n; i += 8) {
    h0 = mix(h0, p + i);
  }
  if (i < n && n >= 8) {
    h1 = mix(h1, p + n - 8);  // overlaps bytes already hashed; the length is in h0
  } else {
    for (; i < n; ++i) {
      h1 = (h1 ^ static_cast<unsigned char>(p[i])) * kMul;
    }
  }
  uint64_t hash = h0 ^ (h1 * 3) ^ (h2 * 5) ^ (h3 * 7);
  if (ls.version == 0 || hash != ls.lastBodyHash) {
    ++ls.version;
    ls.lastBodyHash = hash;
  }
  const LocalMedia& lm = ls.config.local;
  // "v=0" and "o=" go in front of the body: one exact-size allocation for the whole SDP.
  char num1[24];
  char num2[24];
  auto r1 = std::to_chars(num1, num1 + sizeof num1, lm.sessionId);
  auto r2 = std::to_chars(num2, num2 + sizeof num2, ls.version);
  const std::string_view user = ls.config.profile->originUser;
  const std::string_view at = addrType(lm.address);
  const std::string_view sessId(num1, static_cast<size_t>(r1.ptr - num1));
  const std::string_view version(num2, static_cast<size_t>(r2.ptr - num2));
  // Written part by part (not from an array) so the literal copies compile to plain moves.
  auto header = [&](auto&& put) {
    put("v=0\r\no=");
    put(user);
    put(" ");
    put(sessId);
    put(" ");
    put(version);
    put(" IN ");
    put(at);
    put(" ");
    put(lm.address);
    put("\r\n");
  };
  size_t len = 0;
  header([&](std::string_view v) { len += v.size(); });
  // The body comes from Out, behind Out::kHeaderRoom free bytes of the scratch buffer: the
  // header is written there and the SDP leaves in one copy. A header longer than the room (a
  // very long origin user or address) takes the general path.
  std::string& scratch = bodyScratch();
  if (len <= Out::kHeaderRoom && body.data() == scratch.data() + Out::kHeaderRoom) {
    char* const start = scratch.data() + Out::kHeaderRoom - len;
    char* w = start;
    header([&](std::string_view v) {
      std::memcpy(w, v.data(), v.size());
      w += v.size();
    });
    return std::string(start, len + body.size());
  }
  std::string out;
  out.reserve(len + body.size());
  header([&](std::string_view v) { out.append(v); });
  out.append(body);
  return out;
}

namespace {

using Slots = std::vector<Bridge::Slot>;

// A re-offer keeps every m-line it had, with its media type and its mid.
Result<bool> checkReoffer(const Slots& slots, std::span<const Stream> streams) {
  if (streams.size() < slots.size()) {
    return makeError(ErrorCode::ReofferRemovedMedia, 0, "re-offer has fewer m-lines");
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    if (streams[i].m.kind != slots[i].kind) {
      return makeError(ErrorCode::ReofferRemovedMedia, streams[i].lineNo,
                       "re-offer changed the media type of an m-line");
    }
    if (!slots[i].mid.empty() && !streams[i].mid.empty() && streams[i].mid != slots[i].mid) {
      return makeError(ErrorCode::MidChanged, streams[i].lineNo, "re-offer changed a mid");
    }
  }
  return true;
}

// How Rampart answers a browser's offer, decided once for its BUNDLE transport by the first
// live m-line that carries keying attributes: DTLS-SRTP when the realm allows it and that
// m-line offers a fingerprint over a DTLS protocol, else SDES with its first a=crypto we can
// answer. None: neither fits (a DTLS-only offer to an SDES-only realm), nothing is eligible.
struct BrowserKeying {
  Keying keying = Keying::None;
  uint32_t tag = 0;
  std::string_view suite;
};
BrowserKeying browserOfferKeying(std::span<const Stream> streams, const Profile& p) {
  for (const Stream& s : streams) {
    if (disabled(s, ProfileKind::WebRtc)) {
      continue;
    }
    if (p.dtls && s.fingerprint && isWebRtcProto(s.m.proto)) {
      return {Keying::Dtls, 0, {}};
    }
    for (const Crypto& c : s.cryptos) {
      if (suiteSupported(p, c.suite)) {
        return {Keying::Sdes, c.tag, c.suite};
      }
    }
    if (s.fingerprint || !s.cryptos.empty()) {
      break;
    }
  }
  return {};
}

// What the offerer asked for on one m-line, and whether it can be carried at all: a
// protocol the offerer's side may use, a crypto suite it allows (SDES), and at least one real
// codec both sides' policies accept.
void describeOffered(const Stream& stream, const Profile& offererProfile,
                     const Profile& answererProfile, const BrowserKeying& keying,
                     Bridge::OffererSlot& offered) {
  offered.kind.assign(stream.m.kind);
  offered.proto.assign(stream.m.proto);
  offered.mid.assign(stream.mid);
  offered.setup.assign(stream.setup);
  offered.port =
      disabled(stream, offererProfile.kind) ? 0 : (stream.m.port != 0 ? stream.m.port : 9);
  offered.direction = effectiveDirection(stream, offererProfile.kind);
  offered.rtcpMux = stream.rtcpMux;
  offered.ptime = stream.ptime;
  offered.firstFormat.assign(stream.m.formats.substr(0, stream.m.formats.find(' ')));
  if (offered.port == 0) {
    return;
  }
  const bool browser = offererProfile.kind == ProfileKind::WebRtc;
  bool protoOk = browser ? isBrowserProto(stream.m.proto)
                         : (isPlainRtp(stream.m.proto) || isSavp(stream.m.proto));
  if (!protoOk) {
    return;
  }
  if (browser) {
    if (keying.keying == Keying::None) {
      return;
    }
    offered.keying = keying.keying;
    offered.cryptoTag = keying.tag;
    offered.cryptoSuite.assign(keying.suite);
  } else if (isSavp(stream.m.proto)) {
    for (const Crypto& c : stream.cryptos) {
      if (suiteSupported(offererProfile, c.suite)) {
        offered.cryptoTag = c.tag;
        offered.cryptoSuite.assign(c.suite);
        break;
      }
    }
    if (offered.cryptoSuite.empty()) {
      return;
    }
  }
  offered.codecs = filterCodecs(stream, policyFor(answererProfile, stream.m.kind));
  if (!answererProfile.transcodeCodecs.empty() && is(stream.m.kind, "audio")) {
    addTranscodable(stream, offererProfile, answererProfile, offered);
  }
  size_t real = 0;
  for (const Bridge::CodecEntry& c : offered.codecs) {
    real += isEvent(c.name) ? 0 : 1;
  }
  offered.eligible = real > 0 && !policyFor(offererProfile, stream.m.kind).empty();
}

// A mid for a new m-line toward a browser: its index, unless the browser already used that
// tag for another m-line.
std::string freshMid(const Slots& slots) {
  std::string mid;
  for (size_t n = slots.size(); n < slots.size() + kMaxMidTries; ++n) {
    mid = std::to_string(n);
    bool used = false;
    for (const Bridge::Slot& other : slots) {
      used = used || other.mid == mid;
    }
    if (!used) {
      break;
    }
  }
  return mid;
}

// Gives each media kind of the offer one m-line on the answering leg: existing links are
// kept; otherwise the preferred eligible candidate is linked to a new m-line there (for a
// dual m-line SRTP fallback offer, the one matching the offerer's SRTP policy).
void linkNewMLines(Slots& offererSlots, Slots& answererSlots,
                   const std::vector<Bridge::OffererSlot>& offered, const Profile& offererProfile,
                   const Profile& answererProfile) {
  auto score = [&](size_t k) {
    if (offererProfile.kind != ProfileKind::Trunk) {
      return 0;
    }
    return (offererProfile.srtp == SrtpMode::Sdes) == isSavp(offered[k].proto) ? 1 : 0;
  };
  const size_t n = offered.size();
  for (size_t i = 0; i < n; ++i) {
    if (!offered[i].eligible || offererSlots[i].peer >= 0) {
      continue;
    }
    bool kindTaken = false;
    for (size_t k = 0; k < n; ++k) {
      if (k != i && offererSlots[k].kind == offererSlots[i].kind && offererSlots[k].peer >= 0 &&
          offered[k].port != 0) {
        kindTaken = true;
      }
    }
    if (kindTaken) {
      continue;
    }
    size_t best = i;
    for (size_t k = i + 1; k < n; ++k) {
      if (offered[k].eligible && offererSlots[k].peer < 0 &&
          offererSlots[k].kind == offererSlots[i].kind && score(k) > score(best)) {
        best = k;
      }
    }
    Bridge::Slot linked;
    linked.kind = offererSlots[best].kind;
    linked.peer = static_cast<int>(best);
    if (answererProfile.kind == ProfileKind::WebRtc) {
      linked.mid = freshMid(answererSlots);
    }
    offererSlots[best].peer = static_cast<int>(answererSlots.size());
    if (answererProfile.kind == ProfileKind::Trunk && answererProfile.srtp == SrtpMode::Dual) {
      // RTP/SAVP first, its RTP/AVP twin right after; the answer keeps one of them.
      Bridge::Slot twin;
      twin.kind = linked.kind;
      twin.peer = linked.peer;
      twin.transport = kTransportAvp;
      linked.transport = kTransportSavp;
      linked.twin = static_cast<int>(answererSlots.size() + 1);
      answererSlots.push_back(std::move(linked));
      answererSlots.push_back(std::move(twin));
      continue;
    }
    answererSlots.push_back(std::move(linked));
  }
}

// Payload types on the target leg: what this pair negotiated before (so re-INVITEs keep PT
// continuity), else the offerer's number, else the first free dynamic one; never one twice.
void assignPayloadTypes(std::vector<Bridge::CodecEntry>& codecs,
                        const std::vector<PayloadMapping>& negotiated, bool fromA) {
  std::array<bool, 128> used{};
  for (Bridge::CodecEntry& c : codecs) {
    for (const PayloadMapping& m : negotiated) {
      if (detail::sameNameFold(m.encoding, c.name) && m.clockRate == c.clock) {
        uint8_t prev = fromA ? m.ptB : m.ptA;
        if (!used[prev]) {
          c.ptOut = prev;
        }
        break;
      }
    }
    if (used[c.ptOut]) {
      c.ptOut = c.pt;
    }
    for (uint8_t k = 96; used[c.ptOut] && k < 128; ++k) {
      c.ptOut = k;
    }
    used[c.ptOut] = true;
  }
}

}  // namespace

Result<std::string> Bridge::offer(Leg from, const Session& offer) {
  if (pending_.active) {
    return makeError(ErrorCode::OfferPending, 0, "an offer is already outstanding");
  }
  const Leg to = other(from);
  LegState& offerer = legs_[index(from)];
  LegState& answerer = legs_[index(to)];
  const Profile& offererProfile = *offerer.config.profile;
  const Profile& answererProfile = *answerer.config.profile;
  if (answerer.config.local.address.empty()) {
    return missing("no local media address");
  }
  std::span<const Stream> streams = extract(offer, &offererProfile, &answererProfile);
  std::string_view ufrag =
      offererProfile.kind == ProfileKind::WebRtc ? iceUfragOf(offer) : std::string_view{};
  if (Result<bool> r = checkReoffer(offerer.slots, streams); !r.ok()) {
    return r.error();
  }
  for (size_t i = offerer.slots.size(); i < streams.size(); ++i) {
    Slot s;
    s.kind.assign(streams[i].m.kind);
    offerer.slots.push_back(std::move(s));
  }

  Pending p;
  p.from = from;
  p.offerer.resize(streams.size());
  const BrowserKeying keying = offererProfile.kind == ProfileKind::WebRtc
                                   ? browserOfferKeying(streams, offererProfile)
                                   : BrowserKeying{};
  for (size_t i = 0; i < streams.size(); ++i) {
    describeOffered(streams[i], offererProfile, answererProfile, keying, p.offerer[i]);
    offerer.slots[i].mid.assign(streams[i].mid);
    offerer.slots[i].firstFormat = p.offerer[i].firstFormat;
  }
  linkNewMLines(offerer.slots, answerer.slots, p.offerer, offererProfile, answererProfile);

  // Target layout: every m-line the answering leg has ever seen, in order.
  p.target.resize(answerer.slots.size());
  // The mids point into answerer.slots, which does not change size from here on.
  std::vector<std::string_view>& bundle = bundleScratch();
  Out o(bodyScratch());
  std::vector<Emit>& emits = emitScratch(answerer.slots.size());
  size_t activeCount = 0;
  for (size_t j = 0; j < answerer.slots.size(); ++j) {
    Slot& y = answerer.slots[j];
    TargetSlot& t = p.target[j];
    Emit& e = emits[j];
    e.kind = y.kind;
    e.slot = j;
    int i = y.peer;
    bool active = i >= 0 && static_cast<size_t>(i) < streams.size() &&
                  p.offerer[static_cast<size_t>(i)].eligible;
    t.proto = slotProto(answererProfile, y);
    e.proto = t.proto;
    if (!active) {
      t.fromSlot = -1;
      e.active = false;
      e.firstFormat = y.firstFormat.empty() ? std::string_view("0") : y.firstFormat;
      e.mid = y.mid;
      continue;
    }
    ++activeCount;
    const Stream& stream = streams[static_cast<size_t>(i)];
    OffererSlot& offered = p.offerer[static_cast<size_t>(i)];
    t.fromSlot = i;
    if (offered.target >= 0 && y.transport == kTransportAvp) {
      // The RTP/AVP twin of a dual offer: the same codecs under the same numbers.
      offered.targetTwin = static_cast<int>(j);
      t.codecs = p.target[static_cast<size_t>(offered.target)].codecs;
    } else {
      offered.target = static_cast<int>(j);
      t.codecs = std::move(offered.codecs);
      const Slot& legASlot = from == Leg::A ? offerer.slots[static_cast<size_t>(i)] : y;
      assignPayloadTypes(t.codecs, legASlot.negotiated, from == Leg::A);
    }
    y.firstFormat = std::to_string(t.codecs.front().ptOut);
    e.active = true;
    e.codecs = &t.codecs;
    e.direction = offered.direction;
    e.ptime = stream.ptime;
    e.maxptime = stream.maxptime;
    e.mid = y.mid;
    e.setup = "actpass";
    e.rtcpMux = answererProfile.rtcpMux;
    e.cryptoTag = 1;
    e.cryptoSuite = answererProfile.sdesSuite;
    e.dtls = answererProfile.dtls;  // toward a browser: a=crypto always, a=fingerprint if enabled
    e.sdes = true;
    e.passFrom = &stream;
    if (answererProfile.kind == ProfileKind::WebRtc) {
      bundle.push_back(y.mid);
    }
  }
  if (activeCount == 0) {
    return makeError(ErrorCode::NoAcceptableMedia, 0,
                     "no m-line of the offer survives the codec and media policy");
  }
  emitSessionTail(o, answerer.config, bundle);
  for (const Emit& e : emits) {
    Result<bool> r = answererProfile.kind == ProfileKind::WebRtc
                         ? emitWebRtcMedia(o, answerer.config, e)
                         : emitTrunkMedia(o, answerer.config, e);
    if (!r.ok()) {
      return r.error();
    }
  }
  if (offererProfile.kind == ProfileKind::WebRtc && !ufrag.empty()) {
    offerer.prevRemoteUfrag = offerer.remoteUfrag;
    if (!offerer.remoteUfrag.empty() && ufrag != offerer.remoteUfrag) {
      offerer.iceRestart = true;
      offerer.ufragAtRestart = offerer.config.local.iceUfrag;
    }
    offerer.remoteUfrag.assign(ufrag);
  }
  p.active = true;
  pending_ = std::move(p);
  return finish(to, o.text());
}

namespace {

// How a browser answered Rampart's offer (which carried a=crypto tag 1, and a=fingerprint when
// the realm has DTLS on): None when the answer fits neither.
Keying browserAnswerKeying(const Stream& stream, const Profile& p) {
  if (!isBrowserProto(stream.m.proto)) {
    return Keying::None;
  }
  if (p.dtls && stream.fingerprint && isWebRtcProto(stream.m.proto)) {
    return Keying::Dtls;
  }
  for (const Crypto& c : stream.cryptos) {
    if (c.tag == 1 && c.suite == p.sdesSuite) {
      return Keying::Sdes;
    }
  }
  return Keying::None;
}

// Whether answered m-line `stream` is one to map back to the offerer (false: rejected, or
// not offered on), or an error when it breaks what was offered (type, protocol, SDES crypto).
// A browser's answer also says how it keys SRTP (@p keying).
Result<bool> answeredMLineCarried(const Stream& stream, const Bridge::TargetSlot& offeredHere,
                                  std::string_view slotKind, const Profile& answererProfile,
                                  Keying* keying) {
  if (stream.m.kind != slotKind) {
    return makeError(ErrorCode::AnswerMismatch, stream.lineNo, "answer changed the media type");
  }
  if (disabled(stream, answererProfile.kind) || offeredHere.fromSlot < 0) {
    return false;
  }
  if (answererProfile.kind == ProfileKind::WebRtc) {
    // Bundled m-lines after the first may leave the transport attributes out.
    *keying = browserAnswerKeying(stream, answererProfile);
    if (!isBrowserProto(stream.m.proto)) {
      return makeError(ErrorCode::AnswerMismatch, stream.lineNo,
                       "browser answer protocol " + std::string(stream.m.proto));
    }
    return true;
  }
  if (stream.m.proto != offeredHere.proto) {
    return makeError(ErrorCode::AnswerMismatch, stream.lineNo,
                     "answer protocol " + std::string(stream.m.proto) + " differs from offered " +
                         std::string(offeredHere.proto));
  }
  if (isSavp(offeredHere.proto)) {
    bool ok = false;
    for (const Crypto& c : stream.cryptos) {
      ok = ok || (c.tag == 1 && c.suite == answererProfile.sdesSuite);
    }
    if (!ok) {
      return makeError(ErrorCode::AnswerMismatch, stream.lineNo,
                       "RTP/SAVP answer without a matching a=crypto");
    }
  }
  return true;
}

// The offered codecs the answer accepted, each with the answerer's payload type in ptOut and
// the offerer's in pt; empty when no real codec (only telephone-event, say) is left.
std::vector<Bridge::CodecEntry> acceptedCodecs(const Stream& stream,
                                               const Bridge::TargetSlot& offeredHere) {
  const std::vector<Bridge::CodecEntry>& offered = offeredHere.codecs;
  std::vector<Bridge::CodecEntry> accepted;
  // Each offered codec is answered at most once: an answer that names one codec under two
  // payload types (found by the fuzzer) must not produce a repeated payload type. Indexed by
  // position: codecs Rampart added for transcoding have no payload type of the offerer's.
  std::vector<bool> taken(offered.size());
  for (const CodecView& c : stream.codecs) {
    // Same payload type first: an offer may carry one codec name several times (H.264
    // profiles, telephone-event rates); only a renumbering answerer needs the name match.
    size_t hit = offered.size();
    for (size_t k = 0; k < offered.size(); ++k) {
      if (c.pt == offered[k].ptOut && !taken[k] &&
          (c.name.empty() || sameCodec(c.name, c.clock, c.channels, offered[k]))) {
        hit = k;
        break;
      }
    }
    for (size_t k = 0; hit == offered.size() && k < offered.size(); ++k) {
      if (!c.name.empty() && !taken[k] && sameCodec(c.name, c.clock, c.channels, offered[k])) {
        hit = k;
      }
    }
    if (hit != offered.size()) {
      Bridge::CodecEntry e = offered[hit];
      taken[hit] = true;
      e.ptOut = c.pt;  // answerer's number; e.pt stays the offerer's
      accepted.push_back(std::move(e));
    }
  }
  size_t real = 0;
  for (const Bridge::CodecEntry& c : accepted) {
    real += isEvent(c.name) ? 0 : 1;
  }
  if (real == 0) {
    accepted.clear();
  }
  return accepted;
}

// The payload-type map of a linked pair, as leg A and leg B number each codec.
std::vector<PayloadMapping> payloadMap(const std::vector<Bridge::CodecEntry>& accepted,
                                       bool offererIsA) {
  std::vector<PayloadMapping> pm;
  for (const Bridge::CodecEntry& c : accepted) {
    PayloadMapping m;
    m.ptA = offererIsA ? c.pt : c.ptOut;
    m.ptB = offererIsA ? c.ptOut : c.pt;
    m.encoding = c.name;
    m.clockRate = c.clock;
    pm.push_back(std::move(m));
  }
  return pm;
}

// Our DTLS role in the answer to a browser: the opposite of a definite offer, else the
// profile's choice for actpass.
std::string_view dtlsSetupAnswer(std::string_view offeredSetup, const Profile& offererProfile) {
  if (offeredSetup == "active") {
    return "passive";
  }
  if (offeredSetup == "passive") {
    return "active";
  }
  return offererProfile.setupAnswer;
}

// The answering m-line linked to offered slot @p offered. For a dual offer toward a trunk the
// answer keeps one of the RTP/SAVP and RTP/AVP twins (SAVP when both were accepted); from then
// on only that one stays linked, and the other is re-offered with port 0.
int keepDualChoice(const Bridge::OffererSlot& offered, std::vector<Bridge::Slot>& answererSlots,
                   Bridge::Slot& offererSlot,
                   const std::vector<std::vector<Bridge::CodecEntry>>& accepted) {
  const int j = offered.target;
  const int twin = offered.targetTwin;
  if (j < 0 || twin < 0) {
    return j;
  }
  const bool savp = !accepted[static_cast<size_t>(j)].empty();
  const bool avp = !accepted[static_cast<size_t>(twin)].empty();
  if (!savp && !avp) {
    return j;  // rejected; both stay linked for the next offer
  }
  const int keep = savp ? j : twin;
  const int drop = savp ? twin : j;
  answererSlots[static_cast<size_t>(drop)].peer = -1;
  answererSlots[static_cast<size_t>(drop)].active = false;
  answererSlots[static_cast<size_t>(j)].twin = -1;
  offererSlot.peer = keep;
  return keep;
}

}  // namespace

Result<std::string> Bridge::answer(Leg from, const Session& answer) {
  if (!pending_.active || pending_.from == from) {
    return makeError(ErrorCode::NoPendingOffer, 0, "no offer is outstanding toward this leg");
  }
  const Leg to = pending_.from;
  LegState& answerer = legs_[index(from)];
  LegState& offerer = legs_[index(to)];
  if (offerer.iceRestart && offerer.config.local.iceUfrag == offerer.ufragAtRestart) {
    return makeError(ErrorCode::MissingLocalParameter, 0,
                     "the browser restarted ICE: set new ice ufrag/pwd for its leg first");
  }
  const Profile& offererProfile = *offerer.config.profile;
  const Profile& answererProfile = *answerer.config.profile;
  std::span<const Stream> streams = extract(answer);
  if (streams.size() != pending_.target.size()) {
    return makeError(ErrorCode::AnswerMismatch, 0,
                     "answer has " + std::to_string(streams.size()) + " m-lines, offer had " +
                         std::to_string(pending_.target.size()));
  }
  // Map each answered m-line back to the offerer's payload types.
  std::vector<std::vector<CodecEntry>> accepted(streams.size());
  std::vector<Direction> answeredDir(streams.size(), Direction::Inactive);
  Keying answerKeying = Keying::None;
  struct Transcoding {
    bool on = false;
    TranscodeSide offerer, answerer;
  };
  std::vector<Transcoding> xc(streams.size());
  for (size_t j = 0; j < streams.size(); ++j) {
    Keying k = Keying::None;
    Result<bool> carried = answeredMLineCarried(streams[j], pending_.target[j],
                                                answerer.slots[j].kind, answererProfile, &k);
    if (!carried.ok()) {
      return carried.error();
    }
    if (!carried.value()) {
      continue;
    }
    if (answerKeying == Keying::None) {
      answerKeying = k;  // one BUNDLE transport: the first m-line that says it
    }
    accepted[j] = acceptedCodecs(streams[j], pending_.target[j]);
    int from_slot = pending_.target[j].fromSlot;
    if (from_slot >= 0 && !accepted[j].empty()) {
      xc[j].on = settleTranscoding(accepted[j], pending_.offerer[static_cast<size_t>(from_slot)],
                                   streams[j], &xc[j].offerer, &xc[j].answerer);
    }
    if (!accepted[j].empty()) {
      answeredDir[j] = effectiveDirection(streams[j], answererProfile.kind);
    }
  }

  const bool anyAccepted = std::any_of(accepted.begin(), accepted.end(),
                                       [](const std::vector<CodecEntry>& c) { return !c.empty(); });
  if (answererProfile.kind == ProfileKind::WebRtc && anyAccepted && answerKeying == Keying::None) {
    return makeError(ErrorCode::AnswerMismatch, 0,
                     "browser answer has neither a usable a=fingerprint nor the offered a=crypto");
  }
  Out o(bodyScratch());
  std::vector<Emit>& emits = emitScratch(pending_.offerer.size());
  // The mids point into pending_.offerer, alive until the end of this function.
  std::vector<std::string_view>& bundle = bundleScratch();
  std::vector<std::vector<CodecEntry>> placeholders(pending_.offerer.size());
  mappings_.clear();
  Keying offerKeying = Keying::None;  // a browser offerer: its first answered m-line's
  for (size_t i = 0; i < pending_.offerer.size(); ++i) {
    OffererSlot& offered = pending_.offerer[i];
    Emit& e = emits[i];
    e.kind = offered.kind;
    e.proto = offered.proto;
    e.firstFormat = offered.firstFormat;
    e.mid = offered.mid;
    e.slot = i;
    e.useOutPt = false;
    int j = keepDualChoice(offered, answerer.slots, offerer.slots[i], accepted);
    bool ok = j >= 0 && !accepted[static_cast<size_t>(j)].empty();
    bool wasBundled = std::find(offerer.bundleMids.begin(), offerer.bundleMids.end(),
                                offered.mid) != offerer.bundleMids.end();
    if (ok) {
      size_t ju = static_cast<size_t>(j);
      Direction d = answeredDir[ju];
      // Our direction toward the offerer: what the answerer does, within what the offerer allows.
      e.direction = makeDirection(sends(d) && receives(offered.direction),
                                  receives(d) && sends(offered.direction));
      e.active = true;
      e.codecs = &accepted[ju];
      // Transcoding converts ptime: the offerer keeps its own.
      e.ptime = streams[ju].ptime != 0 && !xc[ju].on ? streams[ju].ptime : offered.ptime;
      e.maxptime = streams[ju].maxptime;
      e.passFrom = &streams[ju];
      answerer.slots[ju].active = true;
      // Record the negotiated payload map on the leg-A slot.
      std::vector<PayloadMapping> pm = payloadMap(accepted[ju], to == Leg::A);
      Slot& legASlot = to == Leg::A ? offerer.slots[i] : answerer.slots[ju];
      legASlot.negotiated = pm;
      StreamMapping sm;
      sm.kind = offered.kind;
      sm.slotA = static_cast<int>(to == Leg::A ? i : ju);
      sm.slotB = static_cast<int>(to == Leg::A ? ju : i);
      sm.active = true;
      sm.directionA = to == Leg::A ? e.direction : d;
      sm.payloads = std::move(pm);
      if (xc[ju].on) {
        sm.transcoded = true;
        sm.sideA = to == Leg::A ? xc[ju].offerer : xc[ju].answerer;
        sm.sideB = to == Leg::A ? xc[ju].answerer : xc[ju].offerer;
      }
      mappings_.push_back(std::move(sm));
    } else if (offererProfile.kind == ProfileKind::WebRtc && offered.port != 0 && wasBundled &&
               !(j >= 0 ? pending_.target[static_cast<size_t>(j)].codecs : offered.codecs)
                    .empty()) {
      // Chromium rejects an answer that removes a mid from an established BUNDLE group: keep
      // the m-line in the group, with no media flowing.
      placeholders[i].push_back(
          (j >= 0 ? pending_.target[static_cast<size_t>(j)].codecs : offered.codecs).front());
      e.active = true;
      e.codecs = &placeholders[i];
      e.direction = Direction::Inactive;
      if (j >= 0) {
        answerer.slots[static_cast<size_t>(j)].active = false;
      }
    } else {
      e.active = false;
      if (j >= 0) {
        answerer.slots[static_cast<size_t>(j)].active = false;
      }
    }
    offerer.slots[i].active = e.active;
    if (e.active && offererProfile.kind == ProfileKind::WebRtc) {
      bundle.push_back(offered.mid);
      e.setup = dtlsSetupAnswer(offered.setup, offererProfile);
      e.dtls = offered.keying == Keying::Dtls;
      e.sdes = offered.keying == Keying::Sdes;
      offerKeying = offerKeying == Keying::None ? offered.keying : offerKeying;
    }
    e.rtcpMux =
        offered.rtcpMux && (offererProfile.kind == ProfileKind::WebRtc || offererProfile.rtcpMux);
    e.cryptoTag = offered.cryptoTag;
    e.cryptoSuite = offered.cryptoSuite;
  }
  emitSessionTail(o, offerer.config, bundle);
  for (const Emit& e : emits) {
    Result<bool> r = offererProfile.kind == ProfileKind::WebRtc
                         ? emitWebRtcMedia(o, offerer.config, e)
                         : emitTrunkMedia(o, offerer.config, e);
    if (!r.ok()) {
      return r.error();
    }
  }
  if (offererProfile.kind == ProfileKind::WebRtc) {
    offerer.bundleMids.assign(bundle.begin(), bundle.end());
    offerer.iceRestart = false;
    offerer.keying = offerKeying;
  }
  if (answererProfile.kind == ProfileKind::WebRtc) {
    std::string_view u = iceUfragOf(answer);
    if (!u.empty()) {
      answerer.remoteUfrag.assign(u);
    }
    answerer.keying = answerKeying;
  }
  pending_.active = false;
  return finish(to, o.text());
}

}  // namespace rampart::sdp
