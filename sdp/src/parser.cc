#include <rampart/sdp/attributes.h>
#include <rampart/sdp/parser.h>

#include <algorithm>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text.h"

namespace rampart::sdp {

namespace {

// Attributes that may appear at most once per section; bit positions in Parser::seen_.
constexpr uint32_t kBitMid = 1u << 0;
constexpr uint32_t kBitDirection = 1u << 1;
constexpr uint32_t kBitPtime = 1u << 2;
constexpr uint32_t kBitMaxptime = 1u << 3;
constexpr uint32_t kBitRtcp = 1u << 4;
constexpr uint32_t kBitRtcpMux = 1u << 5;
constexpr uint32_t kBitSetup = 1u << 6;
constexpr uint32_t kBitUfrag = 1u << 7;
constexpr uint32_t kBitPwd = 1u << 8;
constexpr uint32_t kBitIceLite = 1u << 9;
constexpr uint32_t kBitTlsId = 1u << 10;
constexpr uint32_t kBitEoc = 1u << 11;
constexpr uint32_t kBitRsize = 1u << 12;
constexpr uint32_t kBitSimulcast = 1u << 13;
constexpr uint32_t kBitMixed = 1u << 14;
constexpr uint32_t kBitIceOptions = 1u << 15;
constexpr uint32_t kBitBundleOnly = 1u << 16;

// What the parser checks of each attribute it knows: one row per detail::AttrId, in its order.
enum class Scope : uint8_t { Any, Media, Session };

// The value check of one attribute; nullptr for a flag, which takes no value.
using ValueCheck = Verdict (*)(std::string_view) noexcept;

// The grammars that also fill a struct, used here only to judge the value.
template <typename T, Verdict (*Parse)(std::string_view, T&) noexcept>
Verdict checkOnly(std::string_view v) noexcept {
  T parsed;
  return Parse(v, parsed);
}

struct AttrRule {
  detail::AttrId id;  // the row's own index, checked below
  ValueCheck check;
  ErrorCode code;  // for a bad value
  uint32_t once;   // a kBit* when at most once per section, else 0
  Scope scope;
  const char* once_name;  // in "appears twice" when not the attribute's own name
};

constexpr AttrRule kAttrRules[] = {
    {detail::AttrId::Other, nullptr, ErrorCode::BadAttribute, 0, Scope::Any, nullptr},
    {detail::AttrId::Rtpmap, checkOnly<Rtpmap, parseRtpmap>, ErrorCode::BadRtpmap, 0, Scope::Media,
     nullptr},
    {detail::AttrId::Fmtp, checkOnly<Fmtp, parseFmtp>, ErrorCode::BadFmtp, 0, Scope::Media,
     nullptr},
    {detail::AttrId::RtcpFb, checkOnly<RtcpFb, parseRtcpFb>, ErrorCode::BadRtcpFb, 0, Scope::Any,
     nullptr},
    {detail::AttrId::Candidate, checkOnly<Candidate, parseCandidate>, ErrorCode::BadCandidate, 0,
     Scope::Any, nullptr},
    {detail::AttrId::Ssrc, checkOnly<Ssrc, parseSsrc>, ErrorCode::BadSsrc, 0, Scope::Media,
     nullptr},
    {detail::AttrId::SsrcGroup, checkOnly<SsrcGroup, parseSsrcGroup>, ErrorCode::BadSsrc, 0,
     Scope::Any, nullptr},
    {detail::AttrId::Extmap, checkOnly<Extmap, parseExtmap>, ErrorCode::BadExtmap, 0, Scope::Any,
     nullptr},
    {detail::AttrId::Crypto, checkOnly<Crypto, parseCrypto>, ErrorCode::BadCrypto, 0, Scope::Any,
     nullptr},
    {detail::AttrId::Fingerprint, checkOnly<Fingerprint, parseFingerprint>,
     ErrorCode::BadFingerprint, 0, Scope::Any, nullptr},
    {detail::AttrId::Mid, parseMid, ErrorCode::BadMid, kBitMid, Scope::Media, nullptr},
    {detail::AttrId::Group, checkOnly<Group, parseGroup>, ErrorCode::BadGroup, 0, Scope::Session,
     nullptr},
    {detail::AttrId::Msid, checkOnly<Msid, parseMsid>, ErrorCode::BadMsid, 0, Scope::Any, nullptr},
    {detail::AttrId::Setup, parseSetup, ErrorCode::BadSetup, kBitSetup, Scope::Any, nullptr},
    {detail::AttrId::TlsId, parseTlsId, ErrorCode::BadTlsId, kBitTlsId, Scope::Any, nullptr},
    {detail::AttrId::IceUfrag, parseIceUfrag, ErrorCode::BadIce, kBitUfrag, Scope::Any, nullptr},
    {detail::AttrId::IcePwd, parseIcePwd, ErrorCode::BadIce, kBitPwd, Scope::Any, nullptr},
    {detail::AttrId::IceOptions, parseIceOptions, ErrorCode::BadIce, kBitIceOptions, Scope::Any,
     nullptr},
    {detail::AttrId::Ptime, checkOnly<uint32_t, parsePtime>, ErrorCode::BadPtime, kBitPtime,
     Scope::Any, nullptr},
    {detail::AttrId::Maxptime, checkOnly<uint32_t, parsePtime>, ErrorCode::BadPtime, kBitMaxptime,
     Scope::Any, nullptr},
    {detail::AttrId::Rtcp, checkOnly<Rtcp, parseRtcp>, ErrorCode::BadRtcp, kBitRtcp, Scope::Any,
     nullptr},
    {detail::AttrId::Rid, checkOnly<Rid, parseRid>, ErrorCode::BadRid, 0, Scope::Any, nullptr},
    {detail::AttrId::Simulcast, parseSimulcast, ErrorCode::BadRid, kBitSimulcast, Scope::Any,
     nullptr},
    {detail::AttrId::SendRecv, nullptr, ErrorCode::BadAttribute, kBitDirection, Scope::Any,
     "direction"},
    {detail::AttrId::SendOnly, nullptr, ErrorCode::BadAttribute, kBitDirection, Scope::Any,
     "direction"},
    {detail::AttrId::RecvOnly, nullptr, ErrorCode::BadAttribute, kBitDirection, Scope::Any,
     "direction"},
    {detail::AttrId::Inactive, nullptr, ErrorCode::BadAttribute, kBitDirection, Scope::Any,
     "direction"},
    {detail::AttrId::RtcpMux, nullptr, ErrorCode::BadAttribute, kBitRtcpMux, Scope::Any, nullptr},
    {detail::AttrId::RtcpRsize, nullptr, ErrorCode::BadAttribute, kBitRsize, Scope::Any, nullptr},
    {detail::AttrId::EndOfCandidates, nullptr, ErrorCode::BadAttribute, kBitEoc, Scope::Any,
     nullptr},
    {detail::AttrId::BundleOnly, nullptr, ErrorCode::BadAttribute, kBitBundleOnly, Scope::Any,
     nullptr},
    {detail::AttrId::ExtmapAllowMixed, nullptr, ErrorCode::BadAttribute, kBitMixed, Scope::Any,
     nullptr},
    {detail::AttrId::IceLite, nullptr, ErrorCode::BadAttribute, kBitIceLite, Scope::Session,
     nullptr},
};
constexpr bool rulesInAttrIdOrder() {
  for (size_t i = 0; i < std::size(kAttrRules); ++i) {
    if (static_cast<size_t>(kAttrRules[i].id) != i) {
      return false;
    }
  }
  return std::size(kAttrRules) == static_cast<size_t>(detail::AttrId::IceLite) + 1;
}
static_assert(rulesInAttrIdOrder(), "one rule per detail::AttrId, in its order");

// Length of a valid UTF-8 sequence starting at p (p[0] >= 0x80), or 0.
size_t utf8Sequence(const unsigned char* p, size_t avail) noexcept {
  unsigned char c = p[0];
  size_t n;
  uint32_t min;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    min = 0x80;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    min = 0x800;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    min = 0x10000;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (avail < n) {
    return 0;
  }
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xc0u) != 0x80u) {
      return 0;
    }
    cp = (cp << 6) | (p[i] & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

// What one pass over the whole body learns before the lines are split.
struct BodyScan {
  size_t newlines = 0;
  // Every byte is printable ASCII (0x20-0x7e), '\n', or a '\r' right before '\n'. Then no line
  // can fail the encoding check, and the per-line check is skipped; otherwise it runs on every
  // line, so errors are reported exactly as before.
  bool plain = true;
};

// Scalar form of the scan, for the tail and for targets without SSE2.
void scanBytes(const unsigned char* p, size_t n, bool& cr_pending, BodyScan& out) noexcept {
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = p[i];
    if (cr_pending && c != '\n') {
      out.plain = false;
    }
    cr_pending = c == '\r';
    if (c == '\n') {
      ++out.newlines;
    } else if ((c < 0x20 || c > 0x7e) && c != '\r') {
      out.plain = false;
    }
  }
}

// Replaces a memchr pass that counted lines and an eight-bytes-at-a-time encoding check per
// line: on a small SDP those cost as much as checking the lines' syntax.
// Out of line: inlined into run(), it threw GCC's range analysis off into a bogus
// -Wstringop-overflow on the body copy.
[[gnu::noinline]] BodyScan scanBody(const char* text, size_t size) noexcept {
  BodyScan out;
  const auto* p = reinterpret_cast<const unsigned char*>(text);
  size_t i = 0;
  bool cr_pending = false;
#if defined(__SSE2__)
  const __m128i below = _mm_set1_epi8(0x20);
  const __m128i above = _mm_set1_epi8(0x7e);
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i zero = _mm_setzero_si128();
  uint32_t carry = 0;  // a '\r' in the last byte of the previous block
  uint32_t bad_bits = 0;
  while (i + 16 <= size) {
    // Newline counts accumulate per byte lane; folded before a lane can overflow.
    __m128i lanes = zero;
    size_t stop = std::min(size - (size - i) % 16, i + size_t{16} * 255);
    for (; i < stop; i += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      __m128i is_nl = _mm_cmpeq_epi8(v, nl);
      lanes = _mm_sub_epi8(lanes, is_nl);
      // Signed compares: bytes >= 0x80 are negative, so they count as "below" too.
      __m128i outside = _mm_or_si128(_mm_cmplt_epi8(v, below), _mm_cmpgt_epi8(v, above));
      auto nl_bits = static_cast<uint32_t>(_mm_movemask_epi8(is_nl));
      auto cr_bits = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)));
      auto out_bits = static_cast<uint32_t>(_mm_movemask_epi8(outside));
      uint32_t want_nl = (cr_bits << 1) | carry;
      carry = want_nl >> 16;
      bad_bits |= (out_bits & ~(nl_bits | cr_bits)) | (want_nl & 0xffffu & ~nl_bits);
    }
    __m128i sums = _mm_sad_epu8(lanes, zero);
    out.newlines += static_cast<size_t>(_mm_cvtsi128_si32(sums)) +
                    static_cast<size_t>(_mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
  }
  out.plain = bad_bits == 0;
  cr_pending = carry != 0;
