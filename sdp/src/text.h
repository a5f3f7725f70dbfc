#pragma once
// Private text helpers shared by the parser, the attribute parsers and the normaliser.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace rampart::sdp::detail {

inline char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
inline bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// s == lit with the length known at compile time, so the compare is inlined (string_view's
// operator== calls memcmp).
template <size_t N>
inline bool is(std::string_view s, const char (&lit)[N]) noexcept {
  return s.size() == N - 1 && std::memcmp(s.data(), lit, N - 1) == 0;
}

struct AttrSplit {
  std::string_view name, value;
  bool has_value;
};
// splitAttribute() for the hot loops: attribute names are short, an inline scan beats a call.
inline AttrSplit splitAttr(std::string_view v) noexcept {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == ':') {
      return AttrSplit{v.substr(0, i), v.substr(i + 1), true};
    }
  }
  return AttrSplit{v, {}, false};
}

// Case-insensitive ASCII equality, inlined: codec names are compared in the normaliser's inner
// loops (every policy name against every offered codec), where a byte loop folding both sides
// was the largest cost of building an offer.
inline bool sameNameFold(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  const size_t n = a.size();
  // Names of 4-16 bytes: two overlapping words per side. OR-ing 0x20 into every byte maps both
  // cases of a letter to the same value, so words that still differ cannot match; words that are
  // identical do match. Only a case-only difference takes the byte loop below.
  auto words = [&](auto word) -> int {
    using W = decltype(word);
    W a0, a1, b0, b1;
    std::memcpy(&a0, a.data(), sizeof(W));
    std::memcpy(&a1, a.data() + n - sizeof(W), sizeof(W));
    std::memcpy(&b0, b.data(), sizeof(W));
    std::memcpy(&b1, b.data() + n - sizeof(W), sizeof(W));
    const W fold = static_cast<W>(0x2020202020202020ull);
    if (((a0 | fold) != (b0 | fold)) || ((a1 | fold) != (b1 | fold))) {
      return 0;
    }
    return a0 == b0 && a1 == b1 ? 1 : -1;
  };
  int quick = -1;
  if (n >= 8 && n <= 16) {
    quick = words(uint64_t{});
  } else if (n >= 4 && n < 8) {
    quick = words(uint32_t{});
  }
  if (quick >= 0) {
    return quick == 1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// Attribute names the parser and the normaliser act on. One switch on the name's length replaces
// a chain of up to thirty string compares per a= line.
enum class AttrId : uint8_t {
  Other,
  Rtpmap,
  Fmtp,
  RtcpFb,
  Candidate,
  Ssrc,
  SsrcGroup,
  Extmap,
  Crypto,
  Fingerprint,
  Mid,
  Group,
  Msid,
  Setup,
  TlsId,
  IceUfrag,
  IcePwd,
  IceOptions,
  Ptime,
  Maxptime,
  Rtcp,
  Rid,
  Simulcast,
  SendRecv,
  SendOnly,
  RecvOnly,
  Inactive,
  RtcpMux,
  RtcpRsize,
  EndOfCandidates,
  BundleOnly,
  ExtmapAllowMixed,
  IceLite,
};

inline AttrId attrId(std::string_view n) noexcept {
  // memcmp with a constant length compiles to one or two loads and compares.
  auto is = [&]<size_t N>(const char(&lit)[N]) { return std::memcmp(n.data(), lit, N - 1) == 0; };
  switch (n.size()) {
    case 3: return is("mid") ? AttrId::Mid : is("rid") ? AttrId::Rid : AttrId::Other;
    case 4:
      return is("fmtp")   ? AttrId::Fmtp
             : is("ssrc") ? AttrId::Ssrc
             : is("msid") ? AttrId::Msid
             : is("rtcp") ? AttrId::Rtcp
                          : AttrId::Other;
    case 5:
      return is("ptime")   ? AttrId::Ptime
             : is("setup") ? AttrId::Setup
             : is("group") ? AttrId::Group
                           : AttrId::Other;
    case 6:
      return is("rtpmap")   ? AttrId::Rtpmap
             : is("crypto") ? AttrId::Crypto
             : is("extmap") ? AttrId::Extmap
             : is("tls-id") ? AttrId::TlsId
                            : AttrId::Other;
    case 7: return is("rtcp-fb") ? AttrId::RtcpFb : is("ice-pwd") ? AttrId::IcePwd : AttrId::Other;
    case 8:
      return is("sendrecv")   ? AttrId::SendRecv
             : is("rtcp-mux") ? AttrId::RtcpMux
             : is("maxptime") ? AttrId::Maxptime
             : is("sendonly") ? AttrId::SendOnly
             : is("recvonly") ? AttrId::RecvOnly
             : is("inactive") ? AttrId::Inactive
             : is("ice-lite") ? AttrId::IceLite
                              : AttrId::Other;
    case 9:
      return is("candidate")   ? AttrId::Candidate
             : is("ice-ufrag") ? AttrId::IceUfrag
             : is("simulcast") ? AttrId::Simulcast
                               : AttrId::Other;
    case 10:
      return is("ssrc-group")   ? AttrId::SsrcGroup
             : is("rtcp-rsize") ? AttrId::RtcpRsize
                                : AttrId::Other;
    case 11:
      return is("fingerprint")   ? AttrId::Fingerprint
             : is("ice-options") ? AttrId::IceOptions
             : is("bundle-only") ? AttrId::BundleOnly
                                 : AttrId::Other;
    case 17: return is("end-of-candidates") ? AttrId::EndOfCandidates : AttrId::Other;
    case 18: return is("extmap-allow-mixed") ? AttrId::ExtmapAllowMixed : AttrId::Other;
    default: return AttrId::Other;
  }
}

// RFC 8866 token-char, as a table: validation runs over every byte of every field.
struct TokenTable {
  bool v[256];
  constexpr TokenTable() : v() {
    for (int c = 0x21; c <= 0x7e; ++c) {
      v[c] = true;
    }
    for (char c : {'"', '(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '@', '[', '\\', ']'}) {
      v[static_cast<unsigned char>(c)] = false;
    }
  }
};
inline constexpr TokenTable kTokenTable{};

inline bool isTokenChar(char c) noexcept { return kTokenTable.v[static_cast<unsigned char>(c)]; }

inline bool isToken(std::string_view s) noexcept {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!isTokenChar(c)) {
      return false;
    }
  }
  return true;
}

// Splits at a separator; an empty field (doubled or trailing separator) makes next() fail and
// done() stay false, which the callers report as malformed.
class Fields {
 public:
  explicit Fields(std::string_view s, char sep = ' ') noexcept : s_(s), sep_(sep) {}
  bool next(std::string_view& out) noexcept {
    if (pos_ > s_.size()) {
      return false;
    }
    // Fields are a few bytes long: an inline scan beats a libc memchr call per field.
    size_t at = pos_;
    while (at < s_.size() && s_[at] != sep_) {
      ++at;
    }
    out = s_.substr(pos_, at - pos_);
    if (out.empty()) {
      return false;
    }
    pos_ = at + 1;
    return true;
  }
  bool done() const noexcept { return pos_ > s_.size(); }
  std::string_view rest() const noexcept {
    return pos_ >= s_.size() ? std::string_view{} : s_.substr(pos_);
  }

 private:
  std::string_view s_;
  char sep_;
  size_t pos_ = 0;
};

}  // namespace rampart::sdp::detail
