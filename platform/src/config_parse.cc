// Parse pass: walks the YAML tree against the schema in docs/CONFIG.md. Every map is checked
// for unknown and duplicate keys, every value for its type, range and format, and what is
// required for presence. Checks that need more than one value live in config_validate.cc.
#include <strings.h>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <span>

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config_internal.h"

namespace rampart::platform::config_detail {
namespace {

using KeyList = std::span<const std::string_view>;

constexpr std::string_view kRootKeys[] = {"node",     "dataplane",  "realms", "routes",
                                          "security", "management", "sip",    "dtls"};
constexpr std::string_view kDtlsKeys[] = {"certificate", "private_key", "handshake_timeout_s"};
constexpr std::string_view kSipKeys[] = {"t1_ms",
                                         "no_answer_timeout_s",
                                         "max_call_duration_s",
                                         "flow_ack_timeout_ms",
                                         "options_interval_s",
                                         "session_expires_s",
                                         "dns_servers",
                                         "tls_client"};
constexpr std::string_view kSipTlsClientKeys[] = {"verify", "ca_file", "certificate",
                                                  "private_key"};
constexpr std::string_view kSdpPolicyKeys[] = {
    "srtp", "dtls",     "rtcp_mux", "codecs", "ptime", "latch", "transcode", "max_transcoded_calls",
    "dtmf", "dtmf_info"};
constexpr std::string_view kDtmfModes[] = {"rfc4733", "sip_info"};
constexpr std::string_view kDtmfInfoFormats[] = {"dtmf-relay", "dtmf"};
constexpr std::string_view kSrtpPolicies[] = {"off", "sdes", "dual"};
constexpr std::string_view kNodeKeys[] = {"name", "shm_name", "log_level"};
constexpr std::string_view kDataplaneKeys[] = {
    "worker_cpus",    "main_cpu",        "eal_args", "flow_capacity",
    "idle_timeout_s", "idle_backoff_us", "rings",    "require_locked_memory",
    "srtp_engine"};
constexpr std::string_view kRingKeys[] = {"command_slots", "event_slots", "punt_slots",
                                          "inject_slots"};
constexpr std::string_view kRealmKeys[] = {"name",  "sdp_profile", "signalling",      "tls",
                                           "media", "dscp",        "allowed_origins", "websocket",
                                           "jwt",   "sdp",         "security",        "turn"};
constexpr std::string_view kRealmSecurityKeys[] = {
    "allow",    "deny",      "requests_per_source", "invite_per_source", "register_per_source",
    "requests", "max_calls", "deny_countries",      "allow_countries"};
constexpr std::string_view kTurnKeys[] = {"secret_file", "ttl_s", "uris", "path"};
constexpr std::string_view kWebSocketKeys[] = {"max_message_bytes", "max_messages_per_second",
                                               "idle_timeout_s", "ping_interval_s",
                                               "handshake_timeout_s"};
constexpr std::string_view kJwtKeys[] = {"required",       "issuer",   "audience",
                                         "max_lifetime_s", "leeway_s", "keys"};
constexpr std::string_view kJwtKeyKeys[] = {"kid", "alg", "secret_file", "public_key"};
constexpr std::string_view kJwtAlgs[] = {"HS256", "RS256", "ES256"};
constexpr JwtAlg kJwtAlgValues[] = {JwtAlg::Hs256, JwtAlg::Rs256, JwtAlg::Es256};
constexpr std::string_view kListenerKeys[] = {"transport", "address", "port"};
constexpr std::string_view kTlsKeys[] = {"certificate", "private_key"};
constexpr std::string_view kMediaKeys[] = {"interface", "devargs",     "address", "prefix_len",
                                           "address6",  "prefix_len6", "gateway", "gateway6",
                                           "port_min",  "port_max"};
constexpr std::string_view kDscpKeys[] = {"audio", "video", "signalling"};
constexpr std::string_view kRouteKeys[] = {"name",   "from",    "to",        "match_user",
                                           "target", "targets", "max_calls", "calls_per_second"};
constexpr std::string_view kTargetKeys[] = {"uri", "priority", "weight"};
constexpr std::string_view kSecurityKeys[] = {"invite_per_source",
                                              "register_per_source",
                                              "invite_global",
                                              "allowed_origins",
                                              "deny",
                                              "max_sip_message_bytes",
                                              "max_sdp_bytes",
                                              "requests_per_source",
                                              "per_aor",
                                              "allow",
                                              "replies_per_source",
                                              "ban",
                                              "auth_failures",
                                              "jwt_failures",
                                              "scanner_user_agents",
                                              "max_tracked_sources",
                                              "ban_file",
                                              "kernel_ban_filter",
                                              "connections",
                                              "geo"};
constexpr std::string_view kGeoKeys[] = {"database", "deny_countries", "allow_countries"};
constexpr std::string_view kConnectionKeys[] = {"max_per_source", "max_total", "new_per_source",
                                                "unauthenticated_timeout_s"};
constexpr std::string_view kBanKeys[] = {"after_rejections", "window_s", "duration_s"};
constexpr std::string_view kFailureKeys[] = {"max", "window_s"};
constexpr std::string_view kRateKeys[] = {"per_second", "burst"};
constexpr std::string_view kManagementKeys[] = {
    "address", "controlplane_port", "dataplane_port", "api", "cdr", "audit"};
constexpr std::string_view kCdrKeys[] = {"directory", "max_file_bytes", "max_files",
                                         "fsync_interval_ms"};
constexpr std::string_view kAuditKeys[] = {"file"};
constexpr std::string_view kApiKeys[] = {"port", "tls", "tokens"};
constexpr std::string_view kApiTokenKeys[] = {"name", "role", "sha256"};
constexpr std::string_view kApiRoles[] = {"viewer", "operator", "admin"};
constexpr ApiRole kApiRoleValues[] = {ApiRole::Viewer, ApiRole::Operator, ApiRole::Admin};

constexpr std::string_view kTransports[] = {"udp", "tcp", "tls", "ws", "wss"};
constexpr Transport kTransportValues[] = {Transport::Udp, Transport::Tcp, Transport::Tls,
                                          Transport::Ws, Transport::Wss};
// Default listener port per transport when `port` is left out (RFC 3261, RFC 7118 practice).
constexpr uint16_t kTransportPorts[] = {5060, 5060, 5061, 80, 443};
constexpr std::string_view kSdpProfiles[] = {"webrtc", "trunk"};
constexpr std::string_view kLogLevels[] = {"debug", "info", "warn", "error"};

int lineOf(const YAML::Node& n) {
  int line = n.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

std::string join(KeyList keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) {
      out += ", ";
    }
    out += k;
  }
  return out;
}

// Values are echoed in errors; keep them short and printable whatever the file holds.
std::string clip(const std::string& s) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += std::isprint(c) ? static_cast<char>(c) : '?';
  }
  if (s.size() > kMax) {
    out += "...";
  }
  return out;
}