#endif
  scanBytes(p + i, size - i, cr_pending, out);
  if (cr_pending) {
    out.plain = false;
  }
  return out;
}

}  // namespace

class Parser {
 public:
  explicit Parser(const Limits& limits) : limits_(limits) {}

  Result<Session> run(std::string_view body) {
    if (body.size() > limits_.max_body_bytes) {
      return makeError(ErrorCode::BodyTooLarge, 0,
                       "body of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                           std::to_string(limits_.max_body_bytes));
    }
    if (body.empty()) {
      return makeError(ErrorCode::EmptyBody, 0, "empty body");
    }
    Session s;
    s.text_ = std::make_unique<char[]>(body.size());
    std::memcpy(s.text_.get(), body.data(), body.size());
    const char* text = s.text_.get();
    const size_t size = body.size();
    // One allocation for the line table: the count is bounded by the (limited) body size.
    const BodyScan scan = scanBody(text, size);
    s.lines_.reserve(scan.newlines + 1);

    size_t pos = 0;
    int line_no = 0;
    while (pos < size) {
      ++line_no;
      const char* start = text + pos;
      const void* nlp = std::memchr(start, '\n', size - pos);
      size_t len =
          nlp != nullptr ? static_cast<size_t>(static_cast<const char*>(nlp) - start) : size - pos;
      size_t next = pos + len + (nlp != nullptr ? 1 : 0);
      LineEnd end = nlp != nullptr ? LineEnd::Lf : LineEnd::None;
      if (end == LineEnd::Lf && len > 0 && start[len - 1] == '\r') {
        --len;
        end = LineEnd::CrLf;
      }
      if (len > limits_.max_line_length) {
        return makeError(ErrorCode::LineTooLong, line_no,
                         "line of " + std::to_string(len) + " bytes exceeds the limit of " +
                             std::to_string(limits_.max_line_length));
      }
      if (len == 0) {
        // Blank lines are tolerated only at the very end (SIP stacks sometimes add a CRLF).
        for (size_t i = pos; i < size; ++i) {
          if (text[i] != '\r' && text[i] != '\n') {
            return makeError(ErrorCode::BadLineSyntax, line_no, "empty line");
          }
        }
        s.trailer_ = std::string_view(text + pos, size - pos);
        break;
      }
      std::string_view line(start, len);
      if (!scan.plain) {
        if (!checkEncoding(line, line_no)) {
          return std::move(error_);
        }
      }
      if (len < 2 || line[1] != '=') {
        return makeError(ErrorCode::BadLineSyntax, line_no, "expected <type>=<value>");
      }
      Line l{line[0], end, line.substr(2)};
      if (!checkLine(l, line_no, s)) {
        return std::move(error_);
      }
      s.lines_.push_back(l);
      pos = next;
    }
    if (!finish(line_no)) {
      return std::move(error_);
    }
    s.validated_ = true;
    return s;
  }

 private:
  // The check functions return false after storing the error here: a Result<bool> built,
  // returned and destroyed for every line cost more than most of the checks.
  bool fail(Error e) {
    error_ = std::move(e);
    return false;
  }
  static Error bad(ErrorCode code, int line_no, const char* reason) {
    return makeError(code, line_no, reason);
  }

  bool checkEncoding(std::string_view line, int line_no) {
    const auto* p = reinterpret_cast<const unsigned char*>(line.data());
    size_t n = line.size();
    size_t i = 0;
    // Fast path, eight bytes at a time: skip words whose bytes are all printable ASCII
    // (0x20-0x7e). Exact for "any byte < 0x20" and "any byte > 0x7e" (bit tricks from
    // "Bit Twiddling Hacks", hasless/hasmore); everything else takes the byte loop below.
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      uint64_t below = (w - kOnes * 0x20) & ~w & kHigh;
      uint64_t above = ((w + kOnes * (127 - 0x7e)) | w) & kHigh;
      if ((below | above) != 0) {
        break;
      }
    }
    while (i < n) {
      unsigned char c = p[i];
      if (c >= 0x20 && c < 0x7f) {
        ++i;
        continue;
      }
      if (c == '\t') {
        ++i;
        continue;
      }
      if (c >= 0x80) {
        size_t seq = utf8Sequence(p + i, n - i);
        if (seq == 0) {
          return fail(makeError(ErrorCode::BadEncoding, line_no,
                                "invalid UTF-8 at column " + std::to_string(i + 1)));
        }
        i += seq;
        continue;
      }
      return fail(
          makeError(ErrorCode::BadEncoding, line_no,
                    "control character 0x" + hex(c) + " at column " + std::to_string(i + 1)));
    }
    return true;
  }

