#pragma once
// Splitting lines parse() has already checked: the fast path of extract() (stream_reader.cc).
//
// A Session fresh from parse() had every m=, c= and a=rtpmap line checked by the typed parsers
// (single spaces between fields, numbers in range), so extract() only has to cut the fields
// out: that is a third of the work of checking them again. Edited sessions (validated() false)
// take the checking parsers. tests/fuzz/sdp/grammar_diff_fuzz.cc checks each of these against
// its checking parser on every line that parser accepts.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include <rampart/sdp/attributes.h>

namespace rampart::sdp::detail {

// Decimal digits the parser has range-checked.
inline uint32_t checkedNumber(std::string_view s) noexcept {
  uint32_t v = 0;
  for (char c : s) {
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

// Cuts @p s at the first @p sep: returns the part before, leaves the rest (empty if none).
// Fields are a few bytes long: an inline scan beats a libc memchr call per field.
inline std::string_view cut(std::string_view& s, char sep) noexcept {
  size_t at = 0;
  while (at < s.size() && s[at] != sep) {
    ++at;
  }
  std::string_view head = s.substr(0, at);
  s = at == s.size() ? std::string_view{} : s.substr(at + 1);
  return head;
}

inline void splitMediaLine(std::string_view v, MediaLine& out) noexcept {
  out.kind = cut(v, ' ');
  std::string_view port = cut(v, ' ');
  out.proto = cut(v, ' ');
  out.formats = v;
  std::string_view count = port;
  out.port = static_cast<uint16_t>(checkedNumber(cut(count, '/')));
  out.has_port_count = port.find('/') != std::string_view::npos;
  out.port_count = out.has_port_count ? static_cast<uint16_t>(checkedNumber(count)) : 1;
}

// One pass over "<pt> <encoding>/<clock>[/<channels>]", numbers accumulated as they are read.
inline void splitRtpmap(std::string_view v, Rtpmap& out) noexcept {
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
  out.payload_type = static_cast<uint8_t>(pt);
  out.clock_rate = clock;
  out.has_channels = i < n;
  out.channels = out.has_channels ? static_cast<uint16_t>(checkedNumber(v.substr(i + 1))) : 1;
}

// a=ptime / a=maxptime value the parser checked: the whole milliseconds before any fraction.
inline uint32_t splitPtime(std::string_view v) noexcept {
  uint32_t ms = 0;
  for (size_t i = 0; i < v.size() && v[i] != '.'; ++i) {
    ms = ms * 10 + static_cast<uint32_t>(v[i] - '0');
  }
  return ms;
}

// The connection address without "/ttl/count".
inline std::string_view connectionAddress(std::string_view v) noexcept {
  cut(v, ' ');
  cut(v, ' ');
  return cut(v, '/');
}

}  // namespace rampart::sdp::detail
