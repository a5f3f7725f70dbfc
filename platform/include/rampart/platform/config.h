#pragma once
// Rampart configuration: one YAML file (etc/rampart.yaml is the lab default), loaded and fully
// validated before anything starts. Every problem is collected and reported at once, each
// naming the key path (e.g. "realms[1].media.port_min"), the line and the reason. The schema,
// with every key's type, default and meaning, is documented in docs/CONFIG.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rampart/platform/result.h>

namespace rampart::platform {

enum class Transport { Udp, Tcp, Tls, Ws, Wss };
/// @return "udp", "tcp", "tls", "ws" or "wss" (the spelling used in the file).
const char* transportName(Transport t);

struct IpAddress {
  int family = 4;       // 4 or 6
  uint8_t bytes[16]{};  // IPv4 in the first 4 bytes
  std::string text;     // as written in the file

  /// Same family and bytes; `text` is ignored ("2001:db8::1" equals "2001:DB8:0::1").
  bool operator==(const IpAddress& other) const;
};

struct Cidr {
  IpAddress address;
  int prefix_len = 0;
};

struct SignallingListener {
  Transport transport = Transport::Udp;
  IpAddress address;
  uint16_t port = 0;
};

// Paths are resolved against the config file's directory when loaded, so they hold the path
// to open (absolute when the file was given by an absolute or relative path).
struct TlsSettings {
  std::string certificate;  // PEM file path; must exist and be readable
  std::string private_key;  // PEM file path; must exist and be readable
};

enum class SdpProfile { WebRtc, Trunk };
/// @return "webrtc" or "trunk" (the spelling used in the file).
const char* sdpProfileName(SdpProfile p);

inline constexpr std::size_t kMaxPortsPerRealm = 4;

struct MediaSettings {
  std::string interface;  // kernel interface the DPDK port sits on (for the lab and logs)
  // DPDK vdev/devargs of the realm's media ports, e.g. "net_af_packet0,iface=sbc-wan-med";
  // one string or a list of up to kMaxPortsPerRealm in the file. Every port answers for the
  // realm's media addresses.
  std::vector<std::string> devargs;
  IpAddress address;                  // Rampart's IPv4 media address on this realm
  int prefix_len = 24;                // on-link prefix for next-hop resolution
  std::optional<IpAddress> address6;  // optional IPv6 media address
  int prefix_len6 = 64;
  std::optional<IpAddress> gateway;  // next hop for off-link peers
  std::optional<IpAddress> gateway6;
  uint16_t port_min = 0;
  uint16_t port_max = 0;
};

struct DscpSettings {
  uint8_t audio = 46;       // EF
  uint8_t video = 34;       // AF41
  uint8_t signalling = 26;  // AF31
};

// How Rampart writes SDP toward a realm whose sdp_profile is trunk (the peers there: PBXs,
// trunks, phones; and, until DTLS-SRTP arrives, scripted browsers).
// Dual: both an RTP/SAVP and an RTP/AVP m-line per kind, for PBXs that need a plain fallback.
enum class SrtpPolicy { Off, Sdes, Dual };
enum class DtmfMode : uint8_t { Rfc4733, SipInfo };
// application/dtmf-relay ("Signal=5\r\nDuration=160\r\n") or application/dtmf ("5").
enum class DtmfInfoFormat : uint8_t { DtmfRelay, Dtmf };

struct SdpPolicy {
  SrtpPolicy srtp = SrtpPolicy::Off;  // RTP/AVP, or RTP/SAVP with a=crypto (SDES), or both
  // Toward browsers (WebRTC realms, and browsers found on a ws/wss listener): DTLS-SRTP on, so
  // offers carry a=fingerprint and a=crypto and either answer is served; off: SDES only.
  bool dtls = true;
  bool rtcp_mux = false;  // offer/accept rtcp-mux instead of a separate RTCP port
  std::vector<std::string> codecs{"PCMU", "PCMA", "G722", "opus", "telephone-event"};
  uint32_t ptime = 20;
  // Learn each peer's media source from its first (authenticated) packet instead of trusting
  // the SDP address: for phones and browsers behind NAT. Strict source otherwise.
  bool latch = false;
  // Codecs Rampart may add to offers toward this realm and transcode (PCMU, PCMA, G722, opus);
  // empty: calls are only relayed.
  std::vector<std::string> transcode;
  // Concurrent transcoded calls whose leg on this realm is transcoded; 0: no limit. A call
  // beyond it is relayed if the two sides share a codec, otherwise refused with 488.
  uint32_t max_transcoded_calls = 0;
  // How this realm's endpoints signal DTMF. rfc4733: telephone-events in the media (relayed or
  // mapped as they are). sip_info: SIP INFO; events arriving from a leg in an rfc4733 realm
  // reach this realm as INFO (and leave the media), INFO from this realm reaches an rfc4733
  // leg of a transcoded call as events.
  DtmfMode dtmf = DtmfMode::Rfc4733;
  DtmfInfoFormat dtmf_info = DtmfInfoFormat::DtmfRelay;  // the INFO body Rampart sends
};

// Limits of one SIP-over-WebSocket connection (ws/wss listeners of a realm).
struct WebSocketSettings {
  uint32_t max_message_bytes = 65535;     // larger frame or message: close 1009
  uint32_t max_messages_per_second = 50;  // more: close 1008 (policy violation)
  uint32_t idle_timeout_s = 120;          // no SIP message for this long: close
  uint32_t ping_interval_s = 30;          // WebSocket ping; no pong before the next: close
  uint32_t handshake_timeout_s = 5;       // TLS handshake + HTTP upgrade must finish in this
};

enum class JwtAlg { Hs256, Rs256, Es256 };
/// @return "HS256", "RS256" or "ES256" (the spelling used in the file and in JWT headers).
const char* jwtAlgName(JwtAlg a);

// One verification key; a token's `kid` header selects it.
struct JwtKey {
  std::string kid;
  JwtAlg alg = JwtAlg::Hs256;
  // HS256: path of a file holding the shared secret (its bytes, trailing whitespace removed,
  // at least 32). RS256/ES256: path of a PEM public key. Resolved like the TLS paths.
  std::string secret_file;
  std::string public_key;
};

// Token required at the WebSocket upgrade of the realm's ws/wss listeners.
struct JwtSettings {
  bool required = false;
  std::string issuer;               // "iss" must equal this
  std::string audience;             // "aud" (string or array) must contain this
  uint32_t max_lifetime_s = 86400;  // exp - iat (or exp - now without iat) at most this
  uint32_t leeway_s = 30;           // clock skew allowed on exp and nbf
  std::vector<JwtKey> keys;
};

struct RateLimit {
  uint32_t per_second = 0;
  uint32_t burst = 0;
};

// A realm's own access lists and limits (realms[i].security). Rates left out fall back to the
// `security` section's; lists add to the global ones.
struct RealmSecurity {
  std::vector<Cidr> allow;  // non-empty: only these sources may use the realm
  std::vector<Cidr> deny;
  std::optional<RateLimit> requests_per_source;
  std::optional<RateLimit> invite_per_source;
  std::optional<RateLimit> register_per_source;
  std::optional<RateLimit> requests;  // every request into the realm, all sources together
  uint32_t max_calls = 0;             // concurrent calls from or to the realm; 0 = no limit
  // Geo-blocking of this realm's sources on top of security.geo (whose database it uses):
  // these countries refused, or (allow_countries non-empty) only those served.
  std::vector<std::string> deny_countries;
  std::vector<std::string> allow_countries;
};

// TURN REST credentials for browsers (coturn's use-auth-secret): served over HTTPS on the
// realm's wss listeners at `path`, to holders of the realm's JWT.
struct TurnSettings {
  std::string secret_file;        // the shared secret (coturn static-auth-secret); >= 32 bytes
  uint32_t ttl_s = 86400;         // credential lifetime
  std::vector<std::string> uris;  // "turn:198.18.1.1:3478?transport=udp", ...
  std::string path = "/turn-credentials";
};

struct Realm {
  std::string name;
  std::vector<SignallingListener> signalling;
  std::optional<TlsSettings> tls;  // required when a listener uses tls or wss
  MediaSettings media;
  DscpSettings dscp;
  SdpProfile sdp_profile = SdpProfile::Trunk;
  SdpPolicy sdp;
  // WebSocket access and limits (ws/wss listeners). Kept together for the transport layer.
  std::optional<std::vector<std::string>> allowed_origins;  // absent: security.allowed_origins
  WebSocketSettings websocket;
  JwtSettings jwt;
  RealmSecurity security;
  std::optional<TurnSettings> turn;  // absent: no TURN credentials endpoint
};

// RFC 2782 selection among a route's targets: lowest priority first, equal priorities share
// calls by weight.
struct TargetPolicy {
  uint32_t priority = 0;  // default: the target's position in the list (plain failover order)
  uint32_t weight = 1;
};

struct Route {
  std::string name;
  std::string from_realm;
  std::string to_realm;
  std::string match_user;  // regular expression on the Request-URI user, "" matches all
  std::string target;      // SIP URI of the next hop, e.g. "sip:198.18.4.2:5060"
  // Every next hop in failover order (`target` first when given, then `targets`): the next
  // one is tried on 408, 503, a transport error or a timeout.
  std::vector<std::string> targets;
  std::vector<TargetPolicy> target_policy;  // one per entry of `targets`, same order
  // Admission control of the trunk this route leads to: concurrent calls (0 = no limit) and
  // new calls per second (absent = no limit). Excess calls get 503.
  uint32_t max_calls = 0;
  std::optional<RateLimit> calls_per_second;
};

// Outbound SIP over TLS (Rampart as the client toward PBXs and trunks).
struct SipTlsClient {
  bool verify = true;       // the server's chain and name (RFC 5922); off only for labs
  std::string ca_file;      // PEM bundle of trusted CAs; "" = the system's default paths
  std::string certificate;  // client certificate chain for mutual TLS; "" = none
  std::string private_key;  // its key (required with `certificate`)
};

// SIP behaviour of the B2BUA.
struct SipSettings {
  uint32_t t1_ms = 500;                  // RFC 3261 T1; T2 = 8*T1, T4 = 10*T1
  uint32_t no_answer_timeout_s = 180;    // ringing longer than this: CANCEL, 408 to the caller
  uint32_t max_call_duration_s = 14400;  // BYE to both sides after this
  // Dataplane Ack wait per command. Generous: on a loaded host the worker can be descheduled
  // for hundreds of ms (bench-cps saw 250 ms stalls on a 2-core VM).
  uint32_t flow_ack_timeout_ms = 1000;
  uint32_t options_interval_s = 30;  // OPTIONS health check of every route target
  // RFC 4028: Rampart asks for session timers on each leg and refreshes them itself (UPDATE
  // every half interval); a refresh that fails ends the call. 0 disables.
  uint32_t session_expires_s = 1800;
  // DNS servers for RFC 3263 target resolution, "address" or "address:port" ("[v6]:port");
  // empty: the system's /etc/resolv.conf.
  std::vector<std::string> dns_servers;
  SipTlsClient tls_client;
};

// Sustained excess: a source with `after_rejections` requests refused within `window_s` is
// banned for `duration_s`.
struct BanPolicy {
  uint32_t after_rejections = 200;
  uint32_t window_s = 10;
  uint32_t duration_s = 300;
};

// `max` events within `window_s` ban the source (for BanPolicy::duration_s).
struct FailureLimit {
  uint32_t max = 5;
  uint32_t window_s = 60;
};

// Inbound stream connections (TCP, TLS, WS, WSS), counted per source address and in total.
struct ConnectionLimits {
  uint32_t max_per_source = 256;
  uint32_t max_total = 100000;
  RateLimit new_per_source{50, 100};  // new connections (each a TLS handshake on tls/wss)
  // A TCP/TLS connection that has delivered no SIP message after this long is closed (WS/WSS:
  // realms[i].websocket.handshake_timeout_s bounds TLS + upgrade).
  uint32_t unauthenticated_timeout_s = 5;
};

// Geo-blocking from a MaxMind-format database: deny these countries, or (allow_countries
// non-empty) serve only those, refusing sources the database does not place.
struct GeoSettings {
  std::string database;                      // .mmdb path; "" = no geo-blocking
  std::vector<std::string> deny_countries;   // ISO 3166-1 alpha-2, upper case
  std::vector<std::string> allow_countries;  // exclusive with deny_countries
};

struct SecurityPolicy {
  RateLimit requests_per_source{200, 400};
  RateLimit per_aor{20, 40};  // INVITE and REGISTER per user (From of INVITE, To of REGISTER)
  RateLimit invite_per_source{20, 40};
  RateLimit register_per_source{20, 40};
  RateLimit invite_global{500, 1000};
  std::vector<std::string> allowed_origins;  // WSS Origin allow-list; empty = any
  std::vector<Cidr> deny;                    // sources never served
  std::vector<Cidr> allow;                   // non-empty: only these sources are served
  // Requests refused over a limit are answered 503 + Retry-After up to this many per source
  // and second; the rest are dropped silently.
  uint32_t replies_per_source = 10;
  BanPolicy ban;
  FailureLimit auth_failures;  // rejected credentials (401/407 to a request carrying them, 403)
  FailureLimit jwt_failures;   // WebSocket upgrades refused for a bad token
  ConnectionLimits connections;
  GeoSettings geo;
  // User-Agent substrings (case-insensitive) of SIP scanners: such requests are dropped silently.
  std::vector<std::string> scanner_user_agents{"friendly-scanner", "sipvicious", "sipcli",
                                               "sip-scan",         "iWar",       "sundayddr",
                                               "VaxSIPUserAgent",  "pplsip"};
  uint32_t max_tracked_sources = 100000;  // per-source state kept at most (least recent evicted)
  // Where bans are kept across control-plane restarts ("" = not kept). Resolved like the TLS
  // paths; its directory must exist.
  std::string ban_file;
  // Bans also as a BPF filter on the SIP UDP sockets, so banned datagrams die in the kernel.
  bool kernel_ban_filter = true;
  uint32_t max_sip_message_bytes = 65535;
  uint32_t max_sdp_bytes = 16384;
};

/// Flows per dataplane worker at most: the loader's bound on dataplane.flow_capacity and the
/// dataplane's FlowTable limit, one constant so a valid config never fails there.
inline constexpr uint32_t kMaxFlowCapacity = 1u << 22;

struct DataplaneSettings {
  std::vector<int> worker_cpus{1};  // one worker per listed CPU
  int main_cpu = 0;
  std::vector<std::string> eal_args{"--no-huge", "-m", "256", "--no-pci", "--no-shconf"};
  uint32_t flow_capacity = 16384;  // flows per worker
  uint32_t idle_timeout_s = 60;
  uint32_t idle_backoff_us = 0;  // 0: pure polling; >0: sleep after empty polls
  uint32_t command_slots = 1024;
  uint32_t event_slots = 4096;
  uint32_t punt_slots = 512;
  uint32_t inject_slots = 512;
  // A failed mlock of the region (it carries SRTP keys) stops start-up instead of a warning.
  bool require_locked_memory = false;
  // SRTP engine of every flow: the fast path (intel-ipsec-mb, RFC 3711 framing in the
  // dataplane) with libsrtp2 for what it does not cover, or libsrtp2 for every flow.
  enum class SrtpEngine : uint8_t { Fast, Libsrtp };
  SrtpEngine srtp_engine = SrtpEngine::Fast;
};

// Management API roles, each including the ones before it: viewer reads, operator also ends
// calls, removes bindings, bans and reloads, admin may do everything.
enum class ApiRole { Viewer, Operator, Admin };
/// @return "viewer", "operator" or "admin" (the spelling used in the file).
const char* apiRoleName(ApiRole r);

// One API token. Only its SHA-256 is stored: tokens are long random strings (`rampartctl token
// new` makes 32 random bytes), so a fast hash is enough and a leaked config reveals no token.
struct ApiToken {
  std::string name;  // who: appears in the audit log
  ApiRole role = ApiRole::Viewer;
  std::string sha256;  // lowercase hex of SHA-256(token), 64 characters
};

// The management REST API (HTTPS, on management.address only).
struct ApiSettings {
  uint16_t port = 9443;
  TlsSettings tls;  // server certificate and key (PEM), resolved like a realm's
  std::vector<ApiToken> tokens;
};

// Call detail records: one JSON line per call, written by a thread of their own.
struct CdrSettings {
  std::string directory;                  // created if missing; resolved like TLS paths
  uint64_t max_file_bytes = 64ull << 20;  // rotate when the current file would pass this
  uint32_t max_files = 30;                // rotated files kept (oldest removed)
  uint32_t fsync_interval_ms = 1000;      // records are fsynced in batches this often
};

// The audit log: every management action and config change, hash-chained.
struct AuditSettings {
  std::string file;  // appended to; resolved like TLS paths
};

struct ManagementSettings {
  IpAddress address;  // where metrics and the API listen
  uint16_t controlplane_port = 9100;
  uint16_t dataplane_port = 9101;
  std::optional<ApiSettings> api;      // absent: no API
  std::optional<CdrSettings> cdr;      // absent: no CDRs
  std::optional<AuditSettings> audit;  // absent: no audit log
};

// DTLS-SRTP toward browsers (WebRTC realms). Without a certificate Rampart makes an ECDSA
// P-256 one at start-up (its fingerprint goes in every SDP toward a browser).
struct DtlsSettings {
  std::string certificate;  // PEM file path; with private_key, or neither
  std::string private_key;
  uint32_t handshake_timeout_s = 10;  // after this the call ends (a failed handshake)
};

struct Config {
  std::string node_name = "rampart";
  std::string shm_name = "/rampart";
  std::string log_level = "info";
  DataplaneSettings dataplane;
  std::vector<Realm> realms;
  std::vector<Route> routes;
  SipSettings sip;
  DtlsSettings dtls;
  SecurityPolicy security;
  ManagementSettings management;