  static std::string hex(unsigned char c) {
    const char* digits = "0123456789abcdef";
    return std::string{digits[c >> 4], digits[c & 15]};
  }

  // v=, o= and s=: the first three lines, in that order (RFC 8866 section 5).
  bool checkHeaderLine(char type, std::string_view v, int line_no) {
    static constexpr const char* kMissing[] = {
        "first line must be v=", "second line must be o=", "third line must be s="};
    static constexpr const char* kOutOfOrder[] = {
        "v= only as the first line", "o= only as the second line", "s= only as the third line"};
    const int want = type == 'v' ? 1 : type == 'o' ? 2 : type == 's' ? 3 : 0;
    if (line_no <= 3 && want != line_no) {
      return fail(makeError(ErrorCode::MissingLine, line_no, kMissing[line_no - 1]));
    }
    if (want != line_no) {
      return fail(bad(ErrorCode::LineOutOfOrder, line_no, kOutOfOrder[want - 1]));
    }
    if (type == 'v') {
      return v == "0" || fail(bad(ErrorCode::BadVersion, line_no, "version is not 0"));
    }
    if (type == 'o') {
      Origin o;
      Verdict verdict = parseOrigin(v, o);
      return verdict.ok() || fail(bad(ErrorCode::BadOrigin, line_no, verdict.why()));
    }
    return !v.empty() ||
           fail(bad(ErrorCode::BadSessionName, line_no, "empty session name (use s=-)"));
  }

