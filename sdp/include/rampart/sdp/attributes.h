#pragma once
// Typed views of SDP lines. Every parseX() takes the line value (after "<type>=" or after
// "a=<name>:") and fills a struct of string_views into that value. Each returns a Verdict: ok,
// or a static string naming what is wrong, which the Parser turns into an Error with the line
// number. They never allocate.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rampart::sdp {

/// The outcome of a grammar check: ok(), or why() not (a static string). As cheap as the
/// pointer it holds; [[nodiscard]] so that a refusal is never dropped by accident.
class [[nodiscard]] Verdict {
 public:
  static constexpr Verdict valid() noexcept { return Verdict(); }
  constexpr Verdict(const char* why) noexcept : why_(why) {}  // NOLINT: `return "bad port";`
  Verdict(std::nullptr_t) = delete;                           ///< say valid(), not nullptr

  constexpr bool ok() const noexcept { return why_ == nullptr; }
  constexpr const char* why() const noexcept { return why_; }  ///< nullptr when ok()

 private:
  constexpr Verdict() noexcept = default;
  const char* why_ = nullptr;
};

struct Origin {
  std::string_view username, session_id, net_type, addr_type, address;
  uint64_t session_version = 0;
};
struct Connection {
  std::string_view net_type, addr_type, address;  ///< address without /ttl/count
  std::string_view suffix;                        ///< "/ttl[/n]" when present
};
struct Bandwidth {
  std::string_view type;
  uint64_t value = 0;
};
struct Timing {
  uint64_t start = 0, stop = 0;
};
struct MediaLine {
  std::string_view kind;  ///< audio, video, application, text, message, image or other token
  uint16_t port = 0;
  uint16_t port_count = 1;
  bool has_port_count = false;
  std::string_view proto;
  std::string_view formats;  ///< space separated, at least one
};
struct Rtpmap {
  uint8_t payload_type = 0;
  std::string_view encoding;
  uint32_t clock_rate = 0;
  uint16_t channels = 1;
  bool has_channels = false;
};
struct Fmtp {
  std::string_view format;  ///< payload type (RTP) or other format token
  std::string_view params;
};
struct RtcpFb {
  std::string_view format;  ///< payload type or "*"
  std::string_view type, param;
};
struct Rtcp {
  uint16_t port = 0;
  std::string_view net_type, addr_type, address;  ///< empty when absent
};
struct Group {
  std::string_view semantics;
  std::string_view tags;  ///< space separated identification tags (may be empty)
};
struct Msid {
  std::string_view id, appdata;
};
struct Ssrc {
  uint32_t ssrc = 0;
  std::string_view attribute, value;
};
struct SsrcGroup {
  std::string_view semantics;
  std::string_view ssrcs;
};
struct Extmap {
  uint16_t id = 0;
  std::string_view direction;  ///< empty, sendonly, recvonly, sendrecv or inactive
  std::string_view uri, extension_attributes;
};
/// One RFC 4568 key-param: "inline:<key||salt>[|lifetime][|MKI:length]".
struct KeyParam {
  std::string_view key_salt;  ///< base64
  std::string_view lifetime;  ///< "2^20" or decimal, empty when absent
  uint64_t lifetime_packets = 0;
  uint32_t mki_value = 0;
  uint8_t mki_length = 0;
  bool has_mki = false;
};
inline constexpr size_t kMaxCryptoKeys = 4;
struct Crypto {
  uint32_t tag = 0;
  std::string_view suite;
  std::array<KeyParam, kMaxCryptoKeys> keys{};
  uint8_t key_count = 0;
  std::string_view session_params;
  /// Bytes of key||salt this suite needs, or 0 for a suite we do not know.
  static size_t keySaltBytes(std::string_view suite) noexcept;
};
struct Fingerprint {
  std::string_view hash;   ///< sha-256 etc. (lower or upper case as received)
  std::string_view value;  ///< colon-separated hex pairs
};
enum class Transport : uint8_t { Udp, Tcp };
enum class CandidateType : uint8_t { Host, Srflx, Prflx, Relay };
struct Candidate {
  std::string_view foundation;
  uint16_t component = 0;
  Transport transport = Transport::Udp;
  uint32_t priority = 0;
  std::string_view address;
  bool mdns = false;  ///< address is an RFC 6762 ".local" name
  uint16_t port = 0;
  CandidateType type = CandidateType::Host;
  std::string_view rel_addr;
  uint16_t rel_port = 0;
  std::string_view tcp_type;
  std::string_view extensions;  ///< remaining "name value" pairs
};
struct Rid {
  std::string_view id, direction, params;
};

enum class Direction : uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
/// @return the attribute name of @p d ("sendrecv", ...).
std::string_view directionName(Direction d) noexcept;
/// @return true and sets @p out when @p name is a direction attribute name.
bool parseDirection(std::string_view name, Direction& out) noexcept;

/// Each returns nullptr or the reason the value is malformed.
Verdict parseOrigin(std::string_view v, Origin& out) noexcept;
Verdict parseConnection(std::string_view v, Connection& out) noexcept;
Verdict parseBandwidth(std::string_view v, Bandwidth& out) noexcept;
Verdict parseTiming(std::string_view v, Timing& out) noexcept;
Verdict parseMediaLine(std::string_view v, MediaLine& out) noexcept;
Verdict parseRtpmap(std::string_view v, Rtpmap& out) noexcept;
Verdict parseFmtp(std::string_view v, Fmtp& out) noexcept;
Verdict parseRtcpFb(std::string_view v, RtcpFb& out) noexcept;
Verdict parsePtime(std::string_view v, uint32_t& milliseconds) noexcept;
Verdict parseRtcp(std::string_view v, Rtcp& out) noexcept;
Verdict parseMid(std::string_view v) noexcept;
Verdict parseGroup(std::string_view v, Group& out) noexcept;
Verdict parseMsid(std::string_view v, Msid& out) noexcept;
Verdict parseSsrc(std::string_view v, Ssrc& out) noexcept;
Verdict parseSsrcGroup(std::string_view v, SsrcGroup& out) noexcept;
Verdict parseExtmap(std::string_view v, Extmap& out) noexcept;
Verdict parseCrypto(std::string_view v, Crypto& out) noexcept;
Verdict parseFingerprint(std::string_view v, Fingerprint& out) noexcept;
Verdict parseSetup(std::string_view v) noexcept;
Verdict parseTlsId(std::string_view v) noexcept;
Verdict parseIceUfrag(std::string_view v) noexcept;
Verdict parseIcePwd(std::string_view v) noexcept;
Verdict parseIceOptions(std::string_view v) noexcept;
Verdict parseCandidate(std::string_view v, Candidate& out) noexcept;
Verdict parseRid(std::string_view v, Rid& out) noexcept;
Verdict parseSimulcast(std::string_view v) noexcept;

/// Splits @p list at single spaces: calls @p fn(token) for each, at most @p maxTokens times.
template <typename Fn>
void forEachToken(std::string_view list, Fn&& fn, size_t max_tokens = 1024) {
  size_t pos = 0;
  for (size_t n = 0; n < max_tokens && pos < list.size(); ++n) {
    size_t sp = list.find(' ', pos);
    if (sp == std::string_view::npos) {
      sp = list.size();
    }
    if (sp > pos) {
      fn(list.substr(pos, sp - pos));
    }
    pos = sp + 1;
  }
}

/// Case-insensitive ASCII comparison.
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;
/// Parses an unsigned decimal with no sign and no leading '+'; false on overflow or junk.
bool parseUint(std::string_view s, uint64_t& out, uint64_t max) noexcept;

}  // namespace rampart::sdp
