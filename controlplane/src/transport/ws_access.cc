#include "transport/ws_access.h"

#include <rampart/platform/base64.h>

#include <jansson.h>
#include <jwt.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

namespace rampart::cp {
namespace {

using platform::JwtAlg;

constexpr std::array<const char*, kJwtRejectCount> kJwtRejectNames = {
    "missing", "malformed",     "bad_signature", "alg_refused",    "unknown_kid",
    "expired", "not_yet_valid", "wrong_issuer",  "wrong_audience", "lifetime_too_long"};

constexpr std::array<const char*, kRefuseReasonCount> kRefuseReasonNames = {
    "origin", "jwt",      "subprotocol", "bad_request",  "tls_handshake", "handshake_timeout",
    "rate",   "oversize", "idle",        "ping_timeout", "send_queue"};

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string toLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool isDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Base64url (RFC 4648 5) as JWS compact serialisation uses it; the platform codec.
std::optional<std::string> base64UrlDecode(std::string_view in) {
  auto bytes = platform::base64Decode(in, platform::Base64Alphabet::Url);
  if (!bytes) {
    return std::nullopt;
  }
  return std::string(bytes->begin(), bytes->end());
}

struct JsonDeleter {
  void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

// A JSON object from one base64url part of the token; null when either layer is malformed.
JsonPtr decodeJsonPart(std::string_view part) {
  std::optional<std::string> text = base64UrlDecode(part);
  if (!text) {
    return nullptr;
  }
  json_error_t err;
  JsonPtr j(json_loadb(text->data(), text->size(), JSON_REJECT_DUPLICATES, &err));
  if (!j || !json_is_object(j.get())) {
    return nullptr;
  }
  return j;
}

const char* stringMember(const json_t* obj, const char* name) {
  const json_t* v = json_object_get(obj, name);
  return json_is_string(v) ? json_string_value(v) : nullptr;
}

// A NumericDate claim (RFC 7519 2: seconds, possibly fractional). nullopt when absent;
// `bad` set when present but not a number.
std::optional<int64_t> dateMember(const json_t* obj, const char* name, bool* bad) {
  const json_t* v = json_object_get(obj, name);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (json_is_integer(v)) {
    return static_cast<int64_t>(json_integer_value(v));
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    // Far outside any sane date: refuse rather than overflow the cast.
    if (d > -1e15 && d < 1e15) {
      return static_cast<int64_t>(d);
    }
  }
  *bad = true;
  return std::nullopt;
}

std::optional<JwtAlg> algFromName(std::string_view name) {
  if (name == "HS256") {
    return JwtAlg::Hs256;
  }
  if (name == "RS256") {
    return JwtAlg::Rs256;
  }
  if (name == "ES256") {
    return JwtAlg::Es256;
  }
  return std::nullopt;
}

jwt_alg_t libjwtAlg(JwtAlg a) {
  switch (a) {
    case JwtAlg::Hs256: return JWT_ALG_HS256;
    case JwtAlg::Rs256: return JWT_ALG_RS256;
    case JwtAlg::Es256: return JWT_ALG_ES256;
  }
  return JWT_ALG_INVAL;
}

int fromHex(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = lower(c);
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = fromHex(s[i + 1]);
      int lo = fromHex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

const char* jwtRejectName(JwtReject r) {
  auto i = static_cast<std::size_t>(r);
  return i < kJwtRejectNames.size() ? kJwtRejectNames[i] : "unknown";
}

const char* refuseReasonName(RefuseReason r) {
  auto i = static_cast<std::size_t>(r);
  return i < kRefuseReasonNames.size() ? kRefuseReasonNames[i] : "unknown";
}

// --- Origin -------------------------------------------------------------------------------------

std::optional<std::string> normaliseOrigin(std::string_view origin) {
  constexpr std::size_t kMaxOrigin = 512;
  std::size_t sep = origin.find("://");
  if (origin.size() > kMaxOrigin || sep == std::string_view::npos || sep == 0) {
    return std::nullopt;
  }
  std::string scheme = toLower(origin.substr(0, sep));
  if (!std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
      })) {
    return std::nullopt;
  }
  std::string_view rest = origin.substr(sep + 3);
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return std::nullopt;
      }
      port = after.substr(1);
      if (port.empty()) {
        return std::nullopt;
      }
    }
    std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.empty() || !std::all_of(inner.begin(), inner.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        })) {
      return std::nullopt;
    }
  } else {
    std::size_t colon = rest.rfind(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) {
        return std::nullopt;
      }
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' ||
                 c == '_';
        })) {
      return std::nullopt;
    }
  }
  if (!port.empty()) {
    if (!isDigits(port) || port.size() > 5 || std::stoul(std::string(port)) > 65535 ||
        std::stoul(std::string(port)) == 0) {
      return std::nullopt;
    }
    port = port.substr(std::min(port.find_first_not_of('0'), port.size() - 1));
  }
  std::string out = scheme + "://" + toLower(host);
  if (port.empty()) {
    if (scheme == "http" || scheme == "ws") {
      port = "80";
    } else if (scheme == "https" || scheme == "wss") {
      port = "443";
    }
  }
  if (!port.empty()) {
    out += ":";
    out += port;
  }
  return out;
}

