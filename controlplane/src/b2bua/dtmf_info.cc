#include "b2bua/dtmf_info.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

namespace rampart::cp {
namespace {

constexpr std::string_view kKeys = "0123456789*#ABCD";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// A key as a character ("5", "*", "a") or as its RFC 4733 code ("10" for *, "11" for #).
std::optional<uint8_t> keyOf(std::string_view v) {
  v = trim(v);
  if (v.size() == 1) {
    auto c = static_cast<char>(std::toupper(static_cast<unsigned char>(v[0])));
    auto at = kKeys.find(c);
    if (at != std::string_view::npos) {
      return static_cast<uint8_t>(at);
    }
    return std::nullopt;
  }
  if (v.size() == 2 && std::isdigit(static_cast<unsigned char>(v[0])) != 0 &&
      std::isdigit(static_cast<unsigned char>(v[1])) != 0) {
    int n = (v[0] - '0') * 10 + (v[1] - '0');
    if (n <= 15) {
      return static_cast<uint8_t>(n);
    }
  }
  return std::nullopt;
}

uint16_t durationOf(std::string_view v) {
  v = trim(v);
  uint32_t n = 0;
  for (char c : v.substr(0, 6)) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return 250;
    }
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return v.empty() ? 250 : static_cast<uint16_t>(std::clamp<uint32_t>(n, 40, 5000));
}

std::string_view mediaType(std::string_view content_type) {
  return trim(content_type.substr(0, content_type.find(';')));
}

}  // namespace

bool isDtmfInfo(std::string_view content_type) {
  std::string_view t = mediaType(content_type);
  return (t.size() == 22 && strncasecmp(t.data(), "application/dtmf-relay", 22) == 0) ||
         (t.size() == 16 && strncasecmp(t.data(), "application/dtmf", 16) == 0);
}

std::optional<DtmfDigit> parseDtmfInfo(std::string_view content_type, std::string_view body) {
  if (!isDtmfInfo(content_type)) {
    return std::nullopt;
  }
  if (mediaType(content_type).size() == 16) {  // application/dtmf: the key alone
    auto k = keyOf(body);
    return k ? std::optional<DtmfDigit>(DtmfDigit{*k, 250}) : std::nullopt;
  }
  std::optional<uint8_t> key;
  uint16_t duration = 250;
  while (!body.empty()) {
    auto eol = body.find('\n');
    std::string_view line = trim(body.substr(0, eol));
    body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    std::string_view name = trim(line.substr(0, eq));
    if (startsWithNoCase(name, "signal") && name.size() == 6) {
      key = keyOf(line.substr(eq + 1));
    } else if (startsWithNoCase(name, "duration") && name.size() == 8) {
      duration = durationOf(line.substr(eq + 1));
    }
  }
  return key ? std::optional<DtmfDigit>(DtmfDigit{*key, duration}) : std::nullopt;
}

std::string dtmfInfoBody(const DtmfDigit& d, bool relay) {
  char key = kKeys[d.event & 15];
  if (!relay) {
    return std::string(1, key);
  }
  return "Signal=" + std::string(1, key) + "\r\nDuration=" + std::to_string(d.duration_ms) + "\r\n";
}

std::string_view dtmfInfoType(bool relay) {
  return relay ? "application/dtmf-relay" : "application/dtmf";
}

}  // namespace rampart::cp
