#pragma once
// Private text helpers shared by the parser, the attribute parsers and the normaliser.
#include <cstddef>
#include <string_view>

namespace rampart::sdp::detail {

inline char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
inline bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }

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
