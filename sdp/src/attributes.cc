#include <rampart/sdp/attributes.h>

#include <cstring>

#include "text.h"

namespace rampart::sdp {

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (detail::lower(a[i]) != detail::lower(b[i])) {
      return false;
    }
  }
  return true;
}

namespace {

// Inlined into the typed parsers of this file (a dozen numbers per SDP line set): the call
// overhead was a third of the cost of a two-digit payload type.
[[gnu::always_inline]] inline bool uintOf(std::string_view s, uint64_t& out,
                                          uint64_t max) noexcept {
  if (s.empty() || s.size() > 20) {
    return false;
  }
  // Overflow checks by builtins, not a division per digit: this runs for every number in
  // every line.
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    if (__builtin_mul_overflow(v, uint64_t{10}, &v) ||
        __builtin_add_overflow(v, static_cast<uint64_t>(c - '0'), &v)) {
      return false;
    }
  }
  if (v > max) {
    return false;
  }
  out = v;
  return true;
}

}  // namespace

bool parseUint(std::string_view s, uint64_t& out, uint64_t max) noexcept {
  return uintOf(s, out, max);
}

namespace {

using detail::Fields;
using detail::isToken;

template <typename T>
bool parseNum(std::string_view s, T& out, uint64_t min, uint64_t max) noexcept {
  uint64_t v = 0;
  if (!uintOf(s, v, max) || v < min) {
    return false;
  }
  out = static_cast<T>(v);
  return true;
}

bool isAlnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isIceChar(char c) noexcept { return isAlnum(c) || c == '+' || c == '/'; }

bool allOf(std::string_view s, bool (*pred)(char) noexcept) noexcept {
  for (char c : s) {
    if (!pred(c)) {
      return false;
    }
  }
  return true;
}

bool isHex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// One pass: four 1-3 digit parts of at most 255, separated by single dots.
bool isIpv4(std::string_view s) noexcept {
  size_t i = 0;
  const size_t n = s.size();
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= n || s[i] != '.') {
        return false;
      }
      ++i;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < n && i - start < 4 && detail::isDigit(s[i])) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    if (i == start || i - start > 3 || v > 255) {
      return false;
    }
  }
  return i == n;
}

bool isIpv6(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 45 || s.find(':') == std::string_view::npos) {
    return false;
  }
  size_t colons = 0;
  for (char c : s) {
    if (c == ':') {
      ++colons;
    } else if (!isHex(c) && c != '.') {
      return false;
    }
  }
  return colons >= 2 && colons <= 7 && s.find(":::") == std::string_view::npos;
}

bool isHostChar(char c) noexcept { return isAlnum(c) || c == '-' || c == '.' || c == '_'; }

bool isHostname(std::string_view s) noexcept {
  return !s.empty() && s.size() <= 253 && allOf(s, isHostChar) && s.front() != '.' &&
         s.find("..") == std::string_view::npos;
}

bool isAddress(std::string_view s) noexcept { return isIpv4(s) || isIpv6(s) || isHostname(s); }

bool isUnicastAddress(std::string_view addr_type, std::string_view s) noexcept {
  if (detail::is(addr_type, "IP4")) {
    // A name made only of digits and dots must be a valid dotted quad (rejects 1.2.3.300); any
    // other name is a host name, e.g. Firefox's mDNS "<uuid>.local" in a=rtcp. A valid quad is
    // numeric, so the common case needs only the quad check.
    if (isIpv4(s)) {
      return true;
    }
    bool numeric = true;
    for (char c : s) {
      numeric = numeric && (detail::isDigit(c) || c == '.');
    }
    return !numeric && isHostname(s);
  }
  if (detail::is(addr_type, "IP6")) {
    return isIpv6(s) || isHostname(s);
  }
  return isToken(s);
}

bool isBase64Char(char c) noexcept { return isAlnum(c) || c == '+' || c == '/'; }

// Decoded length of a base64 string with optional '=' padding, or -1 when malformed.
long base64Bytes(std::string_view s) noexcept {
  size_t n = s.size();
  size_t pad = 0;
  while (n > 0 && s[n - 1] == '=' && pad < 2) {
    --n;
    ++pad;
  }
  if (n == 0) {
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!isBase64Char(s[i])) {
      return -1;
    }
  }
  if (pad != 0 && (n + pad) % 4 != 0) {
    return -1;
  }
  if (n % 4 == 1) {
    return -1;
  }
  return static_cast<long>(n * 3 / 4);
}