bool isQuoted(const YAML::Node& n) { return n.Tag() == "!"; }

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "an empty value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar:
      if (isQuoted(n)) {
        return "the quoted string \"" + clip(n.Scalar()) + "\"";
      }
      return "'" + clip(n.Scalar()) + "'";
    case YAML::NodeType::Undefined: break;
  }
  return "an undefined value";
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string childKey(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string indexKey(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// One YAML map checked against the keys it may hold. Unknown and duplicate keys are reported
// when it is opened; values are then looked up by name.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, KeyList allowed, ErrorSink* sink)
      : path_(std::move(path)), line_(lineOf(node)), sink_(sink) {
    if (!node.IsMap()) {
      sink_->add(path_, "expected a map, got " + describe(node), line_);
      return;
    }
    ok_ = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: the iterator's operator-> hands out a proxy that dies with the statement.
      YAML::Node k = (*it).first;
      YAML::Node value = (*it).second;
      if (!k.IsScalar()) {
        sink_->add(path_, "keys must be plain names, got " + describe(k), lineOf(k));
        continue;
      }
      const std::string& name = k.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        sink_->add(childKey(path_, clip(name)), unknownKeyReason(name, allowed), lineOf(k));
        continue;
      }
      auto dup = std::find_if(entries_.begin(), entries_.end(),
                              [&](const Entry& e) { return e.key == name; });
      if (dup != entries_.end()) {
        sink_->add(childKey(path_, name),
                   "duplicate key (first given at line " + std::to_string(dup->line) + ")",
                   lineOf(k));
        continue;
      }
      entries_.push_back(Entry{name, value, lineOf(k)});
      sink_->setLine(childKey(path_, name), lineOf(k));
    }
  }

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  std::string keyPath(std::string_view key) const { return childKey(path_, key); }

  // The value of `key`; nullopt when absent, and then an error if `required`.
  std::optional<YAML::Node> get(std::string_view key, bool required) const {
    for (const Entry& e : entries_) {
      if (e.key == key) {
        return e.value;
      }
    }
    if (required && ok_) {
      // Cite the line naming this map ("media:") rather than its first key.
      int line = sink_->line(path_);
      sink_->add(keyPath(key), "missing required key", line > 0 ? line : line_);
    }
    return std::nullopt;
  }

  ErrorSink* sink() const { return sink_; }

 private:
  static std::string unknownKeyReason(const std::string& name, KeyList allowed) {
    std::string reason = "unknown key '" + clip(name) + "'";
    std::size_t best = 3;
    std::string_view guess;
    // Suggestions are for typos; a long name is not one, and would cost time on big input.
    for (std::string_view a : name.size() <= 64 ? allowed : KeyList()) {
      std::size_t d = editDistance(name, a);
      if (d < best) {
        best = d;
        guess = a;
      }
    }
    if (!guess.empty()) {
      reason += " (did you mean '" + std::string(guess) + "'?)";
    }
    return reason + "; expected one of " + join(allowed);
  }

  struct Entry {
    std::string key;
    YAML::Node value;
    int line;
  };
  std::string path_;
  int line_;
  ErrorSink* sink_;
  bool ok_ = false;
  std::vector<Entry> entries_;
};

// --- scalar readers: each reports its own error and returns false ---------------------------

bool readInteger(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi, int64_t* out,
                 ErrorSink* sink) {
  auto fail = [&](const std::string& why) {
    sink->add(key, why, lineOf(n));
    return false;
  };
  if (!n.IsScalar() || isQuoted(n)) {
    return fail("expected an integer, got " + describe(n));
  }
  const std::string& s = n.Scalar();
  std::string_view digits(s);
  bool negative = !digits.empty() && digits[0] == '-';
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    digits.remove_prefix(1);
  }
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail("expected an integer, got " + describe(n));
  }
  std::string range = " is out of range (" + std::to_string(lo) + "-" + std::to_string(hi) + ")";
  // 18 digits cannot overflow int64; anything longer is outside every range we accept.
  if (digits.size() > 18) {
    return fail(clip(s) + range);
  }
  int64_t v = std::stoll(std::string(digits));
  if (negative) {
    v = -v;
  }
  if (v < lo || v > hi) {
    return fail(std::to_string(v) + range);
  }
  *out = v;
  return true;
}

