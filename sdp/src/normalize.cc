#include <rampart/sdp/normalize.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <span>

#include "text.h"

namespace rampart::sdp {

// ---- private model --------------------------------------------------------------------------

struct Bridge::CodecEntry {
  uint8_t pt = 0;     // on the leg the SDP came from
  uint8_t ptOut = 0;  // on the leg it goes to (offers)
  std::string name;
  uint32_t clock = 0;
  uint16_t channels = 1;
  bool explicitChannels = false;
  std::string fmtp;
};

struct Bridge::Slot {
  std::string kind;
  std::string mid;
  std::string firstFormat;  // for port-0 re-emission
  int peer = -1;
  bool active = false;
  std::vector<PayloadMapping> negotiated;  // stored on leg A slots only
};

struct Bridge::OffererSlot {
  std::string kind, proto, mid, firstFormat, setup;
  uint16_t port = 0;
  Direction direction = Direction::SendRecv;
  bool rtcpMux = false;
  uint32_t ptime = 0;
  std::vector<CodecEntry> codecs;
  uint32_t cryptoTag = 0;  // chosen offered a=crypto (trunk SAVP), with its suite
  std::string cryptoSuite;
  int target = -1;
  bool eligible = false;
};

struct Bridge::TargetSlot {
  int fromSlot = -1;
  std::string_view proto;          // one of targetProto()'s literals
  std::vector<CodecEntry> codecs;  // pt = offerer's, ptOut = what we offered here
};

namespace {

struct CodecView {
  uint8_t pt = 0;
  std::string_view name;
  uint32_t clock = 0;
  uint16_t channels = 1;
  bool explicitChannels = false;
  std::string_view fmtp;
};

struct Stream {
  MediaLine m;
  std::string_view mid, setup;
  Direction direction = Direction::SendRecv;
  bool holdAddress = false;
  bool rtcpMux = false;
  bool bundleOnly = false;  // RFC 8843: port 0 + a=bundle-only is a live, bundled m-line
  uint32_t ptime = 0, maxptime = 0;
  std::vector<CodecView> codecs;
  std::vector<Crypto> cryptos;
  MediaView view;
  int lineNo = 0;
};

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

bool isHoldAddress(std::string_view a) { return a == "0.0.0.0" || a == "::"; }

// ---- splitting lines parse() has already checked -------------------------------------------
//
// A Session fresh from parse() had every m=, c= and a=rtpmap line checked by the typed parsers
// (single spaces between fields, numbers in range), so extract() only has to cut the fields
// out: that is a third of the work of checking them again. Edited sessions (validated() false)
// take the checking parsers.

// Decimal digits the parser has range-checked.
uint32_t checkedNumber(std::string_view s) noexcept {
  uint32_t v = 0;
  for (char c : s) {
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

// Cuts @p s at the first @p sep: returns the part before, leaves the rest (empty if none).
// Fields are a few bytes long: an inline scan beats a libc memchr call per field.
std::string_view cut(std::string_view& s, char sep) noexcept {
  size_t at = 0;
  while (at < s.size() && s[at] != sep) {
    ++at;
  }
  std::string_view head = s.substr(0, at);
  s = at == s.size() ? std::string_view{} : s.substr(at + 1);
  return head;
}

void splitMediaLine(std::string_view v, MediaLine& out) noexcept {
  out.kind = cut(v, ' ');
  std::string_view port = cut(v, ' ');
  out.proto = cut(v, ' ');
  out.formats = v;
  std::string_view count = port;
  out.port = static_cast<uint16_t>(checkedNumber(cut(count, '/')));
  out.hasPortCount = port.find('/') != std::string_view::npos;
  out.portCount = out.hasPortCount ? static_cast<uint16_t>(checkedNumber(count)) : 1;
}

// One pass over "<pt> <encoding>/<clock>[/<channels>]", numbers accumulated as they are read.
void splitRtpmap(std::string_view v, Rtpmap& out) noexcept {
  size_t i = 0;
  const size_t n = v.size();
  uint32_t pt = 0;
  for (; i < n && v[i] != ' '; ++i) {
    pt = pt * 10 + static_cast<uint32_t>(v[i] - '0');
  }
  size_t enc = ++i;
  while (i < n && v[i] != '/') {
    ++i;
  }
  out.encoding = v.substr(std::min(enc, n), i - std::min(enc, n));
  uint32_t clock = 0;
  for (++i; i < n && v[i] != '/'; ++i) {
    clock = clock * 10 + static_cast<uint32_t>(v[i] - '0');
  }
  out.payloadType = static_cast<uint8_t>(pt);
  out.clockRate = clock;
  out.hasChannels = i < n;
  out.channels = out.hasChannels ? static_cast<uint16_t>(checkedNumber(v.substr(i + 1))) : 1;
}

// a=ptime / a=maxptime value the parser checked: the whole milliseconds before any fraction.
uint32_t splitPtime(std::string_view v) noexcept {
  uint32_t ms = 0;
  for (size_t i = 0; i < v.size() && v[i] != '.'; ++i) {
    ms = ms * 10 + static_cast<uint32_t>(v[i] - '0');
  }
  return ms;
}

// The connection address without "/ttl/count".
std::string_view connectionAddress(std::string_view v) noexcept {
  cut(v, ' ');
  cut(v, ' ');
  return cut(v, '/');
}

const std::vector<std::string>& policyFor(const Profile& p, std::string_view kind);

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
    case 'f':
      (void)valued("fmtp:", AttrId::Fmtp);
      break;
    case 'p':
      (void)valued("ptime:", AttrId::Ptime);
      break;
    case 'm':
      (void)(valued("mid:", AttrId::Mid) || valued("maxptime:", AttrId::Maxptime));
      break;
    case 's':
      (void)(flag("sendrecv", AttrId::SendRecv) || valued("setup:", AttrId::Setup) ||
             valued("ssrc:", AttrId::Ssrc) || flag("sendonly", AttrId::SendOnly));
      break;
    case 'e':
      (void)valued("extmap:", AttrId::Extmap);
      break;
    case 'i':
      (void)flag("inactive", AttrId::Inactive);
      break;
    case 'c':
      (void)(valued("candidate:", AttrId::Candidate) || valued("crypto:", AttrId::Crypto));
      break;
    default:
      break;
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
std::span<const Stream> extract(const Session& s, const Profile* from = nullptr,
                                const Profile* to = nullptr) {
  thread_local std::vector<Stream> pool;
  const bool checked = s.validated();
  Direction sessionDir = Direction::SendRecv;
  bool sessionHold = false;
  for (const Line& l : s.sessionLines()) {
    if (l.type == 'a') {
      Direction d;
      if (parseDirection(l.value, d)) {
        sessionDir = d;
      }
    } else if (l.type == 'c' && checked) {
      sessionHold = isHoldAddress(connectionAddress(l.value));
    } else if (l.type == 'c') {
      Connection c;
      if (parseConnection(l.value, c) == nullptr) {
        sessionHold = isHoldAddress(c.address);
      }
    }
  }
  for (size_t i = 0; i < s.mediaCount(); ++i) {
    MediaView mv = s.media(i);
    if (i == pool.size()) {
      pool.push_back(
          Stream{MediaLine{}, {}, {}, sessionDir, sessionHold, false, false, 0, 0, {}, {}, mv, 0});
    }
    // Reset field by field: the codec and key lists keep their capacity, and no Stream-sized
    // temporary is zero-filled and moved for every m-line.
    Stream& st = pool[i];
    st.m = MediaLine{};
    st.mid = {};
    st.setup = {};
    st.direction = sessionDir;
    st.holdAddress = sessionHold;
    st.rtcpMux = false;
    st.bundleOnly = false;
    st.ptime = 0;
    st.maxptime = 0;
    st.codecs.clear();
    st.cryptos.clear();
    st.view = mv;
    st.lineNo = static_cast<int>(mv.firstLineIndex() + 1);
    if (checked) {
      splitMediaLine(mv.lines()[0].value, st.m);
    } else {
      (void)parseMediaLine(mv.lines()[0].value, st.m);
    }
    const bool details =
        from == nullptr || to == nullptr ||
        (!policyFor(*from, st.m.kind).empty() && !policyFor(*to, st.m.kind).empty());
    bool rtp = st.m.proto.find("RTP/") != std::string_view::npos;
    if (rtp && details) {
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
    using detail::AttrId;
    for (const Line& l : mv.lines().subspan(1)) {
      if (l.type == 'c' && checked) {
        st.holdAddress = isHoldAddress(connectionAddress(l.value));
        continue;
      }
      if (l.type == 'c') {
        Connection c;
        if (parseConnection(l.value, c) == nullptr) {
          st.holdAddress = isHoldAddress(c.address);
        }
        continue;
      }
      if (l.type != 'a') {
        continue;
      }
      detail::AttrSplit a;
      const AttrId id = classify(l.value, a);
      if (!details && (id == AttrId::Rtpmap || id == AttrId::Fmtp || id == AttrId::Crypto ||
                       id == AttrId::RtcpFb || id == AttrId::Ssrc || id == AttrId::Extmap ||
                       id == AttrId::Candidate)) {
        continue;
      }
      switch (id) {
        case AttrId::Rtpmap: {
          Rtpmap r;
          if (checked) {
            splitRtpmap(a.value, r);
          }
          if (checked || parseRtpmap(a.value, r) == nullptr) {
            for (CodecView& c : st.codecs) {
              if (c.pt == r.payloadType) {
                c.name = r.encoding;
                c.clock = r.clockRate;
                c.channels = r.channels;
                c.explicitChannels = r.hasChannels;
              }
            }
          }
          break;
        }
        case AttrId::Fmtp: {
          Fmtp f;
          if (parseFmtp(a.value, f) == nullptr) {
            uint64_t pt = 0;
            if (parseUint(f.format, pt, 127)) {
              for (CodecView& c : st.codecs) {
                if (c.pt == pt) {
                  c.fmtp = f.params;
                }
              }
            }
          }
          break;
        }
        case AttrId::Mid:
          st.mid = a.value;
          break;
        case AttrId::Setup:
          st.setup = a.value;
          break;
        case AttrId::RtcpMux:
          st.rtcpMux = true;
          break;
        case AttrId::BundleOnly:
          st.bundleOnly = true;
          break;
        case AttrId::Ptime:
          if (checked) {
            st.ptime = splitPtime(a.value);
          } else {
            (void)parsePtime(a.value, st.ptime);
          }
          break;
        case AttrId::Maxptime:
          if (checked) {
            st.maxptime = splitPtime(a.value);
          } else {
            (void)parsePtime(a.value, st.maxptime);
          }
          break;
        case AttrId::Crypto: {
          Crypto c;
          if (parseCrypto(a.value, c) == nullptr) {
            st.cryptos.push_back(c);
          }
          break;
        }
        case AttrId::SendRecv:
        case AttrId::SendOnly:
        case AttrId::RecvOnly:
        case AttrId::Inactive:
          if (!a.hasValue) {
            st.direction = id == AttrId::SendRecv   ? Direction::SendRecv
                           : id == AttrId::SendOnly ? Direction::SendOnly
                           : id == AttrId::RecvOnly ? Direction::RecvOnly
                                                    : Direction::Inactive;
          }
          break;
        default:
          break;
      }
    }
  }
  return std::span<const Stream>(pool.data(), s.mediaCount());
}

// Port 0 disables an m-line, except a bundle-only one from a browser.
bool disabled(const Stream& s, ProfileKind from) {
  return s.m.port == 0 && !(s.bundleOnly && from == ProfileKind::WebRtc);
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

using detail::is;
bool isWebRtcProto(std::string_view p) {
  return is(p, "UDP/TLS/RTP/SAVPF") || is(p, "UDP/TLS/RTP/SAVP") || is(p, "TCP/DTLS/RTP/SAVPF") ||
         is(p, "TCP/TLS/RTP/SAVPF");
}
bool isSavp(std::string_view p) { return is(p, "RTP/SAVP") || is(p, "RTP/SAVPF"); }
bool isPlainRtp(std::string_view p) { return is(p, "RTP/AVP") || is(p, "RTP/AVPF"); }
// Inline and length first: this runs for every policy name against every offered codec.
bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && detail::sameNameFold(a, b);
}
bool isEvent(std::string_view name) { return sameName(name, "telephone-event"); }

// Direction after an RFC 2543 hold address: the peer does not want to receive. Only SIP
// trunks mean that; WebRTC endpoints put 0.0.0.0 in c= routinely and rely on ICE.
Direction effectiveDirection(const Stream& s, ProfileKind from) {
  if (!s.holdAddress || from == ProfileKind::WebRtc) {
    return s.direction;
  }
  switch (s.direction) {
    case Direction::SendRecv:
    case Direction::SendOnly:
      return Direction::SendOnly;
    case Direction::RecvOnly:
    case Direction::Inactive:
      return Direction::Inactive;
  }
  return Direction::Inactive;
}

bool sends(Direction d) { return d == Direction::SendRecv || d == Direction::SendOnly; }
bool receives(Direction d) { return d == Direction::SendRecv || d == Direction::RecvOnly; }
Direction makeDirection(bool send, bool recv) {
  if (send && recv) {
    return Direction::SendRecv;
  }
  if (send) {
    return Direction::SendOnly;
  }
  return recv ? Direction::RecvOnly : Direction::Inactive;
}

const std::vector<std::string>& policyFor(const Profile& p, std::string_view kind) {
  static const std::vector<std::string> kNone;
  if (detail::is(kind, "audio")) {
    return p.audioCodecs;
  }
  if (detail::is(kind, "video")) {
    return p.videoCodecs;
  }
  return kNone;
}

// Suites we can answer with the key the control plane generated for the realm's suite: the
// realm suite itself, or an AES-CM-128 variant when that key has the same length (30 bytes).
bool suiteSupported(const Profile& p, std::string_view suite) {
  if (suite == p.sdesSuite) {
    return true;
  }
  bool cm128 = suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32";
  return cm128 && Crypto::keySaltBytes(p.sdesSuite) == Crypto::keySaltBytes(suite);
}

// Codecs of @p s allowed by @p policy, in policy order, events last and only at a kept clock.
std::vector<Bridge::CodecEntry> filterCodecs(const Stream& s,
                                             const std::vector<std::string>& policy) {
  std::vector<Bridge::CodecEntry> out;
  out.reserve(s.codecs.size());
  bool wantEvents = false;
  for (const std::string& name : policy) {
    if (isEvent(name)) {
      wantEvents = true;
      continue;
    }
    for (const CodecView& c : s.codecs) {
      if (!c.name.empty() && sameName(c.name, name)) {
        out.push_back(Bridge::CodecEntry{c.pt, c.pt, std::string(c.name), c.clock, c.channels,
                                         c.explicitChannels, std::string(c.fmtp)});
      }
    }
  }
  if (wantEvents && !out.empty()) {
    size_t kept = out.size();
    for (const CodecView& c : s.codecs) {
      if (!isEvent(c.name)) {
        continue;
      }
      bool clockKept = false;
      for (size_t i = 0; i < kept; ++i) {
        clockKept = clockKept || out[i].clock == c.clock;
      }
      if (clockKept) {
        out.push_back(Bridge::CodecEntry{c.pt, c.pt, std::string(c.name), c.clock, c.channels,
                                         c.explicitChannels, std::string(c.fmtp)});
      }
    }
  }
  return out;
}

bool sameCodec(std::string_view name, uint32_t clock, uint16_t channels,
               const Bridge::CodecEntry& e) {
  return detail::sameNameFold(name, e.name) && clock == e.clock && channels == e.channels;
}

// ---- text output ----------------------------------------------------------------------------

// Writes into a per-thread buffer that keeps its size between calls: no zero-filling on
// resize and no capacity check inside std::string::append for each of the ~100 small appends.
// finish() copies the result once into the exact-size string it returns.
class Out {
 public:
  // The body starts kHeaderRoom bytes into the buffer: finish() writes "v=0" and o= in front
  // of it, so the whole SDP is copied out in one piece.
  static constexpr size_t kHeaderRoom = 256;
  explicit Out(std::string& buf) : s_(buf) {
    if (s_.size() < kHeaderRoom + kInitial) {
      s_.resize(kHeaderRoom + kInitial);
    }
    cur_ = s_.data() + kHeaderRoom;
    end_ = s_.data() + s_.size();
  }
  // Appends every part after one room check. Always inlined: with a literal the copy becomes a
  // few moves instead of a memcpy call. The write position stays in a local: every store
  // through a char* may alias cur_, which would force a reload of it after each part.
  template <typename... Parts>
  [[gnu::always_inline]] Out& put(const Parts&... parts) {
    room((view(parts).size() + ...));
    char* p = cur_;
    ((p = copy(p, view(parts))), ...);
    cur_ = p;
    return *this;
  }
  [[gnu::always_inline]] Out& num(uint64_t v) {
    constexpr size_t kMaxDigits = 20;
    room(kMaxDigits);
    // Payload types, clock rates, ptimes and ports: up to five digits, two at a time from a
    // table, without a to_chars call.
    if (v < 100000) {
      auto n = static_cast<uint32_t>(v);
      if (n < 10) {
        *cur_++ = static_cast<char>('0' + n);
      } else if (n < 100) {
        pair(n);
      } else if (n < 1000) {
        *cur_++ = static_cast<char>('0' + n / 100);
        pair(n % 100);
      } else if (n < 10000) {
        pair(n / 100);
        pair(n % 100);
      } else {
        *cur_++ = static_cast<char>('0' + n / 10000);
        pair(n / 100 % 100);
        pair(n % 100);
      }
      return *this;
    }
    cur_ = std::to_chars(cur_, cur_ + kMaxDigits, v).ptr;
    return *this;
  }
  /// What was written; valid until the buffer is used again.
  std::string_view text() const {
    return {s_.data() + kHeaderRoom, static_cast<size_t>(cur_ - s_.data()) - kHeaderRoom};
  }

 private:
  // Typical output is 0.5-2 KiB.
  static constexpr size_t kInitial = 4096;
  [[gnu::always_inline]] static std::string_view view(std::string_view v) { return v; }
  [[gnu::always_inline]] static std::string_view view(const char& c) { return {&c, 1}; }
  // Most runtime-length parts (mids, codec names, addresses) are under 17 bytes: two
  // overlapping loads and stores instead of a memcpy call each.
  [[gnu::always_inline]] static char* copy(char* p, std::string_view v) {
    const size_t n = v.size();
    const char* s = v.data();
    if (__builtin_constant_p(n) || n > 16) {
      std::memcpy(p, s, n);
    } else if (n >= 8) {
      overlap<uint64_t>(p, s, n);
    } else if (n >= 4) {
      overlap<uint32_t>(p, s, n);
    } else if (n > 0) {
      p[0] = s[0];
      p[n / 2] = s[n / 2];
      p[n - 1] = s[n - 1];
    }
    return p + n;
  }
  template <typename W>
  [[gnu::always_inline]] static void overlap(char* p, const char* s, size_t n) {
    W head;
    W tail;
    std::memcpy(&head, s, sizeof(W));
    std::memcpy(&tail, s + n - sizeof(W), sizeof(W));
    std::memcpy(p, &head, sizeof(W));
    std::memcpy(p + n - sizeof(W), &tail, sizeof(W));
  }
  // Two decimal digits of @p n (< 100).
  void pair(uint32_t n) {
    static constexpr char kDigits[] =
        "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243"
        "4445464748495051525354555657585960616263646566676869707172737475767778798081828384858687"
        "888990919293949596979899";
    std::memcpy(cur_, kDigits + 2 * n, 2);
    cur_ += 2;
  }
  // Inline check, out-of-line growth: the buffer only grows for the largest SDPs.
  [[gnu::always_inline]] void room(size_t n) {
    if (static_cast<size_t>(end_ - cur_) < n) [[unlikely]] {
      grow(n);
    }
  }
  [[gnu::noinline]] void grow(size_t n) {
    size_t len = static_cast<size_t>(cur_ - s_.data());
    s_.resize(std::max(s_.size() * 2, len + n));
    cur_ = s_.data() + len;
    end_ = s_.data() + s_.size();
  }
  std::string& s_;
  char* cur_ = nullptr;
  char* end_ = nullptr;
};

// The per-thread output buffer; offer() and answer() never nest.
std::string& bodyScratch() {
  thread_local std::string buf;
  return buf;
}

std::string_view addrType(std::string_view address) {
  return address.find(':') != std::string_view::npos ? "IP6" : "IP4";
}

void putRtpmap(Out& o, const Bridge::CodecEntry& c, uint8_t pt) {
  o.put("a=rtpmap:").num(pt).put(' ', c.name, '/').num(c.clock);
  if (c.explicitChannels || c.channels != 1) {
    o.put('/').num(c.channels);
  }
  o.put("\r\n");
  if (!c.fmtp.empty()) {
    o.put("a=fmtp:").num(pt).put(' ', c.fmtp, "\r\n");
  }
}

Error missing(const char* what) { return makeError(ErrorCode::MissingLocalParameter, 0, what); }

uint16_t rtcpPort(const PortPair& p) {
  return p.rtcp != 0 ? p.rtcp : static_cast<uint16_t>(p.rtp + 1);
}

// What one emitted m-line needs; shared by offers and answers.
struct Emit {
  std::string_view kind, proto, firstFormat, mid, setup;
  bool active = false;
  Direction direction = Direction::SendRecv;
  const std::vector<Bridge::CodecEntry>* codecs = nullptr;
  bool useOutPt = true;  // offers use ptOut, answers pt
  uint32_t ptime = 0, maxptime = 0;
  bool rtcpMux = false;
  uint32_t cryptoTag = 0;
  std::string_view cryptoSuite;
  const Stream* passFrom = nullptr;  // source of allow-listed attributes
  size_t slot = 0;
};

Result<bool> emitTrunkMedia(Out& o, const LegConfig& leg, const Emit& e) {
  if (!e.active) {
    o.put("m=", e.kind, " 0 ", e.proto, ' ', e.firstFormat, "\r\n");
    return true;
  }
  if (e.slot >= leg.local.ports.size() || leg.local.ports[e.slot].rtp == 0) {
    return missing("no RTP port for a trunk m-line");
  }
  const PortPair& pp = leg.local.ports[e.slot];
  o.put("m=", e.kind, ' ').num(pp.rtp).put(' ', e.proto);
  for (const Bridge::CodecEntry& c : *e.codecs) {
    o.put(' ').num(e.useOutPt ? c.ptOut : c.pt);
  }
  o.put("\r\n");
  for (const Bridge::CodecEntry& c : *e.codecs) {
    putRtpmap(o, c, e.useOutPt ? c.ptOut : c.pt);
  }
  uint32_t ptime = leg.profile->ptime != 0 ? leg.profile->ptime : e.ptime;
  if (ptime != 0 && detail::is(e.kind, "audio")) {
    o.put("a=ptime:").num(ptime).put("\r\n");
  }
  if (e.maxptime != 0) {
    o.put("a=maxptime:").num(e.maxptime).put("\r\n");
  }
  if (e.rtcpMux) {
    o.put("a=rtcp-mux\r\n");
  } else {
    o.put("a=rtcp:").num(rtcpPort(pp)).put("\r\n");
  }
  if (isSavp(e.proto)) {
    if (e.slot >= leg.local.sdesKeys.size() || leg.local.sdesKeys[e.slot].empty()) {
      return missing("no SDES key for an RTP/SAVP m-line");
    }
    o.put("a=crypto:").num(e.cryptoTag).put(' ', e.cryptoSuite, " inline:");
    o.put(leg.local.sdesKeys[e.slot], "\r\n");
  }
  o.put("a=", directionName(e.direction), "\r\n");
  if (e.passFrom != nullptr && !leg.profile->allowAttributes.empty()) {
    for (const Line& l : e.passFrom->view.lines().subspan(1)) {
      if (l.type != 'a') {
        continue;
      }
      std::string_view name = splitAttribute(l.value).name;
      for (const std::string& allowed : leg.profile->allowAttributes) {
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
    o.put("m=", e.kind, " 0 ", e.proto, ' ', e.firstFormat, "\r\n");
    o.put("c=IN ", at, ' ', lm.address, "\r\n");
    if (!e.mid.empty()) {
      o.put("a=mid:", e.mid, "\r\n");
    }
    return true;
  }
  if (lm.ports.empty() || lm.ports[0].rtp == 0) {
    return missing("no port for the WebRTC BUNDLE transport");
  }
  if (lm.iceUfrag.empty() || lm.icePwd.empty() || lm.fingerprint.empty()) {
    return missing("WebRTC needs ice ufrag, ice pwd and a DTLS fingerprint");
  }
  uint16_t port = lm.ports[0].rtp;
  o.put("m=", e.kind, ' ').num(port).put(' ', e.proto);
  for (const Bridge::CodecEntry& c : *e.codecs) {
    o.put(' ').num(e.useOutPt ? c.ptOut : c.pt);
  }
  o.put("\r\n");
  o.put("c=IN ", at, ' ', lm.address, "\r\n");
  o.put("a=mid:", e.mid, "\r\n");
  o.put("a=ice-ufrag:", lm.iceUfrag, "\r\n");
  o.put("a=ice-pwd:", lm.icePwd, "\r\n");
  o.put("a=fingerprint:sha-256 ", lm.fingerprint, "\r\n");
  o.put("a=setup:", e.setup, "\r\n");
  o.put("a=", directionName(e.direction), "\r\n");
  o.put("a=rtcp-mux\r\n");
  for (const Bridge::CodecEntry& c : *e.codecs) {
    putRtpmap(o, c, e.useOutPt ? c.ptOut : c.pt);
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
  o.put("s=", leg.profile->sessionName, "\r\n");
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

// Per-thread scratch for the plan of one emitted SDP (m-lines, BUNDLE mids): reused, so
// building an offer or answer does not allocate them afresh. offer() and answer() never nest.
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
    return "UDP/TLS/RTP/SAVPF";
  }
  (void)kind;
  return p.srtp == SrtpMode::Sdes ? "RTP/SAVP" : "RTP/AVP";
}

}  // namespace

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

Result<std::string> Bridge::offer(Leg from, const Session& offer) {
  if (pending_.active) {
    return makeError(ErrorCode::OfferPending, 0, "an offer is already outstanding");
  }
  const Leg to = other(from);
  LegState& xs = legs_[index(from)];
  LegState& ys = legs_[index(to)];
  const Profile& px = *xs.config.profile;
  const Profile& py = *ys.config.profile;
  if (ys.config.local.address.empty()) {
    return missing("no local media address");
  }
  std::span<const Stream> streams = extract(offer, &px, &py);
  std::string_view ufrag = px.kind == ProfileKind::WebRtc ? iceUfragOf(offer) : std::string_view{};
  if (streams.size() < xs.slots.size()) {
    return makeError(ErrorCode::ReofferRemovedMedia, 0, "re-offer has fewer m-lines");
  }
  for (size_t i = 0; i < xs.slots.size(); ++i) {
    if (streams[i].m.kind != xs.slots[i].kind) {
      return makeError(ErrorCode::ReofferRemovedMedia, streams[i].lineNo,
                       "re-offer changed the media type of an m-line");
    }
    if (!xs.slots[i].mid.empty() && !streams[i].mid.empty() && streams[i].mid != xs.slots[i].mid) {
      return makeError(ErrorCode::MidChanged, streams[i].lineNo, "re-offer changed a mid");
    }
  }
  for (size_t i = xs.slots.size(); i < streams.size(); ++i) {
    Slot s;
    s.kind.assign(streams[i].m.kind);
    xs.slots.push_back(std::move(s));
  }

  Pending p;
  p.from = from;
  p.offerer.resize(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    const Stream& st = streams[i];
    OffererSlot& os = p.offerer[i];
    os.kind.assign(st.m.kind);
    os.proto.assign(st.m.proto);
    os.mid.assign(st.mid);
    os.setup.assign(st.setup);
    os.port = disabled(st, px.kind) ? 0 : (st.m.port != 0 ? st.m.port : 9);
    os.direction = effectiveDirection(st, px.kind);
    os.rtcpMux = st.rtcpMux;
    os.ptime = st.ptime;
    size_t sp = st.m.formats.find(' ');
    os.firstFormat.assign(st.m.formats.substr(0, sp));
    xs.slots[i].mid.assign(st.mid);
    xs.slots[i].firstFormat = os.firstFormat;
    if (os.port == 0) {
      continue;
    }
    // Can we answer this m-line to the offerer at all?
    bool protoOk = px.kind == ProfileKind::WebRtc ? isWebRtcProto(st.m.proto)
                                                  : (isPlainRtp(st.m.proto) || isSavp(st.m.proto));
    if (!protoOk) {
      continue;
    }
    if (isSavp(st.m.proto)) {
      for (const Crypto& c : st.cryptos) {
        if (suiteSupported(px, c.suite)) {
          os.cryptoTag = c.tag;
          os.cryptoSuite.assign(c.suite);
          break;
        }
      }
      if (os.cryptoSuite.empty()) {
        continue;
      }
    }
    os.codecs = filterCodecs(st, policyFor(py, st.m.kind));
    size_t real = 0;
    for (const CodecEntry& c : os.codecs) {
      real += isEvent(c.name) ? 0 : 1;
    }
    os.eligible = real > 0 && !policyFor(px, st.m.kind).empty();
  }

  // One m-line per media kind: keep existing links, otherwise pick the preferred candidate
  // (for a dual m-line SRTP fallback offer, the one matching the offerer's SRTP policy).
  for (size_t i = 0; i < streams.size(); ++i) {
    if (!p.offerer[i].eligible || xs.slots[i].peer >= 0) {
      continue;
    }
    bool kindTaken = false;
    for (size_t k = 0; k < streams.size(); ++k) {
      if (k != i && xs.slots[k].kind == xs.slots[i].kind && xs.slots[k].peer >= 0 &&
          p.offerer[k].port != 0) {
        kindTaken = true;
      }
    }
    if (kindTaken) {
      continue;
    }
    size_t best = i;
    auto score = [&](size_t k) {
      if (px.kind != ProfileKind::Trunk) {
        return 0;
      }
      bool savp = isSavp(streams[k].m.proto);
      return (px.srtp == SrtpMode::Sdes) == savp ? 1 : 0;
    };
    for (size_t k = i + 1; k < streams.size(); ++k) {
      if (p.offerer[k].eligible && xs.slots[k].peer < 0 && xs.slots[k].kind == xs.slots[i].kind &&
          score(k) > score(best)) {
        best = k;
      }
    }
    Slot y;
    y.kind = xs.slots[best].kind;
    y.peer = static_cast<int>(best);
    if (py.kind == ProfileKind::WebRtc) {
      // The m-line index, unless the browser already used that tag for another m-line.
      for (size_t n = ys.slots.size(); n < ys.slots.size() + kMaxMidTries; ++n) {
        y.mid = std::to_string(n);
        bool used = false;
        for (const Slot& other : ys.slots) {
          used = used || other.mid == y.mid;
        }
        if (!used) {
          break;
        }
      }
    }
    xs.slots[best].peer = static_cast<int>(ys.slots.size());
    ys.slots.push_back(std::move(y));
  }

  // Target layout: every m-line the answering leg has ever seen, in order.
  p.target.resize(ys.slots.size());
  // The mids point into ys.slots, which does not change size from here on.
  std::vector<std::string_view>& bundle = bundleScratch();
  Out o(bodyScratch());
  std::vector<Emit>& emits = emitScratch(ys.slots.size());
  size_t activeCount = 0;
  for (size_t j = 0; j < ys.slots.size(); ++j) {
    Slot& y = ys.slots[j];
    TargetSlot& t = p.target[j];
    Emit& e = emits[j];
    e.kind = y.kind;
    e.slot = j;
    int i = y.peer;
    bool active = i >= 0 && static_cast<size_t>(i) < streams.size() &&
                  p.offerer[static_cast<size_t>(i)].eligible;
    t.proto = targetProto(py, y.kind);
    e.proto = t.proto;
    if (!active) {
      t.fromSlot = -1;
      e.active = false;
      e.firstFormat = y.firstFormat.empty() ? std::string_view("0") : y.firstFormat;
      e.mid = y.mid;
      continue;
    }
    ++activeCount;
    const Stream& st = streams[static_cast<size_t>(i)];
    OffererSlot& os = p.offerer[static_cast<size_t>(i)];
    os.target = static_cast<int>(j);
    t.fromSlot = i;
    t.codecs = std::move(os.codecs);
    // Payload types on the target leg: reuse what this pair negotiated before, so re-INVITEs
    // keep PT continuity; otherwise keep the offerer's number.
    const Slot& aSlot = from == Leg::A ? xs.slots[static_cast<size_t>(i)] : y;
    std::array<bool, 128> used{};
    for (CodecEntry& c : t.codecs) {
      for (const PayloadMapping& m : aSlot.negotiated) {
        if (detail::sameNameFold(m.encoding, c.name) && m.clockRate == c.clock) {
          uint8_t prev = from == Leg::A ? m.ptB : m.ptA;
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
    y.firstFormat = std::to_string(t.codecs.front().ptOut);
    e.active = true;
    e.codecs = &t.codecs;
    e.direction = os.direction;
    e.ptime = st.ptime;
    e.maxptime = st.maxptime;
    e.mid = y.mid;
    e.setup = "actpass";
    e.rtcpMux = py.rtcpMux;
    e.cryptoTag = 1;
    e.cryptoSuite = py.sdesSuite;
    e.passFrom = &st;
    if (py.kind == ProfileKind::WebRtc) {
      bundle.push_back(y.mid);
    }
  }
  if (activeCount == 0) {
    return makeError(ErrorCode::NoAcceptableMedia, 0,
                     "no m-line of the offer survives the codec and media policy");
  }
  emitSessionTail(o, ys.config, bundle);
  for (const Emit& e : emits) {
    Result<bool> r = py.kind == ProfileKind::WebRtc ? emitWebRtcMedia(o, ys.config, e)
                                                    : emitTrunkMedia(o, ys.config, e);
    if (!r.ok()) {
      return r.error();
    }
  }
  if (px.kind == ProfileKind::WebRtc && !ufrag.empty()) {
    xs.prevRemoteUfrag = xs.remoteUfrag;
    if (!xs.remoteUfrag.empty() && ufrag != xs.remoteUfrag) {
      xs.iceRestart = true;
      xs.ufragAtRestart = xs.config.local.iceUfrag;
    }
    xs.remoteUfrag.assign(ufrag);
  }
  p.active = true;
  pending_ = std::move(p);
  return finish(to, o.text());
}

Result<std::string> Bridge::answer(Leg from, const Session& answer) {
  if (!pending_.active || pending_.from == from) {
    return makeError(ErrorCode::NoPendingOffer, 0, "no offer is outstanding toward this leg");
  }
  const Leg to = pending_.from;
  {
    const LegState& offerer = legs_[index(to)];
    if (offerer.iceRestart && offerer.config.local.iceUfrag == offerer.ufragAtRestart) {
      return makeError(ErrorCode::MissingLocalParameter, 0,
                       "the browser restarted ICE: set new ice ufrag/pwd for its leg first");
    }
  }
  LegState& ys = legs_[index(from)];  // answerer
  LegState& xs = legs_[index(to)];    // offerer
  const Profile& px = *xs.config.profile;
  const Profile& py = *ys.config.profile;
  std::span<const Stream> streams = extract(answer);
  if (streams.size() != pending_.target.size()) {
    return makeError(ErrorCode::AnswerMismatch, 0,
                     "answer has " + std::to_string(streams.size()) + " m-lines, offer had " +
                         std::to_string(pending_.target.size()));
  }
  // Map each answered m-line back to the offerer's payload types.
  std::vector<std::vector<CodecEntry>> accepted(streams.size());
  std::vector<Direction> answeredDir(streams.size(), Direction::Inactive);
  for (size_t j = 0; j < streams.size(); ++j) {
    const Stream& st = streams[j];
    const TargetSlot& t = pending_.target[j];
    if (st.m.kind != ys.slots[j].kind) {
      return makeError(ErrorCode::AnswerMismatch, st.lineNo, "answer changed the media type");
    }
    if (disabled(st, py.kind) || t.fromSlot < 0) {
      continue;
    }
    if (st.m.proto != t.proto) {
      return makeError(ErrorCode::AnswerMismatch, st.lineNo,
                       "answer protocol " + std::string(st.m.proto) + " differs from offered " +
                           std::string(t.proto));
    }
    if (py.kind == ProfileKind::Trunk && isSavp(t.proto)) {
      bool ok = false;
      for (const Crypto& c : st.cryptos) {
        ok = ok || (c.tag == 1 && c.suite == py.sdesSuite);
      }
      if (!ok) {
        return makeError(ErrorCode::AnswerMismatch, st.lineNo,
                         "RTP/SAVP answer without a matching a=crypto");
      }
    }
    // Each offered codec is answered at most once: an answer that names one codec under two
    // payload types (found by the fuzzer) must not produce a repeated payload type.
    std::array<bool, 128> taken{};
    for (const CodecView& c : st.codecs) {
      // Same payload type first: an offer may carry one codec name several times (H.264
      // profiles, telephone-event rates); only a renumbering answerer needs the name match.
      size_t hit = t.codecs.size();
      for (size_t k = 0; k < t.codecs.size(); ++k) {
        const CodecEntry& offered = t.codecs[k];
        if (c.pt == offered.ptOut && !taken[offered.pt] &&
            (c.name.empty() || sameCodec(c.name, c.clock, c.channels, offered))) {
          hit = k;
          break;
        }
      }
      for (size_t k = 0; hit == t.codecs.size() && k < t.codecs.size(); ++k) {
        if (!c.name.empty() && !taken[t.codecs[k].pt] &&
            sameCodec(c.name, c.clock, c.channels, t.codecs[k])) {
          hit = k;
        }
      }
      if (hit != t.codecs.size()) {
        CodecEntry e = t.codecs[hit];
        taken[e.pt] = true;
        e.ptOut = c.pt;  // answerer's number; e.pt stays the offerer's
        accepted[j].push_back(std::move(e));
      }
    }
    size_t real = 0;
    for (const CodecEntry& c : accepted[j]) {
      real += isEvent(c.name) ? 0 : 1;
    }
    if (real == 0) {
      accepted[j].clear();
      continue;
    }
    answeredDir[j] = effectiveDirection(st, py.kind);
  }

  Out o(bodyScratch());
  std::vector<Emit>& emits = emitScratch(pending_.offerer.size());
  // The mids point into pending_.offerer, alive until the end of this function.
  std::vector<std::string_view>& bundle = bundleScratch();
  std::vector<CodecEntry> keepAlive;  // a=inactive placeholder codec for BUNDLE members
  std::vector<std::vector<CodecEntry>> placeholders(pending_.offerer.size());
  mappings_.clear();
  for (size_t i = 0; i < pending_.offerer.size(); ++i) {
    OffererSlot& os = pending_.offerer[i];
    Emit& e = emits[i];
    e.kind = os.kind;
    e.proto = os.proto;
    e.firstFormat = os.firstFormat;
    e.mid = os.mid;
    e.slot = i;
    e.useOutPt = false;
    int j = os.target;
    bool ok = j >= 0 && !accepted[static_cast<size_t>(j)].empty();
    bool wasBundled =
        std::find(xs.bundleMids.begin(), xs.bundleMids.end(), os.mid) != xs.bundleMids.end();
    if (ok) {
      size_t ju = static_cast<size_t>(j);
      Direction d = answeredDir[ju];
      // Our direction toward the offerer: what the answerer does, within what the offerer allows.
      e.direction =
          makeDirection(sends(d) && receives(os.direction), receives(d) && sends(os.direction));
      e.active = true;
      e.codecs = &accepted[ju];
      e.ptime = streams[ju].ptime != 0 ? streams[ju].ptime : os.ptime;
      e.maxptime = streams[ju].maxptime;
      e.passFrom = &streams[ju];
      ys.slots[ju].active = true;
      // Record the negotiated payload map on the leg-A slot.
      std::vector<PayloadMapping> pm;
      for (const CodecEntry& c : accepted[ju]) {
        PayloadMapping m;
        m.ptA = to == Leg::A ? c.pt : c.ptOut;
        m.ptB = to == Leg::A ? c.ptOut : c.pt;
        m.encoding = c.name;
        m.clockRate = c.clock;
        pm.push_back(std::move(m));
      }
      Slot& aSlot = to == Leg::A ? xs.slots[i] : ys.slots[ju];
      aSlot.negotiated = pm;
      StreamMapping sm;
      sm.kind = os.kind;
      sm.slotA = static_cast<int>(to == Leg::A ? i : ju);
      sm.slotB = static_cast<int>(to == Leg::A ? ju : i);
      sm.active = true;
      sm.directionA = to == Leg::A ? e.direction : d;
      sm.payloads = std::move(pm);
      mappings_.push_back(std::move(sm));
    } else if (px.kind == ProfileKind::WebRtc && os.port != 0 && wasBundled &&
               !(j >= 0 ? pending_.target[static_cast<size_t>(j)].codecs : os.codecs).empty()) {
      // Chromium rejects an answer that removes a mid from an established BUNDLE group: keep
      // the m-line in the group, with no media flowing.
      placeholders[i].push_back(
          (j >= 0 ? pending_.target[static_cast<size_t>(j)].codecs : os.codecs).front());
      e.active = true;
      e.codecs = &placeholders[i];
      e.direction = Direction::Inactive;
      if (j >= 0) {
        ys.slots[static_cast<size_t>(j)].active = false;
      }
    } else {
      e.active = false;
      if (j >= 0) {
        ys.slots[static_cast<size_t>(j)].active = false;
      }
    }
    xs.slots[i].active = e.active;
    if (e.active && px.kind == ProfileKind::WebRtc) {
      bundle.push_back(os.mid);
      if (os.setup == "active") {
        e.setup = "passive";
      } else if (os.setup == "passive") {
        e.setup = "active";
      } else {
        e.setup = px.setupAnswer;
      }
    }
    e.rtcpMux = os.rtcpMux && (px.kind == ProfileKind::WebRtc || px.rtcpMux);
    e.cryptoTag = os.cryptoTag;
    e.cryptoSuite = os.cryptoSuite;
  }
  emitSessionTail(o, xs.config, bundle);
  for (const Emit& e : emits) {
    Result<bool> r = px.kind == ProfileKind::WebRtc ? emitWebRtcMedia(o, xs.config, e)
                                                    : emitTrunkMedia(o, xs.config, e);
    if (!r.ok()) {
      return r.error();
    }
  }
  if (px.kind == ProfileKind::WebRtc) {
    xs.bundleMids.assign(bundle.begin(), bundle.end());
    xs.iceRestart = false;
  }
  if (py.kind == ProfileKind::WebRtc) {
    std::string_view u = iceUfragOf(answer);
    if (!u.empty()) {
      ys.remoteUfrag.assign(u);
    }
  }
  pending_.active = false;
  return finish(to, o.text());
}

}  // namespace rampart::sdp