bool isRidChar(char c) noexcept { return isAlnum(c) || c == '-' || c == '_'; }

}  // namespace

std::string_view directionName(Direction d) noexcept {
  switch (d) {
    case Direction::SendRecv: return "sendrecv";
    case Direction::SendOnly: return "sendonly";
    case Direction::RecvOnly: return "recvonly";
    case Direction::Inactive: return "inactive";
  }
  return "sendrecv";
}

bool parseDirection(std::string_view name, Direction& out) noexcept {
  if (name == "sendrecv") {
    out = Direction::SendRecv;
  } else if (name == "sendonly") {
    out = Direction::SendOnly;
  } else if (name == "recvonly") {
    out = Direction::RecvOnly;
  } else if (name == "inactive") {
    out = Direction::Inactive;
  } else {
    return false;
  }
  return true;
}

namespace {

// Cursor for the one-pass forms of the o= and c= checks below.
struct Scan {
  std::string_view v;
  size_t i = 0;
  bool token(std::string_view& out) noexcept {
    size_t start = i;
    while (i < v.size() && detail::isTokenChar(v[i])) {
      ++i;
    }
    out = v.substr(start, i - start);
    return i > start;
  }
  bool digits(std::string_view& out, size_t max_digits) noexcept {
    size_t start = i;
    while (i < v.size() && detail::isDigit(v[i])) {
      ++i;
    }
    out = v.substr(start, i - start);
    return i > start && i - start <= max_digits;
  }
  bool space() noexcept {
    if (i < v.size() && v[i] == ' ') {
      ++i;
      return true;
    }
    return false;
  }
  // The rest of the value, non-empty, up to the end, with no byte equal to @p stop or ' '.
  bool last(std::string_view& out, char stop) noexcept {
    size_t start = i;
    while (i < v.size() && v[i] != ' ' && v[i] != stop) {
      ++i;
    }
    out = v.substr(start, i - start);
    return i > start && i == v.size();
  }
};

// The common o= shape in one pass; anything else (and every error) takes the general parser.
// @p result is written only on success, so a failed value leaves what the general parser leaves.
bool fastOrigin(std::string_view v, Origin& result) noexcept {
  Scan s{v};
  Origin out;
  std::string_view version;
  // 19 digits cannot overflow 64 bits.
  if (!s.token(out.username) || !s.space() || !s.digits(out.session_id, 64) || !s.space() ||
      !s.digits(version, 19) || !s.space() || !s.token(out.net_type) || !s.space() ||
      !s.token(out.addr_type) || !s.space() || !s.last(out.address, ' ') ||
      !isUnicastAddress(out.addr_type, out.address)) {
    return false;
  }
  uint64_t n = 0;
  for (char c : version) {
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  out.session_version = n;
  result = out;
  return true;
}

// The common c= shape (no /ttl or /count) in one pass; anything else takes the general parser.
bool fastConnection(std::string_view v, Connection& result) noexcept {
  Scan s{v};
  Connection out;
  if (!s.token(out.net_type) || !s.space() || !s.token(out.addr_type) || !s.space() ||
      !s.last(out.address, '/') || !isUnicastAddress(out.addr_type, out.address)) {
    return false;
  }
  result = out;
  return true;
}

}  // namespace

Verdict parseOrigin(std::string_view v, Origin& out) noexcept {
  if (fastOrigin(v, out)) {
    return Verdict::valid();
  }
  Fields f(v);
  std::string_view version;
  if (!f.next(out.username) || !f.next(out.session_id) || !f.next(version) ||
      !f.next(out.net_type) || !f.next(out.addr_type) || !f.next(out.address) || !f.done()) {
    return "expected <username> <sess-id> <sess-version> <nettype> <addrtype> <address>";
  }
  if (out.session_id.size() > 64 || !allOf(out.session_id, detail::isDigit)) {
    return "sess-id is not a decimal number";
  }
  if (!uintOf(version, out.session_version, UINT64_MAX)) {
    return "sess-version is not a 64-bit decimal number";
  }
  if (!isToken(out.username) || !isToken(out.net_type) || !isToken(out.addr_type)) {
    return "bad username, nettype or addrtype";
  }
  if (!isUnicastAddress(out.addr_type, out.address)) {
    return "bad unicast address";
  }
  return Verdict::valid();
}

Verdict parseConnection(std::string_view v, Connection& out) noexcept {
  if (fastConnection(v, out)) {
    return Verdict::valid();
  }
  Fields f(v);
  std::string_view addr;
  if (!f.next(out.net_type) || !f.next(out.addr_type) || !f.next(addr) || !f.done()) {
    return "expected <nettype> <addrtype> <connection-address>";
  }
  if (!isToken(out.net_type) || !isToken(out.addr_type)) {
    return "bad nettype or addrtype";
  }
  size_t slash = addr.find('/');
  out.address = addr.substr(0, slash);
  out.suffix = slash == std::string_view::npos ? std::string_view{} : addr.substr(slash);
  if (!out.suffix.empty()) {
    Fields s(out.suffix.substr(1), '/');
    std::string_view n;
    int count = 0;
    while (s.next(n)) {
      uint64_t x = 0;
      if (!uintOf(n, x, 65535)) {
        return "bad ttl or address count";
      }
      ++count;
    }
    if (!s.done() || count == 0 || count > 2) {
      return "bad ttl or address count";
    }
  }
  if (!isUnicastAddress(out.addr_type, out.address)) {
    return "bad connection address";
  }
  return Verdict::valid();
}

Verdict parseBandwidth(std::string_view v, Bandwidth& out) noexcept {
  size_t colon = v.find(':');
  if (colon == std::string_view::npos) {
    return "expected <bwtype>:<bandwidth>";
  }
  out.type = v.substr(0, colon);
  if (!isToken(out.type) || !uintOf(v.substr(colon + 1), out.value, UINT32_MAX)) {
    return "bad bwtype or bandwidth";
  }
  return Verdict::valid();
}

Verdict parseTiming(std::string_view v, Timing& out) noexcept {
  Fields f(v);
  std::string_view a, b;
  if (!f.next(a) || !f.next(b) || !f.done() || !uintOf(a, out.start, UINT64_MAX) ||
      !uintOf(b, out.stop, UINT64_MAX)) {
    return "expected <start-time> <stop-time> as decimal numbers";
  }
  return Verdict::valid();
}

namespace {

// Up to @p maxDigits decimal digits at v[i]; false when there are none or more.
[[gnu::always_inline]] inline bool shortNumber(std::string_view v, size_t& i, size_t max_digits,
                                               uint64_t& out) noexcept {
  size_t start = i;
  uint64_t n = 0;
  while (i < v.size() && detail::isDigit(v[i])) {
    if (i - start == max_digits) {
      return false;
    }
    n = n * 10 + static_cast<uint64_t>(v[i] - '0');
    ++i;
  }
  out = n;
  return i > start;
}

// The common a=rtpmap shape in one pass ("96 opus/48000/2"). Accepts only values the general
// parser below accepts, with the same result; anything else (leading zeros, long numbers,
// errors) goes to the general parser, which also words the error and fills @p result as before.
bool fastRtpmap(std::string_view v, Rtpmap& result) noexcept {
  Rtpmap out;  // written back only on success, like fastOrigin()
  size_t i = 0;
  uint64_t pt = 0, clock = 0, ch = 0;
  if (!shortNumber(v, i, 3, pt) || pt > 127 || i >= v.size() || v[i] != ' ') {
    return false;
  }
  size_t enc = ++i;
  while (i < v.size() && detail::isTokenChar(v[i])) {
    ++i;
  }
  if (i == enc || i >= v.size() || v[i] != '/') {
    return false;
  }
  out.encoding = v.substr(enc, i - enc);
  ++i;
  if (!shortNumber(v, i, 10, clock) || clock == 0 || clock > UINT32_MAX) {
    return false;
  }
  out.has_channels = i < v.size();
  if (out.has_channels) {
    if (v[i] != '/') {
      return false;
    }
    ++i;
    if (!shortNumber(v, i, 3, ch) || ch == 0 || ch > 255 || i != v.size()) {
      return false;
    }
  }
  out.payload_type = static_cast<uint8_t>(pt);
  out.clock_rate = static_cast<uint32_t>(clock);
  out.channels = out.has_channels ? static_cast<uint16_t>(ch) : 1;
  result = out;
  return true;
}

// The common RTP format list in one pass: 1-3 digit payload types, single spaces, none twice.
// Anything else goes to the general loop in parseMediaLine(), which words the error.
bool fastRtpFormats(std::string_view v) noexcept {
  uint64_t seen[2] = {0, 0};
  size_t i = 0;
  while (true) {
    uint64_t pt = 0;
    if (!shortNumber(v, i, 3, pt) || pt > 127) {
      return false;
    }
    uint64_t bit = uint64_t{1} << (pt & 63);
    if ((seen[pt >> 6] & bit) != 0) {
      return false;
    }
    seen[pt >> 6] |= bit;
    if (i == v.size()) {
      return true;
    }
    if (v[i] != ' ') {
      return false;
    }
    ++i;
  }
}

// The common m= shape ("audio 9 UDP/TLS/RTP/SAVPF 111 0") in one pass, RTP formats only; any
// other shape, and every error, takes the general parser below.
bool fastMediaLine(std::string_view v, MediaLine& result) noexcept {
  MediaLine out;
  size_t i = 0;
  const size_t n = v.size();
  while (i < n && detail::isTokenChar(v[i])) {
    ++i;
  }
  if (i == 0 || i >= n || v[i] != ' ') {
    return false;
  }
  out.kind = v.substr(0, i);
  uint64_t port = 0;
  if (!shortNumber(v, ++i, 5, port) || port > 65535 || i >= n || v[i] != ' ') {
    return false;
  }
  out.port = static_cast<uint16_t>(port);
  size_t proto = ++i;
  while (true) {  // token parts separated by single '/'
    size_t part = i;
    while (i < n && detail::isTokenChar(v[i])) {
      ++i;
    }
    if (i == part || i >= n) {
      return false;
    }
    if (v[i] == ' ') {
      break;
    }
    if (v[i] != '/') {
      return false;
    }
    ++i;
  }
  out.proto = v.substr(proto, i - proto);
  out.formats = v.substr(i + 1);
  if (out.formats.empty() || out.proto.find("RTP/") == std::string_view::npos ||
      !fastRtpFormats(out.formats)) {
    return false;
  }
  result = out;
  return true;
}

}  // namespace

Verdict parseMediaLine(std::string_view v, MediaLine& out) noexcept {
  if (fastMediaLine(v, out)) {
    return Verdict::valid();
  }
  Fields f(v);
  std::string_view port;
  if (!f.next(out.kind) || !f.next(port) || !f.next(out.proto)) {
    return "expected <media> <port> <proto> <fmt> ...";
  }
  out.formats = f.rest();
  if (out.formats.empty()) {
    return "no formats";
  }
  if (!isToken(out.kind)) {
    return "bad media type";
  }
  size_t slash = port.find('/');
  if (!parseNum(port.substr(0, slash), out.port, 0, 65535)) {
    return "bad port";
  }
  out.has_port_count = slash != std::string_view::npos;
  out.port_count = 1;
  if (out.has_port_count && !parseNum(port.substr(slash + 1), out.port_count, 1, 65535)) {
    return "bad port count";
  }
  Fields p(out.proto, '/');
  std::string_view part;
  while (p.next(part)) {
    if (!isToken(part)) {
      return "bad proto";
    }
  }
  if (!p.done()) {
    return "bad proto";
  }
  bool rtp = out.proto.find("RTP/") != std::string_view::npos;
  if (rtp && fastRtpFormats(out.formats)) {
    return Verdict::valid();
  }
  Fields fmts(out.formats);
  std::string_view fmt;
  size_t count = 0;
  uint64_t seen[2] = {0, 0};
  while (fmts.next(fmt)) {
    ++count;
    if (rtp) {
      uint8_t pt = 0;
      if (!parseNum(fmt, pt, 0, 127)) {
        return "RTP format is not a payload type 0-127";
      }
      // A repeated payload type makes the codec list ambiguous (found by the fuzzer).
      uint64_t bit = uint64_t{1} << (pt & 63);
      if ((seen[pt >> 6] & bit) != 0) {
        return "payload type listed twice";
      }
      seen[pt >> 6] |= bit;
    } else if (!isToken(fmt)) {
      return "bad format";
    }
  }
  if (!fmts.done() || count == 0) {
    return "bad format list";
  }
  return Verdict::valid();
}

Verdict parseRtpmap(std::string_view v, Rtpmap& out) noexcept {
  if (fastRtpmap(v, out)) {
    return Verdict::valid();
  }
  Fields f(v);
  std::string_view pt, enc;
  if (!f.next(pt) || !f.next(enc) || !f.done()) {
    return "expected <payload type> <encoding>/<clock rate>[/<channels>]";
  }
  if (!parseNum(pt, out.payload_type, 0, 127)) {
    return "payload type not 0-127";
  }
  Fields e(enc, '/');
  std::string_view clock, ch;
  if (!e.next(out.encoding) || !e.next(clock) || !isToken(out.encoding)) {
    return "bad encoding name";
  }
  if (!parseNum(clock, out.clock_rate, 1, UINT32_MAX)) {
    return "bad clock rate";
  }
  out.has_channels = e.next(ch);
  out.channels = 1;
  if (out.has_channels && !parseNum(ch, out.channels, 1, 255)) {
    return "bad channel count";
  }
  if (!e.done()) {
    return "trailing data after channels";
  }
  return Verdict::valid();
}

Verdict parseFmtp(std::string_view v, Fmtp& out) noexcept {
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp + 1 >= v.size()) {
    return "expected <format> <parameters>";
  }
  out.format = v.substr(0, sp);
  out.params = v.substr(sp + 1);
  if (!isToken(out.format)) {
    return "bad format";
  }
  return Verdict::valid();
}