template <typename T>
void readNumber(const MapReader& m, std::string_view key, int64_t lo, int64_t hi, T* out,
                bool required = false) {
  std::optional<YAML::Node> n = m.get(key, required);
  int64_t v = 0;
  if (n && readInteger(*n, m.keyPath(key), lo, hi, &v, m.sink())) {
    *out = static_cast<T>(v);
  }
}

bool readStringNode(const YAML::Node& n, const std::string& key, std::string* out,
                    ErrorSink* sink) {
  if (!n.IsScalar()) {
    sink->add(key, "expected a string, got " + describe(n), lineOf(n));
    return false;
  }
  *out = n.Scalar();
  return true;
}

// `allow_empty` false: "" is reported like a missing value, since an empty name or path is
// never what was meant.
void readString(const MapReader& m, std::string_view key, std::string* out, bool required,
                bool allow_empty = true) {
  std::optional<YAML::Node> n = m.get(key, required);
  std::string v;
  if (!n || !readStringNode(*n, m.keyPath(key), &v, m.sink())) {
    return;
  }
  if (v.empty() && !allow_empty) {
    m.sink()->add(m.keyPath(key), "must not be empty", lineOf(*n));
    return;
  }
  *out = std::move(v);
}

void readBool(const MapReader& m, std::string_view key, bool* out) {
  std::optional<YAML::Node> n = m.get(key, false);
  if (!n) {
    return;
  }
  // Only the two spellings people mean; YAML 1.1's yes/on/y are typos waiting to happen.
  if (n->IsScalar() && !isQuoted(*n) && (n->Scalar() == "true" || n->Scalar() == "false")) {
    *out = n->Scalar() == "true";
    return;
  }
  m.sink()->add(m.keyPath(key), "expected true or false, got " + describe(*n), lineOf(*n));
}

// Index into `names` of the value of `key`, or -1 (absent or reported).
int readEnum(const MapReader& m, std::string_view key, KeyList names, bool required) {
  std::optional<YAML::Node> n = m.get(key, required);
  std::string v;
  if (!n || !readStringNode(*n, m.keyPath(key), &v, m.sink())) {
    return -1;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == v) {
      return static_cast<int>(i);
    }
  }
  m.sink()->add(m.keyPath(key), "unknown value '" + clip(v) + "'; expected one of " + join(names),
                lineOf(*n));
  return -1;
}

// family 0: either; 4 or 6: only that family.
std::optional<IpAddress> readIp(const MapReader& m, std::string_view key, int family,
                                bool required) {
  std::optional<YAML::Node> n = m.get(key, required);
  std::string text;
  if (!n || !readStringNode(*n, m.keyPath(key), &text, m.sink())) {
    return std::nullopt;
  }
  std::optional<IpAddress> ip = parseIpAddress(text);
  if (!ip) {
    m.sink()->add(m.keyPath(key), "'" + clip(text) + "' is not an IP address", lineOf(*n));
    return std::nullopt;
  }
  if (family != 0 && ip->family != family) {
    m.sink()->add(m.keyPath(key),
                  "'" + clip(text) + "' is not an IPv" + std::to_string(family) + " address",
                  lineOf(*n));
    return std::nullopt;
  }
  return ip;
}

// Calls `each(element, key)` for every element of the list at `key`; false when absent or not
// a list (reported).
template <typename F>
bool forEachInList(const MapReader& m, std::string_view key, bool required, F each) {
  std::optional<YAML::Node> n = m.get(key, required);
  if (!n) {
    return false;
  }
  std::string path = m.keyPath(key);
  if (!n->IsSequence()) {
    m.sink()->add(path, "expected a list, got " + describe(*n), lineOf(*n));
    return false;
  }
  for (std::size_t i = 0; i < n->size(); ++i) {
    YAML::Node element = (*n)[i];
    std::string element_key = indexKey(path, i);
    m.sink()->setLine(element_key, lineOf(element));
    each(element, element_key);
  }
  return true;
}

// --- sections -------------------------------------------------------------------------------

void parseNodeSection(const YAML::Node& n, Config* c, ErrorSink* sink) {
  MapReader m(n, "node", kNodeKeys, sink);
  readString(m, "name", &c->node_name, false, false);
  readString(m, "shm_name", &c->shm_name, false, false);
  int level = readEnum(m, "log_level", kLogLevels, false);
  if (level >= 0) {
    c->log_level = std::string(kLogLevels[static_cast<std::size_t>(level)]);
  }
}

std::string nextPowerOfTwo(int64_t v) {
  int64_t p = 1;
  while (p < v) {
    p <<= 1;
  }
  return std::to_string(p);
}

void readRingSlots(const MapReader& m, std::string_view key, uint32_t* out) {
  std::optional<YAML::Node> n = m.get(key, false);
  int64_t v = 0;
  if (!n || !readInteger(*n, m.keyPath(key), kMinRingSlots, kMaxRingSlots, &v, m.sink())) {
    return;
  }
  if ((v & (v - 1)) != 0) {
    m.sink()->add(m.keyPath(key),
                  std::to_string(v) + " is not a power of two (try " + nextPowerOfTwo(v) + ")",
                  lineOf(*n));
    return;
  }
  *out = static_cast<uint32_t>(v);
}

