#pragma once
// Small text helpers shared by the lab tools (rampart-media-peer, rampart-flowctl): base64 keys,
// SRTP suite names, socket addresses and numbers given on the command line. No I/O.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::tools {

// SRTP suites by their RFC 4568 / RFC 7714 names; the numbering matches abi::SrtpSuite.
enum class SrtpSuite : uint8_t {
  None = 0,
  AesCm128HmacSha1_80 = 1,
  AesCm128HmacSha1_32 = 2,
  AeadAes128Gcm = 3,
  AeadAes256Gcm = 4,
};

struct SuiteInfo {
  SrtpSuite suite;
  const char* name;     // "AES_CM_128_HMAC_SHA1_80", "none"
  std::size_t key_len;  // master key + master salt bytes, 0 for none
  std::size_t tag_len;  // SRTP authentication tag bytes
};

// @return the suite for `name` (exact, case-sensitive as in SDP, or "none"), or nullopt.
std::optional<SuiteInfo> suiteByName(std::string_view name);
const SuiteInfo& suiteInfo(SrtpSuite suite);
// Every accepted suite name separated by ", " (for error messages).
std::string suiteNames();

// Strict base64 (RFC 4648, '=' padding optional). @return nullopt on any invalid character or
// impossible length.
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text);
std::string base64Encode(const uint8_t* data, std::size_t len);

// Decodes an SDES key as written in a=crypto (RFC 4568): "inline:" prefix and "|lifetime|MKI"
// suffix are accepted and ignored. Checks the length against `suite`.
// @return the key+salt bytes, or nullopt with `why` filled.
std::optional<std::vector<uint8_t>> decodeSdesKey(std::string_view text, SrtpSuite suite,
                                                  std::string& why);

// An IPv4 or IPv6 address with a port, parsed from "1.2.3.4:5000" or "[2001:db8::1]:5000".
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const { return storage.ss_family; }
  uint16_t port() const;
  void setPort(uint16_t port);
  // The address bytes: 4 for IPv4, 16 for IPv6.
  const uint8_t* addrBytes() const;
  std::size_t addrLen() const { return family() == AF_INET6 ? 16 : 4; }
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage); }
  std::string toString() const;
};

// @return nullopt when the text is not ADDR:PORT (IPv6 in brackets) or the port is not 0-65535.
std::optional<SockAddr> parseSockAddr(std::string_view text);
// A bare address without port ("1.2.3.4", "2001:db8::1" or "[2001:db8::1]").
std::optional<SockAddr> parseIp(std::string_view text);

// Unsigned integer in decimal or 0x-hex, within [min, max]. @return nullopt otherwise.
std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t min, uint64_t max);
// Decimal number such as "2" or "2.5", within [min, max].
std::optional<double> parseDouble(std::string_view text, double min, double max);

// JSON string literal with quotes and escapes.
std::string jsonQuote(std::string_view s);

}  // namespace rampart::tools
