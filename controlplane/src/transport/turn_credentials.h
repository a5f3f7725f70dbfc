#pragma once
// TURN REST credentials for browsers, served on a realm's wss listeners (plain HTTPS GET at
// realms[i].turn.path, beside the WebSocket upgrade). The scheme is the one coturn accepts with
// `use-auth-secret` (draft-uberti-behave-turn-rest): username "<expiry unix time>:<user>",
// password base64(HMAC-SHA1(shared secret, username)); coturn refuses it once expired.
// The caller must hold the realm's JWT (the same policy as the WSS upgrade; `sub` becomes the
// user part). CORS: the Origin is checked against the realm's allow-list; an allowed origin is
// echoed in Access-Control-Allow-Origin (never `*`), a disallowed one gets 403 and no grant;
// preflight (OPTIONS) is answered for GET with Authorization.
// Pure functions, so they are unit-tested without sockets.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rampart/platform/config.h>
#include <rampart/platform/result.h>

#include "transport/ws_access.h"

namespace rampart::cp {

struct TurnOptions {
  std::string secret;
  uint32_t ttl_s = 86400;
  std::vector<std::string> uris;
  std::string path = "/turn-credentials";
};

/// Reads the realm's shared secret file (trailing whitespace removed; at least 16 bytes).
/// @return Error naming the file.
Result<TurnOptions> makeTurnOptions(const platform::TurnSettings& settings);

/// coturn's use-auth-secret credential: {username, password}.
std::pair<std::string, std::string> turnCredential(const std::string& secret, int64_t expiry,
                                                   const std::string& user);

struct TurnRequest {
  std::string_view method;  // "GET", "OPTIONS", ...
  std::optional<std::string_view> origin;
  std::optional<std::string_view> authorization;
  std::string_view target;
  std::optional<std::string_view> request_method;  // Access-Control-Request-Method
};

struct HttpAnswer {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;    // JSON
  std::string detail;  // why refused, for the log
};

/// True when `target`'s path (without query) is the endpoint's.
bool isTurnRequest(const TurnOptions& turn, std::string_view target);

HttpAnswer answerTurn(const TurnOptions& turn, const WsAccessPolicy& access,
                      const TurnRequest& request, int64_t now_unix_s);

}  // namespace rampart::cp