void parseDataplane(const YAML::Node& n, DataplaneSettings* d, ErrorSink* sink) {
  MapReader m(n, "dataplane", kDataplaneKeys, sink);
  std::vector<int> cpus;
  bool listed =
      forEachInList(m, "worker_cpus", false, [&](const YAML::Node& e, const std::string& key) {
        int64_t v = 0;
        if (readInteger(e, key, 0, kMaxCpu, &v, sink)) {
          cpus.push_back(static_cast<int>(v));
        }
      });
  if (listed) {
    if (m.get("worker_cpus", false)->size() == 0) {
      sink->add(m.keyPath("worker_cpus"), "must list at least one CPU",
                lineOf(*m.get("worker_cpus", false)));
    }
    d->worker_cpus = std::move(cpus);
  }
  readNumber(m, "main_cpu", 0, kMaxCpu, &d->main_cpu);
  std::vector<std::string> args;
  if (forEachInList(m, "eal_args", false, [&](const YAML::Node& e, const std::string& key) {
        std::string s;
        if (readStringNode(e, key, &s, sink)) {
          args.push_back(std::move(s));
        }
      })) {
    d->eal_args = std::move(args);
  }
  readNumber(m, "flow_capacity", 1, kMaxFlowCapacity, &d->flow_capacity);
  readNumber(m, "idle_timeout_s", 1, kMaxIdleTimeoutS, &d->idle_timeout_s);
  readNumber(m, "idle_backoff_us", 0, kMaxIdleBackoffUs, &d->idle_backoff_us);
  readBool(m, "require_locked_memory", &d->require_locked_memory);
  static constexpr std::string_view kSrtpEngines[] = {"fast", "libsrtp"};
  if (int e = readEnum(m, "srtp_engine", kSrtpEngines, false); e >= 0) {
    d->srtp_engine = static_cast<DataplaneSettings::SrtpEngine>(e);
  }
  if (std::optional<YAML::Node> rings = m.get("rings", false)) {
    MapReader r(*rings, m.keyPath("rings"), kRingKeys, sink);
    readRingSlots(r, "command_slots", &d->command_slots);
    readRingSlots(r, "event_slots", &d->event_slots);
    readRingSlots(r, "punt_slots", &d->punt_slots);
    readRingSlots(r, "inject_slots", &d->inject_slots);
  }
}

void parseListener(const YAML::Node& n, const std::string& path, SignallingListener* l,
                   ErrorSink* sink) {
  MapReader m(n, path, kListenerKeys, sink);
  int t = readEnum(m, "transport", kTransports, true);
  if (t >= 0) {
    l->transport = kTransportValues[t];
    l->port = kTransportPorts[t];
  }
  if (std::optional<IpAddress> ip = readIp(m, "address", 0, true)) {
    l->address = std::move(*ip);
  }
  readNumber(m, "port", 1, 65535, &l->port);
}

void parseMedia(const MapReader& m, MediaSettings* media) {
  readString(m, "interface", &media->interface, false);
  // One device as a string, or several as a list (one realm on several NICs).
  if (std::optional<YAML::Node> n = m.get("devargs", true)) {
    std::vector<std::string> devs;
    auto take = [&](const YAML::Node& e, const std::string& key) {
      std::string s;
      if (!readStringNode(e, key, &s, m.sink())) {
        return;
      }
      if (s.empty()) {
        m.sink()->add(key, "must not be empty", lineOf(e));
        return;
      }
      devs.push_back(std::move(s));
    };
    if (n->IsSequence()) {
      forEachInList(m, "devargs", true, take);
      if (n->size() == 0) {
        m.sink()->add(m.keyPath("devargs"), "must list at least one DPDK device", lineOf(*n));
      } else if (n->size() > kMaxPortsPerRealm) {
        m.sink()->add(m.keyPath("devargs"),
                      "at most " + std::to_string(kMaxPortsPerRealm) + " devices per realm",
                      lineOf(*n));
      }
    } else {
      take(*n, m.keyPath("devargs"));
    }
    media->devargs = std::move(devs);
  }
  if (std::optional<IpAddress> ip = readIp(m, "address", 4, true)) {
    media->address = std::move(*ip);
  }
  readNumber(m, "prefix_len", 1, 32, &media->prefix_len);
  media->address6 = readIp(m, "address6", 6, false);
  readNumber(m, "prefix_len6", 1, 128, &media->prefix_len6);
  media->gateway = readIp(m, "gateway", 4, false);
  media->gateway6 = readIp(m, "gateway6", 6, false);
  readNumber(m, "port_min", 1, 65535, &media->port_min, true);
  readNumber(m, "port_max", 1, 65535, &media->port_max, true);
}

void readStringList(const MapReader& m, std::string_view key, std::vector<std::string>* out) {
  if (!m.get(key, false)) {
    return;
  }
  std::vector<std::string> items;
  forEachInList(m, key, false, [&](const YAML::Node& e, const std::string& item_key) {
    std::string v;
    if (readStringNode(e, item_key, &v, m.sink())) {
      items.push_back(std::move(v));
    }
  });
  *out = std::move(items);
}

void parseSdpPolicy(const MapReader& m, SdpPolicy* sdp) {
  int srtp = readEnum(m, "srtp", kSrtpPolicies, false);
  if (srtp >= 0) {
    constexpr SrtpPolicy kPolicies[] = {SrtpPolicy::Off, SrtpPolicy::Sdes, SrtpPolicy::Dual};
    sdp->srtp = kPolicies[srtp];
  }
  readBool(m, "dtls", &sdp->dtls);
  readBool(m, "rtcp_mux", &sdp->rtcp_mux);
  readStringList(m, "codecs", &sdp->codecs);
  readNumber(m, "ptime", 0, 120, &sdp->ptime);
  readBool(m, "latch", &sdp->latch);
  if (m.get("transcode", false)) {
    std::vector<std::string> items;
    forEachInList(m, "transcode", false, [&](const YAML::Node& e, const std::string& item_key) {
      std::string c;
      if (!readStringNode(e, item_key, &c, m.sink())) {
        return;
      }
      if (strcasecmp(c.c_str(), "PCMU") != 0 && strcasecmp(c.c_str(), "PCMA") != 0 &&
          strcasecmp(c.c_str(), "G722") != 0 && strcasecmp(c.c_str(), "opus") != 0) {
        m.sink()->add(item_key, "'" + c + "' cannot be transcoded (PCMU, PCMA, G722 or opus)",
                      lineOf(e));
        return;
      }
      items.push_back(std::move(c));
    });
    sdp->transcode = std::move(items);
  }
  readNumber(m, "max_transcoded_calls", 0, 1000000, &sdp->max_transcoded_calls);
  if (int d = readEnum(m, "dtmf", kDtmfModes, false); d >= 0) {
    sdp->dtmf = d == 0 ? DtmfMode::Rfc4733 : DtmfMode::SipInfo;
  }
  if (int f = readEnum(m, "dtmf_info", kDtmfInfoFormats, false); f >= 0) {
    sdp->dtmf_info = f == 0 ? DtmfInfoFormat::DtmfRelay : DtmfInfoFormat::Dtmf;
  }
}

