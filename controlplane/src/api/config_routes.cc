// /api/v1/config: validate a candidate file (sent as the body) and reload the running file.
// Both answer the ReloadOutcome (errors by key; changes by key, applied or needing a restart);
// 422 when the file is refused, 500 when a live part could not be prepared.
#include "api/api_context.h"

namespace rampart::cp {
namespace {

using mgmt::ApiRequest;
using mgmt::ApiResponse;
using mgmt::Respond;
using mgmt::Role;
using nlohmann::json;

unsigned statusOf(const json& outcome) {
  if (outcome.value("ok", false)) {
    return 200;
  }
  return outcome.contains("error") ? 500 : 422;
}

}  // namespace

void addConfigRoutes(mgmt::Router& router, ApiContext& ctx) {
  router.add({"POST", "/api/v1/config/validate", Role::Operator,
              [&ctx](const ApiRequest& q, Respond done) {
                if (q.body.empty()) {
                  done(ApiResponse::error(400, "empty_body", "send the YAML file as the body"));
                  return;
                }
                json outcome = ctx.reload.validate(q.body);
                done(ApiResponse::json(statusOf(outcome), outcome));
              },
              "validate a candidate configuration"});
  router.add({"POST", "/api/v1/config/reload", Role::Operator,
              [&ctx](const ApiRequest& q, Respond done) {
                json outcome = ctx.reload.reload(q.principal);
                done(ApiResponse::json(statusOf(outcome), outcome));
              },
              "reload the configuration file"});
}

}  // namespace rampart::cp
