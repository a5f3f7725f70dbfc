#pragma once
// Private to the configuration loader. Loading runs in two passes over one ErrorSink:
//  - config_parse.cc walks the YAML tree against the schema (unknown keys, types, ranges,
//    required keys, per-value formats) and records the line of every key it read;
//  - config_validate.cc checks what spans several keys (duplicates, overlaps, references,
//    files), skipping values the parse pass already rejected so one typo gives one error.
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <rampart/platform/config.h>

// NOLINTNEXTLINE(readability-identifier-naming): yaml-cpp names its namespace.
namespace YAML {
class Node;
}

namespace rampart::platform::config_detail {

// Upper bounds shared by the parser (ranges) and the docs; see docs/CONFIG.md.
inline constexpr int kMaxCpu = 1023;  // CPU_SETSIZE - 1
inline constexpr uint32_t kMinRingSlots = 16;
inline constexpr uint32_t kMaxRingSlots = 1u << 20;
inline constexpr uint32_t kMaxIdleTimeoutS = 86400;
inline constexpr uint32_t kMaxIdleBackoffUs = 10000;
inline constexpr uint32_t kMaxRatePerSecond = 1000000;
inline constexpr uint32_t kMaxRateBurst = 10000000;
inline constexpr uint32_t kMinSipMessageBytes = 1024;
inline constexpr uint32_t kMaxSipMessageBytes = 1u << 20;
inline constexpr uint32_t kMinSdpBytes = 128;
inline constexpr std::size_t kMaxRegexLength = 256;
inline constexpr std::size_t kMaxConfigBytes = 1u << 20;
// realms[i].websocket and realms[i].jwt
inline constexpr uint32_t kMinWsMessageBytes = 1024;
inline constexpr uint32_t kMaxWsMessageBytes = 1u << 20;
inline constexpr uint32_t kMaxWsMessagesPerSecond = 100000;
inline constexpr uint32_t kMaxWsIdleTimeoutS = 86400;
inline constexpr uint32_t kMaxWsPingIntervalS = 3600;
inline constexpr uint32_t kMaxWsHandshakeTimeoutS = 60;
inline constexpr uint32_t kMaxJwtLifetimeS = 31 * 86400;
inline constexpr uint32_t kMaxJwtLeewayS = 600;
inline constexpr std::size_t kMinJwtSecretBytes = 32;  // RFC 7518 3.2: key >= hash size

class ErrorSink {
 public:
  void add(std::string key, std::string reason, int line);
  /// Records where `key` was written (1-based; 0 = unknown) so later errors can cite it.
  void setLine(const std::string& key, int line);
  /// Line recorded for `key`, else for its closest recorded parent, else 0.
  int line(const std::string& key) const;
  /// True when an error was reported at `key` or anywhere below it.
  bool failed(const std::string& key) const;
  /// True when an error was reported at exactly `key` (e.g. "not a map").
  bool failedAt(const std::string& key) const;
  bool empty() const { return errors_.empty(); }
  /// The errors in file order; those without a line last.
  std::vector<ConfigError> take();

 private:
  std::vector<ConfigError> errors_;
  std::set<std::string> error_keys_;  // for failed(): ordered, so prefixes are one lookup
  std::unordered_map<std::string, int> lines_;
};

/// Fills `config` (which starts with the defaults) from the document `root`.
void parseConfig(const YAML::Node& root, Config* config, ErrorSink* sink);

/// Cross-key checks; resolves relative TLS file paths against `base_dir` in place.
void validateConfig(Config* config, const std::string& base_dir, ErrorSink* sink);

/// Why `text` is not an acceptable CIDR, or "" when parseCidr accepts it.
std::string cidrProblem(const std::string& text);

}  // namespace rampart::platform::config_detail
