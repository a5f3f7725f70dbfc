#include "transport/turn_credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <rampart/platform/base64.h>

namespace rampart::cp {
namespace {

HttpAnswer refusal(unsigned status, const std::string& error, const std::string& detail) {
  HttpAnswer a;
  a.status = status;
  a.body = nlohmann::json{{"error", error}}.dump();
  a.detail = detail;
  return a;
}

}  // namespace

Result<TurnOptions> makeTurnOptions(const platform::TurnSettings& settings) {
  std::ifstream in(settings.secret_file, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::NotFound, "cannot read TURN secret " + settings.secret_file);
  }
  std::ostringstream s;
  s << in.rdbuf();
  std::string secret = s.str();
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
    secret.pop_back();
  }
  if (secret.size() < 16) {
    return Error(ErrorCode::InvalidArgument,
                 "TURN secret " + settings.secret_file + " is shorter than 16 bytes");
  }
  return TurnOptions{secret, settings.ttl_s, settings.uris, settings.path};
}

std::pair<std::string, std::string> turnCredential(const std::string& secret, int64_t expiry,
                                                   const std::string& user) {
  std::string username = std::to_string(expiry) + ":" + user;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac, &len);
  return {username, platform::base64Encode(mac, len)};
}

bool isTurnRequest(const TurnOptions& turn, std::string_view target) {
  return target.substr(0, target.find('?')) == turn.path;
}

HttpAnswer answerTurn(const TurnOptions& turn, const WsAccessPolicy& access, const TurnRequest& req,
                      int64_t now_unix_s) {
  std::vector<std::pair<std::string, std::string>> cors;
  if (req.origin) {
    if (!originAllowed(req.origin, access.allowed_origins)) {
      return refusal(403, "origin not allowed", "origin " + std::string(*req.origin));
    }
    cors = {{"Access-Control-Allow-Origin", std::string(*req.origin)}, {"Vary", "Origin"}};
  }
  if (req.method == "OPTIONS") {
    if (!req.origin || req.request_method.value_or("") != "GET") {
      return refusal(403, "preflight only for GET from an allowed origin", "bad preflight");
    }
    HttpAnswer a;
    a.status = 204;
    a.headers = cors;
    a.headers.emplace_back("Access-Control-Allow-Methods", "GET");
    a.headers.emplace_back("Access-Control-Allow-Headers", "Authorization");
    a.headers.emplace_back("Access-Control-Max-Age", "600");
    return a;
  }
  if (req.method != "GET") {
    HttpAnswer a = refusal(405, "method not allowed", std::string(req.method));
    a.headers = cors;
    a.headers.emplace_back("Allow", "GET, OPTIONS");
    return a;
  }
  JwtReject why = JwtReject::Missing;
  std::string token = extractToken(req.authorization, req.target);
  Result<ConnectionAuth> auth =
      token.empty() ? Result<ConnectionAuth>(Error(ErrorCode::Unauthenticated, "no token"))
                    : verifyJwt(access.jwt, token, now_unix_s, &why);
  if (!auth || auth->subject.empty()) {
    HttpAnswer a = refusal(401, "a valid token with a subject is required",
                           auth ? "token without sub" : auth.error().message);
    a.headers = cors;
    a.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"rampart\"");
    return a;
  }
  auto [user, password] = turnCredential(turn.secret, now_unix_s + turn.ttl_s, auth->subject);
  HttpAnswer a;
  a.headers = cors;
  a.headers.emplace_back("Cache-Control", "no-store");
  a.body = nlohmann::json{{"username", user},
                          {"credential", password},
                          {"password", password},
                          {"ttl", turn.ttl_s},
                          {"uris", turn.uris}}
               .dump();
  return a;
}

}  // namespace rampart::cp
