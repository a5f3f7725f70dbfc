// /api/v1/bans: the security layer's ban list (list; add with an expiry; remove). Changes reach
// the dataplane drop list and the ban file through the BanList's listeners, like automatic bans.
#include <ctime>

#include <boost/asio/ip/address.hpp>

#include "api/api_context.h"
#include "security/signalling_guard.h"

namespace rampart::cp {
namespace {

using mgmt::ApiRequest;
using mgmt::ApiResponse;
using mgmt::Respond;
using mgmt::Role;
using nlohmann::json;

constexpr int64_t kMaxBanSeconds = 365LL * 86400;

json banJson(const security::Ban& b) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  return {{"address", b.address.address().to_string()},
          {"reason", b.reason},
          {"expires_unix_s", b.expires_unix_s},
          {"expires_in_s", b.expires_unix_s > now ? b.expires_unix_s - now : 0}};
}

void addBan(security::SignallingGuard& guard, const ApiRequest& q, Respond& done) {
  json body = json::parse(q.body, nullptr, false);
  if (!body.is_object() || !body.contains("address") || !body["address"].is_string()) {
    done(
        ApiResponse::error(400, "bad_request", R"(body must be {"address": "...", "seconds": N})"));
    return;
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(body["address"].get<std::string>(), ec);
  const json seconds = body.value("seconds", json(3600));
  if (ec) {
    done(ApiResponse::error(400, "bad_address", "not an IPv4 or IPv6 address"));
    return;
  }
  if (!seconds.is_number_integer() || seconds.get<int64_t>() < 1 ||
      seconds.get<int64_t>() > kMaxBanSeconds) {
    done(ApiResponse::error(400, "bad_seconds", "seconds must be 1-31536000"));
    return;
  }
  if (!guard.ban(address, static_cast<uint32_t>(seconds.get<int64_t>()), "manual")) {
    done(ApiResponse::error(503, "ban_list_full", "the ban list is full"));
    return;
  }
  for (const security::Ban& b : guard.bans().list()) {
    if (b.address.address() == address) {
      done(ApiResponse::json(201, banJson(b)));
      return;
    }
  }
  done(ApiResponse::json(201, {{"address", address.to_string()}}));
}

}  // namespace

void addBanRoutes(mgmt::Router& router, security::SignallingGuard& guard) {
  router.add({"GET", "/api/v1/bans", Role::Viewer,
              [&guard](const ApiRequest&, Respond done) {
                json list = json::array();
                for (const security::Ban& b : guard.bans().list()) {
                  list.push_back(banJson(b));
                }
                done(ApiResponse::json(200, {{"total", list.size()}, {"bans", list}}));
              },
              "banned sources"});
  router.add({"POST", "/api/v1/bans", Role::Operator,
              [&guard](const ApiRequest& q, Respond done) { addBan(guard, q, done); },
              "ban a source"});
  router.add({"DELETE", "/api/v1/bans/{id}", Role::Operator,
              [&guard](const ApiRequest& q, Respond done) {
                boost::system::error_code ec;
                auto address = boost::asio::ip::make_address(q.params.at("id"), ec);
                if (ec) {
                  done(ApiResponse::error(400, "bad_address", "not an IPv4 or IPv6 address"));
                } else if (!guard.unban(address)) {
                  done(ApiResponse::error(404, "not_found", "not banned"));
                } else {
                  done(ApiResponse::json(200, {{"removed", address.to_string()}}));
                }
              },
              "lift a ban"});
}

}  // namespace rampart::cp
