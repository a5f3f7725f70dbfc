// What an SDP offers, read into the Bridge's Stream model (see bridge_model.h).
#include <algorithm>
#include <charconv>
#include <cstring>

#include "bridge_model.h"
#include "checked_split.h"

namespace rampart::sdp::detail {
namespace {

bool staticPayload(uint8_t pt, CodecView& c) {
  struct Entry {
    uint8_t pt;
    const char* name;
    uint32_t clock;
  };
  static constexpr Entry kTable[] = {{0, "PCMU", 8000},  {3, "GSM", 8000},   {4, "G723", 8000},
                                     {8, "PCMA", 8000},  {9, "G722", 8000},  {13, "CN", 8000},
                                     {18, "G729", 8000}, {34, "H263", 90000}};
  for (const Entry& e : kTable) {
    if (e.pt == pt) {
      c.name = e.name;
      c.clock = e.clock;
      return true;
    }
  }
  return false;
}

// Splits an a= value and names the attribute. The ones extract() reads most are recognised by
// their leading bytes (with the ':' for valued ones, the whole value for flags), without a scan
// for the ':' and a second look at the name; anything else takes the general split.
detail::AttrId classify(std::string_view v, detail::AttrSplit& out) noexcept {
  using detail::AttrId;
  AttrId id = AttrId::Other;
  // Each returns true and sets id/out on a match; the literal lengths are compile-time
  // constants, so every compare is a load or two.
  auto valued = [&]<size_t N>(const char(&lit)[N], AttrId known) {
    if (v.size() >= N - 1 && std::memcmp(v.data(), lit, N - 1) == 0) {
      out = detail::AttrSplit{v.substr(0, N - 2), v.substr(N - 1), true};
      id = known;
    }
    return id != AttrId::Other;
  };
  auto flag = [&]<size_t N>(const char(&lit)[N], AttrId known) {
    if (detail::is(v, lit)) {
      out = detail::AttrSplit{v, {}, false};
      id = known;
    }
    return id != AttrId::Other;
  };
  switch (v.empty() ? '\0' : v[0]) {
    case 'r':
      (void)(valued("rtpmap:", AttrId::Rtpmap) || valued("rtcp-fb:", AttrId::RtcpFb) ||
             flag("rtcp-mux", AttrId::RtcpMux) || flag("recvonly", AttrId::RecvOnly));
      break;
    case 'f': (void)valued("fmtp:", AttrId::Fmtp); break;
    case 'p': (void)valued("ptime:", AttrId::Ptime); break;
    case 'm': (void)(valued("mid:", AttrId::Mid) || valued("maxptime:", AttrId::Maxptime)); break;
    case 's':
      (void)(flag("sendrecv", AttrId::SendRecv) || valued("setup:", AttrId::Setup) ||
             valued("ssrc:", AttrId::Ssrc) || flag("sendonly", AttrId::SendOnly));
      break;
    case 'e': (void)valued("extmap:", AttrId::Extmap); break;
    case 'i': (void)flag("inactive", AttrId::Inactive); break;
    case 'c':
      (void)(valued("candidate:", AttrId::Candidate) || valued("crypto:", AttrId::Crypto));
      break;
    default: break;
  }
  if (id != AttrId::Other) {
    return id;
  }
  out = detail::splitAttr(v);
  return detail::attrId(out.name);
}

// Extracts the neutral view of every m-line. The Session was validated by the parser, so the
// typed parses here cannot fail; a failure would mean a hand-built Session and is skipped.
// With @p from and @p to set (offers), codecs and keys are extracted only for media kinds both
// policies allow: a browser's video section toward an audio-only trunk is 80% of the bytes of
// a Chrome offer and would be discarded anyway.
//
// The streams live in a per-thread pool that is reused by the next call: their codec and key
// lists keep their capacity, so a steady stream of offers and answers extracts without heap
// allocations. The span is valid until the next extract() on this thread.
}  // namespace

namespace {

// Direction and hold (c= 0.0.0.0) at session level: the defaults of every m-line.
void sessionDefaults(const Session& s, bool checked, Direction* dir, bool* hold,
                     bool* fingerprint) {
  for (const Line& l : s.sessionLines()) {
    if (l.type == 'a' && l.value.starts_with("fingerprint:")) {
      *fingerprint = true;
    } else if (l.type == 'a') {
      Direction d;
      if (parseDirection(l.value, d)) {
        *dir = d;
      }
    } else if (l.type == 'c' && checked) {
      *hold = isHoldAddress(connectionAddress(l.value));
    } else if (l.type == 'c') {
      Connection c;
      if (parseConnection(l.value, c).ok()) {
        *hold = isHoldAddress(c.address);
      }
    }
  }
}

// Resets a pooled Stream for m-line `mv` field by field: the codec and key lists keep their
// capacity, and no Stream-sized temporary is zero-filled and moved for every m-line.
void resetStream(Stream& st, const MediaView& mv, Direction dir, bool hold, bool fingerprint) {
  st.m = MediaLine{};
  st.mid = {};
  st.setup = {};
  st.direction = dir;
  st.hold_address = hold;
  st.rtcp_mux = false;
  st.bundle_only = false;
  st.fingerprint = fingerprint;
  st.ptime = 0;
  st.maxptime = 0;
  st.codecs.clear();
  st.cryptos.clear();
  st.view = mv;
  st.line_no = static_cast<int>(mv.firstLineIndex() + 1);
}

// One codec per RTP format of the m= line, named when the payload type is static.
void formatCodecs(Stream& st, bool checked) {
  forEachToken(st.m.formats, [&](std::string_view f) {
    CodecView c;
    uint64_t pt = 0;
    // The parser checked every RTP format of a validated Session to be 0-127.
    if (checked) {
      pt = checkedNumber(f);
    } else if (!parseUint(f, pt, 127)) {
      return;
    }
    c.pt = static_cast<uint8_t>(pt);
    staticPayload(c.pt, c);
    st.codecs.push_back(c);
  });
}

void applyRtpmap(Stream& st, std::string_view value, bool checked) {
  Rtpmap r;
  if (checked) {
    splitRtpmap(value, r);
  }
  if (checked || parseRtpmap(value, r).ok()) {
    for (CodecView& c : st.codecs) {
      if (c.pt == r.payload_type) {
        c.name = r.encoding;
        c.clock = r.clock_rate;
        c.channels = r.channels;
        c.explicit_channels = r.has_channels;
      }
    }
  }
}

void applyFmtp(Stream& st, std::string_view value) {
  Fmtp f;
  uint64_t pt = 0;
  if (parseFmtp(value, f).ok() && parseUint(f.format, pt, 127)) {
    for (CodecView& c : st.codecs) {
      if (c.pt == pt) {
        c.fmtp = f.params;
      }
    }
  }
}

void applyPtime(uint32_t& field, std::string_view value, bool checked) {
  if (checked) {
    field = splitPtime(value);
  } else {
    (void)parsePtime(value, field);  // a bad value leaves what parsePtime left
  }
}

// What one media-level line adds to the stream. `details`: codecs and keys matter (both
// sides' policies carry this media kind).
void applyMediaLine(Stream& st, const Line& l, bool checked, bool details) {
  using detail::AttrId;
  if (l.type == 'c') {
    Connection c;
    if (checked) {
      st.hold_address = isHoldAddress(connectionAddress(l.value));
    } else if (parseConnection(l.value, c).ok()) {
      st.hold_address = isHoldAddress(c.address);
    }
    return;
  }
  if (l.type != 'a') {
    return;
  }
  detail::AttrSplit a;
  const AttrId id = classify(l.value, a);
  if (!details &&
      (id == AttrId::Rtpmap || id == AttrId::Fmtp || id == AttrId::Crypto || id == AttrId::RtcpFb ||
       id == AttrId::Ssrc || id == AttrId::Extmap || id == AttrId::Candidate)) {
    return;
  }
  switch (id) {
    case AttrId::Rtpmap: applyRtpmap(st, a.value, checked); break;
    case AttrId::Fmtp: applyFmtp(st, a.value); break;
    case AttrId::Mid: st.mid = a.value; break;
    case AttrId::Setup: st.setup = a.value; break;
    case AttrId::RtcpMux: st.rtcp_mux = true; break;
    case AttrId::BundleOnly: st.bundle_only = true; break;
    case AttrId::Fingerprint: st.fingerprint = true; break;
    case AttrId::Ptime: applyPtime(st.ptime, a.value, checked); break;
    case AttrId::Maxptime: applyPtime(st.maxptime, a.value, checked); break;
    case AttrId::Crypto: {
      Crypto c;
      if (parseCrypto(a.value, c).ok()) {
        st.cryptos.push_back(c);
      }
      break;
    }
    case AttrId::SendRecv:
    case AttrId::SendOnly:
    case AttrId::RecvOnly:
    case AttrId::Inactive:
      if (!a.has_value) {
        st.direction = id == AttrId::SendRecv   ? Direction::SendRecv
                       : id == AttrId::SendOnly ? Direction::SendOnly
                       : id == AttrId::RecvOnly ? Direction::RecvOnly
                                                : Direction::Inactive;
      }
      break;
    default: break;
  }
}

}  // namespace

std::span<const Stream> extract(const Session& s, const Profile* from, const Profile* to) {
  thread_local std::vector<Stream> pool;
  const bool checked = s.validated();
  Direction session_dir = Direction::SendRecv;
  bool session_hold = false;
  bool session_fingerprint = false;
  sessionDefaults(s, checked, &session_dir, &session_hold, &session_fingerprint);
  for (size_t i = 0; i < s.mediaCount(); ++i) {
    MediaView mv = s.media(i);
    if (i == pool.size()) {
      pool.push_back(Stream{MediaLine{},
                            {},
                            {},
                            session_dir,
                            session_hold,
                            false,
                            false,
                            false,
                            0,
                            0,
                            {},
                            {},
                            mv,
                            0});
    }
    Stream& st = pool[i];
    resetStream(st, mv, session_dir, session_hold, session_fingerprint);
    if (checked) {
      splitMediaLine(mv.lines()[0].value, st.m);
    } else {
      (void)parseMediaLine(mv.lines()[0].value, st.m);
    }
    const bool details =
        from == nullptr || to == nullptr ||
        (!policyFor(*from, st.m.kind).empty() && !policyFor(*to, st.m.kind).empty());
    if (details && st.m.proto.find("RTP/") != std::string_view::npos) {
      formatCodecs(st, checked);
    }
    for (const Line& l : mv.lines().subspan(1)) {
      applyMediaLine(st, l, checked, details);
    }
  }
  return std::span<const Stream>(pool.data(), s.mediaCount());
}

// The browser's ICE username fragment: the first live m-line's, else the session-level one.
std::string_view iceUfragOf(const Session& s) {
  for (size_t i = 0; i < s.mediaCount(); ++i) {
    MediaView m = s.media(i);
    if (m.mediaLine().port == 0 && !m.hasAttribute("bundle-only")) {
      continue;
    }
    if (std::optional<std::string_view> u = m.attribute("ice-ufrag")) {
      return *u;
    }
    break;
  }
  if (const Line* l = s.findSessionAttribute("ice-ufrag")) {
    return splitAttribute(l->value).value;
  }
  return {};
}

// Direction after an RFC 2543 hold address: the peer does not want to receive. Only SIP
// trunks mean that; WebRTC endpoints put 0.0.0.0 in c= routinely and rely on ICE.
Direction effectiveDirection(const Stream& s, ProfileKind from) {
  if (!s.hold_address || from == ProfileKind::WebRtc) {
    return s.direction;
  }
  switch (s.direction) {
    case Direction::SendRecv:
    case Direction::SendOnly: return Direction::SendOnly;
    case Direction::RecvOnly:
    case Direction::Inactive: return Direction::Inactive;
  }
  return Direction::Inactive;
}

const std::vector<std::string>& policyFor(const Profile& p, std::string_view kind) {
  static const std::vector<std::string> kNone;
  if (detail::is(kind, "audio")) {
    return p.audio_codecs;
  }
  if (detail::is(kind, "video")) {
    return p.video_codecs;
  }
  return kNone;
}

// Suites we can answer with the key the control plane generated for the realm's suite: the
// realm suite itself, or an AES-CM-128 variant when that key has the same length (30 bytes).
bool suiteSupported(const Profile& p, std::string_view suite) {
  if (suite == p.sdes_suite) {
    return true;
  }
  bool cm128 = suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32";
  return cm128 && Crypto::keySaltBytes(p.sdes_suite) == Crypto::keySaltBytes(suite);
}

namespace {
bool inPolicy(const std::vector<std::string>* policy, std::string_view name) {
  if (policy == nullptr) {
    return true;
  }
  for (const std::string& p : *policy) {
    if (sameName(p, name)) {
      return true;
    }
  }
  return false;
}
}  // namespace

// Codecs of @p s allowed by @p policy (and by @p also when given), in policy order, events
// last and only at a kept clock.
std::vector<Bridge::CodecEntry> filterCodecs(const Stream& s,
                                             const std::vector<std::string>& policy,
                                             const std::vector<std::string>* also) {
  std::vector<Bridge::CodecEntry> out;
  out.reserve(s.codecs.size());
  bool want_events = false;
  for (const std::string& name : policy) {
    if (isEvent(name)) {
      want_events = inPolicy(also, name);
      continue;
    }
    if (!inPolicy(also, name)) {
      continue;
    }
    for (const CodecView& c : s.codecs) {
      if (!c.name.empty() && sameName(c.name, name)) {
        out.push_back(Bridge::CodecEntry{c.pt, c.pt, std::string(c.name), c.clock, c.channels,
                                         c.explicit_channels, std::string(c.fmtp)});
      }
    }
  }
  if (want_events && !out.empty()) {
    size_t kept = out.size();
    for (const CodecView& c : s.codecs) {
      if (!isEvent(c.name)) {
        continue;
      }
      bool clock_kept = false;
      for (size_t i = 0; i < kept; ++i) {
        clock_kept = clock_kept || out[i].clock == c.clock;
      }
      if (clock_kept) {
        out.push_back(Bridge::CodecEntry{c.pt, c.pt, std::string(c.name), c.clock, c.channels,
                                         c.explicit_channels, std::string(c.fmtp)});
      }
    }
  }
  return out;
}

}  // namespace rampart::sdp::detail