bool originAllowed(std::optional<std::string_view> origin,
                   const std::vector<std::string>& allowed) {
  if (allowed.empty()) {
    return true;
  }
  if (!origin) {
    return false;
  }
  std::optional<std::string> got = normaliseOrigin(*origin);
  if (!got) {
    return false;
  }
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
    std::optional<std::string> want = normaliseOrigin(a);
    return want && *want == *got;
  });
}

// --- subprotocol and token ----------------------------------------------------------------------

bool offersSipSubprotocol(std::string_view header) {
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    if (trim(header.substr(0, comma)) == "sip") {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    header.remove_prefix(comma + 1);
  }
  return false;
}

std::string extractToken(std::optional<std::string_view> authorization, std::string_view target) {
  if (authorization) {
    std::string_view a = trim(*authorization);
    if (a.size() > 7 && iequals(a.substr(0, 7), "bearer ")) {
      std::string_view t = trim(a.substr(7));
      if (!t.empty()) {
        return std::string(t);
      }
    }
  }
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) {
    return "";
  }
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && param.substr(0, eq) == "token") {
      return percentDecode(param.substr(eq + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return "";
}

// --- JWT
// ------------------------------------------------------------------------------------------

Result<JwtPolicy> makeJwtPolicy(const platform::JwtSettings& settings) {
  JwtPolicy p;
  p.issuer = settings.issuer;
  p.audience = settings.audience;
  p.max_lifetime_s = settings.max_lifetime_s;
  p.leeway_s = settings.leeway_s;
  for (const platform::JwtKey& k : settings.keys) {
    Result<std::string> material = platform::loadJwtKeyMaterial(k);
    if (!material) {
      return Error(material.error().code, "jwt key '" + k.kid + "': " + material.error().message);
    }
    p.keys.push_back(JwtVerifyKey{k.kid, k.alg, std::move(*material)});
  }
  return p;
}

Result<ConnectionAuth> verifyJwt(const JwtPolicy& policy, std::string_view token,
                                 int64_t now_unix_s, JwtReject* reason) {
  auto fail = [&](JwtReject r, std::string why) -> Error {
    if (reason != nullptr) {
      *reason = r;
    }
    return Error(ErrorCode::Unauthenticated, std::string(jwtRejectName(r)) + ": " + why);
  };
  if (token.empty()) {
    return fail(JwtReject::Missing, "no token");
  }
  if (token.size() > kMaxTokenBytes) {
    return fail(JwtReject::Malformed, "token longer than " + std::to_string(kMaxTokenBytes));
  }
  // Compact JWS: three base64url parts. Checked here so libjwt only ever sees that shape.
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(JwtReject::Malformed, "not three dot-separated parts");
  }
  std::string_view head_b64 = token.substr(0, dot1);
  std::string_view body_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view sig_b64 = token.substr(dot2 + 1);
  JsonPtr head = decodeJsonPart(head_b64);
  JsonPtr claims = decodeJsonPart(body_b64);
  if (!head || !claims || !base64UrlDecode(sig_b64)) {
    return fail(JwtReject::Malformed, "a part is not base64url JSON");
  }

  // The key decides the algorithm, never the token: "none" and an HS256 token "signed" with
  // an RSA public key as HMAC secret (algorithm confusion) fail here.
  const char* alg_name = stringMember(head.get(), "alg");
  if (alg_name == nullptr) {
    return fail(JwtReject::Malformed, "no alg in header");
  }
  std::optional<JwtAlg> alg = algFromName(alg_name);
  if (!alg) {
    return fail(JwtReject::AlgRefused, "alg '" + std::string(alg_name).substr(0, 16) + "'");
  }
  const JwtVerifyKey* key = nullptr;
  const json_t* kid_json = json_object_get(head.get(), "kid");
  if (kid_json != nullptr) {
    if (!json_is_string(kid_json)) {
      return fail(JwtReject::Malformed, "kid is not a string");
    }
    std::string_view kid = json_string_value(kid_json);
    for (const JwtVerifyKey& k : policy.keys) {
      if (k.kid == kid) {
        key = &k;
        break;
      }
    }
    if (key == nullptr) {
      return fail(JwtReject::UnknownKid, "kid '" + std::string(kid.substr(0, 32)) + "'");
    }
  } else if (policy.keys.size() == 1) {
    key = &policy.keys[0];
  } else {
    return fail(JwtReject::UnknownKid,
                "no kid and " + std::to_string(policy.keys.size()) + " keys configured");
  }
  if (*alg != key->alg) {
    return fail(JwtReject::AlgRefused, std::string("alg ") + alg_name + " with " +
                                           platform::jwtAlgName(key->alg) + " key '" + key->kid +
                                           "'");
  }
  if (sig_b64.empty()) {
    return fail(JwtReject::BadSignature, "no signature");
  }

  std::string token_z(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, token_z.c_str(),
                      reinterpret_cast<const unsigned char*>(key->material.data()),
                      static_cast<int>(key->material.size()));
  JwtPtr verified(raw);
  if (rc != 0 || !verified || jwt_get_alg(verified.get()) != libjwtAlg(key->alg)) {
    return fail(JwtReject::BadSignature, "signature does not verify with key '" + key->kid + "'");
  }

  // Claims, from the payload whose signature has just been checked.
  const json_t* c = claims.get();
  bool bad = false;
  std::optional<int64_t> exp = dateMember(c, "exp", &bad);
  std::optional<int64_t> nbf = dateMember(c, "nbf", &bad);
  std::optional<int64_t> iat = dateMember(c, "iat", &bad);
  if (bad) {
    return fail(JwtReject::Malformed, "exp, nbf or iat is not a number");
  }
  if (!exp) {
    return fail(JwtReject::Malformed, "no exp (tokens must expire)");
  }
  if (now_unix_s > *exp + policy.leeway_s) {
    return fail(JwtReject::Expired, "expired " + std::to_string(now_unix_s - *exp) + " s ago");
  }
  if (nbf && now_unix_s + policy.leeway_s < *nbf) {
    return fail(JwtReject::NotYetValid, "nbf is " + std::to_string(*nbf - now_unix_s) + " s ahead");
  }
  if (iat && now_unix_s + policy.leeway_s < *iat) {
    return fail(JwtReject::NotYetValid, "iat is " + std::to_string(*iat - now_unix_s) + " s ahead");
  }
  if (!policy.issuer.empty()) {
    const char* iss = stringMember(c, "iss");
    if (iss == nullptr || policy.issuer != iss) {
      return fail(JwtReject::WrongIssuer,
                  iss == nullptr ? "no iss" : "iss '" + std::string(iss).substr(0, 64) + "'");
    }
  }
  if (!policy.audience.empty()) {
    const json_t* aud = json_object_get(c, "aud");
    bool match = false;
    if (json_is_string(aud)) {
      match = policy.audience == json_string_value(aud);
    } else if (json_is_array(aud)) {
      for (std::size_t i = 0; i < json_array_size(aud) && !match; ++i) {
        const json_t* a = json_array_get(aud, i);
        match = json_is_string(a) && policy.audience == json_string_value(a);
      }
    }
    if (!match) {
      return fail(JwtReject::WrongAudience, "aud does not contain '" + policy.audience + "'");
    }
  }
  int64_t lifetime = *exp - (iat ? *iat : now_unix_s);
  if (lifetime > policy.max_lifetime_s) {
    return fail(JwtReject::LifetimeTooLong, "lifetime " + std::to_string(lifetime) + " s above " +
                                                std::to_string(policy.max_lifetime_s));
  }
  // Without a subject the connection could act as anyone: ConnectionAuth's "" means "any".
  const char* sub = stringMember(c, "sub");
  if (sub == nullptr || *sub == '\0') {
    return fail(JwtReject::Malformed, "no sub");
  }
  ConnectionAuth auth;
  auth.subject = sub;
  // The same leeway as the upgrade check: a token accepted there stays usable until then.
  auth.expires_unix_s = *exp + policy.leeway_s;
  const json_t* scope = json_object_get(c, "scope");
  if (scope != nullptr) {
    if (!json_is_string(scope)) {
      return fail(JwtReject::Malformed, "scope is not a string");
    }
    auth.may_register = false;
    auth.may_call = false;
    std::string_view s = json_string_value(scope);
    while (!s.empty()) {
      std::size_t sp = s.find(' ');
      std::string_view word = s.substr(0, sp);
      auth.may_register = auth.may_register || word == "register";
      auth.may_call = auth.may_call || word == "call";
      if (sp == std::string_view::npos) {
        break;
      }
      s.remove_prefix(sp + 1);
    }
  }
  return auth;
}

// --- the whole upgrade decision ---------------------------------------------------------------

Result<WsAccessPolicy> makeWsAccessPolicy(const platform::Config& config,
                                          const platform::Realm& realm) {
  WsAccessPolicy p;
  p.allowed_origins = config.allowedOrigins(realm);
  p.jwt_required = realm.jwt.required;
  Result<JwtPolicy> jwt = makeJwtPolicy(realm.jwt);
  if (!jwt) {
    return Error(jwt.error().code, "realm " + realm.name + ": " + jwt.error().message);
  }
  p.jwt = std::move(*jwt);
  return p;
}

UpgradeDecision decideUpgrade(const WsAccessPolicy& policy, const UpgradeRequest& request,
                              int64_t now_unix_s) {
  UpgradeDecision d;
  auto refuse = [&](unsigned status, RefuseReason why, std::string detail) {
    d.status = status;
    d.refused = why;
    d.detail = std::move(detail);
    return d;
  };
  if (!request.is_websocket_upgrade) {
    return refuse(400, RefuseReason::BadRequest, "not a WebSocket upgrade");
  }
  if (!originAllowed(request.origin, policy.allowed_origins)) {
    std::string o = request.origin ? std::string(request.origin->substr(0, 80)) : "(none)";
    return refuse(403, RefuseReason::Origin, "origin " + o + " not allowed");
  }
  if (!offersSipSubprotocol(request.subprotocols)) {
    return refuse(400, RefuseReason::Subprotocol, "no 'sip' in Sec-WebSocket-Protocol");
  }
  if (policy.jwt_required) {
    std::string token = extractToken(request.authorization, request.target);
    JwtReject why = JwtReject::Missing;
    Result<ConnectionAuth> auth = verifyJwt(policy.jwt, token, now_unix_s, &why);
    if (!auth) {
      d.jwt_reject = why;
      return refuse(401, RefuseReason::Jwt, auth.error().message);
    }
    d.auth = std::move(*auth);
  }
  return d;
}

}  // namespace rampart::cp
