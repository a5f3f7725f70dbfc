#pragma once
// Access control at a SIP-over-WebSocket upgrade (RFC 7118), as pure functions so they can be
// unit-tested and fuzzed without sockets: the Origin allow-list, the `sip` subprotocol, and the
// JWT that says who the connection may act as. The listener (wss_listener.cc) maps a decision
// to an HTTP status and the metrics below.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rampart/platform/config.h>
#include <rampart/platform/result.h>

#include "transport/transport.h"

namespace rampart::cp {

// Why a token was refused; jwtRejectName() gives the metric label.
enum class JwtReject : uint8_t {
  Missing,
  Malformed,
  BadSignature,
  AlgRefused,
  UnknownKid,
  Expired,
  NotYetValid,
  WrongIssuer,
  WrongAudience,
  LifetimeTooLong,
};
inline constexpr std::size_t kJwtRejectCount = 10;
/// @return "missing", "malformed", "bad_signature", "alg_refused", "unknown_kid", "expired",
///   "not_yet_valid", "wrong_issuer", "wrong_audience" or "lifetime_too_long".
const char* jwtRejectName(JwtReject r);

// Why a WebSocket connection was refused at its upgrade or closed by policy afterwards;
// refuseReasonName() gives the metric label.
enum class RefuseReason : uint8_t {
  Origin,            // Origin not in the realm's allow-list (HTTP 403)
  Jwt,               // token missing or invalid (HTTP 401)
  Subprotocol,       // no `sip` in Sec-WebSocket-Protocol (HTTP 400)
  BadRequest,        // not a WebSocket upgrade, or unreadable HTTP (HTTP 400)
  TlsHandshake,      // TLS handshake failed (old protocol, no shared cipher, garbage)
  HandshakeTimeout,  // TLS + upgrade not done within handshake_timeout_s
  Rate,              // more than max_messages_per_second (close 1008)
  Oversize,          // message above max_message_bytes (close 1009)
  Idle,              // no SIP message within idle_timeout_s
  PingTimeout,       // no pong to our ping before the next was due
  SendQueue,         // the peer does not read: our send queue overflowed
};
inline constexpr std::size_t kRefuseReasonCount = 11;
/// @return "origin", "jwt", "subprotocol", "bad_request", "tls_handshake",
///   "handshake_timeout", "rate", "oversize", "idle", "ping_timeout" or "send_queue".
const char* refuseReasonName(RefuseReason r);

// --- Origin -----------------------------------------------------------------------------------

/// Normalises an origin to "scheme://host:port": scheme and host lower-cased, the default port
/// (80 for http/ws, 443 for https/wss) made explicit, IPv6 hosts kept in brackets.
/// @return nullopt unless `origin` is exactly scheme://host[:port] (no path, user or query).
std::optional<std::string> normaliseOrigin(std::string_view origin);

/// True when `origin` (the request's Origin header; nullopt when absent) may upgrade: always
/// for an empty allow-list, otherwise only an origin equal after normalisation to one listed.
bool originAllowed(std::optional<std::string_view> origin, const std::vector<std::string>& allowed);

// --- subprotocol and token ----------------------------------------------------------------------

/// True when the Sec-WebSocket-Protocol header value (comma-separated tokens) offers `sip`.
bool offersSipSubprotocol(std::string_view header);

/// The token of a request: from `Authorization: Bearer <token>` when that header is present,
/// else from the query parameter `token` of the request target (percent-decoded).
/// @return "" when neither carries one.
std::string extractToken(std::optional<std::string_view> authorization, std::string_view target);

// --- JWT ----------------------------------------------------------------------------------------

inline constexpr std::size_t kMaxTokenBytes = 8192;

struct JwtVerifyKey {
  std::string kid;
  platform::JwtAlg alg = platform::JwtAlg::Hs256;
  std::string material;  // HS256 secret bytes, or PEM public key text
};

struct JwtPolicy {
  std::string issuer;
  std::string audience;
  int64_t max_lifetime_s = 86400;
  int64_t leeway_s = 30;
  std::vector<JwtVerifyKey> keys;
};

/// Builds the policy of a realm's `jwt` settings, reading its key files.
/// @return Error naming the file of a key that cannot be read.
Result<JwtPolicy> makeJwtPolicy(const platform::JwtSettings& settings);

/// Verifies `token` at wall-clock time `now_unix_s`: kid selects the key (a token without kid
/// only when exactly one key exists), the header alg must equal the key's, then signature,
/// iss, aud (string or array), exp (required), nbf, and lifetime, with the policy's leeway.
/// On success `sub` becomes the subject and `scope` ("register", "call", space-separated)
/// limits the rights; absent scope allows both.
/// @param reason set to why the token was refused (only on failure; may be null).
/// @return the connection's rights, or Error Unauthenticated with a message for logs.
Result<ConnectionAuth> verifyJwt(const JwtPolicy& policy, std::string_view token,
                                 int64_t now_unix_s, JwtReject* reason);

// --- the whole upgrade decision ---------------------------------------------------------------

struct WsAccessPolicy {
  std::vector<std::string> allowed_origins;  // empty: any origin
  bool jwt_required = false;
  JwtPolicy jwt;
};

/// Builds a realm's access policy from the loaded configuration (reads its key files).
Result<WsAccessPolicy> makeWsAccessPolicy(const platform::Config& config,
                                          const platform::Realm& realm);

// The parts of an HTTP upgrade request the checks look at (views into the request).
struct UpgradeRequest {
  bool is_websocket_upgrade = false;  // GET with Upgrade: websocket, Connection: upgrade, key
  std::optional<std::string_view> origin;
  std::optional<std::string_view> authorization;
  std::string_view target;        // request-target, e.g. "/ws?token=..."
  std::string_view subprotocols;  // Sec-WebSocket-Protocol ("" when absent)
};

struct UpgradeDecision {
  unsigned status = 101;                // 101: upgrade; else 400, 401 or 403
  std::optional<RefuseReason> refused;  // set when status != 101
  std::optional<JwtReject> jwt_reject;  // set when refused for the token
  std::optional<ConnectionAuth> auth;   // set when a token was verified
  std::string detail;                   // why, for the log (never sent to the client)
};

/// Checks in order: a WebSocket upgrade (400), Origin (403), `sip` subprotocol (400), then the
/// token when the realm requires one (401).
UpgradeDecision decideUpgrade(const WsAccessPolicy& policy, const UpgradeRequest& request,
                              int64_t now_unix_s);

}  // namespace rampart::cp