Verdict parseRtcpFb(std::string_view v, RtcpFb& out) noexcept {
  Fields f(v);
  if (!f.next(out.format) || !f.next(out.type)) {
    return "expected <pt|*> <type> [<param>]";
  }
  out.param = f.rest();
  uint8_t pt = 0;
  if (out.format != "*" && !parseNum(out.format, pt, 0, 127)) {
    return "format is neither * nor a payload type";
  }
  if (!isToken(out.type)) {
    return "bad feedback type";
  }
  return Verdict::valid();
}

Verdict parsePtime(std::string_view v, uint32_t& ms) noexcept {
  // Whole milliseconds (the usual form): no search for a '.'.
  if (!v.empty() && v.size() <= 6) {
    uint32_t n = 0;
    size_t i = 0;
    while (i < v.size() && detail::isDigit(v[i])) {
      n = n * 10 + static_cast<uint32_t>(v[i] - '0');
      ++i;
    }
    if (i == v.size() && n <= 100000) {
      ms = n;
      return Verdict::valid();
    }
  }
  size_t dot = v.find('.');
  std::string_view whole = v.substr(0, dot);
  if (!parseNum(whole, ms, 0, 100000)) {
    return "not a number of milliseconds";
  }
  if (dot != std::string_view::npos) {
    std::string_view frac = v.substr(dot + 1);
    if (frac.empty() || frac.size() > 6 || !allOf(frac, detail::isDigit)) {
      return "bad fraction";
    }
  }
  return Verdict::valid();
}

