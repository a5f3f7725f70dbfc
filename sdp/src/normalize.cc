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
    offerer.remote_ufrag.swap(offerer.prev_remote_ufrag);
    offerer.ice_restart = false;
  }
  pending_.active = false;
}
Bridge::Bridge(Bridge&&) noexcept = default;
// NOLINTNEXTLINE(readability-identifier-naming): clang-tidy 14 checks the implicit array loop.
Bridge& Bridge::operator=(Bridge&&) noexcept = default;

size_t Bridge::slotCount(Leg leg) const noexcept { return legs_[index(leg)].slots.size(); }

namespace {

// A 64-bit hash of everything after o=: the version moves only when the SDP really changed
// (an identical session refresh keeps it). A collision would only skip one increment.
// Four independent scalar lanes keep the multiplies from forming one long dependency chain;
// the tail is one overlapping word rather than a byte-by-byte multiply chain.
uint64_t bodyHash(std::string_view body) {
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
  return h0 ^ (h1 * 3) ^ (h2 * 5) ^ (h3 * 7);
}

}  // namespace

std::string Bridge::finish(Leg to, std::string_view body) {
  LegState& ls = legs_[index(to)];
  const uint64_t hash = bodyHash(body);
  if (ls.version == 0 || hash != ls.last_body_hash) {
    ++ls.version;
    ls.last_body_hash = hash;
  }
  const LocalMedia& lm = ls.config.local;
  // "v=0" and "o=" go in front of the body: one exact-size allocation for the whole SDP.
  char num1[24];
  char num2[24];
  auto r1 = std::to_chars(num1, num1 + sizeof num1, lm.session_id);
  auto r2 = std::to_chars(num2, num2 + sizeof num2, ls.version);
  const std::string_view user = ls.config.profile->origin_user;
  const std::string_view at = addrType(lm.address);
  const std::string_view sess_id(num1, static_cast<size_t>(r1.ptr - num1));
  const std::string_view version(num2, static_cast<size_t>(r2.ptr - num2));
  // Written part by part (not from an array) so the literal copies compile to plain moves.
  auto header = [&](auto&& put) {
    put("v=0\r\no=");
    put(user);
    put(" ");
    put(sess_id);
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
      return makeError(ErrorCode::ReofferRemovedMedia, streams[i].line_no,
                       "re-offer changed the media type of an m-line");
    }
    if (!slots[i].mid.empty() && !streams[i].mid.empty() && streams[i].mid != slots[i].mid) {
      return makeError(ErrorCode::MidChanged, streams[i].line_no, "re-offer changed a mid");
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
void describeOffered(const Stream& stream, const Profile& offerer_profile,
                     const Profile& answerer_profile, const BrowserKeying& keying,
                     Bridge::OffererSlot& offered) {
  offered.kind.assign(stream.m.kind);
  offered.proto.assign(stream.m.proto);
  offered.mid.assign(stream.mid);
  offered.setup.assign(stream.setup);
  offered.port =
      disabled(stream, offerer_profile.kind) ? 0 : (stream.m.port != 0 ? stream.m.port : 9);
  offered.direction = effectiveDirection(stream, offerer_profile.kind);
  offered.rtcp_mux = stream.rtcp_mux;
  offered.ptime = stream.ptime;
  offered.first_format.assign(stream.m.formats.substr(0, stream.m.formats.find(' ')));
  if (offered.port == 0) {
    return;
  }
  const bool browser = offerer_profile.kind == ProfileKind::WebRtc;
  bool proto_ok = browser ? isBrowserProto(stream.m.proto)
                          : (isPlainRtp(stream.m.proto) || isSavp(stream.m.proto));
  if (!proto_ok) {
    return;
  }
  if (browser) {
    if (keying.keying == Keying::None) {
      return;
    }
    offered.keying = keying.keying;
    offered.crypto_tag = keying.tag;
    offered.crypto_suite.assign(keying.suite);
  } else if (isSavp(stream.m.proto)) {
    for (const Crypto& c : stream.cryptos) {
      if (suiteSupported(offerer_profile, c.suite)) {
        offered.crypto_tag = c.tag;
        offered.crypto_suite.assign(c.suite);
        break;
      }
    }
    if (offered.crypto_suite.empty()) {
      return;
    }
  }
  // Both realms' lists: a realm's `codecs` also bounds what its own endpoints may use, so a
  // realm kept to one codec gets that codec (transcoded when the other side lacks it).
  offered.codecs = filterCodecs(stream, policyFor(answerer_profile, stream.m.kind),
                                &policyFor(offerer_profile, stream.m.kind));
  if (!answerer_profile.transcode_codecs.empty() && is(stream.m.kind, "audio")) {
    addTranscodable(stream, offerer_profile, answerer_profile, offered);
  }
  size_t real = 0;
  for (const Bridge::CodecEntry& c : offered.codecs) {
    real += isEvent(c.name) ? 0 : 1;
  }
  offered.eligible = real > 0 && !policyFor(offerer_profile, stream.m.kind).empty();
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
void linkNewMLines(Slots& offerer_slots, Slots& answerer_slots,
                   const std::vector<Bridge::OffererSlot>& offered, const Profile& offerer_profile,
                   const Profile& answerer_profile) {
  auto score = [&](size_t k) {
    if (offerer_profile.kind != ProfileKind::Trunk) {
      return 0;
    }
    return (offerer_profile.srtp == SrtpMode::Sdes) == isSavp(offered[k].proto) ? 1 : 0;
  };
  const size_t n = offered.size();
  for (size_t i = 0; i < n; ++i) {
    if (!offered[i].eligible || offerer_slots[i].peer >= 0) {
      continue;
    }
    bool kind_taken = false;
    for (size_t k = 0; k < n; ++k) {
      if (k != i && offerer_slots[k].kind == offerer_slots[i].kind && offerer_slots[k].peer >= 0 &&
          offered[k].port != 0) {
        kind_taken = true;
      }
    }
    if (kind_taken) {
      continue;
    }
    size_t best = i;
    for (size_t k = i + 1; k < n; ++k) {
      if (offered[k].eligible && offerer_slots[k].peer < 0 &&
          offerer_slots[k].kind == offerer_slots[i].kind && score(k) > score(best)) {
        best = k;
      }
    }
    Bridge::Slot linked;
    linked.kind = offerer_slots[best].kind;
    linked.peer = static_cast<int>(best);
    if (answerer_profile.kind == ProfileKind::WebRtc) {
      linked.mid = freshMid(answerer_slots);
    }
    offerer_slots[best].peer = static_cast<int>(answerer_slots.size());
    if (answerer_profile.kind == ProfileKind::Trunk && answerer_profile.srtp == SrtpMode::Dual) {
      // RTP/SAVP first, its RTP/AVP twin right after; the answer keeps one of them.
      Bridge::Slot twin;
      twin.kind = linked.kind;
      twin.peer = linked.peer;
      twin.transport = kTransportAvp;
      linked.transport = kTransportSavp;
      linked.twin = static_cast<int>(answerer_slots.size() + 1);
      answerer_slots.push_back(std::move(linked));
      answerer_slots.push_back(std::move(twin));
      continue;
    }
    answerer_slots.push_back(std::move(linked));
  }
}

// Payload types on the target leg: what this pair negotiated before (so re-INVITEs keep PT
// continuity), else the offerer's number, else the first free dynamic one; never one twice.
void assignPayloadTypes(std::vector<Bridge::CodecEntry>& codecs,
                        const std::vector<PayloadMapping>& negotiated, bool from_a) {
  std::array<bool, 128> used{};
  for (Bridge::CodecEntry& c : codecs) {
    for (const PayloadMapping& m : negotiated) {
      if (detail::sameNameFold(m.encoding, c.name) && m.clock_rate == c.clock) {
        uint8_t prev = from_a ? m.pt_b : m.pt_a;
        if (!used[prev]) {
          c.pt_out = prev;
        }
        break;
      }
    }
    if (used[c.pt_out]) {
      c.pt_out = c.pt;
    }
    for (uint8_t k = 96; used[c.pt_out] && k < 128; ++k) {
      c.pt_out = k;
    }
    used[c.pt_out] = true;
  }
}

// Plans m-line @p j toward the answering leg: its codecs under their target numbers and what
// the writer emits. False when it goes out rejected (port 0).
bool planOfferedMLine(size_t j, Bridge::Slot& y, std::span<const Stream> streams,
                      std::vector<Bridge::OffererSlot>& offered_slots,
                      std::vector<Bridge::TargetSlot>& target, const Slots& offerer_slots,
                      bool from_a, const Profile& answerer_profile, Emit& e) {
  Bridge::TargetSlot& t = target[j];
  e.kind = y.kind;
  e.slot = j;
  const int i = y.peer;
  const bool active = i >= 0 && static_cast<size_t>(i) < streams.size() &&
                      offered_slots[static_cast<size_t>(i)].eligible;
  t.proto = slotProto(answerer_profile, y);
  e.proto = t.proto;
  if (!active) {
    t.from_slot = -1;
    e.active = false;
    e.first_format = y.first_format.empty() ? std::string_view("0") : y.first_format;
    e.mid = y.mid;
    return false;
  }
  const Stream& stream = streams[static_cast<size_t>(i)];
  Bridge::OffererSlot& offered = offered_slots[static_cast<size_t>(i)];
  t.from_slot = i;
  if (offered.target >= 0 && y.transport == kTransportAvp) {
    // The RTP/AVP twin of a dual offer: the same codecs under the same numbers.
    offered.target_twin = static_cast<int>(j);
    t.codecs = target[static_cast<size_t>(offered.target)].codecs;
  } else {
    offered.target = static_cast<int>(j);
    t.codecs = std::move(offered.codecs);
    const Bridge::Slot& leg_a_slot = from_a ? offerer_slots[static_cast<size_t>(i)] : y;
    assignPayloadTypes(t.codecs, leg_a_slot.negotiated, from_a);
  }
  y.first_format = std::to_string(t.codecs.front().pt_out);
  e.active = true;
  e.codecs = &t.codecs;
  e.direction = offered.direction;
  e.ptime = stream.ptime;
  e.maxptime = stream.maxptime;
  e.mid = y.mid;
  e.setup = "actpass";
  e.rtcp_mux = answerer_profile.rtcp_mux;
  e.crypto_tag = 1;
  e.crypto_suite = answerer_profile.sdes_suite;
  e.dtls = answerer_profile.dtls;  // toward a browser: a=crypto always, a=fingerprint if enabled
  e.sdes = true;
  e.pass_from = &stream;
  return true;
}

// The session tail and every m-line of one SDP toward @p leg, in the profile's style.
Result<bool> emitBody(Out& o, const LegConfig& leg, std::span<const Emit> emits,
                      std::span<const std::string_view> bundle) {
  emitSessionTail(o, leg, bundle);
  const bool webrtc = leg.profile->kind == ProfileKind::WebRtc;
  for (const Emit& e : emits) {
    Result<bool> r = webrtc ? emitWebRtcMedia(o, leg, e) : emitTrunkMedia(o, leg, e);
    if (!r.ok()) {
      return r.error();
    }
  }
  return true;
}

}  // namespace

// A browser offered with @p ufrag: a new one is an ICE restart, which answer() waits on.
void Bridge::noteBrowserUfrag(LegState& offerer, std::string_view ufrag) {
  offerer.prev_remote_ufrag = offerer.remote_ufrag;
  if (!offerer.remote_ufrag.empty() && ufrag != offerer.remote_ufrag) {
    offerer.ice_restart = true;
    offerer.ufrag_at_restart = offerer.config.local.ice_ufrag;
  }
  offerer.remote_ufrag.assign(ufrag);
}

Result<std::string> Bridge::offer(Leg from, const Session& offer) {
  if (pending_.active) {
    return makeError(ErrorCode::OfferPending, 0, "an offer is already outstanding");
  }
  const Leg to = other(from);
  LegState& offerer = legs_[index(from)];
  LegState& answerer = legs_[index(to)];
  const Profile& offerer_profile = *offerer.config.profile;
  const Profile& answerer_profile = *answerer.config.profile;
  if (answerer.config.local.address.empty()) {
    return missing("no local media address");
  }
  std::span<const Stream> streams = extract(offer, &offerer_profile, &answerer_profile);
  std::string_view ufrag =
      offerer_profile.kind == ProfileKind::WebRtc ? iceUfragOf(offer) : std::string_view{};
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
  const BrowserKeying keying = offerer_profile.kind == ProfileKind::WebRtc
                                   ? browserOfferKeying(streams, offerer_profile)
                                   : BrowserKeying{};
  for (size_t i = 0; i < streams.size(); ++i) {
    describeOffered(streams[i], offerer_profile, answerer_profile, keying, p.offerer[i]);
    offerer.slots[i].mid.assign(streams[i].mid);
    offerer.slots[i].first_format = p.offerer[i].first_format;
  }
  linkNewMLines(offerer.slots, answerer.slots, p.offerer, offerer_profile, answerer_profile);

  // Target layout: every m-line the answering leg has ever seen, in order.
  p.target.resize(answerer.slots.size());
  // The mids point into answerer.slots, which does not change size from here on.
  std::vector<std::string_view>& bundle = bundleScratch();
  Out o(bodyScratch());
  std::vector<Emit>& emits = emitScratch(answerer.slots.size());
  size_t active_count = 0;
  for (size_t j = 0; j < answerer.slots.size(); ++j) {
    Slot& y = answerer.slots[j];
    if (!planOfferedMLine(j, y, streams, p.offerer, p.target, offerer.slots, from == Leg::A,
                          answerer_profile, emits[j])) {
      continue;
    }
    ++active_count;
    if (answerer_profile.kind == ProfileKind::WebRtc) {
      bundle.push_back(y.mid);
    }
  }
  if (active_count == 0) {
    return makeError(ErrorCode::NoAcceptableMedia, 0,
                     "no m-line of the offer survives the codec and media policy");
  }
  if (Result<bool> r = emitBody(o, answerer.config, emits, bundle); !r.ok()) {
    return r.error();
  }
  if (offerer_profile.kind == ProfileKind::WebRtc && !ufrag.empty()) {
    noteBrowserUfrag(offerer, ufrag);
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
    if (c.tag == 1 && c.suite == p.sdes_suite) {
      return Keying::Sdes;
    }
  }
  return Keying::None;
}

// Whether answered m-line `stream` is one to map back to the offerer (false: rejected, or
// not offered on), or an error when it breaks what was offered (type, protocol, SDES crypto).
// A browser's answer also says how it keys SRTP (@p keying).
Result<bool> answeredMLineCarried(const Stream& stream, const Bridge::TargetSlot& offered_here,
                                  std::string_view slot_kind, const Profile& answerer_profile,
                                  Keying* keying) {
  if (stream.m.kind != slot_kind) {
    return makeError(ErrorCode::AnswerMismatch, stream.line_no, "answer changed the media type");
  }
  if (disabled(stream, answerer_profile.kind) || offered_here.from_slot < 0) {
    return false;
  }
  if (answerer_profile.kind == ProfileKind::WebRtc) {
    // Bundled m-lines after the first may leave the transport attributes out.
    *keying = browserAnswerKeying(stream, answerer_profile);
    if (!isBrowserProto(stream.m.proto)) {
      return makeError(ErrorCode::AnswerMismatch, stream.line_no,
                       "browser answer protocol " + std::string(stream.m.proto));
    }
    return true;
  }
  if (stream.m.proto != offered_here.proto) {
    return makeError(ErrorCode::AnswerMismatch, stream.line_no,
                     "answer protocol " + std::string(stream.m.proto) + " differs from offered " +
                         std::string(offered_here.proto));
  }
  if (isSavp(offered_here.proto)) {
    bool ok = false;
    for (const Crypto& c : stream.cryptos) {
      ok = ok || (c.tag == 1 && c.suite == answerer_profile.sdes_suite);
    }
    if (!ok) {
      return makeError(ErrorCode::AnswerMismatch, stream.line_no,
                       "RTP/SAVP answer without a matching a=crypto");
    }
  }
  return true;
}

// The offered codecs the answer accepted, each with the answerer's payload type in ptOut and
// the offerer's in pt; empty when no real codec (only telephone-event, say) is left.
std::vector<Bridge::CodecEntry> acceptedCodecs(const Stream& stream,
                                               const Bridge::TargetSlot& offered_here) {
  const std::vector<Bridge::CodecEntry>& offered = offered_here.codecs;
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
      if (c.pt == offered[k].pt_out && !taken[k] &&
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
      e.pt_out = c.pt;  // answerer's number; e.pt stays the offerer's
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
                                       bool offerer_is_a) {
  std::vector<PayloadMapping> pm;
  for (const Bridge::CodecEntry& c : accepted) {
    PayloadMapping m;
    m.pt_a = offerer_is_a ? c.pt : c.pt_out;
    m.pt_b = offerer_is_a ? c.pt_out : c.pt;
    m.encoding = c.name;
    m.clock_rate = c.clock;
    pm.push_back(std::move(m));
  }
  return pm;
}

// Our DTLS role in the answer to a browser: the opposite of a definite offer, else the
// profile's choice for actpass.
std::string_view dtlsSetupAnswer(std::string_view offered_setup, const Profile& offerer_profile) {
  if (offered_setup == "active") {
    return "passive";
  }
  if (offered_setup == "passive") {
    return "active";
  }
  return offerer_profile.setup_answer;
}

// The answering m-line linked to offered slot @p offered. For a dual offer toward a trunk the
// answer keeps one of the RTP/SAVP and RTP/AVP twins (SAVP when both were accepted); from then
// on only that one stays linked, and the other is re-offered with port 0.
int keepDualChoice(const Bridge::OffererSlot& offered, std::vector<Bridge::Slot>& answerer_slots,
                   Bridge::Slot& offerer_slot,
                   const std::vector<std::vector<Bridge::CodecEntry>>& accepted) {
  const int j = offered.target;
  const int twin = offered.target_twin;
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
  answerer_slots[static_cast<size_t>(drop)].peer = -1;
  answerer_slots[static_cast<size_t>(drop)].active = false;
  answerer_slots[static_cast<size_t>(j)].twin = -1;
  offerer_slot.peer = keep;
  return keep;
}

}  // namespace

namespace {

struct Transcoding {
  bool on = false;
  TranscodeSide offerer, answerer;
};

// What the answering leg's m-lines carried, by m-line index.
struct AnswerReading {
  std::vector<std::vector<Bridge::CodecEntry>> accepted;  // empty: rejected
  std::vector<Direction> dir;
  std::vector<Transcoding> xc;
  Keying keying = Keying::None;  // one BUNDLE transport: the first m-line that says it

  bool anyAccepted() const {
    return std::any_of(accepted.begin(), accepted.end(),
                       [](const std::vector<Bridge::CodecEntry>& c) { return !c.empty(); });
  }
};

// Maps each answered m-line back to the offerer's payload types, direction and transcoding.
Result<bool> readAnswer(std::span<const Stream> streams, std::vector<Bridge::TargetSlot>& target,
                        std::vector<Bridge::OffererSlot>& offered, const Slots& answerer_slots,
                        const Profile& answerer_profile, AnswerReading& r) {
  r.accepted.resize(streams.size());
  r.dir.assign(streams.size(), Direction::Inactive);
  r.xc.resize(streams.size());
  for (size_t j = 0; j < streams.size(); ++j) {
    Keying k = Keying::None;
    Result<bool> carried =
        answeredMLineCarried(streams[j], target[j], answerer_slots[j].kind, answerer_profile, &k);
    if (!carried.ok()) {
      return carried.error();
    }
    if (!carried.value()) {
      continue;
    }
    if (r.keying == Keying::None) {
      r.keying = k;
    }
    r.accepted[j] = acceptedCodecs(streams[j], target[j]);
    if (r.accepted[j].empty()) {
      continue;
    }
    const int from_slot = target[j].from_slot;
    if (from_slot >= 0) {
      r.xc[j].on = settleTranscoding(r.accepted[j], offered[static_cast<size_t>(from_slot)],
                                     streams[j], &r.xc[j].offerer, &r.xc[j].answerer);
    }
    r.dir[j] = effectiveDirection(streams[j], answerer_profile.kind);
  }
  return true;
}

}  // namespace

// One answer() in progress: turns offered m-line i into the m-line answered to the offerer.
struct Bridge::AnswerStep {
  Bridge& bridge;
  Leg to;
  LegState& offerer;
  LegState& answerer;
  std::span<const Stream> streams;
  AnswerReading& read;
  std::vector<std::vector<CodecEntry>>& placeholders;  // kept-in-BUNDLE m-lines' one codec
  std::vector<std::string_view>& bundle;  // point into pending_.offerer, alive through answer()
  Keying offer_keying = Keying::None;     // a browser offerer: its first answered m-line's

  void mLine(size_t i, Emit& e) {
    OffererSlot& offered = bridge.pending_.offerer[i];
    const Profile& offerer_profile = *offerer.config.profile;
    const bool webrtc = offerer_profile.kind == ProfileKind::WebRtc;
    e.kind = offered.kind;
    e.proto = offered.proto;
    e.first_format = offered.first_format;
    e.mid = offered.mid;
    e.slot = i;
    e.use_out_pt = false;
    const int j = keepDualChoice(offered, answerer.slots, offerer.slots[i], read.accepted);
    const bool was_bundled = std::find(offerer.bundle_mids.begin(), offerer.bundle_mids.end(),
                                       offered.mid) != offerer.bundle_mids.end();
    const std::vector<CodecEntry>& offered_codecs =
        j >= 0 ? bridge.pending_.target[static_cast<size_t>(j)].codecs : offered.codecs;
    if (j >= 0 && !read.accepted[static_cast<size_t>(j)].empty()) {
      accept(i, static_cast<size_t>(j), e);
    } else {
      if (j >= 0) {
        answerer.slots[static_cast<size_t>(j)].active = false;
      }
      // Chromium rejects an answer that removes a mid from an established BUNDLE group: keep
      // the m-line in the group, with no media flowing.
      e.active = webrtc && offered.port != 0 && was_bundled && !offered_codecs.empty();
      if (e.active) {
        placeholders[i].push_back(offered_codecs.front());
        e.codecs = &placeholders[i];
        e.direction = Direction::Inactive;
      }
    }
    offerer.slots[i].active = e.active;
    if (e.active && webrtc) {
      bundle.push_back(offered.mid);
      e.setup = dtlsSetupAnswer(offered.setup, offerer_profile);
      e.dtls = offered.keying == Keying::Dtls;
      e.sdes = offered.keying == Keying::Sdes;
      offer_keying = offer_keying == Keying::None ? offered.keying : offer_keying;
    }
    e.rtcp_mux = offered.rtcp_mux && (webrtc || offerer_profile.rtcp_mux);
    e.crypto_tag = offered.crypto_tag;
    e.crypto_suite = offered.crypto_suite;
  }

  // Offered m-line i was answered with codecs on answering m-line ju: link them and record
  // the negotiated payload map on the leg-A slot.
  void accept(size_t i, size_t ju, Emit& e) {
    const OffererSlot& offered = bridge.pending_.offerer[i];
    const Direction d = read.dir[ju];
    // Our direction toward the offerer: what the answerer does, within what the offerer allows.
    e.direction = makeDirection(sends(d) && receives(offered.direction),
                                receives(d) && sends(offered.direction));
    e.active = true;
    e.codecs = &read.accepted[ju];
    // Transcoding converts ptime: the offerer keeps its own.
    const Transcoding& xc = read.xc[ju];
    e.ptime = streams[ju].ptime != 0 && !xc.on ? streams[ju].ptime : offered.ptime;
    e.maxptime = streams[ju].maxptime;
    e.pass_from = &streams[ju];
    answerer.slots[ju].active = true;
    const bool to_a = to == Leg::A;
    std::vector<PayloadMapping> pm = payloadMap(read.accepted[ju], to_a);
    Slot& leg_a_slot = to_a ? offerer.slots[i] : answerer.slots[ju];
    leg_a_slot.negotiated = pm;
    StreamMapping sm;
    sm.kind = offered.kind;
    sm.slot_a = static_cast<int>(to_a ? i : ju);
    sm.slot_b = static_cast<int>(to_a ? ju : i);
    sm.active = true;
    sm.direction_a = to_a ? e.direction : d;
    sm.payloads = std::move(pm);
    if (xc.on) {
      sm.transcoded = true;
      sm.side_a = to_a ? xc.offerer : xc.answerer;
      sm.side_b = to_a ? xc.answerer : xc.offerer;
    }
    bridge.mappings_.push_back(std::move(sm));
  }
};

Result<std::string> Bridge::answer(Leg from, const Session& answer) {
  if (!pending_.active || pending_.from == from) {
    return makeError(ErrorCode::NoPendingOffer, 0, "no offer is outstanding toward this leg");
  }
  const Leg to = pending_.from;
  LegState& answerer = legs_[index(from)];
  LegState& offerer = legs_[index(to)];
  if (offerer.ice_restart && offerer.config.local.ice_ufrag == offerer.ufrag_at_restart) {
    return makeError(ErrorCode::MissingLocalParameter, 0,
                     "the browser restarted ICE: set new ice ufrag/pwd for its leg first");
  }
  const Profile& offerer_profile = *offerer.config.profile;
  const Profile& answerer_profile = *answerer.config.profile;
  std::span<const Stream> streams = extract(answer);
  if (streams.size() != pending_.target.size()) {
    return makeError(ErrorCode::AnswerMismatch, 0,
                     "answer has " + std::to_string(streams.size()) + " m-lines, offer had " +
                         std::to_string(pending_.target.size()));
  }
  AnswerReading read;
  if (Result<bool> r = readAnswer(streams, pending_.target, pending_.offerer, answerer.slots,
                                  answerer_profile, read);
      !r.ok()) {
    return r.error();
  }
  if (answerer_profile.kind == ProfileKind::WebRtc && read.anyAccepted() &&
      read.keying == Keying::None) {
    return makeError(ErrorCode::AnswerMismatch, 0,
                     "browser answer has neither a usable a=fingerprint nor the offered a=crypto");
  }
  Out o(bodyScratch());
  std::vector<Emit>& emits = emitScratch(pending_.offerer.size());
  std::vector<std::vector<CodecEntry>> placeholders(pending_.offerer.size());
  mappings_.clear();
  AnswerStep step{*this, to, offerer, answerer, streams, read, placeholders, bundleScratch()};
  for (size_t i = 0; i < pending_.offerer.size(); ++i) {
    step.mLine(i, emits[i]);
  }
  if (Result<bool> r = emitBody(o, offerer.config, emits, step.bundle); !r.ok()) {
    return r.error();
  }
  if (offerer_profile.kind == ProfileKind::WebRtc) {
    offerer.bundle_mids.assign(step.bundle.begin(), step.bundle.end());
    offerer.ice_restart = false;
    offerer.keying = step.offer_keying;
  }
  if (answerer_profile.kind == ProfileKind::WebRtc) {
    std::string_view u = iceUfragOf(answer);
    if (!u.empty()) {
      answerer.remote_ufrag.assign(u);
    }
    answerer.keying = read.keying;
  }
  pending_.active = false;
  return finish(to, o.text());
}

}  // namespace rampart::sdp