  const Realm* findRealm(const std::string& name) const;
  /// The Origin allow-list of `realm`: its own `allowed_origins`, else security's.
  const std::vector<std::string>& allowedOrigins(const Realm& realm) const;
};

struct ConfigError {
  std::string key;     // e.g. "realms[0].media.port_min"; "" for whole-file errors
  std::string reason;  // e.g. "port range 20000-29999 overlaps realms[1].media (25000-30999)"
  int line = 0;        // 1-based line in the file when known, 0 otherwise
};

// Loads and validates. On failure, every error found (not just the first).
// Exactly one of the two is set: `config` when `errors` is empty, `errors` otherwise.
struct ConfigLoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
};

/// Reads, parses and validates the YAML file at `path`. Relative certificate paths are
/// resolved against the file's directory. Never throws.
/// @return `config` on success; otherwise every error found, in file order (errors that have
///   no line come last). A file that cannot be read gives one error with an empty key.
ConfigLoadResult loadConfigFile(const std::string& path);

/// As loadConfigFile for YAML already in memory; relative paths are resolved against
/// `base_dir` ("" means the current directory). Never throws.
/// @return as loadConfigFile.
ConfigLoadResult loadConfigText(const std::string& yaml, const std::string& base_dir);

/// Formats errors for people: one "path:line: key: reason" line per error, each ending in
/// '\n'; ":line" is left out when the line is unknown and "key: " when the key is empty.
/// @return "" for no errors.
std::string formatConfigErrors(const std::string& path, const std::vector<ConfigError>& errors);