Verdict parseRtcp(std::string_view v, Rtcp& out) noexcept {
  Fields f(v);
  std::string_view port;
  if (!f.next(port) || !parseNum(port, out.port, 0, 65535)) {
    return "bad port";
  }
  if (f.done()) {
    return Verdict::valid();
  }
  if (!f.next(out.net_type) || !f.next(out.addr_type) || !f.next(out.address) || !f.done() ||
      !isUnicastAddress(out.addr_type, out.address)) {
    return "expected <port> [<nettype> <addrtype> <address>]";
  }
  return Verdict::valid();
}

Verdict parseMid(std::string_view v) noexcept {
  if (v.empty() || v.size() > 255 || !isToken(v)) {
    return "mid is not a token of 1-255 characters";
  }
  return Verdict::valid();
}

Verdict parseGroup(std::string_view v, Group& out) noexcept {
  size_t sp = v.find(' ');
  out.semantics = v.substr(0, sp);
  out.tags = sp == std::string_view::npos ? std::string_view{} : v.substr(sp + 1);
  if (!isToken(out.semantics)) {
    return "bad semantics";
  }
  if (sp != std::string_view::npos) {
    Fields f(out.tags);
    std::string_view tag;
    while (f.next(tag)) {
      if (!isToken(tag)) {
        return "bad identification tag";
      }
    }
    if (!f.done()) {
      return "bad tag list";
    }
  }
  return Verdict::valid();
}

