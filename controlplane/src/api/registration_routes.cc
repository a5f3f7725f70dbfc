// /api/v1/registrations: the bindings Rampart relays (list; remove one).
#include <algorithm>
#include <ctime>

#include "api/api_context.h"
#include "b2bua/call_manager.h"

namespace rampart::cp {
namespace {

using mgmt::ApiRequest;
using mgmt::ApiResponse;
using mgmt::Respond;
using mgmt::Role;
using nlohmann::json;

int64_t steadySeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

json bindingJson(const std::string& key, const Binding& b, const platform::Config& config) {
  std::string peer = b.peer.address.to_string() + ":" + std::to_string(b.peer.port) + ";" +
                     platform::transportName(b.peer.transport);
  return {{"id", mgmt::percentEncode(key)},
          {"user", b.user},
          {"realm", b.realm < config.realms.size() ? config.realms[b.realm].name : ""},
          {"contact", b.contact.uri.str()},
          {"peer", peer},
          {"instance", b.instance},
          {"expires_in_s", std::max<int64_t>(0, b.expires_at_s - steadySeconds())}};
}

}  // namespace

void addRegistrationRoutes(mgmt::Router& router, ApiContext& ctx) {
  router.add({"GET", "/api/v1/registrations", Role::Viewer,
              [&ctx](const ApiRequest& q, Respond done) {
                json list = json::array();
                std::string user = q.arg("user");
                for (const auto& [key, b] : ctx.calls.registrations().bindings()) {
                  if (user.empty() || b.user == user) {
                    list.push_back(bindingJson(key, b, ctx.config()));
                  }
                }
                done(ApiResponse::json(200, {{"total", list.size()}, {"registrations", list}}));
              },
              "registered bindings"});
  router.add({"DELETE", "/api/v1/registrations/{id}", Role::Operator,
              [&ctx](const ApiRequest& q, Respond done) {
                const std::string& key = q.params.at("id");
                if (!ctx.calls.registrations().remove(key)) {
                  done(ApiResponse::error(404, "not_found", "no binding " + key));
                  return;
                }
                done(ApiResponse::json(200, {{"removed", mgmt::percentEncode(key)}}));
              },
              "remove a binding"});
}

}  // namespace rampart::cp
