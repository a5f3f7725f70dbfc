// Fuzzes the WebSocket upgrade access checks: the input is an HTTP upgrade request as a
// browser (or an attacker) would send it, parsed by Beast with the listener's limits, then run
// through decideUpgrade() with a realm that has an Origin allow-list and requires a JWT. The
// raw input is also fed to the token verifier and the Origin/subprotocol/token helpers
// directly, so token bytes reach libjwt and jansson without an HTTP wrapper.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "transport/ws_access.h"

namespace {

namespace http = boost::beast::http;
using rampart::cp::UpgradeRequest;
using rampart::cp::WsAccessPolicy;

// The HS256 secret the committed corpus's tokens are signed with.
constexpr const char* kFuzzSecret = "rampart-fuzz-secret-0123456789abcdef";
constexpr int64_t kNow = 1'700'000'000;

const WsAccessPolicy& policy() {
  static const WsAccessPolicy p = [] {
    WsAccessPolicy q;
    q.allowed_origins = {"https://app.example.com", "http://localhost:8080"};
    q.jwt_required = true;
    q.jwt.issuer = "rampart-lab";
    q.jwt.audience = "rampart";
    q.jwt.max_lifetime_s = 86400;
    q.jwt.leeway_s = 30;
    q.jwt.keys = {{"lab", rampart::platform::JwtAlg::Hs256, kFuzzSecret},
                  {"other", rampart::platform::JwtAlg::Hs256, std::string(kFuzzSecret) + "2"}};
    return q;
  }();
  return p;
}

std::optional<std::string_view> field(const http::request<http::empty_body>& req, http::field f) {
  auto it = req.find(f);
  if (it == req.end()) {
    return std::nullopt;
  }
  return std::string_view(it->value().data(), it->value().size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // Helpers on the raw bytes.
  (void)rampart::cp::normaliseOrigin(input);
  (void)rampart::cp::offersSipSubprotocol(input);
  (void)rampart::cp::extractToken(input, input);
  rampart::cp::JwtReject why{};
  (void)rampart::cp::verifyJwt(policy().jwt, input, kNow, &why);

  // The request as the listener reads it.
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8192);
  parser.body_limit(0);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) {
    return 0;
  }
  const http::request<http::empty_body>& req = parser.get();
  UpgradeRequest view;
  view.is_websocket_upgrade = boost::beast::websocket::is_upgrade(req);
  view.origin = field(req, http::field::origin);
  view.authorization = field(req, http::field::authorization);
  view.target = std::string_view(req.target().data(), req.target().size());
  view.subprotocols = field(req, http::field::sec_websocket_protocol).value_or("");
  rampart::cp::UpgradeDecision d = rampart::cp::decideUpgrade(policy(), view, kNow);
  // Invariants: a refusal always says why; an acceptance of this realm always carries a
  // subject, since the realm requires a token.
  if (d.status != 101 && !d.refused) {
    __builtin_trap();
  }
  if (d.status == 101 && (!d.auth || d.auth->subject.empty())) {
    __builtin_trap();
  }
  return 0;
}