Verdict parseMsid(std::string_view v, Msid& out) noexcept {
  Fields f(v);
  if (!f.next(out.id) || out.id.size() > 64 || !isToken(out.id)) {
    return "bad msid-id";
  }
  out.appdata = {};
  if (!f.done() &&
      (!f.next(out.appdata) || out.appdata.size() > 64 || !isToken(out.appdata) || !f.done())) {
    return "bad msid-appdata";
  }
  return Verdict::valid();
}

Verdict parseSsrc(std::string_view v, Ssrc& out) noexcept {
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos || !parseNum(v.substr(0, sp), out.ssrc, 0, UINT32_MAX)) {
    return "expected <ssrc-id> <attribute>[:<value>]";
  }
  std::string_view attr = v.substr(sp + 1);
  size_t colon = attr.find(':');
  out.attribute = attr.substr(0, colon);
  out.value = colon == std::string_view::npos ? std::string_view{} : attr.substr(colon + 1);
  if (!isToken(out.attribute)) {
    return "bad ssrc attribute name";
  }
  return Verdict::valid();
}

Verdict parseSsrcGroup(std::string_view v, SsrcGroup& out) noexcept {
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos) {
    return "expected <semantics> <ssrc-id> ...";
  }
  out.semantics = v.substr(0, sp);
  out.ssrcs = v.substr(sp + 1);
  if (!isToken(out.semantics)) {
    return "bad semantics";
  }
  Fields f(out.ssrcs);
  std::string_view s;
  int n = 0;
  while (f.next(s)) {
    uint32_t x = 0;
    if (!parseNum(s, x, 0, UINT32_MAX)) {
      return "bad ssrc-id";
    }
    ++n;
  }
  if (!f.done() || n == 0) {
    return "bad ssrc list";
  }
  return Verdict::valid();
}