  bool checkLine(const Line& l, int line_no, Session& s) {
    const std::string_view v = l.value;
    if (line_no <= 3 && l.type != 'v' && l.type != 'o' && l.type != 's') {
      return checkHeaderLine(l.type, v, line_no);  // a missing v=, o= or s=
    }
    switch (l.type) {
      case 'v':
      case 'o':
      case 's': return checkHeaderLine(l.type, v, line_no);
      case 'i':
      case 'k': return true;
      case 'u':
      case 'e':
      case 'p':
      case 'z':
        if (in_media_) {
          return fail(
              bad(ErrorCode::LineOutOfOrder, line_no, "session-level line inside a media section"));
        }
        return true;
      case 'c': {
        if (!in_media_) {
          if (session_connection_) {
            return fail(bad(ErrorCode::DuplicateAttribute, line_no, "second session-level c="));
          }
          session_connection_ = true;
        } else {
          media_connection_ = true;
        }
        Connection c;
        if (Verdict verdict = parseConnection(v, c); !verdict.ok()) {
          return fail(bad(ErrorCode::BadConnection, line_no, verdict.why()));
        }
        return true;
      }
      case 'b': {
        Bandwidth b;
        if (Verdict verdict = parseBandwidth(v, b); !verdict.ok()) {
          return fail(bad(ErrorCode::BadBandwidth, line_no, verdict.why()));
        }
        return true;
      }
      case 't': {
        if (in_media_) {
          return fail(bad(ErrorCode::LineOutOfOrder, line_no, "t= inside a media section"));
        }
        Timing t;
        if (Verdict verdict = parseTiming(v, t); !verdict.ok()) {
          return fail(bad(ErrorCode::BadTiming, line_no, verdict.why()));
        }
        timing_ = true;
        return true;
      }
      case 'r':
        if (in_media_ || !timing_) {
          return fail(bad(ErrorCode::LineOutOfOrder, line_no, "r= must follow t="));
        }
        if (v.empty() || !detail::isDigit(v[0])) {
          return fail(bad(ErrorCode::BadTiming, line_no, "bad repeat time"));
        }
        return true;
      case 'm': return checkMedia(v, line_no, s);
      case 'a':
        if (++attributes_ > limits_.max_attributes) {
          return fail(
              makeError(ErrorCode::TooManyAttributes, line_no,
                        "more than " + std::to_string(limits_.max_attributes) + " attributes"));
        }
        return checkAttribute(v, line_no);
      default:
        if (l.type >= 'a' && l.type <= 'z') {
          return fail(bad(ErrorCode::UnknownLineType, line_no, "unknown line type"));
        }
        return fail(bad(ErrorCode::BadLineSyntax, line_no, "line type is not a lower-case letter"));
    }
  }

