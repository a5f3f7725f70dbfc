#include "media_peer/tool_util.h"

#include <rampart/platform/base64.h>

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rampart::tools {
namespace {

// Tag lengths per RFC 4568 / RFC 7714; key lengths are master key + master salt.
constexpr std::array<SuiteInfo, 5> kSuites = {{
    {SrtpSuite::None, "none", 0, 0},
    {SrtpSuite::AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80", 30, 10},
    {SrtpSuite::AesCm128HmacSha1_32, "AES_CM_128_HMAC_SHA1_32", 30, 4},
    {SrtpSuite::AeadAes128Gcm, "AEAD_AES_128_GCM", 28, 16},
    {SrtpSuite::AeadAes256Gcm, "AEAD_AES_256_GCM", 44, 16},
}};

}  // namespace

std::optional<SuiteInfo> suiteByName(std::string_view name) {
  for (const auto& s : kSuites) {
    if (name == s.name) {
      return s;
    }
  }
  return std::nullopt;
}

const SuiteInfo& suiteInfo(SrtpSuite suite) {
  for (const auto& s : kSuites) {
    if (s.suite == suite) {
      return s;
    }
  }
  return kSuites[0];
}

std::string suiteNames() {
  std::string out;
  for (const auto& s : kSuites) {
    if (!out.empty()) {
      out += ", ";
    }
    out += s.name;
  }
  return out;
}

std::optional<std::vector<uint8_t>> base64Decode(std::string_view text) {
  return platform::base64Decode(text);
}

std::string base64Encode(const uint8_t* data, std::size_t len) {
  return platform::base64Encode(data, len);
}

std::optional<std::vector<uint8_t>> decodeSdesKey(std::string_view text, SrtpSuite suite,
                                                  std::string& why) {
  constexpr std::string_view kInline = "inline:";
  if (text.substr(0, kInline.size()) == kInline) {
    text.remove_prefix(kInline.size());
  }
  if (const auto bar = text.find('|'); bar != std::string_view::npos) {
    text = text.substr(0, bar);
  }
  auto key = base64Decode(text);
  if (!key) {
    why = "not valid base64";
    return std::nullopt;
  }
  const SuiteInfo& info = suiteInfo(suite);
  if (key->size() != info.key_len) {
    why = "decodes to " + std::to_string(key->size()) + " bytes, " + info.name + " needs " +
          std::to_string(info.key_len) + " (master key + salt)";
    return std::nullopt;
  }
  return key;
}

uint16_t SockAddr::port() const {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

void SockAddr::setPort(uint16_t port) {
  if (family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  }
}

const uint8_t* SockAddr::addrBytes() const {
  if (family() == AF_INET6) {
    return reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr.s6_addr;
  }
  return reinterpret_cast<const uint8_t*>(
      &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr);
}

std::string SockAddr::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family(), addrBytes(), buf, sizeof(buf));
  if (family() == AF_INET6) {
    return std::string("[") + buf + "]:" + std::to_string(port());
  }
  return std::string(buf) + ":" + std::to_string(port());
}

std::optional<SockAddr> parseIp(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  const std::string s(text);
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  if (inet_pton(AF_INET, s.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    a.len = sizeof(sockaddr_in);
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    a.len = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

std::optional<SockAddr> parseSockAddr(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(0, close + 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    // An unbracketed IPv6 address would be ambiguous with the port.
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto a = parseIp(host);
  const auto p = parseUnsigned(port, 0, 65535);
  if (!a || !p || port.substr(0, 2) == "0x") {
    return std::nullopt;
  }
  a->setPort(static_cast<uint16_t>(*p));
  return a;
}

std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t min, uint64_t max) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> parseDouble(std::string_view text, double min, double max) {
  if (text.empty() || text.size() > 32) {
    return std::nullopt;
  }
  // strtod accepts "inf", "nan" and hex floats; a duration only needs digits and one dot.
  for (char c : text) {
    if ((c < '0' || c > '9') && c != '.') {
      return std::nullopt;
    }
  }
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || v < min || v > max) {
    return std::nullopt;
  }
  return v;
}

std::string jsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace rampart::tools