void parseSip(const MapReader& m, SipSettings* sip) {
  readNumber(m, "t1_ms", 10, 10000, &sip->t1_ms);
  readNumber(m, "no_answer_timeout_s", 1, 3600, &sip->no_answer_timeout_s);
  readNumber(m, "max_call_duration_s", 1, 604800, &sip->max_call_duration_s);
  readNumber(m, "flow_ack_timeout_ms", 10, 10000, &sip->flow_ack_timeout_ms);
  readNumber(m, "options_interval_s", 0, 3600, &sip->options_interval_s);
  if (m.get("session_expires_s", false)) {
    readNumber(m, "session_expires_s", 0, 86400, &sip->session_expires_s);
    if (sip->session_expires_s != 0 && sip->session_expires_s < 90) {
      m.sink()->add(m.keyPath("session_expires_s"),
                    "must be 0 (off) or at least 90 (RFC 4028 Min-SE)", 0);
    }
  }
  readStringList(m, "dns_servers", &sip->dns_servers);
  if (std::optional<YAML::Node> n = m.get("tls_client", false)) {
    MapReader tm(*n, m.keyPath("tls_client"), kSipTlsClientKeys, m.sink());
    SipTlsClient* tls = &sip->tls_client;
    readBool(tm, "verify", &tls->verify);
    readString(tm, "ca_file", &tls->ca_file, false, false);
    readString(tm, "certificate", &tls->certificate, false, false);
    readString(tm, "private_key", &tls->private_key, false, false);
    if (tls->certificate.empty() != tls->private_key.empty()) {
      m.sink()->add(tm.keyPath(tls->certificate.empty() ? "certificate" : "private_key"),
                    "certificate and private_key go together", 0);
    }
  }
}

// --- realms[i].allowed_origins, .websocket, .jwt (the WebSocket edge) ----------------------

void parseStringList(const MapReader& m, std::string_view key, std::vector<std::string>* out) {
  forEachInList(m, key, false, [&](const YAML::Node& e, const std::string& k) {
    std::string s;
    if (readStringNode(e, k, &s, m.sink())) {
      out->push_back(std::move(s));
    }
  });
}

void parseWebSocket(const YAML::Node& n, const std::string& path, WebSocketSettings* ws,
                    ErrorSink* sink) {
  MapReader m(n, path, kWebSocketKeys, sink);
  readNumber(m, "max_message_bytes", kMinWsMessageBytes, kMaxWsMessageBytes,
             &ws->max_message_bytes);
  readNumber(m, "max_messages_per_second", 1, kMaxWsMessagesPerSecond,
             &ws->max_messages_per_second);
  readNumber(m, "idle_timeout_s", 1, kMaxWsIdleTimeoutS, &ws->idle_timeout_s);
  readNumber(m, "ping_interval_s", 1, kMaxWsPingIntervalS, &ws->ping_interval_s);
  readNumber(m, "handshake_timeout_s", 1, kMaxWsHandshakeTimeoutS, &ws->handshake_timeout_s);
}

void parseJwtKey(const YAML::Node& n, const std::string& path, JwtKey* key, ErrorSink* sink) {
  MapReader m(n, path, kJwtKeyKeys, sink);
  readString(m, "kid", &key->kid, true, false);
  int alg = readEnum(m, "alg", kJwtAlgs, true);
  if (alg >= 0) {
    key->alg = kJwtAlgValues[alg];
  }
  readString(m, "secret_file", &key->secret_file, false, false);
  readString(m, "public_key", &key->public_key, false, false);
}

void parseJwt(const YAML::Node& n, const std::string& path, JwtSettings* jwt, ErrorSink* sink) {
  MapReader m(n, path, kJwtKeys, sink);
  readBool(m, "required", &jwt->required);
  readString(m, "issuer", &jwt->issuer, false, false);
  readString(m, "audience", &jwt->audience, false, false);
  readNumber(m, "max_lifetime_s", 1, kMaxJwtLifetimeS, &jwt->max_lifetime_s);
  readNumber(m, "leeway_s", 0, kMaxJwtLeewayS, &jwt->leeway_s);
  forEachInList(m, "keys", false, [&](const YAML::Node& e, const std::string& key) {
    JwtKey k;
    parseJwtKey(e, key, &k, sink);
    jwt->keys.push_back(std::move(k));
  });
}

void readRate(const MapReader& m, std::string_view key, RateLimit* rate) {
  if (std::optional<YAML::Node> n = m.get(key, false)) {
    MapReader r(*n, m.keyPath(key), kRateKeys, m.sink());
    readNumber(r, "per_second", 1, kMaxRatePerSecond, &rate->per_second);
    readNumber(r, "burst", 1, kMaxRateBurst, &rate->burst);
  }
}

