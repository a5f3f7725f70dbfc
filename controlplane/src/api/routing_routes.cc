// /api/v1/routes and /api/v1/targets: the configured routes and their targets' health (OPTIONS
// checks, b2bua/target_health.h).
#include <set>

#include "api/api_context.h"
#include "b2bua/call_manager.h"

namespace rampart::cp {
namespace {

using mgmt::ApiRequest;
using mgmt::ApiResponse;
using mgmt::Respond;
using mgmt::Role;
using nlohmann::json;

json targetJson(const Target& t, const TargetHealth& health) {
  json addresses = json::array();
  for (const auto& [address, up] : health.addresses(t)) {
    addresses.push_back({{"address", address}, {"up", up}});
  }
  return {{"uri", t.uri.str()},        {"priority", t.policy.priority},
          {"weight", t.policy.weight}, {"dns", t.needs_dns},
          {"up", health.up(t)},        {"addresses", addresses}};
}

std::string realmName(const platform::Config& config, uint32_t i) {
  return i < config.realms.size() ? config.realms[i].name : std::to_string(i);
}

}  // namespace

void addRoutingRoutes(mgmt::Router& router, ApiContext& ctx) {
  router.add({"GET", "/api/v1/routes", Role::Viewer,
              [&ctx](const ApiRequest&, Respond done) {
                json list = json::array();
                const TargetHealth& health = ctx.calls.targetHealth();
                for (const auto& r : ctx.calls.router().routes()) {
                  json targets = json::array();
                  for (const Target& t : r.targets) {
                    targets.push_back(targetJson(t, health));
                  }
                  list.push_back({{"name", r.name},
                                  {"from", realmName(ctx.config(), r.from)},
                                  {"to", realmName(ctx.config(), r.to)},
                                  {"targets", targets}});
                }
                done(ApiResponse::json(200, {{"routes", list}}));
              },
              "routes with their targets' health"});
  router.add({"GET", "/api/v1/targets", Role::Viewer,
              [&ctx](const ApiRequest&, Respond done) {
                json list = json::array();
                std::set<std::string> seen;
                const TargetHealth& health = ctx.calls.targetHealth();
                for (const auto& r : ctx.calls.router().routes()) {
                  for (const Target& t : r.targets) {
                    if (seen.insert(t.uri.str()).second) {
                      json j = targetJson(t, health);
                      j["realm"] = realmName(ctx.config(), r.to);
                      list.push_back(std::move(j));
                    }
                  }
                }
                done(ApiResponse::json(200, {{"targets", list}}));
              },
              "every route target and its health"});
}

}  // namespace rampart::cp