  bool checkMedia(std::string_view v, int line_no, Session& s) {
    if (!timing_) {
      return fail(bad(ErrorCode::MissingLine, line_no, "m= before any t= line"));
    }
    if (!endMedia(line_no)) {
      return false;
    }
    if (s.media_start_.size() >= limits_.max_media) {
      return fail(makeError(ErrorCode::TooManyMedia, line_no,
                            "more than " + std::to_string(limits_.max_media) + " m-lines"));
    }
    MediaLine m;
    if (Verdict verdict = parseMediaLine(v, m); !verdict.ok()) {
      return fail(bad(ErrorCode::BadMedia, line_no, verdict.why()));
    }
    s.media_start_.push_back(static_cast<uint32_t>(s.lines_.size()));
    in_media_ = true;
    media_connection_ = false;
    media_port_ = m.port;
    media_line_ = line_no;
    seen_ = 0;
    return true;
  }

  bool endMedia(int line_no) {
    if (in_media_ && !session_connection_ && !media_connection_ && media_port_ != 0) {
      return fail(bad(ErrorCode::MissingLine, media_line_ != 0 ? media_line_ : line_no,
                      "media section without c= and no session-level c="));
    }
    return true;
  }

  bool once(uint32_t bit, int line_no, std::string_view name) {
    if ((seen_ & bit) != 0) {
      return fail(makeError(ErrorCode::DuplicateAttribute, line_no,
                            "a=" + std::string(name) + " appears twice in one section"));
    }
    seen_ |= bit;
    return true;
  }