/// What a loaded configuration makes Rampart listen on, one item per line, for operators
/// (printed by --check-config and tools/run), e.g.
///   realm wan (webrtc): signalling wss 198.18.1.1:8443
///   realm wan (webrtc): media 198.18.2.1 2001:2:0:2::1 ports 20000-29999 on net_af_packet0,...
///   metrics http://198.18.255.2:9100/metrics (control plane)
std::string describeConfig(const Config& config);

/// Reads the key material of a JWT key: the HS256 secret (the file's bytes with trailing
/// whitespace removed, so `openssl rand -hex 32 > f` works) or the PEM public key text.
/// The loader checks the files; the control plane reads them with this same function.
/// @return Error (NotFound/Io/InvalidArgument) naming the file when it cannot be used.
Result<std::string> loadJwtKeyMaterial(const JwtKey& key);

/// Parses "198.18.0.1" or "2001:2::1" (inet_pton syntax, no zone, no brackets).
/// @return nullopt when malformed.
std::optional<IpAddress> parseIpAddress(const std::string& text);

/// Parses "198.18.0.0/15", "2001:db8::/32", or a bare address (a host prefix: /32 or /128).
/// @return nullopt when the address or the prefix length is malformed, or when bits are set
///   beyond the prefix ("10.0.0.1/8"), which is almost always a typo in a deny list.
std::optional<Cidr> parseCidr(const std::string& text);

}  // namespace rampart::platform