Verdict parseExtmap(std::string_view v, Extmap& out) noexcept {
  Fields f(v);
  std::string_view id_dir;
  if (!f.next(id_dir) || !f.next(out.uri)) {
    return "expected <id>[/<direction>] <uri>";
  }
  out.extension_attributes = f.rest();
  size_t slash = id_dir.find('/');
  if (!parseNum(id_dir.substr(0, slash), out.id, 1, 4351) || (out.id > 255 && out.id < 4096)) {
    return "extension id not 1-255 (or 4096-4351)";
  }
  out.direction = slash == std::string_view::npos ? std::string_view{} : id_dir.substr(slash + 1);
  Direction d;
  if (slash != std::string_view::npos && !parseDirection(out.direction, d)) {
    return "bad direction";
  }
  for (char c : out.uri) {
    if (c <= ' ' || c == 0x7f) {
      return "bad URI";
    }
  }
  return Verdict::valid();
}

size_t Crypto::keySaltBytes(std::string_view suite) noexcept {
  if (suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32" ||
      suite == "F8_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_80_NULL") {
    return 30;
  }
  if (suite == "AES_192_CM_HMAC_SHA1_80" || suite == "AES_192_CM_HMAC_SHA1_32") {
    return 38;
  }
  if (suite == "AES_256_CM_HMAC_SHA1_80" || suite == "AES_256_CM_HMAC_SHA1_32" ||
      suite == "AES_CM_256_HMAC_SHA1_80" || suite == "AES_CM_256_HMAC_SHA1_32") {
    return 46;
  }
  if (suite == "AEAD_AES_128_GCM") {
    return 28;
  }
  if (suite == "AEAD_AES_256_GCM") {
    return 44;
  }
  return 0;
}

namespace {
Verdict parseKeyParam(std::string_view kp, KeyParam& out, size_t want) noexcept {
  constexpr std::string_view kInline = "inline:";
  if (kp.size() <= kInline.size() || !equalsIgnoreCase(kp.substr(0, kInline.size()), kInline)) {
    return "key method is not inline:";
  }
  Fields f(kp.substr(kInline.size()), '|');
  if (!f.next(out.key_salt)) {
    return "empty key";
  }
  long bytes = base64Bytes(out.key_salt);
  if (bytes < 0) {
    return "key is not base64";
  }
  if (want != 0 && static_cast<size_t>(bytes) != want) {
    return "key||salt length does not match the suite";
  }
  std::string_view field;
  int extra = 0;
  while (f.next(field)) {
    if (++extra > 2) {
      return "too many key-info fields";
    }
    size_t colon = field.find(':');
    if (colon != std::string_view::npos) {
      if (out.has_mki || !parseNum(field.substr(0, colon), out.mki_value, 0, UINT32_MAX) ||
          !parseNum(field.substr(colon + 1), out.mki_length, 1, 128)) {
        return "bad MKI";
      }
      out.has_mki = true;
      continue;
    }
    if (!out.lifetime.empty() || out.has_mki) {
      return "lifetime must precede MKI and appear once";
    }
    out.lifetime = field;
    if (field.size() > 2 && field[0] == '2' && field[1] == '^') {
      uint32_t exp = 0;
      if (!parseNum(field.substr(2), exp, 1, 63)) {
        return "bad lifetime exponent";
      }
      out.lifetime_packets = uint64_t{1} << exp;
    } else if (!parseNum(field, out.lifetime_packets, 1, UINT64_MAX)) {
      return "bad lifetime";
    }
  }
  if (!f.done()) {
    return "empty key-info field";
  }
  return Verdict::valid();
}
}  // namespace