// An optional rate: both keys required, since there is no default to keep.
void readOptionalRate(const MapReader& m, std::string_view key, std::optional<RateLimit>* rate) {
  if (std::optional<YAML::Node> n = m.get(key, false)) {
    MapReader r(*n, m.keyPath(key), kRateKeys, m.sink());
    RateLimit v;
    readNumber(r, "per_second", 1, kMaxRatePerSecond, &v.per_second);
    readNumber(r, "burst", 1, kMaxRateBurst, &v.burst);
    if (r.ok() && r.get("per_second", true) && r.get("burst", true)) {
      *rate = v;
    }
  }
}

void readCidrList(const MapReader& m, std::string_view key, std::vector<Cidr>* out) {
  forEachInList(m, key, false, [&](const YAML::Node& e, const std::string& item_key) {
    std::string text;
    if (!readStringNode(e, item_key, &text, m.sink())) {
      return;
    }
    std::string problem = cidrProblem(text);
    if (!problem.empty()) {
      m.sink()->add(item_key, problem, lineOf(e));
      return;
    }
    out->push_back(*parseCidr(text));
  });
}

void parseRealmSecurity(const YAML::Node& n, const std::string& path, RealmSecurity* s,
                        ErrorSink* sink) {
  MapReader m(n, path, kRealmSecurityKeys, sink);
  readCidrList(m, "allow", &s->allow);
  readCidrList(m, "deny", &s->deny);
  readOptionalRate(m, "requests_per_source", &s->requests_per_source);
  readOptionalRate(m, "invite_per_source", &s->invite_per_source);
  readOptionalRate(m, "register_per_source", &s->register_per_source);
  readOptionalRate(m, "requests", &s->requests);
  readNumber(m, "max_calls", 0, 10000000, &s->max_calls);
  readStringList(m, "deny_countries", &s->deny_countries);
  readStringList(m, "allow_countries", &s->allow_countries);
}

void parseRealmWebEdge(const MapReader& m, Realm* realm) {
  if (std::optional<YAML::Node> sec = m.get("security", false)) {
    parseRealmSecurity(*sec, m.keyPath("security"), &realm->security, m.sink());
  }
  if (m.get("allowed_origins", false)) {
    std::vector<std::string> origins;
    parseStringList(m, "allowed_origins", &origins);
    realm->allowed_origins = std::move(origins);
  }
  if (std::optional<YAML::Node> ws = m.get("websocket", false)) {
    parseWebSocket(*ws, m.keyPath("websocket"), &realm->websocket, m.sink());
  }
  if (std::optional<YAML::Node> jwt = m.get("jwt", false)) {
    parseJwt(*jwt, m.keyPath("jwt"), &realm->jwt, m.sink());
  }
  if (std::optional<YAML::Node> turn = m.get("turn", false)) {
    MapReader t(*turn, m.keyPath("turn"), kTurnKeys, m.sink());
    TurnSettings& ts = realm->turn.emplace();
    readString(t, "secret_file", &ts.secret_file, true, false);
    readNumber(t, "ttl_s", 60, int64_t{7} * 86400, &ts.ttl_s);
    parseStringList(t, "uris", &ts.uris);
    if (!t.get("uris", true)) {
      ts.uris.clear();
    }
    readString(t, "path", &ts.path, false, false);
  }
}

void parseRealm(const YAML::Node& n, const std::string& path, Realm* realm, ErrorSink* sink) {
  MapReader m(n, path, kRealmKeys, sink);
  readString(m, "name", &realm->name, true, false);
  int profile = readEnum(m, "sdp_profile", kSdpProfiles, false);
  if (profile >= 0) {
    realm->sdp_profile = profile == 0 ? SdpProfile::WebRtc : SdpProfile::Trunk;
  }
  bool listed =
      forEachInList(m, "signalling", true, [&](const YAML::Node& e, const std::string& key) {
        SignallingListener l;
        parseListener(e, key, &l, sink);
        realm->signalling.push_back(std::move(l));
      });
  if (listed && realm->signalling.empty()) {
    sink->add(m.keyPath("signalling"), "must list at least one listener",
              lineOf(*m.get("signalling", false)));
  }
  if (std::optional<YAML::Node> tls = m.get("tls", false)) {
    MapReader t(*tls, m.keyPath("tls"), kTlsKeys, sink);
    TlsSettings settings;
    readString(t, "certificate", &settings.certificate, true, false);
    readString(t, "private_key", &settings.private_key, true, false);
    realm->tls = std::move(settings);
  }
  if (std::optional<YAML::Node> media = m.get("media", true)) {
    MapReader md(*media, m.keyPath("media"), kMediaKeys, sink);
    if (md.ok()) {
      parseMedia(md, &realm->media);
    }
  }
  if (std::optional<YAML::Node> sdp = m.get("sdp", false)) {
    MapReader sp(*sdp, m.keyPath("sdp"), kSdpPolicyKeys, sink);
    parseSdpPolicy(sp, &realm->sdp);
  }
  if (std::optional<YAML::Node> dscp = m.get("dscp", false)) {
    MapReader d(*dscp, m.keyPath("dscp"), kDscpKeys, sink);
    readNumber(d, "audio", 0, 63, &realm->dscp.audio);
    readNumber(d, "video", 0, 63, &realm->dscp.video);
    readNumber(d, "signalling", 0, 63, &realm->dscp.signalling);
  }
  parseRealmWebEdge(m, realm);
}