  bool flag(const Attribute& a, int line_no) {
    if (a.has_value) {
      return fail(makeError(ErrorCode::FlagWithValue, line_no,
                            "a=" + std::string(a.name) + " takes no value"));
    }
    return true;
  }

  [[gnu::always_inline]] bool mediaOnly(const Attribute& a, int line_no) {
    return in_media_ || notInMedia(a, line_no);
  }
  [[gnu::noinline]] bool notInMedia(const Attribute& a, int line_no) {
    return fail(makeError(ErrorCode::LineOutOfOrder, line_no,
                          "a=" + std::string(a.name) + " is a media-level attribute"));
  }

  bool checkAttribute(std::string_view v, int line_no) {
    // One scan finds the ':' and checks that the name is a token: ':' is not a token
    // character, so the scan stops at the first ':' or at the first byte that makes the name
    // (everything before the first ':') invalid.
    size_t colon = 0;
    while (colon < v.size() && detail::isTokenChar(v[colon])) {
      ++colon;
    }
    if (colon == 0 || (colon < v.size() && v[colon] != ':')) {
      return fail(bad(ErrorCode::BadAttribute, line_no, "attribute name is not a token"));
    }
    const bool has_value = colon < v.size();
    const Attribute a{v.substr(0, colon), has_value ? v.substr(colon + 1) : std::string_view{},
                      has_value};
    const detail::AttrId id = detail::attrId(a.name);
    if (id == detail::AttrId::Other) {
      return true;  // kept verbatim, not ours to judge
    }
    const AttrRule& rule = kAttrRules[static_cast<size_t>(id)];
    if (rule.scope == Scope::Media && !mediaOnly(a, line_no)) {
      return false;
    }
    if (rule.scope == Scope::Session && in_media_) {
      return fail(makeError(ErrorCode::LineOutOfOrder, line_no,
                            "a=" + std::string(a.name) + " is a session-level attribute"));
    }
    if (rule.once != 0 &&
        !once(rule.once, line_no, rule.once_name != nullptr ? rule.once_name : a.name)) {
      return false;
    }
    if (rule.check == nullptr) {
      return flag(a, line_no);
    }
    Verdict verdict = a.has_value ? rule.check(a.value) : Verdict("missing value");
    if (!verdict.ok()) {
      return fail(makeError(rule.code, line_no, "a=" + std::string(a.name) + ": " + verdict.why()));
    }
    return true;
  }

  bool finish(int line_no) {
    if (line_no < 3) {
      return fail(bad(ErrorCode::MissingLine, line_no, "v=, o= and s= are mandatory"));
    }
    if (!timing_) {
      return fail(bad(ErrorCode::MissingLine, line_no, "t= is mandatory"));
    }
    return endMedia(line_no);
  }

  const Limits& limits_;
  Error error_;
  size_t attributes_ = 0;
  uint32_t seen_ = 0;
  bool in_media_ = false;
  bool timing_ = false;
  bool session_connection_ = false;
  bool media_connection_ = false;
  uint16_t media_port_ = 0;
  int media_line_ = 0;
};

Result<Session> parse(std::string_view body, const Limits& limits) {
  Parser p(limits);
  return p.run(body);
}

}  // namespace rampart::sdp