Verdict parseCrypto(std::string_view v, Crypto& out) noexcept {
  Fields f(v);
  std::string_view tag, keys;
  if (!f.next(tag) || !f.next(out.suite) || !f.next(keys)) {
    return "expected <tag> <crypto-suite> <key-params> [<session-params>]";
  }
  out.session_params = f.rest();
  if (tag.size() > 9 || !parseNum(tag, out.tag, 0, 999999999)) {
    return "tag is not 1-9 digits";
  }
  if (!isToken(out.suite)) {
    return "bad crypto-suite";
  }
  size_t want = Crypto::keySaltBytes(out.suite);
  Fields k(keys, ';');
  std::string_view kp;
  out.key_count = 0;
  while (k.next(kp)) {
    if (out.key_count == kMaxCryptoKeys) {
      return "too many keys";
    }
    KeyParam& param = out.keys[out.key_count++];
    param = KeyParam{};
    if (Verdict verdict = parseKeyParam(kp, param, want); !verdict.ok()) {
      return verdict;
    }
  }
  if (!k.done() || out.key_count == 0) {
    return "bad key-params";
  }
  return Verdict::valid();
}

Verdict parseFingerprint(std::string_view v, Fingerprint& out) noexcept {
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos) {
    return "expected <hash-func> <fingerprint>";
  }
  out.hash = v.substr(0, sp);
  out.value = v.substr(sp + 1);
  if (!isToken(out.hash)) {
    return "bad hash function";
  }
  size_t want = 0;
  if (equalsIgnoreCase(out.hash, "sha-256")) {
    want = 32;
  } else if (equalsIgnoreCase(out.hash, "sha-1")) {
    want = 20;
  } else if (equalsIgnoreCase(out.hash, "sha-384")) {
    want = 48;
  } else if (equalsIgnoreCase(out.hash, "sha-512")) {
    want = 64;
  } else if (equalsIgnoreCase(out.hash, "sha-224")) {
    want = 28;
  } else if (equalsIgnoreCase(out.hash, "md5") || equalsIgnoreCase(out.hash, "md2")) {
    want = 16;
  }
  // Hex pairs separated by ':' -> 3n - 1 characters.
  if (out.value.size() < 2 || (out.value.size() + 1) % 3 != 0) {
    return "fingerprint is not colon-separated hex pairs";
  }
  size_t pairs = (out.value.size() + 1) / 3;
  for (size_t i = 0; i < out.value.size(); ++i) {
    bool ok = (i % 3 == 2) ? out.value[i] == ':' : isHex(out.value[i]);
    if (!ok) {
      return "fingerprint is not colon-separated hex pairs";
    }
  }
  if (want != 0 && pairs != want) {
    return "fingerprint length does not match the hash function";
  }
  return Verdict::valid();
}

Verdict parseSetup(std::string_view v) noexcept {
  if (v == "active" || v == "passive" || v == "actpass" || v == "holdconn") {
    return Verdict::valid();
  }
  return "setup is not active, passive, actpass or holdconn";
}

Verdict parseTlsId(std::string_view v) noexcept {
  if (v.size() < 20 || v.size() > 255) {
    return "tls-id must be 20-255 characters";
  }
  for (char c : v) {
    if (!isAlnum(c) && c != '+' && c != '/' && c != '-' && c != '_') {
      return "bad tls-id character";
    }
  }
  return Verdict::valid();
}

Verdict parseIceUfrag(std::string_view v) noexcept {
  if (v.size() < 4 || v.size() > 256 || !allOf(v, isIceChar)) {
    return "ice-ufrag must be 4-256 ice-chars";
  }
  return Verdict::valid();
}