// One entry of `targets`: a URI, or {uri, priority, weight}. The priority defaults to the
// entry's position, so a list of plain URIs keeps its failover order.
void parseTarget(const YAML::Node& e, const std::string& key, Route* route, ErrorSink* sink) {
  TargetPolicy policy{static_cast<uint32_t>(route->targets.size()), 1};
  std::string uri;
  if (e.IsMap()) {
    MapReader t(e, key, kTargetKeys, sink);
    readString(t, "uri", &uri, true, false);
    readNumber(t, "priority", 0, 65535, &policy.priority);
    readNumber(t, "weight", 0, 65535, &policy.weight);
  } else if (!readStringNode(e, key, &uri, sink)) {
    return;
  }
  route->targets.push_back(std::move(uri));
  route->target_policy.push_back(policy);
}

void parseRoute(const YAML::Node& n, const std::string& path, Route* route, ErrorSink* sink) {
  MapReader m(n, path, kRouteKeys, sink);
  readString(m, "name", &route->name, true, false);
  readString(m, "from", &route->from_realm, true, false);
  readString(m, "to", &route->to_realm, true, false);
  readString(m, "match_user", &route->match_user, false);
  bool has_list = m.get("targets", false).has_value();
  readString(m, "target", &route->target, !has_list, false);
  if (!route->target.empty()) {
    route->targets.push_back(route->target);
    route->target_policy.push_back(TargetPolicy{0, 1});
  }
  forEachInList(m, "targets", false, [&](const YAML::Node& e, const std::string& key) {
    parseTarget(e, key, route, sink);
  });
  readNumber(m, "max_calls", 0, 10000000, &route->max_calls);
  readOptionalRate(m, "calls_per_second", &route->calls_per_second);
  if (has_list && route->targets.empty()) {
    sink->add(m.keyPath("targets"), "must list at least one SIP URI", lineOf(n));
  }
  if (route->target.empty() && !route->targets.empty()) {
    route->target = route->targets.front();
  }
}

void readFailureLimit(const MapReader& m, std::string_view key, FailureLimit* f) {
  if (std::optional<YAML::Node> n = m.get(key, false)) {
    MapReader r(*n, m.keyPath(key), kFailureKeys, m.sink());
    readNumber(r, "max", 1, 1000000, &f->max);
    readNumber(r, "window_s", 1, 86400, &f->window_s);
  }
}

void parseSecurityLimits(const MapReader& m, SecurityPolicy* s) {
  readRate(m, "requests_per_source", &s->requests_per_source);
  readRate(m, "per_aor", &s->per_aor);
  readNumber(m, "replies_per_source", 0, 1000000, &s->replies_per_source);
  if (std::optional<YAML::Node> n = m.get("ban", false)) {
    MapReader b(*n, m.keyPath("ban"), kBanKeys, m.sink());
    readNumber(b, "after_rejections", 1, 10000000, &s->ban.after_rejections);
    readNumber(b, "window_s", 1, 86400, &s->ban.window_s);
    readNumber(b, "duration_s", 1, 31536000, &s->ban.duration_s);
  }
  readFailureLimit(m, "auth_failures", &s->auth_failures);
  readFailureLimit(m, "jwt_failures", &s->jwt_failures);
  if (m.get("scanner_user_agents", false)) {
    s->scanner_user_agents.clear();
    parseStringList(m, "scanner_user_agents", &s->scanner_user_agents);
  }
  readNumber(m, "max_tracked_sources", 1000, 10000000, &s->max_tracked_sources);
  readString(m, "ban_file", &s->ban_file, false, false);
  readBool(m, "kernel_ban_filter", &s->kernel_ban_filter);
  if (std::optional<YAML::Node> n = m.get("geo", false)) {
    MapReader g(*n, m.keyPath("geo"), kGeoKeys, m.sink());
    readString(g, "database", &s->geo.database, true, false);
    parseStringList(g, "deny_countries", &s->geo.deny_countries);
    parseStringList(g, "allow_countries", &s->geo.allow_countries);
  }
  if (std::optional<YAML::Node> n = m.get("connections", false)) {
    MapReader c(*n, m.keyPath("connections"), kConnectionKeys, m.sink());
    readNumber(c, "max_per_source", 1, 10000000, &s->connections.max_per_source);
    readNumber(c, "max_total", 1, 10000000, &s->connections.max_total);
    readRate(c, "new_per_source", &s->connections.new_per_source);
    readNumber(c, "unauthenticated_timeout_s", 1, 3600, &s->connections.unauthenticated_timeout_s);
  }
}

void parseSecurity(const YAML::Node& n, SecurityPolicy* s, ErrorSink* sink) {
  MapReader m(n, "security", kSecurityKeys, sink);
  readRate(m, "invite_per_source", &s->invite_per_source);
  readRate(m, "register_per_source", &s->register_per_source);
  readRate(m, "invite_global", &s->invite_global);
  forEachInList(m, "allowed_origins", false, [&](const YAML::Node& e, const std::string& key) {
    std::string origin;
    if (readStringNode(e, key, &origin, sink)) {
      s->allowed_origins.push_back(std::move(origin));
    }
  });
  readCidrList(m, "deny", &s->deny);
  readCidrList(m, "allow", &s->allow);
  parseSecurityLimits(m, s);
  readNumber(m, "max_sip_message_bytes", kMinSipMessageBytes, kMaxSipMessageBytes,
             &s->max_sip_message_bytes);
  readNumber(m, "max_sdp_bytes", kMinSdpBytes, kMaxSipMessageBytes, &s->max_sdp_bytes);
}

void parseApiToken(const YAML::Node& n, const std::string& path, ApiToken* t, ErrorSink* sink) {
  MapReader m(n, path, kApiTokenKeys, sink);
  readString(m, "name", &t->name, true, false);
  int role = readEnum(m, "role", kApiRoles, true);
  if (role >= 0) {
    t->role = kApiRoleValues[role];
  }
  std::optional<YAML::Node> h = m.get("sha256", true);
  std::string hex;
  if (!h || !readStringNode(*h, m.keyPath("sha256"), &hex, sink)) {
    return;
  }
  bool ok = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
              return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            });
  if (!ok) {
    sink->add(m.keyPath("sha256"),
              "expected 64 lowercase hex digits (SHA-256 of the token; `rampartctl token hash`)",
              lineOf(*h));
    return;
  }
  t->sha256 = hex;
}