Verdict parseIcePwd(std::string_view v) noexcept {
  if (v.size() < 22 || v.size() > 256 || !allOf(v, isIceChar)) {
    return "ice-pwd must be 22-256 ice-chars";
  }
  return Verdict::valid();
}

Verdict parseIceOptions(std::string_view v) noexcept {
  Fields f(v);
  std::string_view opt;
  int n = 0;
  while (f.next(opt)) {
    if (!isToken(opt)) {
      return "bad ice option";
    }
    ++n;
  }
  if (!f.done() || n == 0) {
    return "bad ice option list";
  }
  return Verdict::valid();
}

Verdict parseCandidate(std::string_view v, Candidate& out) noexcept {
  Fields f(v);
  std::string_view comp, transport, prio, port, typ, type;
  if (!f.next(out.foundation) || !f.next(comp) || !f.next(transport) || !f.next(prio) ||
      !f.next(out.address) || !f.next(port) || !f.next(typ) || !f.next(type)) {
    return "expected <foundation> <component> <transport> <priority> <address> <port> typ "
           "<type>";
  }
  if (out.foundation.size() > 32 || !allOf(out.foundation, isIceChar)) {
    return "bad foundation";
  }
  if (!parseNum(comp, out.component, 1, 256)) {
    return "bad component id";
  }
  if (equalsIgnoreCase(transport, "udp")) {
    out.transport = Transport::Udp;
  } else if (equalsIgnoreCase(transport, "tcp")) {
    out.transport = Transport::Tcp;
  } else {
    return "transport is not UDP or TCP";
  }
  if (prio.size() > 10 || !parseNum(prio, out.priority, 1, UINT32_MAX)) {
    return "bad priority";
  }
  out.mdns = out.address.size() > 6 &&
             equalsIgnoreCase(out.address.substr(out.address.size() - 6), ".local");
  if (!isAddress(out.address)) {
    return "bad connection address";
  }
  if (!parseNum(port, out.port, 0, 65535)) {
    return "bad port";
  }
  if (typ != "typ") {
    return "missing typ";
  }
  if (type == "host") {
    out.type = CandidateType::Host;
  } else if (type == "srflx") {
    out.type = CandidateType::Srflx;
  } else if (type == "prflx") {
    out.type = CandidateType::Prflx;
  } else if (type == "relay") {
    out.type = CandidateType::Relay;
  } else {
    return "candidate type is not host, srflx, prflx or relay";
  }
  out.rel_addr = {};
  out.rel_port = 0;
  out.tcp_type = {};
  out.extensions = f.rest();
  std::string_view name, value;
  // Name/value pairs; bounded by the line length limit.
  while (f.next(name)) {
    if (!f.next(value)) {
      return "extension attribute without value";
    }
    if (name == "raddr") {
      if (!isAddress(value)) {
        return "bad raddr";
      }
      out.rel_addr = value;
    } else if (name == "rport") {
      if (!parseNum(value, out.rel_port, 0, 65535)) {
        return "bad rport";
      }
    } else if (name == "tcptype") {
      if (value != "active" && value != "passive" && value != "so") {
        return "bad tcptype";
      }
      out.tcp_type = value;
    } else if (!isToken(name) || !isToken(value)) {
      return "bad extension attribute";
    }
  }
  if (!f.done()) {
    return "bad extension attributes";
  }
  return Verdict::valid();
}

Verdict parseRid(std::string_view v, Rid& out) noexcept {
  Fields f(v);
  if (!f.next(out.id) || !f.next(out.direction)) {
    return "expected <rid-id> send|recv [<params>]";
  }
  out.params = f.rest();
  if (out.id.size() > 255 || !allOf(out.id, isRidChar)) {
    return "bad rid-id";
  }
  if (out.direction != "send" && out.direction != "recv") {
    return "direction is not send or recv";
  }
  return Verdict::valid();
}

Verdict parseSimulcast(std::string_view v) noexcept {
  Fields f(v);
  std::string_view dir, list;
  int pairs = 0;
  while (f.next(dir)) {
    if ((dir != "send" && dir != "recv") || !f.next(list)) {
      return "expected send|recv <rid list>";
    }
    for (char c : list) {
      if (!isRidChar(c) && c != ';' && c != ',' && c != '~') {
        return "bad rid list";
      }
    }
    ++pairs;
  }
  if (!f.done() || pairs == 0 || pairs > 2) {
    return "bad simulcast value";
  }
  return Verdict::valid();
}

}  // namespace rampart::sdp