void parseApi(const YAML::Node& n, ApiSettings* api, ErrorSink* sink) {
  MapReader m(n, "management.api", kApiKeys, sink);
  readNumber(m, "port", 1, 65535, &api->port);
  if (std::optional<YAML::Node> tls = m.get("tls", true)) {
    MapReader t(*tls, m.keyPath("tls"), kTlsKeys, sink);
    readString(t, "certificate", &api->tls.certificate, true, false);
    readString(t, "private_key", &api->tls.private_key, true, false);
  }
  forEachInList(m, "tokens", true, [&](const YAML::Node& e, const std::string& key) {
    ApiToken token;
    parseApiToken(e, key, &token, sink);
    api->tokens.push_back(std::move(token));
  });
}

void parseManagement(const YAML::Node& n, ManagementSettings* mg, ErrorSink* sink) {
  MapReader m(n, "management", kManagementKeys, sink);
  if (std::optional<IpAddress> ip = readIp(m, "address", 0, true)) {
    mg->address = std::move(*ip);
  }
  readNumber(m, "controlplane_port", 1, 65535, &mg->controlplane_port);
  readNumber(m, "dataplane_port", 1, 65535, &mg->dataplane_port);
  if (std::optional<YAML::Node> api = m.get("api", false)) {
    parseApi(*api, &mg->api.emplace(), sink);
  }
  if (std::optional<YAML::Node> cdr = m.get("cdr", false)) {
    MapReader c(*cdr, m.keyPath("cdr"), kCdrKeys, sink);
    CdrSettings& s = mg->cdr.emplace();
    readString(c, "directory", &s.directory, true, false);
    readNumber(c, "max_file_bytes", 4096, int64_t{1} << 40, &s.max_file_bytes);
    readNumber(c, "max_files", 1, 100000, &s.max_files);
    readNumber(c, "fsync_interval_ms", 10, 60000, &s.fsync_interval_ms);
  }
  if (std::optional<YAML::Node> audit = m.get("audit", false)) {
    MapReader a(*audit, m.keyPath("audit"), kAuditKeys, sink);
    readString(a, "file", &mg->audit.emplace().file, true, false);
  }
}

}  // namespace

std::string cidrProblem(const std::string& text) {
  std::size_t slash = text.find('/');
  std::string addr = text.substr(0, slash);
  std::optional<IpAddress> ip = parseIpAddress(addr);
  const std::string example = " (expected address/prefix, e.g. 203.0.113.0/24)";
  if (!ip) {
    return "'" + clip(text) + "' is not a CIDR: bad address" + example;
  }
  int full = ip->family == 4 ? 32 : 128;
  int prefix = full;
  if (slash != std::string::npos) {
    std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 ||
        !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "'" + clip(text) + "' is not a CIDR: bad prefix length" + example;
    }
    prefix = std::stoi(len);
    if (prefix > full) {
      return "'" + clip(text) + "' is not a CIDR: prefix length " + std::to_string(prefix) +
             " is out of range (0-" + std::to_string(full) + ")";
    }
  }
  for (int bit = prefix; bit < full; ++bit) {
    if ((ip->bytes[bit / 8] >> (7 - bit % 8)) & 1) {
      return "'" + clip(text) + "' has bits set beyond the /" + std::to_string(prefix) +
             " prefix; write the network address";
    }
  }
  return "";
}

void parseConfig(const YAML::Node& root, Config* c, ErrorSink* sink) {
  if (root.IsNull()) {
    sink->add("", "the file is empty", 0);
    return;
  }
  MapReader m(root, "", kRootKeys, sink);
  if (!m.ok()) {
    return;
  }
  if (std::optional<YAML::Node> n = m.get("node", false)) {
    parseNodeSection(*n, c, sink);
  }
  if (std::optional<YAML::Node> n = m.get("dataplane", false)) {
    parseDataplane(*n, &c->dataplane, sink);
  }
  bool listed = forEachInList(m, "realms", true, [&](const YAML::Node& e, const std::string& key) {
    Realm realm;
    parseRealm(e, key, &realm, sink);
    c->realms.push_back(std::move(realm));
  });
  if (listed && c->realms.empty()) {
    sink->add("realms", "must list at least one realm", sink->line("realms"));
  }
  forEachInList(m, "routes", false, [&](const YAML::Node& e, const std::string& key) {
    Route route;
    parseRoute(e, key, &route, sink);
    c->routes.push_back(std::move(route));
  });
  if (std::optional<YAML::Node> n = m.get("sip", false)) {
    MapReader sm(*n, "sip", kSipKeys, sink);
    parseSip(sm, &c->sip);
  }
  if (std::optional<YAML::Node> n = m.get("dtls", false)) {
    MapReader dm(*n, "dtls", kDtlsKeys, sink);
    readString(dm, "certificate", &c->dtls.certificate, false, false);
    readString(dm, "private_key", &c->dtls.private_key, false, false);
    readNumber(dm, "handshake_timeout_s", 1, 60, &c->dtls.handshake_timeout_s);
  }
  if (std::optional<YAML::Node> n = m.get("security", false)) {
    parseSecurity(*n, &c->security, sink);
  }
  if (std::optional<YAML::Node> n = m.get("management", true)) {
    parseManagement(*n, &c->management, sink);
  }
}

}  // namespace rampart::platform::config_detail
